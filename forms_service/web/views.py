"""The web form: thin views that bind a page, validate, save and redirect.

Every rule lives in the definition and the shared marshmallow validation;
these views only translate between HTTP and those plain functions.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response
from wtforms import Form

from ..attachments import service as attachments
from ..auth import policy
from ..auth.policy import can_fill, can_start_from
from ..auth.web import audit_refusal, browser_drafts, current_actor
from ..definitions.model import Advice, Alert, Field, FormDefinition, Page, Stop, resolve
from ..definitions.registry import UnknownForm
from ..delivery.compose import link
from ..delivery.messages import may_email
from ..documents.bounded import RenderTimeout
from ..families import service as families
from ..families.service import FamilyUnavailable
from ..fieldtypes import answers_of, offer_options, page_form, type_of
from ..fieldtypes.answer_options import unoffered
from ..fieldtypes.messages import fill_contacts
from ..flow import drafts, referrer_copy, resume
from ..flow.navigation import (
    next_page,
    page_for_error,
    previous_page,
    triggered_advice,
    triggered_stop,
)
from ..mail.message import is_plain_address
from ..submissions.answers import AnswersInvalid, validate
from ..submissions.prefill import PrefillError, prefill_answers, refused
from ..submissions.rules import computed, warnings
from ..submissions.service import AlreadySubmitted, reference_of, submit
from .templating import item_name
from .wiring import enqueue_delivery, services

bp = Blueprint("forms", __name__)

CHECK = "check"
COPY_GONE = (
    "This copy is no longer available",
    "A copy of what you sent can be downloaded once, in the browser that sent it, within "
    f"{referrer_copy.COPY_WINDOW.seconds // 60} minutes of sending. What you sent has been "
    "received: quote its reference if you contact the Children's Single Point of Contact.",
)
SESSION_EXPIRED = (
    "Your session timed out, so we could not save this page. "
    "Your answers are still here: check them and select Continue again."
)


@bp.url_value_preprocessor
def _load(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The definition (and page) named in the URL, loaded once for the view, or 404."""
    if not values or "form_id" not in values:
        return
    try:
        g.definition = services().registry.get(values.pop("form_id"))
    except UnknownForm:
        abort(404)
    if "page_id" in values:
        try:
            g.page = g.definition.page(values.pop("page_id"))
        except KeyError:
            abort(404)


def definition() -> FormDefinition:
    """The form definition this request is about (see :func:`_load`)."""
    found: FormDefinition = g.definition
    return found


@bp.before_request
def _only_those_who_may_fill_it_in() -> Response | tuple[str, int] | None:
    """Referral forms are open to anyone; staff forms need a member of staff who may fill them."""
    if "definition" not in g:
        return None
    actor = current_actor()
    if can_fill(actor, definition()):
        return None
    if not actor.is_staff:
        if request.endpoint == "forms.start_from":  # a reference tried without signing in
            refused(services(), actor, "not signed in")
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        start = url_for(".start", form_id=definition().id)
        return redirect(url_for("auth.sign_in", next=back or start))
    audit_refusal(actor, "form.refused", "form", definition().id)
    return render_template(
        "error.html",
        title="You cannot fill in this form",
        body="Your role does not fill in assessments or reviews. Ask a C-SPOC duty worker "
        "or the family's lead professional.",
    ), 403


@bp.errorhandler(CSRFError)
def _timed_out(exc: CSRFError) -> ResponseReturnValue:
    """A page whose token has expired shows again with what was typed, and saves nothing.

    CSRFProtect checks every POST before the view runs; this handler then
    draws the page the user was on (once the access policy agrees).
    """
    if "definition" not in g:
        return render_template("error.html", title="This page timed out", body=SESSION_EXPIRED), 400
    denied = _only_those_who_may_fill_it_in()
    if denied is not None:
        return denied
    form_def = definition()
    saved = _saved(form_def)
    page_now: Page | None = g.get("page")
    if request.endpoint == "forms.start_from":
        return _render_start(
            request.form.get("reference", "")[:50], {"follows": [SESSION_EXPIRED]}
        ), 400
    if request.endpoint == "forms.check_answers":
        return _render_check(saved, {}, expired=True), 400
    if page_now is None or request.endpoint == "forms.remove_item":
        return render_template("error.html", title="This page timed out", body=SESSION_EXPIRED), 400
    group = page_now.repeating
    if group is None:
        form = _bound(page_now.fields, request.form, {}, saved)
        return _render_page(page_now, form, saved, {}, expired=True), 400
    if request.endpoint == "forms.item":
        form = _bound(group.fields, request.form, {}, saved)
        number = (request.view_args or {}).get("index")
        return _render_item(page_now, form, number, {}, expired=True), 400
    items = list(saved.get(group.name) or [])
    return _render_list(page_now, items, saved, {}, expired=True), 400


