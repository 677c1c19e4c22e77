"""Sign-in for staff, in the web app: who is asking, and the pages that let them in.

Each request gets an ``Actor`` (``g.actor``): a signed-in member of staff from
the server-side session cookie, or an anonymous person. The cookie holds a
random token only; the session lives in the database (``auth.sessions``).
Sign-in is two pages: email and password, then a code from an authenticator
app; councils may use single sign-on instead (``auth.oidc``). Partners set up
their account from an invitation link.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from .. import audit
from ..flow import drafts
from ..web.wiring import services
from . import accounts, invitations, sessions, totp
from .accounts import AccountError
from .actor import ANONYMOUS, Actor, anonymous

bp = Blueprint("auth", __name__)

DEVELOPMENT_COOKIE = "staff-session"
#: In production the cookie is ``__Host-`` prefixed: Secure, whole-site, never a subdomain's.
PRODUCTION_COOKIE = "__Host-staff-session"
SIGNED_OUT = (
    "You have been signed out because you had not used the service for 30 minutes, or you "
    "signed in more than 10 hours ago. Sign in again to continue."
)
WRONG = "Enter the email address and password for your account"
LOCKED = (
    "Your account is locked because of too many failed attempts to sign in. Wait 15 minutes, "
    "then try again"
)
WRONG_CODE = (
    "The code is not right. Enter the code your app shows now: codes change every 30 seconds"
)
CODE_TOO_LATE = "You took too long to enter the code. Sign in again."
#: A path on this site, in plain characters: nothing that could end a header line.
SAFE_PATH = re.compile(r"^/(?!/)[A-Za-z0-9/_.~%?=&+-]*$")
SETUP_BROWSER = "setup_browser"
F = TypeVar("F", bound=Callable[..., Any])


def audit_refusal(
    actor: Actor, action: str, object_type: str | None = None, object_id: str | None = None
) -> None:
    """Write the "denied" event for a page that refuses ``actor`` by role (the inbox, a
    referral, a form): one shape in the log for each, beside those ``families.service``
    writes when it refuses a family."""
    audit.write(
        services().sessions,
        actor.who,
        action,
        outcome="denied",
        object_type=object_type,
        object_id=object_id,
    )


def client_ip() -> str:
    """The client's address (``ProxyFix`` has already applied trusted X-Forwarded-For)."""
    return request.remote_addr or "unknown"


def cookie_name() -> str:
    return PRODUCTION_COOKIE if services().settings.production else DEVELOPMENT_COOKIE


def current_actor() -> Actor:
    """Who is asking (anonymous until signed in)."""
    actor = g.get("actor")
    return actor if isinstance(actor, Actor) else ANONYMOUS


def browser_drafts() -> drafts.Drafts:
    """This browser's drafts, as the person asking may see them."""
    return drafts.Drafts(services(), session, current_actor())


def _load_actor() -> None:
    """Before each web request: resolve the staff cookie, if any, to a signed-in actor."""
    g.actor = anonymous(client_ip())
    g.signed = None
    if request.path.startswith(("/api/", "/assets/", "/app-assets/")):
        return  # the API takes bearer tokens only, never cookies
    token = request.cookies.get(cookie_name())
    if not token:
        return
    signed = sessions.resolve(services(), token, client_ip())
    g.signed = signed
    g.stale_cookie = signed is None
    if signed is not None and signed.stage == sessions.SIGNED_IN:
        g.actor = Actor(
            "user", user_id=signed.user_id, role=signed.role, name=signed.name, ip=client_ip()
        )


def _forget_stale_cookie(response: Response) -> Response:
    if g.get("stale_cookie"):
        response.delete_cookie(cookie_name(), path="/")
    return response


