"""``/staff/inbox``, ``/staff/referrals/<id>`` and ``/staff/my-families``: acting on the paperwork.

The C-SPOC duty worker's inbox lists every referral with its outcome clock;
a referral's triage page runs the duplicate check, records the outcome and
allocates a lead professional; "My families" is a lead professional's
caseload, most overdue first. Views stay thin: each asks
``workspace.service`` or ``families.service`` (which ask the access policy
and write the audit event) and answers 404 when refused, and hands the
outbox ids a change returns to the app's task runner once it is committed.

The routes join the ``staff`` blueprint from ``staff/__init__.py``, so
``views`` never imports this module (no import circle).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from ..auth import accounts, policy
from ..auth.actor import ROLE_NAMES, Actor
from ..auth.web import audit_refusal, current_actor
from ..clock import utcnow
from ..definitions.model import FormDefinition
from ..definitions.registry import UnknownForm
from ..documents.renderer import document_slugs
from ..families import service as families
from ..families.record import age_text, summary
from ..formats import format_datetime
from ..web.wiring import enqueue_delivery, services
from ..workspace import service as workspace
from ..workspace.clock import describe
from ..workspace.models import AWAITING, DECIDED
from .views import PAGE_SIZE, _page_number, _paged, bp

#: The inbox's status filter: what people choose, and what it asks the inbox for.
STATUS_CHOICES = {AWAITING: "Awaiting an outcome", DECIDED: "Outcome recorded", "all": "All"}
#: A referral's own emails, as the triage page names them.
MESSAGE_NAMES = {
    "acknowledgement": "Acknowledgement to the referrer",
    "outcome": "Outcome to the referrer",
    "onward": "Documents to the service the family was passed to",
}
MESSAGE_STATES = {
    "sent": "Sent",
    "pending": "Waiting to be sent",
    "sending": "Sending",
    "retrying": "Trying again",
    "failed": "Not sent: the address was refused. Phone the referrer instead",
}
SUCCESS = "success"


# --------------------------------------------------------------------------- navigation


@dataclass(frozen=True)
class NavLink:
    text: str
    href: str
    hint: str = ""


def _optional_url(endpoint: str) -> str | None:
    """A link to a page another part of the workspace may not have yet (the dashboard)."""
    try:
        return url_for(endpoint)
    except BuildError:
        return None


def workspace_links(actor: Actor) -> list[NavLink]:
    """Where this role starts its day, first thing first: the inbox for a duty worker,
    "My families" for a lead professional, the dashboard for a manager."""
    links: list[NavLink] = []
    if policy.triages(actor):
        links.append(NavLink("Inbox", url_for("staff.inbox"), "Referrals waiting for an outcome"))
    if actor.user_id is not None and actor.role in policy.FORM_ROLES:
        links.append(
            NavLink(
                "My families",
                url_for("staff.my_families"),
                "Families allocated to you, and what is due",
            )
        )
    dashboard = _optional_url("staff.dashboard") if actor.role == "manager" else None
    if dashboard:
        links.append(NavLink("Dashboard", dashboard, "Timeliness, volumes and caseloads"))
    return links


@bp.context_processor
def _navigation() -> dict[str, Any]:
    return {"workspace_links": workspace_links(current_actor())}


# --------------------------------------------------------------------------- shared


def _referral_forms() -> list[FormDefinition]:
    """Forms a duty worker triages: those with outcomes (data, not a list of ids)."""
    return [f for f in services().registry.all() if f.outcomes]


def _short_titles() -> dict[str, str]:
    return {f.id: f.short_title or f.title for f in services().registry.all()}


# --------------------------------------------------------------------------- inbox


def _inbox_filter() -> tuple[workspace.InboxFilter, dict[str, str]]:
    """The filter asked for, and the query arguments to keep on pager links."""
    status = request.args.get("status", AWAITING)
    status = status if status in STATUS_CHOICES else AWAITING
    forms = {f.id for f in _referral_forms()}
    form_id = request.args.get("form", "")
    form_id = form_id if form_id in forms else ""
    urgent = request.args.get("urgent") == "yes"
    wanted = workspace.InboxFilter(
        status=None if status == "all" else status, form_id=form_id or None, urgent_only=urgent
    )
    kept = {"status": status, "form": form_id, **({"urgent": "yes"} if urgent else {})}
    return wanted, kept


@bp.get("/inbox")
def inbox() -> str:
    actor = current_actor()
    if not policy.triages(actor):
        audit_refusal(actor, "inbox.viewed")
        abort(404)
    wanted, kept = _inbox_filter()
    page = _page_number()
    rows, total = workspace.inbox(
        services(), actor, wanted, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    now = utcnow()
    return render_template(
        "staff/inbox.html",
        **_paged(rows, total, page, PAGE_SIZE),
        clocks={
            r.submission_id: describe(r.outcome_due_at, now, done_at=r.decided_at) for r in rows
        },
        kept=kept,
        status_choices=list(STATUS_CHOICES.items()),
        form_choices=[(f.id, f.short_title or f.title) for f in _referral_forms()],
        short_titles=_short_titles(),
        to_reallocate=workspace.disabled_leads_families(services(), actor),
        age_text=age_text,
        today=dt.date.today(),
        format_datetime=format_datetime,
    )


# --------------------------------------------------------------------------- referral


def _refuse_unless_triager(submission_id: str) -> Actor:
    """The actor, if they triage; otherwise the refusal is audited and the answer is 404."""
    actor = current_actor()
    if not policy.triages(actor):
        audit_refusal(actor, "referral.viewed", "submission", submission_id[:64])
        abort(404)
    return actor


def _render_referral(
    submission_id: str,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> str:
    """The triage page, with any problems of the form just posted and what was typed."""
    actor = _refuse_unless_triager(submission_id)
    found = families.submission_for(
        services(), actor, submission_id, audit_action="referral.viewed"
    )
    referral = workspace.referral_of(services(), found.id) if found is not None else None
    if found is None or referral is None:
        abort(404)
    try:
        definition = services().registry.get(found.form_id)
    except UnknownForm:
        abort(404)
    work = workspace.family_work(services(), found.family_id)
    decision = next(
        (d for d in work.decisions if d.reference == found.reference and d.decided_at), None
    )
    sent = workspace.referral_messages(services(), found.id)
    acknowledged = next(
        (m.sent_at for m in sent if m.kind == "acknowledgement" and m.sent_at), None
    )
    now = utcnow()
    decided_at = referral.decided_at
    outcome = definition.outcome(referral.outcome or "") if referral.outcome else None
    errors = errors or {}
    provisional = workspace.family_status(services(), found.family_id) == "provisional"
    return render_template(
        "staff/referral.html",
        submission=found,
        definition=definition,
        referral=referral,
        summary=_lead_child(found),
        provisional=provisional,
        candidates=(
            workspace.match_candidates(services(), actor, found.family_id) if provisional else []
        ),
        acknowledge_clock=describe(
            referral.acknowledge_by, now, done_at=acknowledged or decided_at
        ),
        outcome_clock=describe(referral.outcome_due_at, now, done_at=decided_at),
        decision=decision,
        outcome=outcome,
        allocations=work.allocations,
        lead_professionals=_allocatable(),
        messages=sent,
        message_names=MESSAGE_NAMES,
        message_states=MESSAGE_STATES,
        documents=document_slugs(definition),
        error_list=[{"text": m, "href": f"#{f}"} for f, m in errors.items()],
        errors=errors,
        typed=typed or {},
        age_text=age_text,
        today=dt.date.today(),
    )


def _lead_child(found: families.SubmissionView) -> dict[str, str]:
    """The lead child's first name and date of birth, as list rows show them."""
    return summary(services().registry.get(found.form_id), found.answers) or {}