def _saved(form_def: FormDefinition) -> dict[str, Any]:
    return browser_drafts().answers(form_def.id)


def _bound(
    fields: tuple[Field, ...], formdata: Any, data: dict[str, Any], saved: dict[str, Any]
) -> Form:
    """A bound page form whose choices drawn from answers offer the draft's people."""
    form = page_form(fields, formdata, data)
    return offer_options(form, fields, saved, tuple(definition().fields))


def _check_offered(fields: tuple[Field, ...], clean: dict[str, Any], saved: dict[str, Any]) -> None:
    """Refuse a choice the draft's answers do not offer (``answer_options``), as a
    field error on this page."""
    errors = unoffered(fields, clean, saved, tuple(definition().fields))
    if errors:
        raise AnswersInvalid(errors)


def _url(endpoint: str, **values: Any) -> str:
    """``url_for`` keeping ``?return=check`` when the user came from check answers."""
    if _returning():
        values["return"] = CHECK
    return url_for(endpoint, **values)


def _returning() -> bool:
    return request.args.get("return") == CHECK


def _after_save(page: Page, answers: dict[str, Any]) -> Response:
    form_def = definition()
    raised = form_def.alerts_after(page.id, answers)
    if raised:
        return redirect(_url(".alert", form_id=form_def.id, alert_id=raised[0].id))
    return redirect(_onward(page, answers))


def _onward(page: Page, answers: dict[str, Any]) -> str:
    """Where Continue leads after ``page``: the next page, or check your answers."""
    form_def = definition()
    following = next_page(form_def, page.id, answers)
    if _returning() or following is None:
        return url_for(".check_answers", form_id=form_def.id)
    return url_for(".page", form_id=form_def.id, page_id=following.id)


def _back_link(page: Page, answers: dict[str, Any]) -> str:
    form_def = definition()
    if _returning():
        return url_for(".check_answers", form_id=form_def.id)
    before = previous_page(form_def, page.id, answers)
    if before is None:
        return url_for(".start", form_id=form_def.id)
    return url_for(".page", form_id=form_def.id, page_id=before.id)


def _error_list(errors: dict[str, list[str]], fields: tuple[Field, ...]) -> list[dict[str, str]]:
    """GOV.UK error summary items, each linking to its field (a date's Day box)."""
    items = []
    for path, messages in errors.items():
        target = resolve(fields, ".".join(p for p in path.split(".") if not p.isdigit()))
        anchor = anchor_for(path)
        if target is not None:
            anchor = type_of(target).error_anchor(anchor)
        items.append({"text": messages[0], "href": f"#{anchor}"})
    return items


def anchor_for(path: str) -> str:
    """The HTML id a field error links to (WTForms joins group names with '-')."""
    return path.replace(".", "-")


@bp.route("/")
def index() -> str:
    return render_template("index.html", forms=services().registry.all())


@bp.route("/<form_id>")
def start() -> str:
    return _render_start("", {})


FOLLOWS_MISSING = "Select yes if this follows an earlier form for this family"


def _render_start(reference: str, errors: dict[str, list[str]], follows: str = "") -> str:
    """The start page; staff who may start from a reference are first asked whether
    this follows an earlier form, the usual path for them."""
    form_def = definition()
    may_start_from = can_start_from(current_actor()) and bool(form_def.prefill)
    registry = services().registry
    anchors = {"follows": "#follows", "reference": "#reference"}
    return render_template(
        "start.html",
        definition=form_def,
        first=form_def.pages[0],
        reference=reference,
        follows=follows or ("yes" if reference else ""),
        errors=errors,
        error_list=[{"text": m[0], "href": anchors[k]} for k, m in errors.items()],
        sources=[registry.get(p.form) for p in form_def.prefill] if may_start_from else [],
    )