def set_session_cookie(response: Response, token: str) -> None:
    settings = services().settings
    response.set_cookie(
        cookie_name(),
        token,
        path="/",
        secure=settings.production,
        httponly=True,
        samesite="Lax",
    )


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a plain path on this site only, never another site."""
    parts = urlsplit(value or "")
    if not value or parts.scheme or parts.netloc or not SAFE_PATH.match(value):
        return url_for("staff.home")
    return value


def staff_required(view: F) -> F:
    """Send anyone not signed in to the sign-in page, and back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_actor().is_staff:
            if g.get("stale_cookie"):
                flash(SIGNED_OUT)
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _start_signed_in(user_id: str, pending: str | None = None) -> Response:
    """A brand-new session (a new id: no fixation), and a fresh Flask session too."""
    if pending:
        sessions.discard(services(), pending)
    next_url = safe_next(session.get("next"))
    # A new session cookie too; only the tokens of drafts in progress carry over
    # (a member of staff's drafts open for them alone, whatever the cookie says).
    kept = session.get(drafts.SESSION_KEY)
    session.clear()
    if kept:
        session[drafts.SESSION_KEY] = kept
    token = sessions.start(services(), user_id, sessions.SIGNED_IN)
    response = redirect(next_url)
    set_session_cookie(response, token)
    return response


# --------------------------------------------------------------------------- forms


def govuk_input(
    label: str, *, blank: str, max_length: int | None = None, hint: str = "", password: bool = False
) -> StringField:
    """A GOV.UK text (or password) input that must be answered. ``blank`` is the
    error for an empty answer, which says what to enter (GOV.UK's pattern); the
    length limit keeps a hostile post from reaching the database or a hash."""
    validators: list[Any] = [InputRequired(blank)]
    if max_length is not None:
        validators.append(Length(max=max_length))
    if password:
        return PasswordField(
            label, description=hint, widget=GovPasswordInput(), validators=validators
        )
    return StringField(label, description=hint, widget=GovTextInput(), validators=validators)


class SignInForm(FlaskForm):
    email = govuk_input("Email address", blank="Enter your email address", max_length=254)
    password = govuk_input("Password", blank="Enter your password", max_length=256, password=True)


def _code_field(label: str) -> StringField:
    return govuk_input(
        label,
        blank="Enter the 6-digit code from your authenticator app",
        hint="Open the app on your phone and enter the 6-digit code it shows for Early Help forms",
    )


class CodeForm(FlaskForm):
    code = _code_field("Code from your authenticator app")


class SignInCodeForm(FlaskForm):
    """The second sign-in step: its label is the page's heading (one question, one page)."""

    code = _code_field("Enter the code from your authenticator app")


class PasswordForm(FlaskForm):
    name = govuk_input(
        "Full name",
        blank="Enter your full name",
        max_length=200,
        hint="Colleagues will see this name on the families you work with",
    )
    password = govuk_input(
        "Create a password",
        blank="Create a password",
        max_length=256,
        password=True,
        hint="Use 12 characters or more. 3 unrelated words make a strong password that "
        "is easy to remember. Do not use your name, your email address, or the name of this "
        "service or the council.",
    )


def errors_of(form: FlaskForm) -> list[dict[str, str]]:
    """GOV.UK error summary items for a WTForms form, each linking to its field."""
    return [
        {"text": messages[0], "href": f"#{form[name].id}"}
        for name, messages in form.errors.items()
        if name != "csrf_token" and messages
    ]


# --------------------------------------------------------------------------- pages


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | str | tuple[str, int]:
    if current_actor().is_staff:
        return redirect(url_for("staff.home"))
    if request.method == "GET" and request.args.get("next"):
        session["next"] = safe_next(request.args.get("next"))
    form = SignInForm()
    if form.validate_on_submit():
        check = accounts.check_password(
            services(), form.email.data or "", form.password.data or "", client_ip()
        )
        if check.user_id is not None:
            pending = sessions.start(services(), check.user_id, sessions.PASSWORD_STAGE)
            response = redirect(url_for(".code"))
            set_session_cookie(response, pending)
            return response
        form.password.errors = [LOCKED if check.locked else WRONG]
    expired = bool(form.errors.get("csrf_token"))
    form.password.data = ""
    page = render_template(
        "auth/sign_in.html",
        form=form,
        error_list=errors_of(form),
        expired=expired,
        oidc=services().settings.oidc_enabled,
    )
    return page, 400 if expired else 200