def _allocatable() -> list[tuple[str, str]]:
    """(email, how the list shows them) of every active account a family can be allocated to:
    lead professionals first, then duty workers, by name."""
    people = [
        a for a in accounts.accounts(services()) if not a.disabled and a.role in policy.FORM_ROLES
    ]
    people.sort(key=lambda a: (a.role != "lead-professional", a.name.lower()))
    return [(a.email, f"{a.name}, {ROLE_NAMES[a.role].lower()} ({a.email})") for a in people]


@bp.get("/referrals/<submission_id>")
def referral(submission_id: str) -> str:
    return _render_referral(submission_id)


def _back_to_referral(submission_id: str, message: str) -> Response:
    flash(message, SUCCESS)
    return redirect(url_for("staff.referral", submission_id=submission_id))


@bp.post("/referrals/<submission_id>/family")
def referral_family(submission_id: str) -> Response | str:
    """The duplicate check's answer: "This is the same family" or "This is a new family"."""
    _refuse_unless_triager(submission_id)
    same_as = request.form.get("same_as") or None
    try:
        workspace.settle_family(services(), current_actor(), submission_id, same_as)
    except families.FamilyUnavailable:
        abort(404)
    except workspace.WorkspaceError as exc:
        return _render_referral(submission_id, errors={"duplicates": str(exc)})
    return _back_to_referral(
        submission_id,
        "The referral is linked to the family already known."
        if same_as
        else "The family is confirmed as a new family.",
    )