@bp.route("/<form_id>/start-from", methods=["POST"])
def start_from() -> Response | tuple[str, int] | str:
    """Begin a new draft with answers copied from an earlier submission of the same
    family; a draft already begun is replaced only once the user says so."""
    form_def = definition()
    actor = current_actor()
    if not can_start_from(actor):
        refused(services(), actor, "not signed in")
        return redirect(url_for("auth.sign_in", next=url_for(".start", form_id=form_def.id)))
    reference = request.form.get("reference", "")[:50]
    follows = request.form.get("follows") or ("yes" if reference else "")
    first = url_for(".page", form_id=form_def.id, page_id=form_def.pages[0].id)
    if follows == "no":
        return redirect(first)
    if follows != "yes":
        return _render_start(reference, {"follows": [FOLLOWS_MISSING]})
    if _saved(form_def) and request.form.get("replace") != "yes":
        return render_template(
            "replace_draft.html",
            definition=form_def,
            source=reference,
            action=url_for(".start_from", form_id=form_def.id),
            hidden={"follows": "yes", "reference": reference},
        )
    try:
        prefilled = prefill_answers(services(), form_def, reference, actor)
    except PrefillError as exc:
        return _render_start(reference, {"reference": [str(exc)]}, follows)
    browser_drafts().start(form_def.id, prefilled.answers, prefilled.family_id)
    return redirect(first)


@bp.route("/<form_id>/<page_id>", methods=["GET", "POST"])
def page() -> Response | str | tuple[str, int]:
    form_def, page_now = definition(), g.page
    saved = _saved(form_def)
    if page_now.repeating is not None:
        return _list_page(page_now, page_now.repeating, saved)
    if request.method == "GET":
        return _render_page(page_now, _bound(page_now.fields, None, saved, saved), saved, {})
    form = _bound(page_now.fields, request.form, _files_kept(page_now, saved), saved)
    data = answers_of(page_now.fields, form)
    on_page = {f.name for f in page_now.fields}
    known = {**{k: v for k, v in saved.items() if k not in on_page}, **data}
    stop = triggered_stop(page_now.fields, known)
    if stop is not None:
        return _render_stop(page_now, stop, saved)
    advised = triggered_advice(page_now.fields, data)
    if advised is not None:
        return _render_advice(page_now, *advised, saved)
    if request.form.get("save_later"):  # after the gates: a "Yes" is never saved for later
        _keep_valid(page_now, data, saved)
        return redirect(url_for(".save_for_later", form_id=form_def.id))
    scope, context = _with_earlier_answers(form_def, page_now, saved)
    try:
        clean = validate(
            scope, {**context, **data}, services().settings.contacts, {**saved, **data}
        )
        _check_offered(page_now.fields, clean, {**saved, **clean})
    except AnswersInvalid as exc:
        _keep_valid(page_now, data, saved)
        return _render_page(page_now, form, saved, exc.errors)
    clean = {k: v for k, v in clean.items() if k in on_page}
    _save(form_def, clean, page_now.fields)
    return _after_save(page_now, {**saved, **clean})


def _keep_valid(page: Page, data: dict[str, Any], saved: dict[str, Any]) -> None:
    """Save the answers on a page with errors that are right on their own, so a user
    who leaves the page after an error loses only the answers still to be mended.

    Each question (each question of a group) is checked alone; one with an error
    keeps what the draft had. The whole page is checked again when it is sent.
    """
    right = _right_alone(page.fields, data, {**saved, **data})
    if not right:
        return
    merged = {
        name: {**_as_dict(saved.get(name)), **value} if isinstance(value, dict) else value
        for name, value in right.items()
    }
    _save(definition(), merged)


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _right_alone(
    fields: tuple[Field, ...], data: dict[str, Any], whole: dict[str, Any]
) -> dict[str, Any]:
    """The answers in ``data`` that pass their own question's checks."""
    right: dict[str, Any] = {}
    contacts = services().settings.contacts
    for fld in fields:
        kind = type_of(fld)
        if fld.name not in data or fld.stop is not None or kind.repeats or kind.takes_files:
            continue
        if kind.group:
            inner = _right_alone(fld.fields, data[fld.name] or {}, whole)
            if inner:
                right[fld.name] = inner
            continue
        try:
            clean = validate((fld,), {fld.name: data[fld.name]}, contacts, whole)
            _check_offered((fld,), clean, whole)
        except AnswersInvalid:
            continue
        if fld.name in clean:
            right[fld.name] = clean[fld.name]
    return right


