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
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response

from .. import audit
from ..auth.policy import can_fill, can_start_from
from ..auth.web import current_actor
from ..definitions.model import Field, FormDefinition, Page, resolve
from ..definitions.registry import UnknownForm
from ..families.service import FamilyUnavailable
from ..fieldtypes import answers_of, type_of
from ..fieldtypes.messages import fill_contacts
from ..flow import drafts
from ..flow.navigation import next_page, page_for_error, previous_page, triggered_stop
from ..forms.builder import csrf_form, page_form
from ..services import Services
from ..submissions.answers import AnswersInvalid, validate
from ..submissions.prefill import PrefillError, prefill_answers, refused
from ..submissions.rules import computed, warnings
from ..submissions.service import AlreadySubmitted, reference_of, submit
from .wiring import enqueue_delivery

bp = Blueprint("forms", __name__)

CHECK = "check"
SESSION_EXPIRED = (
    "Your session timed out, so we could not save this page. "
    "Your answers are still here: check them and select Continue again."
)


def services() -> Services:
    """The engine wiring of this app."""
    svc: Services = current_app.extensions["forms"]
    return svc


def _form(form_id: str) -> FormDefinition:
    try:
        return services().registry.get(form_id)
    except UnknownForm:
        abort(404)


def _page(form: FormDefinition, page_id: str) -> Page:
    try:
        return form.page(page_id)
    except KeyError:
        abort(404)


@bp.before_request
def _only_those_who_may_fill_it_in() -> Response | tuple[str, int] | None:
    """Referral forms are open to anyone; staff forms need a member of staff who may fill them."""
    form_id = (request.view_args or {}).get("form_id")
    if form_id is None:
        return None
    form = _form(form_id)
    actor = current_actor()
    if can_fill(actor, form):
        return None
    if not actor.is_staff:
        if request.endpoint == "forms.start_from":  # a reference tried without signing in
            refused(services(), actor, "not signed in")
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.sign_in", next=back or url_for(".start", form_id=form.id)))
    audit.write(
        services().sessions,
        actor.who,
        "form.refused",
        outcome="denied",
        object_type="form",
        object_id=form.id,
    )
    return render_template(
        "error.html",
        title="You cannot fill in this form",
        body="Your role does not fill in assessments or reviews. Ask a C-SPOC duty worker "
        "or the family's lead professional.",
    ), 403


def _saved(form: FormDefinition) -> dict[str, Any]:
    return drafts.answers(services(), session, form.id, current_actor())


def _url(endpoint: str, **values: Any) -> str:
    """``url_for`` keeping ``?return=check`` when the user came from check answers."""
    if _returning():
        values["return"] = CHECK
    return url_for(endpoint, **values)


def _returning() -> bool:
    return request.args.get("return") == CHECK


def _after_save(form: FormDefinition, page: Page, answers: dict[str, Any]) -> Response:
    following = next_page(form, page.id, answers)
    if _returning() or following is None:
        return redirect(url_for(".check_answers", form_id=form.id))
    return redirect(url_for(".page", form_id=form.id, page_id=following.id))


def _back_link(form: FormDefinition, page: Page, answers: dict[str, Any]) -> str:
    if _returning():
        return url_for(".check_answers", form_id=form.id)
    before = previous_page(form, page.id, answers)
    if before is None:
        return url_for(".start", form_id=form.id)
    return url_for(".page", form_id=form.id, page_id=before.id)


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
def start(form_id: str) -> str:
    return _render_start(_form(form_id), "", [])


def _render_start(form: FormDefinition, reference: str, errors: list[str]) -> str:
    """The start page; only staff who may start from a reference see that box."""
    may_start_from = can_start_from(current_actor()) and bool(form.prefill)
    return render_template(
        "start.html",
        form=form,
        first=form.pages[0],
        reference=reference,
        errors={"reference": errors} if errors else {},
        error_list=[{"text": m, "href": "#reference"} for m in errors],
        guard=csrf_form(),
        sources=[services().registry.get(p.form) for p in form.prefill] if may_start_from else [],
    )