@bp.post("/referrals/<submission_id>/outcome")
def referral_outcome(submission_id: str) -> Response | str:
    actor = _refuse_unless_triager(submission_id)
    typed = {
        "outcome": request.form.get("outcome", "")[:64],
        "reason": request.form.get("reason", "")[: workspace.MAX_REASON * 2],
    }
    reference, form = _reference_and_form(actor, submission_id)
    problems = workspace.outcome_problems(form, typed["outcome"], typed["reason"])
    if problems:
        return _render_referral(submission_id, errors=problems, typed=typed)
    try:
        ids = workspace.record_outcome(
            services(), actor, reference, typed["outcome"], typed["reason"]
        )
    except families.FamilyUnavailable:
        abort(404)
    except workspace.WorkspaceError as exc:
        return _render_referral(submission_id, errors={"outcome": str(exc)}, typed=typed)
    enqueue_delivery(ids)
    if not ids:  # no address the service may email (FORMS_TRUSTED_EMAIL_DOMAINS): say so
        return _back_to_referral(
            submission_id, "Outcome recorded. The referrer was not emailed: tell them by phone."
        )
    return _back_to_referral(submission_id, "Outcome recorded. The referrer has been emailed.")


def _reference_and_form(actor: Actor, submission_id: str) -> tuple[str, FormDefinition]:
    """The referral's reference and form, for a POST (read as the page is: audited, or 404)."""
    found = families.submission_for(
        services(), actor, submission_id, audit_action="referral.viewed"
    )
    if found is None or workspace.referral_of(services(), found.id) is None:
        abort(404)
    return found.reference, services().registry.get(found.form_id)


@bp.post("/referrals/<submission_id>/allocation")
def referral_allocation(submission_id: str) -> Response | str:
    actor = _refuse_unless_triager(submission_id)
    email = request.form.get("email", "")[:254]
    typed = {"email": email}
    if not email.strip():
        return _render_referral(
            submission_id, errors={"email": "Select the lead professional"}, typed=typed
        )
    family_id = _family_of(actor, submission_id)
    try:
        ids = workspace.allocate(services(), actor, family_id, email)
    except families.FamilyUnavailable:
        abort(404)
    except workspace.WorkspaceError as exc:
        return _render_referral(submission_id, errors={"email": str(exc)}, typed=typed)
    enqueue_delivery(ids)
    return _back_to_referral(
        submission_id, "Lead professional allocated. They have been emailed a link."
    )


def _family_of(actor: Actor, submission_id: str) -> str:
    found = families.submission_for(
        services(), actor, submission_id, audit_action="referral.viewed"
    )
    if found is None or workspace.referral_of(services(), found.id) is None:
        abort(404)
    return found.family_id


# --------------------------------------------------------------------------- my families


@dataclass(frozen=True)
class DueText:
    """What a caseload row says is due: the form, when, and a tag."""

    form: str
    when: str
    tag: str
    tag_class: str


def due_text(row: workspace.CaseRow, now: dt.datetime, titles: dict[str, str]) -> DueText:
    """ "Overdue" (red) past the latest date, "Due" (orange) past the target date
    (a review at 6 weeks), otherwise the target date; nothing when nothing is due."""
    if row.due_form is None or row.due_at is None:
        return DueText("Nothing due", "", "Nothing due", "govuk-tag--grey")
    limit = row.due_limit_at or row.due_at
    when = format_datetime(row.due_at, date_only=True)
    if limit != row.due_at:
        when += f", at the latest {format_datetime(limit, date_only=True)}"
    form = titles.get(row.due_form, row.due_form)
    if now > limit:
        return DueText(form, when, "Overdue", "govuk-tag--red")
    if now > row.due_at:
        return DueText(form, when, "Due now", "govuk-tag--orange")
    return DueText(
        form, when, f"Due {format_datetime(row.due_at, date_only=True)}", "govuk-tag--blue"
    )


@bp.get("/my-families")
def my_families() -> str:
    actor = current_actor()
    if actor.user_id is None:
        abort(404)
    page = _page_number()
    rows, total = workspace.caseload(
        services(), actor, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    now = utcnow()
    titles = _short_titles()
    return render_template(
        "staff/caseload.html",
        **_paged(rows, total, page, PAGE_SIZE),
        due={r.family_id: due_text(r, now, titles) for r in rows},
        age_text=age_text,
        today=dt.date.today(),
    )