def _filled(body: tuple[str, ...]) -> list[str]:
    """A stop's, advice's or warning's paragraphs with the configured contacts filled in."""
    contacts = services().settings.contacts
    return [fill_contacts(p, contacts) for p in body]


def _render_stop(page: Page, stop: Stop, saved: dict[str, Any]) -> str:
    """Where to go instead (call 999, phone the SPOC). The draft is kept, without
    the answer of the question that stopped it, so a mis-click on a Change link
    loses nothing; it is deleted only when the user chooses to leave (``leave``)."""
    form_def = definition()
    if saved:
        _save(form_def, {}, tuple(f for f in page.fields if f.stop is stop))
    return render_template(
        "stop.html",
        definition=form_def,
        stop=stop,
        body=_filled(stop.body),
        kept=bool(saved),
        back=_url(".page", form_id=form_def.id, page_id=page.id),
    )


@bp.route("/<form_id>/save", methods=["GET", "POST"])
def save_for_later() -> str:
    """Save and come back later: a single-use link to this draft, emailed to the
    user's work address (``flow/resume.py``). Staff have "Your drafts" instead."""
    form_def = definition()
    email = " ".join(request.form.get("email", "").split())[:254]
    if request.method == "GET":
        return render_template("save_for_later.html", definition=form_def, email="", errors={})
    problem = _save_address_problem(email)
    if problem is None:
        try:
            offered = resume.offer(
                browser_drafts(),
                form_def.id,
                email,
                lambda token: link(services().settings, url_for("resume.open_link", token=token)),
            )
        except resume.ResumeError as exc:
            problem = str(exc)
        else:
            enqueue_delivery((offered.outbox_id,))
            return render_template("save_sent.html", definition=form_def, email=email)
    return render_template(
        "save_for_later.html",
        definition=form_def,
        email=email,
        errors={"email": [problem]},
        error_list=[{"text": problem, "href": "#email"}],
    )


def _save_address_problem(email: str) -> str | None:
    """The GOV.UK message for a work email the link cannot go to, or None."""
    if not email:
        return "Enter your work email address"
    if not is_plain_address(email):
        return "Enter an email address in the correct format, like name@example.com"
    if not may_email(services().settings, email):
        domains = " or ".join(services().settings.trusted_email_domains)
        return f"Enter a work email address ending in {domains}"
    return None


@bp.route("/<form_id>/leave", methods=["POST"])
def leave() -> str:
    """Delete this browser's draft, when the user has chosen to leave the form."""
    form_def = definition()
    browser_drafts().discard(form_def.id)
    return render_template("left.html", definition=form_def)


def _save(
    form_def: FormDefinition, answers: dict[str, Any], replacing: tuple[Field, ...] = ()
) -> None:
    """Save ``answers`` into this browser's draft of ``form_def``; the answers of the
    ``replacing`` questions not among them are cleared (a page saved whole)."""
    browser_drafts().save(form_def.id, answers, removals=tuple(f.name for f in replacing))


def _with_earlier_answers(
    form_def: FormDefinition, page: Page, saved: dict[str, Any]
) -> tuple[tuple[Field, ...], dict[str, Any]]:
    """The page's questions plus the earlier answers its stops' ``unless`` read,
    with those answers: so a page checks a stop as the whole form would."""
    extra: list[Field] = []
    context: dict[str, Any] = {}
    for fld in page.fields:
        unless = fld.stop.unless if fld.stop is not None else None
        if unless is None or unless.field not in saved or unless.field in context:
            continue
        try:
            extra.append(form_def.field(unless.field))
        except KeyError:
            continue
        context[unless.field] = saved[unless.field]
    return page.fields + tuple(extra), context