@bp.route("/<form_id>/start-from", methods=["POST"])
def start_from(form_id: str) -> Response | tuple[str, int] | str:
    """Begin a new draft with answers copied from an earlier submission of the same family."""
    form = _form(form_id)
    actor = current_actor()
    if not can_start_from(actor):
        refused(services(), actor, "not signed in")
        return redirect(url_for("auth.sign_in", next=url_for(".start", form_id=form.id)))
    reference = request.form.get("reference", "")[:50]
    if not csrf_form(request.form).validate():
        return _render_start(form, reference, [SESSION_EXPIRED]), 400
    try:
        prefilled = prefill_answers(services(), form, reference, actor)
    except PrefillError as exc:
        return _render_start(form, reference, [str(exc)])
    drafts.discard(services(), session, form.id, actor)
    drafts.start(services(), session, form.id, actor, prefilled.answers, prefilled.family_id)
    return redirect(url_for(".page", form_id=form.id, page_id=form.pages[0].id))


@bp.route("/<form_id>/<page_id>", methods=["GET", "POST"])
def page(form_id: str, page_id: str) -> Response | str | tuple[str, int]:
    form = _form(form_id)
    page = _page(form, page_id)
    saved = _saved(form)
    if page.repeating is not None:
        return _list_page(form, page, page.repeating, saved)
    if request.method == "GET":
        return _render_page(form, page, page_form(page.fields, None, saved), saved, {})
    bound = page_form(page.fields, request.form, {})
    if not bound.validate():
        return _render_page(form, page, bound, saved, {}, expired=True), 400
    data = answers_of(page.fields, bound)
    stop = triggered_stop(page.fields, data)
    if stop is not None:
        drafts.discard(services(), session, form.id, current_actor())
        contacts = services().settings.contacts
        body = [fill_contacts(p, contacts) for p in stop.body]
        return render_template("stop.html", form=form, stop=stop, body=body)
    try:
        clean = validate(page.fields, data, services().settings.contacts)
    except AnswersInvalid as exc:
        return _render_page(form, page, bound, saved, exc.errors)
    drafts.save(
        services(),
        session,
        form.id,
        current_actor(),
        clean,
        removals=tuple(f.name for f in page.fields),
    )
    return _after_save(form, page, {**saved, **clean})


def _render_page(
    form: FormDefinition,
    page: Page,
    bound: Any,
    saved: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    expired: bool = False,
) -> str:
    return render_template(
        "page.html",
        form=form,
        page=page,
        wtf=bound,
        errors={anchor_for(k): v for k, v in errors.items()},
        error_list=_error_list(errors, page.fields),
        expired=expired,
        back=_back_link(form, page, saved),
        returning=_returning(),
    )


def _list_page(
    form: FormDefinition, page: Page, group: Field, saved: dict[str, Any]
) -> Response | str | tuple[str, int]:
    items = list(saved.get(group.name) or [])
    errors: dict[str, list[str]] = {}
    guard = csrf_form(request.form if request.method == "POST" else None)
    if request.method == "POST":
        if not guard.validate():
            return _render_list(form, page, group, items, saved, {}, guard, expired=True), 400
        try:
            validate((group,), {group.name: items}, services().settings.contacts)
        except AnswersInvalid as exc:
            errors = exc.errors
        else:
            return _after_save(form, page, saved)
    return _render_list(form, page, group, items, saved, errors, guard)


def _render_list(
    form: FormDefinition,
    page: Page,
    group: Field,
    items: list[dict[str, Any]],
    saved: dict[str, Any],
    errors: dict[str, list[str]],
    guard: Any,
    *,
    expired: bool = False,
) -> str:
    summary = [
        f"{group.item_label} {index + 1}: problem with this {group.item_label}"
        for index in range(len(items))
        if any(k.startswith(f"{group.name}.{index}.") for k in errors)
    ]
    messages = [m for k, v in errors.items() if k == group.name for m in v] + summary
    return render_template(
        "repeating_list.html",
        form=form,
        page=page,
        group=group,
        items=items,
        hints=[h.text for h in group.count_hints if h.applies(items)],
        messages=messages,
        error_list=[{"text": m, "href": "#items"} for m in messages],
        guard=guard,
        expired=expired,
        back=_back_link(form, page, saved),
        returning=_returning(),
    )


def _item_index(group: Field, items: list[Any], index: int | None) -> int | None:
    if index is None:
        if group.max_items is not None and len(items) >= group.max_items:
            abort(404)
        return None
    if not 1 <= index <= len(items):
        abort(404)
    return index - 1