@bp.route("/sign-in/code", methods=["GET", "POST"])
def code() -> Response | str:
    signed = g.get("signed")
    if signed is None or signed.stage != sessions.PASSWORD_STAGE:
        if g.get("stale_cookie"):
            flash(CODE_TOO_LATE)
        return redirect(url_for(".sign_in"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        check = accounts.check_code(services(), signed.user_id, form.code.data or "", client_ip())
        if check.user_id is not None:
            return _start_signed_in(signed.user_id, request.cookies.get(cookie_name()))
        form.code.errors = [LOCKED if check.locked else WRONG_CODE]
    form.code.data = ""
    return render_template("auth/code.html", form=form, error_list=errors_of(form))


@bp.post("/sign-out")
def sign_out() -> Response:
    """Revoke the session on the server, forget the cookie and every draft token.

    Signing out always works, even from a page left open for hours: it needs no
    CSRF token (the session cookie is SameSite=Lax, so another site cannot post it).
    """
    sessions.end(services(), request.cookies.get(cookie_name()), current_actor().who)
    session.clear()
    flash("You have signed out.", "success")
    response = redirect(url_for(".sign_in"))
    response.delete_cookie(cookie_name(), path="/")
    return response


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Response | str | tuple[str, int]:
    found = invitations.find(services(), token, session.get(SETUP_BROWSER))
    if found is None:
        return render_template("auth/invitation_expired.html"), 404
    form = PasswordForm()
    if request.method == "GET" and found.name:
        form.name.data = found.name
    if form.validate_on_submit():
        try:
            session[SETUP_BROWSER] = invitations.choose_password(
                services(),
                token,
                form.name.data or "",
                form.password.data or "",
                session.get(SETUP_BROWSER),
                client_ip(),
            )
        except AccountError as exc:
            form.password.errors = [str(exc)]
        else:
            return redirect(url_for(".invitation_authenticator", token=token))
    form.password.data = ""
    return render_template(
        "auth/invitation.html", form=form, invitation=found, error_list=errors_of(form)
    )


@bp.route("/invitation/<token>/authenticator", methods=["GET", "POST"])
def invitation_authenticator(token: str) -> Response | str | tuple[str, int]:
    found = invitations.find(services(), token, session.get(SETUP_BROWSER))
    if found is None:
        return render_template("auth/invitation_expired.html"), 404
    if found.otpauth_uri is None:
        return redirect(url_for(".invitation", token=token))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            invitations.confirm_authenticator(
                services(), token, form.code.data or "", session.get(SETUP_BROWSER), client_ip()
            )
        except AccountError as exc:
            form.code.errors = [str(exc)]
        else:
            session.pop(SETUP_BROWSER, None)
            flash(
                "Your account is ready. Sign in with your email address, password and a code "
                "from your authenticator app.",
                "success",
            )
            return redirect(url_for(".sign_in"))
    form.code.data = ""
    secret = found.otpauth_uri.split("secret=", 1)[1].split("&", 1)[0]
    return render_template(
        "auth/authenticator.html",
        form=form,
        # An SVG made by segno from our own otpauth URI: no user text reaches it.
        qr=Markup(totp.qr_svg(found.otpauth_uri)),  # noqa: S704
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        otpauth_uri=found.otpauth_uri,
        invitation=found,
        token=token,
        error_list=errors_of(form),
    )


def init_app(app: Flask) -> None:
    """Load the actor on every request; expose it to templates."""
    app.before_request(_load_actor)
    app.after_request(_forget_stale_cookie)
    app.register_blueprint(bp)

    @app.context_processor
    def _actor() -> dict[str, Any]:
        return {"actor": current_actor()}