def _render_advice(page: Page, question: Field, advice: Advice, saved: dict[str, Any]) -> str:
    """Who to ask when the answer is "Not sure". The draft is kept (only this
    answer is dropped from it, so an earlier "No" cannot stand in for it)."""
    if saved:
        _save(definition(), {}, (question,))
    return render_template(
        "advice.html",
        definition=definition(),
        advice=advice,
        body=_filled(advice.body),
        back=_url(".page", form_id=definition().id, page_id=page.id),
    )


@bp.route("/<form_id>/warning/<alert_id>")
def alert(alert_id: str) -> Response | str:
    """A warning after a page (never a block): what to do, and Continue.

    Shown only while its answers still raise it. For a family's form, it can
    offer to start the form the alert names (a request for service) prefilled
    from the family, through the family page's own start route.
    """
    form_def = definition()
    found = form_def.alert(alert_id)
    if found is None:
        abort(404)
    draft = browser_drafts().load(form_def.id)
    saved = dict(draft.answers) if draft is not None and draft.submission_id is None else {}
    after = form_def.page(found.after)
    if not found.raised(saved):
        return redirect(_onward(after, saved))
    later = form_def.alerts_after(after.id, saved)
    position = later.index(found) if found in later else len(later)
    following = (
        _url(".alert", form_id=form_def.id, alert_id=later[position + 1].id)
        if position + 1 < len(later)
        else _onward(after, saved)
    )
    return render_template(
        "alert.html",
        definition=form_def,
        alert=found,
        body=_filled(found.body),
        following=following,
        back=_url(".page", form_id=form_def.id, page_id=after.id),
        start=_alert_start(found, draft.family_id if draft else None),
    )


def _alert_start(found: Alert, family_id: str | None) -> dict[str, str] | None:
    """The button an alert offers: start ``found.start`` for this draft's family,
    when the family has a form that feeds it and this member of staff may."""
    if found.start is None or family_id is None:
        return None
    actor = current_actor()
    try:
        target = services().registry.get(found.start)
    except UnknownForm:
        return None
    family = families.family_for(services(), actor, family_id)
    if family is None or not policy.can(actor, policy.START_FROM, family):
        return None
    if not any(target.prefill_from(s.form_id) for s in family.submissions):
        return None
    return {
        "action": url_for("staff.start_next", family_id=family.id, form_id=target.id),
        "label": found.start_label or f"Start {target.a_title}",
    }


def _render_page(
    page: Page,
    form: Form,
    saved: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    expired: bool = False,
) -> str:
    files_action = (
        _url(".files", form_id=definition().id, page_id=page.id)
        if _file_field(page) is not None
        else None
    )
    return render_template(
        "page.html",
        definition=definition(),
        page=page,
        form=form,
        errors={anchor_for(k): v for k, v in errors.items()},
        error_list=_error_list(errors, page.fields),
        expired=expired,
        back=_back_link(page, saved),
        returning=_returning(),
        files_action=files_action,
        # Staff find their drafts on "Your drafts"; a page of files posts elsewhere.
        save_later=not current_actor().is_staff and files_action is None,
    )


def _file_field(page: Page) -> Field | None:
    """The page's question answered with uploaded files, if it has one."""
    return next((f for f in page.fields if type_of(f).takes_files), None)


def _files_kept(page: Page, saved: dict[str, Any]) -> dict[str, Any]:
    """The saved files of the page's file questions: they are never posted with the page."""
    return {
        f.name: saved[f.name] for f in page.fields if type_of(f).takes_files and f.name in saved
    }


