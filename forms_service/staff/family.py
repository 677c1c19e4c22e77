"""``/staff/families/<id>``: one family's page, and what staff do from it.

The page puts together what the family record (``families.service``) and the
workspace (``workspace.service``) know: every form with its documents and
emails, the referrals' outcomes, the lead professionals, what is due next,
buttons that start the next form prefilled from the latest one, and the
family's plan to print. Every route reaches the family through
``families.service`` (policy and audit in one place) and answers 404 when
refused, so a family that is not yours looks like one that does not exist.

Form knowledge stays in the form files: which form starts from which is
``prefill:``, what is due is ``due:``, which forms print a plan is
``family_plan:``, which decision closes a family is ``record.closes_family``.

The routes join the ``staff`` blueprint from ``staff/__init__.py``, so
``views`` never imports this module (no import circle).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..auth import policy
from ..auth.web import browser_drafts, current_actor
from ..clock import utcnow
from ..definitions.model import FormDefinition
from ..definitions.registry import Registry, UnknownForm
from ..delivery import outbox
from ..documents.bounded import RenderTimeout, render_family_plan_bounded
from ..families import service as families
from ..families.record import age_text
from ..formats import LONDON, format_date
from ..submissions.prefill import PrefillError, prefill_answers
from ..web.wiring import enqueue_delivery, services
from ..workspace import service as workspace
from ..workspace.clock import ClockText, describe
from .views import (
    bp,
    downloadable_submission,
    render_in_time,
    submission_record,
    too_slow_page,
)

#: The two prints of a family's plan, by the name their URL uses: (file name ending, large?).
PRINT_SIZES = {"standard": ("family-plan", False), "large-print": ("family-plan-large-print", True)}
#: Delivery states as the page says them: sent, waiting (may be sent again) or failed.
DELIVERY_STATES = {
    "sent": ("Sent", "green"),
    "failed": ("Failed", "red"),
    "pending": ("Waiting", "yellow"),
    "retrying": ("Waiting", "yellow"),
    "sending": ("Sending", "blue"),
}
#: The states a member of staff may send again from.
RESENDABLE = frozenset({"failed", "pending", "retrying"})
#: Who each kind of email goes to, as the page says it.
MESSAGE_KINDS = {
    "spoc": "To the Children's Single Point of Contact",
    "acknowledgement": "Acknowledgement to the referrer",
    "outcome": "Outcome to the referrer",
    "onward": "Onward referral",
    "allocation": "Allocation notice",
    "reminder": "Reminder",
    "digest": "Daily digest",
    "resume_link": "Link back to a saved form",
    "resume_code": "Code for a saved form",
}


# ---------------------------------------------------------------- what the page works out


@dataclass(frozen=True)
class NextStep:
    """A form to start from the family's latest form that can feed it."""

    form: FormDefinition
    source: families.SubmissionRow
    label: str
    #: The ``purpose`` of the form's ``prefill:`` entry (``step_up``: asking for more help).
    purpose: str | None = None


def _form(registry: Registry, form_id: str) -> FormDefinition | None:
    try:
        return registry.get(form_id)
    except UnknownForm:  # a form file since removed: its rows still show
        return None


def next_steps(family: families.FamilyView, registry: Registry) -> list[NextStep]:
    """Each form that can start from one of the family's forms (``prefill:``), from the
    newest such form, unless the family has already done that form since.

    So after an EHFSA the Family Story Assessment is offered, and once that is
    written the review (and after each review, the next one) instead. Asking
    for more help (a ``step_up`` prefill) stays on offer even after a request
    was made: a family may need it again.
    """
    steps = []
    for form in registry.all():
        source = next((s for s in family.submissions if form.prefill_from(s.form_id)), None)
        prefill = form.prefill_from(source.form_id) if source is not None else None
        if source is None or prefill is None:
            continue
        step_up = prefill.purpose == "step_up"
        if not step_up and any(
            s.form_id == form.id and s.submitted_at > source.submitted_at
            for s in family.submissions
        ):
            continue
        done_before = any(s.form_id == form.id for s in family.submissions)
        if step_up:
            label = f"Ask for more help: start {form.a_title}"
        elif done_before:
            label = f"Start the next {form.title}"
        else:
            label = f"Start the {form.title}"
        steps.append(NextStep(form, source, label, prefill.purpose))
    return steps


def latest_plan(
    family: families.FamilyView, registry: Registry
) -> tuple[families.SubmissionRow, FormDefinition] | None:
    """The family's newest form that has a family's plan (``family_plan:``), and its form."""
    for row in family.submissions:
        form = _form(registry, row.form_id)
        if form is not None and form.family_plan is not None:
            return row, form
    return None


@dataclass(frozen=True)
class DueNext:
    """What the family needs next, in words, with a tag."""

    text: str
    clock: ClockText


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _day(moment: dt.datetime, *, weekday: bool = False) -> str:
    return format_date(moment.astimezone(LONDON).date(), weekday=weekday)


def due_next(work: workspace.FamilyWork, registry: Registry, now: dt.datetime) -> DueNext | None:
    """ "Family Story Assessment due by Tuesday 9 December 2025 (15 working days at the
    latest: 16 December 2025)", tagged as the clock reads at ``now``: red once the
    latest date has passed, orange once the target has, else as ``describe`` says."""
    form = _form(registry, work.due_form) if work.due_form else None
    if form is None or form.due is None or work.due_at is None:
        return None
    due, limit = form.due, work.due_limit_at or work.due_at
    if due.weeks is not None:
        latest = _plural(due.latest_weeks or due.weeks, "week")
    else:
        latest = _plural(due.latest_working_days or due.working_days or 0, "working day")
    text = (
        f"{form.title} due by {_day(work.due_at, weekday=True)} "
        f"({latest} at the latest: {_day(limit)})"
    )
    if now > limit:
        clock = describe(limit, now)
    elif now > work.due_at:
        clock = ClockText(f"Past the target date. {describe(limit, now).text}", "orange", False)
    else:
        clock = describe(work.due_at, now)
    return DueNext(text, clock)