@bp.route("/<form_id>/<page_id>/add", methods=["GET", "POST"])
@bp.route("/<form_id>/<page_id>/<int:index>", methods=["GET", "POST"])
def item(form_id: str, page_id: str, index: int | None = None) -> Response | str | tuple[str, int]:
    form = _form(form_id)
    page = _page(form, page_id)
    group = page.repeating
    if group is None:
        abort(404)
    saved = _saved(form)
    items = list(saved.get(group.name) or [])
    position = _item_index(group, items, index)
    current = items[position] if position is not None else {}
    if request.method == "GET":
        bound = page_form(group.fields, None, current)
        return _render_item(form, page, group, bound, position, {})
    bound = page_form(group.fields, request.form, {})
    if not bound.validate():
        return _render_item(form, page, group, bound, position, {}, expired=True), 400
    try:
        clean = validate(
            group.fields, answers_of(group.fields, bound), services().settings.contacts
        )
    except AnswersInvalid as exc:
        return _render_item(form, page, group, bound, position, exc.errors)
    if position is None:
        items.append(clean)
    else:
        items[position] = clean
    drafts.save(services(), session, form.id, current_actor(), {group.name: items})
    return redirect(_url(".page", form_id=form.id, page_id=page.id))


def _render_item(
    form: FormDefinition,
    page: Page,
    group: Field,
    bound: Any,
    position: int | None,
    errors: dict[str, list[str]],
    *,
    expired: bool = False,
) -> str:
    return render_template(
        "item.html",
        form=form,
        page=page,
        group=group,
        wtf=bound,
        number=None if position is None else position + 1,
        errors={anchor_for(k): v for k, v in errors.items()},
        error_list=_error_list(errors, group.fields),
        expired=expired,
        back=_url(".page", form_id=form.id, page_id=page.id),
    )


@bp.route("/<form_id>/<page_id>/<int:index>/remove", methods=["POST"])
def remove_item(form_id: str, page_id: str, index: int) -> Response | tuple[str, int]:
    form = _form(form_id)
    page = _page(form, page_id)
    group = page.repeating
    if group is None:
        abort(404)
    if not csrf_form(request.form).validate():
        abort(400)
    saved = _saved(form)
    items = list(saved.get(group.name) or [])
    position = _item_index(group, items, index)
    assert position is not None
    del items[position]
    drafts.save(services(), session, form.id, current_actor(), {group.name: items})
    return redirect(_url(".page", form_id=form.id, page_id=page.id))


@bp.route("/<form_id>/check-answers", methods=["GET", "POST"])
def check_answers(form_id: str) -> Response | str | tuple[str, int]:
    form = _form(form_id)
    actor = current_actor()
    draft = drafts.load(services(), session, form.id, actor)
    saved = dict(draft.answers) if draft is not None and draft.submission_id is None else {}
    guard = csrf_form(request.form if request.method == "POST" else None)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not guard.validate():
            return _render_check(form, saved, {}, guard, expired=True), 400
        try:
            received = submit(
                services(),
                form,
                saved,
                channel="web",
                actor=actor,
                draft_id=draft.id if draft else None,
                family_id=draft.family_id if draft else None,
            )
        except AlreadySubmitted as exc:
            return render_template("already_submitted.html", form=form, reference=exc.reference)
        except AnswersInvalid as exc:
            errors = exc.errors
        except FamilyUnavailable:
            abort(404)
        except DBAPIError:
            current_app.logger.exception("could not store a %s submission", form.id)
            return render_template("try_again.html", form=form, guard=csrf_form()), 503
        else:
            enqueue_delivery(received.outbox_ids)
            return redirect(url_for(".confirmation", form_id=form.id))
    return _render_check(form, saved, errors, guard)


def _render_check(
    form: FormDefinition,
    saved: dict[str, Any],
    errors: dict[str, list[str]],
    guard: Any,
    *,
    expired: bool = False,
) -> str:
    error_list = []
    for path, messages in errors.items():
        target = page_for_error(form, path)
        href = (
            url_for(".page", form_id=form.id, page_id=target.id, **{"return": CHECK})  # type: ignore[arg-type]
            if target
            else "#"
        )
        error_list.append({"text": messages[0], "href": href})
    return render_template(
        "check_answers.html",
        form=form,
        answers=saved,
        warnings=warnings(form, saved),
        computed=computed(form, saved),
        error_list=error_list,
        guard=guard,
        expired=expired,
    )


@bp.route("/<form_id>/confirmation")
def confirmation(form_id: str) -> str:
    """The reference of this browser's sent draft (never carried in the URL or the cookie)."""
    form = _form(form_id)
    draft = drafts.load(services(), session, form.id, current_actor())
    reference = reference_of(services(), draft.submission_id) if draft else None
    if reference is None:
        abort(404)
    return render_template("confirmation.html", form=form, reference=reference)