@bp.route("/<form_id>/<page_id>/files", methods=["POST"])
def files() -> Response | str | tuple[str, int]:
    """A page with files: upload one, remove one, or (Continue) upload any chosen and save.

    The only web route that takes a body as large as a file (see ``web/security.py``).
    A refused file shows the page again with everything typed on it kept.
    """
    form_def, page_now = definition(), g.page
    field = _file_field(page_now)
    if field is None:
        abort(404)
    action = request.form.get("action", "continue")
    if action.startswith("remove:"):
        _remove_file(form_def, field, action.removeprefix("remove:"))
        return _keep_typed(page_now)
    chosen = request.files.get(field.name)
    if chosen is not None and chosen.filename:
        refused = _upload(
            form_def, page_now, field, chosen.read((field.max_bytes or 0) + 1), chosen.filename
        )
        if refused is not None:
            return refused
    elif action == "upload":
        return _page_error(page_now, field, "Select a file")
    if action == "continue":
        return page()
    return _keep_typed(page_now)


def _upload(
    form_def: FormDefinition, page_now: Page, field: Field, content: bytes, filename: str
) -> str | None:
    """Store one file in this browser's draft; the page with the reason if it is refused."""
    actor = current_actor()
    browser_drafts().save(form_def.id, {})  # the draft the file belongs to
    draft_id = drafts.draft_id_for(session, form_def.id)
    assert draft_id is not None
    try:
        record = attachments.store(
            services(),
            form_def,
            field,
            attachments.draft_owner(draft_id),
            actor.who,
            content,
            filename,
        )
    except attachments.UploadRefused as exc:
        return _page_error(page_now, field, exc.message)
    listed = list(_saved(form_def).get(field.name) or [])
    browser_drafts().save(form_def.id, {field.name: [*listed, record]})
    return None


def _remove_file(form_def: FormDefinition, field: Field, attachment_id: str) -> None:
    """Take a file off this browser's draft (and delete it, if it is the draft's own)."""
    draft_id = drafts.draft_id_for(session, form_def.id)
    listed = list(_saved(form_def).get(field.name) or [])
    if draft_id is None or not any(f.get("id") == attachment_id for f in listed):
        abort(404)
    attachments.remove(services(), attachments.draft_owner(draft_id), attachment_id)
    kept = [f for f in listed if f.get("id") != attachment_id]
    _save(form_def, {field.name: kept})


def _page_error(page_now: Page, field: Field, message: str) -> str:
    """The page again, as typed, with ``message`` on the file question (200, as every
    page with errors is)."""
    saved = _saved(definition())
    form = _bound(page_now.fields, request.form, _files_kept(page_now, saved), saved)
    return _render_page(page_now, form, saved, {field.name: [message]})


def _keep_typed(page_now: Page) -> Response | str:
    """After an upload or a removal: save the page's other answers if they are valid and
    come back to the page; if they are not (yet), show it again as typed, without errors."""
    form_def = definition()
    saved = _saved(form_def)
    form = _bound(page_now.fields, request.form, _files_kept(page_now, saved), saved)
    others = tuple(f for f in page_now.fields if not type_of(f).takes_files)
    try:
        clean = validate(others, answers_of(others, form), services().settings.contacts)
    except AnswersInvalid:
        return _render_page(page_now, form, saved, {})
    _save(form_def, clean, others)
    return redirect(_url(".page", form_id=form_def.id, page_id=page_now.id))


def _list_page(page: Page, group: Field, saved: dict[str, Any]) -> Response | str:
    items = list(saved.get(group.name) or [])
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            validate((group,), {group.name: items}, services().settings.contacts)
            _check_offered((group,), {group.name: items}, saved)
        except AnswersInvalid as exc:
            errors = exc.errors
        else:
            return _after_save(page, saved)
    return _render_list(page, items, saved, errors)


def _render_list(
    page: Page,
    items: list[dict[str, Any]],
    saved: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    expired: bool = False,
) -> str:
    group = page.repeating
    assert group is not None
    whole = [{"text": m, "href": "#items"} for k, v in errors.items() if k == group.name for m in v]
    per_item = _item_errors(page, group, errors)
    return render_template(
        "repeating_list.html",
        definition=definition(),
        page=page,
        group=group,
        items=items,
        hints=[h.text for h in group.count_hints if h.applies(items)],
        messages=[e["text"] for e in whole],
        item_errors={n: [e["text"] for e in found] for n, found in per_item.items()},
        error_list=whole + [e for found in per_item.values() for e in found],
        expired=expired,
        back=_back_link(page, saved),
        returning=_returning(),
    )


