"""``/staff/``: where signed-in staff find families, read forms and download documents.

Every page that shows a family's data gets it from ``families.service`` (which
asks the access policy and writes the audit event) and answers 404 when the
answer is no, so a family that is not yours looks exactly like one that does
not exist. Managers read the audit log here; administrators manage accounts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from .. import audit
from ..auth import accounts, invitations, policy
from ..auth.accounts import AccountError
from ..auth.actor import ROLE_NAMES
from ..auth.web import browser_drafts, current_actor, errors_of, govuk_input, staff_required
from ..documents.bounded import RenderTimeout, render_bounded
from ..documents.renderer import DOCUMENT_SLUGS, SubmissionRecord, document_slugs
from ..families import service as families
from ..families.record import age_text, summary
from ..flow import drafts
from ..formats import LONDON, csv_cell
from ..submissions.references import looks_like_reference
from ..web.wiring import services

bp = Blueprint("staff", __name__)
PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50
T = TypeVar("T")


@bp.before_request
@staff_required
def _signed_in_only() -> None:
    """Every staff page needs a signed-in member of staff."""
    return None


MAX_PAGE = 100_000


def _page_number() -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", "1")[:7])))
    except ValueError:
        return 1


def _paged(rows: Sequence[Any], total: int, page: int, size: int) -> dict[str, Any]:
    """What a template with a pager needs: one page of rows, and how many pages (at least 1)."""
    return {"rows": rows, "total": total, "page": page, "pages": max(1, -(-total // size))}


@bp.get("/")
def home() -> str:
    actor = current_actor()
    rows: list[families.FamilyRow] = []
    total = 0
    page = _page_number()
    if policy.sees_families(actor):
        rows, total = families.families_for(
            services(), actor, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    return render_template(
        "staff/home.html",
        **_paged(rows, total, page, PAGE_SIZE),
        today=dt.date.today(),
        age_text=age_text,
        sees_families=policy.sees_families(actor),
        reads_audit=policy.can_read_audit(actor),
        manages_accounts=policy.can_manage_accounts(actor),
        invites=bool(policy.invitable_roles(actor)),
        fills_forms=actor.role in policy.FORM_ROLES,
        role_name=ROLE_NAMES.get(actor.role or "", ""),
        titles={f.id: f.title for f in services().registry.all()},
    )


@bp.get("/drafts")
def drafts_list() -> str:
    """Your drafts: the forms you have begun and not sent, on any computer."""
    actor = current_actor()
    found = drafts.owned(services(), actor)
    audit.write(services().sessions, actor.who, "drafts.listed", detail=str(len(found)))
    registry = services().registry
    rows = [
        {
            "id": d.id,
            "title": registry.get(d.form_id).title,
            "child": summary(registry.get(d.form_id), d.answers),
            "updated_at": d.updated_at,
        }
        for d in found
        if d.form_id in registry.ids()
    ]
    return render_template("staff/drafts.html", rows=rows, today=dt.date.today(), age_text=age_text)


@bp.post("/drafts/continue")
def draft_continue() -> ResponseReturnValue:
    """Open one of your drafts in this browser, at Check your answers."""
    form_id = browser_drafts().reopen(request.form.get("draft", "")[:64])
    if form_id is None:
        abort(404)
    audit.write(
        services().sessions,
        current_actor().who,
        "draft.reopened",
        object_type="form",
        object_id=form_id,
    )
    return redirect(url_for("forms.check_answers", form_id=form_id))


@bp.get("/submissions/<submission_id>")
def submission(submission_id: str) -> str:
    found = families.submission_for(
        services(), current_actor(), submission_id, audit_action="submission.viewed"
    )
    if found is None:
        abort(404)
    definition = services().registry.get(found.form_id)
    return render_template(
        "staff/submission.html",
        submission=found,
        definition=definition,
        answers=found.answers,
        documents=document_slugs(definition),
    )


@bp.get("/submissions/<submission_id>/<document>")
def download(submission_id: str, document: str) -> Response | tuple[str, int]:
    if document not in DOCUMENT_SLUGS:
        abort(404)

    def offered(form_id: str) -> bool:
        return document in document_slugs(services().registry.get(form_id))

    found = downloadable_submission(submission_id, detail=document, offers=offered)
    try:
        rendered = render_in_time(render_bounded, submission_record(found))
    except RenderTimeout:
        return too_slow_page("document")
    wanted = [f for f in rendered.files(found.reference) if f.slug == document]
    if not wanted:
        abort(404)
    return Response(
        wanted[0].content,
        mimetype=wanted[0].mimetype,
        headers={"Content-Disposition": f'attachment; filename="{wanted[0].name}"'},
    )


def downloadable_submission(
    submission_id: str, *, detail: str, offers: Callable[[str], bool]
) -> families.SubmissionView:
    """The submission a document is asked of, or 404: every download (the documents here,
    the printed plan on the family page) asks the policy and audits the same way."""
    found = families.submission_for(
        services(),
        current_actor(),
        submission_id,
        audit_action="document.downloaded",
        detail=detail,
        offers=offers,
    )
    if found is None:
        abort(404)
    return found


def submission_record(found: families.SubmissionView) -> SubmissionRecord:
    """What the document renderer needs from a submission the actor may read."""
    return SubmissionRecord(
        services().registry.get(found.form_id), found.answers, found.reference, found.submitted_at
    )


def render_in_time(render: Callable[..., T], record: SubmissionRecord, **options: bool) -> T:
    """``render`` in the bounded render process with this app's time limit and process
    count, so a slow document cannot hold a web worker; raises ``RenderTimeout``."""
    settings = services().settings
    return render(
        services().documents,
        record,
        timeout=settings.render_timeout_seconds,
        processes=settings.delivery_threads,
        **options,
    )


def too_slow_page(what: str) -> tuple[str, int]:
    """The 503 page when a document took longer than the time limit: one wording for each."""
    return render_template(
        "error.html",
        title=f"Sorry, the {what} is taking too long to make",
        body="Wait a few minutes, then try again. The form itself is safe.",
    ), 503


# --------------------------------------------------------------------------- audit


def _audit_filter() -> audit.AuditFilter:
    def day(name: str, *, end: bool = False) -> dt.datetime | None:
        try:
            value = dt.date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None
        # days as the council counts them, compared in UTC (SQLite stores times without
        # their zone: a London bound would be an hour out in summer)
        start = dt.datetime.combine(value, dt.time(), tzinfo=LONDON)
        if end:
            start = dt.datetime.combine(value + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)
        return start.astimezone(dt.UTC)

    action = request.args.get("action") or None
    outcome = request.args.get("outcome") or None
    return audit.AuditFilter(
        action=action if action in audit.ACTIONS else None,
        actor_id=(request.args.get("actor") or "").strip()[:36] or None,
        family_id=_family_wanted(request.args.get("family") or ""),
        outcome=outcome if outcome in audit.OUTCOMES else None,
        since=day("from"),
        until=day("to", end=True),
    )


def _family_wanted(value: str) -> str | None:
    """The family asked for: a reference of any of its forms, or its id (the first 8 will do)."""
    value = value.strip()
    if looks_like_reference(value.upper()):
        return families.family_of_reference(services(), value.upper()) or value.upper()
    return value[:36].lower() or None


def _require_audit_reader() -> None:
    if not policy.can_read_audit(current_actor()):
        abort(404)


@bp.get("/audit")
def audit_log() -> str:
    _require_audit_reader()
    wanted = _audit_filter()
    page = _page_number()
    rows, total = audit.events(
        services().readers, wanted, offset=(page - 1) * AUDIT_PAGE_SIZE, limit=AUDIT_PAGE_SIZE
    )
    audit.write(
        services().sessions,
        current_actor().who,
        "audit.viewed",
        detail=f"{len(rows)} of {total} shown",
    )
    people = {a.id: a for a in accounts.accounts(services())}
    return render_template(
        "staff/audit.html",
        **_paged(rows, total, page, AUDIT_PAGE_SIZE),
        wanted=wanted,
        args=request.args,
        actions=audit.ACTIONS,
        people=people,
        people_choices=[(a.id, f"{a.name} ({a.email})") for a in people.values()],
    )


@bp.get("/audit.csv")
def audit_export() -> Response:
    _require_audit_reader()
    rows, total = audit.events(services().readers, _audit_filter(), limit=None)
    audit.write(
        services().sessions, current_actor().who, "audit.exported", detail=f"{total} events"
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "time (UTC)",
            "who",
            "who id",
            "action",
            "outcome",
            "object",
            "object id",
            "family id",
            "IP address",
            "detail",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    row.at.strftime("%Y-%m-%d %H:%M:%S"),
                    row.actor_kind,
                    row.actor_id,
                    row.action,
                    row.outcome,
                    row.object_type,
                    row.object_id,
                    row.family_id,
                    row.ip,
                    row.detail,
                )
            ]
        )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


# --------------------------------------------------------------------------- accounts


#: What each role may see, said on the invitation page.
ROLE_HINTS = {
    "cspoc": "Sees every referral and family, and can invite partners",
    "lead-professional": "Sees only the families allocated to them, and fills in their "
    "assessments and reviews",
    "manager": "Reads every family and the audit log, and fills in nothing",
    "admin": "Manages accounts, and sees no family's information",
}


class InviteForm(FlaskForm):
    email = govuk_input(
        "Email address",
        blank="Enter their email address",
        max_length=254,
        hint="Use their work email address, for example name@school.sch.uk",
    )
    role = RadioField("Which role will they have?", validators=[InputRequired("Select their role")])


def _link(endpoint: str, **values: Any) -> str:
    """An absolute link to give someone: from FORMS_BASE_URL, never the Host header."""
    base = services().settings.base_url
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


@bp.route("/invite", methods=["GET", "POST"])
def invite() -> str:
    actor = current_actor()
    roles = policy.invitable_roles(actor)
    if not roles:
        abort(404)
    form = InviteForm()
    form.role.choices = [(r, ROLE_NAMES[r]) for r in roles]
    if len(roles) == 1 and request.method == "GET":
        form.role.data = roles[0]  # nothing to choose: a sentence on the page, posted hidden
    link = None
    if form.validate_on_submit():
        try:
            token = invitations.invite(
                services(), actor, form.email.data or "", form.role.data or ""
            )
        except AccountError as exc:
            form.email.errors = [str(exc)]
        else:
            link = _link("auth.invitation", token=token)
    return render_template(
        "staff/invite.html",
        form=form,
        link=link,
        roles=[(r, ROLE_NAMES[r], ROLE_HINTS[r]) for r in roles],
        error_list=errors_of(form),
        email=form.email.data,
    )


@bp.get("/accounts")
def account_list() -> str:
    if not policy.can_manage_accounts(current_actor()):
        abort(404)
    return render_template(
        "staff/accounts.html", accounts=accounts.accounts(services()), role_names=ROLE_NAMES
    )


#: What each button on the accounts page does: (disabled?, message).
CHANGES = {
    "disable": (True, "{name}'s account is disabled: they are signed out and cannot sign in."),
    "enable": (False, "{name}'s account is enabled again."),
    "unlock": (False, "{name}'s account is unlocked: they can sign in now."),
}


@bp.post("/accounts/<user_id>/<change>")
def account_change(user_id: str, change: str) -> Any:
    actor = current_actor()
    if not policy.can_manage_accounts(actor) or change not in (*CHANGES, "reset"):
        abort(404)
    found = accounts.account(services(), user_id)
    if found is None or found.id == actor.user_id:
        abort(404)
    if change == "reset":
        try:
            token = invitations.invite_to_reset(services(), actor, found.id)
        except AccountError as exc:
            flash(str(exc))
            return redirect(url_for(".account_list"))
        return render_template(
            "staff/reset_link.html", person=found, link=_link("auth.invitation", token=token)
        )
    disabled, message = CHANGES[change]
    accounts.set_disabled(services(), found.email, disabled, actor.who)
    flash(message.format(name=found.name), "success")
    return redirect(url_for(".account_list"))