def _closed_label(reason: str | None) -> str:
    """ "tacaf-review: step_down" as people say it: the form and the answer that closed it."""
    if not reason:
        return ""
    form_id, _, value = reason.partition(": ")
    form = _form(services().registry, form_id)
    if form is None:
        return reason.replace("_", " ")
    condition = form.record.closes_family
    answer = value
    if condition is not None:
        answer = form.field(condition.field).option_label(value)
    return f"{answer} (at {form.a_title})"


def _outcome_label(registry: Registry, decision: workspace.Decision) -> str:
    form = _form(registry, decision.form_id)
    outcome = form.outcome(decision.outcome) if form and decision.outcome else None
    return outcome.label if outcome else (decision.outcome or "")


# --------------------------------------------------------------------------- routes


@bp.get("/families/<family_id>")
def family(family_id: str) -> str:
    actor = current_actor()
    found = families.family_for(services(), actor, family_id)
    if found is None:
        abort(404)
    registry = services().registry
    now = utcnow()
    work = workspace.family_work(services(), found.id)
    starts = []
    if policy.can(actor, policy.START_FROM, found):
        starts = [s for s in next_steps(found, registry) if policy.can_fill(actor, s.form)]
    # The form whose decision closes a family: its button goes under "Closing the family".
    closer = next((f for f in registry.all() if f.record.closes_family is not None), None)
    closing = next((s for s in starts if closer and s.form.id == closer.id), None)
    return render_template(
        "staff/family.html",
        family=found,
        age=age_text(found.date_of_birth, dt.date.today()),
        titles={f.id: f.title for f in registry.all()},
        closed=_closed_label(found.closed_reason),
        reads_audit=policy.can_read_audit(actor),
        work=work,
        outcome_label=lambda d: _outcome_label(registry, d),
        clock=lambda d: describe(d.outcome_due_at, now, done_at=d.decided_at),
        due=due_next(work, registry, now),
        starts=[s for s in starts if s is not closing and s.purpose != "step_up"],
        step_ups=[s for s in starts if s.purpose == "step_up"],
        closing=closing,
        closer=closer,
        plan_titles=[f.title for f in registry.all() if f.family_plan is not None],
        plan=latest_plan(found, registry),
        messages=workspace.messages_of(services(), found.id),
        may_resend=policy.can(actor, policy.SUBMIT, found),
        states=DELIVERY_STATES,
        resendable=RESENDABLE,
        kinds=MESSAGE_KINDS,
    )


@bp.post("/families/<family_id>/start/<form_id>")
def start_next(family_id: str, form_id: str) -> BaseResponse | str:
    """Start ``form_id`` prefilled from the family's latest form that feeds it, with no
    reference to type: the reference is found here, and ``prefill_answers`` asks the
    policy (and audits) exactly as a typed reference would."""
    actor = current_actor()
    form = _form(services().registry, form_id)
    found = families.family_for(services(), actor, family_id) if form is not None else None
    if form is None or found is None:
        abort(404)
    step = next((s for s in next_steps(found, services().registry) if s.form.id == form.id), None)
    if step is None or not policy.can_fill(actor, form):
        abort(404)
    if browser_drafts().answers(form.id) and request.form.get("replace") != "yes":
        return render_template(  # a draft under way is replaced only when they say so
            "replace_draft.html",
            definition=form,
            source=step.source.reference,
            action=url_for(".start_next", family_id=family_id, form_id=form.id),
            hidden={},
        )
    try:
        prefilled = prefill_answers(services(), form, step.source.reference, actor)
    except PrefillError:
        abort(404)
    browser_drafts().start(form.id, prefilled.answers, prefilled.family_id)
    return redirect(url_for("forms.page", form_id=form.id, page_id=form.pages[0].id))


@bp.post("/messages/<outbox_id>/send-again")
def send_again(outbox_id: str) -> BaseResponse:
    """Make a failed or waiting email due now and hand it to the task runner."""
    try:
        wanted = workspace.resendable(services(), current_actor(), outbox_id)
    except families.FamilyUnavailable:
        abort(404)
    # Until the outbox can retry one message, every unsent email of the form goes again.
    ids = outbox.retry_now(services(), wanted.reference)
    enqueue_delivery(tuple(ids))
    if ids:
        flash(
            f"The emails about {wanted.reference} that had not been sent are being sent again.",
            "success",
        )
    else:
        flash(f"Every email about {wanted.reference} has already been sent.")
    return redirect(url_for(".family", family_id=wanted.family_id) + "#forms")


@bp.get("/submissions/<submission_id>/print/<size>")
def print_plan(submission_id: str, size: str) -> Response | tuple[str, int]:
    """Our Family Plan from one form, as a PDF to print: standard or large print."""
    if size not in PRINT_SIZES:
        abort(404)
    suffix, large_print = PRINT_SIZES[size]
    registry = services().registry

    def has_plan(form_id: str) -> bool:
        form = _form(registry, form_id)
        return form is not None and form.family_plan is not None

    found = downloadable_submission(submission_id, detail=suffix, offers=has_plan)
    try:
        pdf = render_in_time(
            render_family_plan_bounded, submission_record(found), large_print=large_print
        )
    except RenderTimeout:
        return too_slow_page("plan")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.reference}-{suffix}.pdf"'},
    )