def _item_errors(
    page: Page, group: Field, errors: dict[str, list[str]]
) -> dict[int, list[dict[str, str]]]:
    """Each item's missing or wrong answers, by item number: "Need 1: enter the
    evidence", linking to that answer on the item's own page (which shows the error)."""
    found: dict[int, list[dict[str, str]]] = {}
    label = group.item_label or "item"
    for path, messages in errors.items():
        parts = path.split(".")
        if len(parts) < 3 or parts[0] != group.name or not parts[1].isdigit():
            continue
        number = int(parts[1]) + 1
        rest = ".".join(parts[2:])
        target = resolve(group.fields, ".".join(p for p in parts[2:] if not p.isdigit()))
        anchor = anchor_for(rest)
        if target is not None:
            anchor = type_of(target).error_anchor(anchor)
        href = _url(".item", form_id=definition().id, page_id=page.id, index=number, show="errors")
        text = f"{label[:1].upper()}{label[1:]} {number}: {_lower_first(messages[0])}"
        found.setdefault(number, []).append({"text": text, "href": f"{href}#{anchor}"})
    return dict(sorted(found.items()))


def _lower_first(message: str) -> str:
    """ "Enter the evidence" → "enter the evidence", but "NHS number …" stays."""
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        return message[0].lower() + message[1:]
    return message


def _item_index(group: Field, items: list[Any], index: int | None) -> int | None:
    if index is None:
        if group.max_items is not None and len(items) >= group.max_items:
            abort(404)
        return None
    if not 1 <= index <= len(items):
        abort(404)
    return index - 1


def _repeating_page() -> tuple[Page, Field]:
    """The URL's page and its list; 404 for a page that holds no list."""
    page_now: Page = g.page
    if page_now.repeating is None:
        abort(404)
    return page_now, page_now.repeating


@bp.route("/<form_id>/<page_id>/add", methods=["GET", "POST"])
@bp.route("/<form_id>/<page_id>/<int:index>", methods=["GET", "POST"])
def item(index: int | None = None) -> Response | str | tuple[str, int]:
    form_def = definition()
    page_now, group = _repeating_page()
    saved = _saved(form_def)
    items = list(saved.get(group.name) or [])
    position = _item_index(group, items, index)
    number = None if position is None else position + 1
    if request.method == "GET":
        current = items[position] if position is not None else {}
        return _render_item(
            page_now,
            _bound(group.fields, None, current, saved),
            number,
            _shown_errors(group, current),
        )
    form = _bound(group.fields, request.form, {}, saved)
    try:
        clean = validate(group.fields, answers_of(group.fields, form), services().settings.contacts)
        _check_offered(group.fields, clean, saved)
    except AnswersInvalid as exc:
        return _render_item(page_now, form, number, exc.errors)
    if position is None:
        items.append(clean)
    else:
        items[position] = clean
    _save(form_def, {group.name: items})
    return redirect(_url(".page", form_id=form_def.id, page_id=page_now.id))


def _shown_errors(group: Field, current: dict[str, Any]) -> dict[str, list[str]]:
    """An item's errors, when the list page's error summary led here (``?show=errors``)."""
    if request.args.get("show") != "errors" or not current:
        return {}
    try:
        validate(group.fields, current, services().settings.contacts)
    except AnswersInvalid as exc:
        return exc.errors
    return {}


def _render_item(
    page: Page,
    form: Form,
    number: int | None,
    errors: dict[str, list[str]],
    *,
    expired: bool = False,
) -> str:
    group = page.repeating
    assert group is not None
    return render_template(
        "item.html",
        definition=definition(),
        page=page,
        group=group,
        form=form,
        number=number,
        errors={anchor_for(k): v for k, v in errors.items()},
        error_list=_error_list(errors, group.fields),
        expired=expired,
        back=_url(".page", form_id=definition().id, page_id=page.id),
    )


@bp.route("/<form_id>/<page_id>/<int:index>/remove", methods=["GET", "POST"])
def remove_item(index: int) -> Response | str:
    """Remove asks first (GOV.UK: one mis-click must not lose an item), then says so.

    GET shows "Are you sure you want to remove …?"; its POST (with the CSRF
    token) removes, and the list shows a success banner naming the item by its
    label and number only, so no answer goes into the session cookie.
    """
    form_def = definition()
    page_now, group = _repeating_page()
    saved = _saved(form_def)
    items = list(saved.get(group.name) or [])
    position = _item_index(group, items, index)
    assert position is not None
    back = _url(".page", form_id=form_def.id, page_id=page_now.id)
    if request.method == "GET":
        name = item_name(group, items[position], index)
        return render_template(
            "remove.html", definition=form_def, page=page_now, name=name, back=back
        )
    del items[position]
    _save(form_def, {group.name: items})
    flash(f"{item_name(group, {}, index)} has been removed", "success")
    return redirect(back)


@bp.route("/<form_id>/check-answers", methods=["GET", "POST"])
def check_answers() -> Response | str | tuple[str, int]:
    form_def = definition()
    actor = current_actor()
    draft = browser_drafts().load(form_def.id)
    if request.method == "GET" and draft is not None and draft.submission_id is not None:
        # Back after sending: what was sent, not an empty form that offers to send again.
        return redirect(url_for(".confirmation", form_id=form_def.id))
    saved = dict(draft.answers) if draft is not None and draft.submission_id is None else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            received = submit(
                services(),
                form_def,
                saved,
                channel="web",
                actor=actor,
                draft_id=draft.id if draft else None,
                family_id=draft.family_id if draft else None,
            )
        except AlreadySubmitted as exc:
            return render_template(
                "already_submitted.html", definition=form_def, reference=exc.reference
            )
        except AnswersInvalid as exc:
            errors = exc.errors
        except FamilyUnavailable:
            abort(404)
        except DBAPIError:
            current_app.logger.exception("could not store a %s submission", form_def.id)
            return render_template("try_again.html", definition=form_def), 503
        else:
            enqueue_delivery(received.outbox_ids)
            return redirect(url_for(".confirmation", form_id=form_def.id))
    return _render_check(saved, errors)


def _render_check(
    saved: dict[str, Any], errors: dict[str, list[str]], *, expired: bool = False
) -> str:
    form_def = definition()
    error_list = []
    for path, messages in errors.items():
        target = page_for_error(form_def, path)
        href = (
            url_for(".page", form_id=form_def.id, page_id=target.id, **{"return": CHECK})  # type: ignore[arg-type]
            if target
            else "#"
        )
        error_list.append({"text": messages[0], "href": href})
    return render_template(
        "check_answers.html",
        definition=form_def,
        answers=saved,
        warnings=warnings(form_def, saved),
        computed=computed(form_def, saved),
        error_list=error_list,
        expired=expired,
    )


@bp.route("/<form_id>/confirmation")
def confirmation() -> str:
    """The reference of this browser's sent draft (never carried in the URL or the cookie)."""
    form_def = definition()
    draft = browser_drafts().load(form_def.id)
    reference = reference_of(services(), draft.submission_id) if draft else None
    if reference is None or draft is None:
        abort(404)
    return render_template(
        "confirmation.html",
        definition=form_def,
        reference=reference,
        copy_until=referrer_copy.available_until(services(), draft.id),
    )


@bp.route("/<form_id>/confirmation/copy.pdf")
def referrer_copy_pdf() -> Response | tuple[str, int]:
    """The referrer's one PDF of what they sent: this browser, once, for 30 minutes."""
    draft = browser_drafts().load(definition().id)
    sent = draft.id if draft is not None and draft.submission_id else None
    try:
        pdf = referrer_copy.take(services(), sent, current_actor().who)
    except RenderTimeout:
        return render_template(
            "error.html",
            title="Sorry, your copy is taking too long to make",
            body="Wait a few minutes, then go back and try the link again. What you sent is safe.",
        ), 503
    if pdf is None:
        return render_template("error.html", title=COPY_GONE[0], body=COPY_GONE[1]), 410
    return Response(
        pdf.content,
        mimetype=pdf.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{pdf.name}"'},
    )
