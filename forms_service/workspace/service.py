"""What staff do with the paperwork: a referral's clocks and outcome, allocation, what is due.

Plain functions over ``Services``, called by the staff pages, the staff API and
the CLI. Whether someone may act on a family is asked of the access policy
through ``families.service.decide``, which also writes the audit event; a
refusal comes back as ``FamilyUnavailable`` (answered as 404), raised only
after the transaction holding its audit event has committed. Emails are
queued in the same transaction as the change they report
(``delivery.messages.queue``); callers hand the returned outbox ids to their
task runner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..audit import Who
from ..auth import policy
from ..auth.accounts import normalise_email
from ..auth.actor import Actor
from ..auth.models import User
from ..clock import aware, utcnow
from ..db import transaction
from ..definitions.model import FormDefinition, as_date, value_at
from ..definitions.registry import Registry
from ..delivery import messages
from ..delivery.lanes import NORMAL
from ..families import record
from ..families import service as families_service
from ..families.models import Family, MatchKey
from ..families.service import (
    Asked,
    FamilyUnavailable,
    about_family,
    current,
    decide,
    latest_of,
    record_change,
    record_decision,
)
from ..services import Services
from ..submissions.models import OutboxMessage, Submission
from .clock import ClockRules, due_after_hours, due_after_weeks, due_after_working_days
from .models import AWAITING, DECIDED, Allocation, FamilyNeed, Referral, ReviewTiming
from .needs import needs_in

#: The longest reason a worker may give for an outcome.
MAX_REASON = 2000
#: The strategic plan's "within 24 hours" and "within 48 hours", in working days.
ACKNOWLEDGE_DAYS = 1
OUTCOME_DAYS = 2
#: A phoned Level 4 concern's written confirmation: 24 clock hours.
URGENT_HOURS = 24

T = TypeVar("T")


class WorkspaceError(Exception):
    """A request staff can fix: the message says what to do (shown as a GOV.UK error).

    ``field`` names the input at fault (``outcome``, ``reason``, ``email``), so a
    page can link its error summary to it and the API can name it in its reply.
    """

    def __init__(self, message: str, field: str = "_form") -> None:
        super().__init__(message)
        self.field = field


class AlreadyDecided(WorkspaceError):
    """The referral has its outcome already: a repeated request changes nothing (API: 409)."""


def _refused_after_commit(result: T | None, what: str) -> T:
    """``result``, or FamilyUnavailable once the refusal's audit event is committed."""
    if result is None:
        raise FamilyUnavailable(what)
    return result


# --------------------------------------------------------------------------- on submit


def referral_clocks(
    received: dt.datetime, urgent: bool, rules: ClockRules
) -> tuple[dt.datetime, dt.datetime]:
    """(acknowledge by, outcome due): 1 and 2 working days, or 24 clock hours if urgent."""
    if urgent:
        due = due_after_hours(received, URGENT_HOURS, rules)
        return due, due
    return (
        due_after_working_days(received, ACKNOWLEDGE_DAYS, rules),
        due_after_working_days(received, OUTCOME_DAYS, rules),
    )


def on_submission(
    session: Session,
    services: Services,
    form: FormDefinition,
    answers: dict[str, Any],
    submission: Submission,
    family: Family,
) -> Referral | None:
    """Inside the submit transaction: a referral's clocks start, the needs it names are
    indexed, and the family's due date moves.

    A form with ``outcomes`` is triaged, so it gets a ``Referral`` row.
    """
    referral = None
    # The submission and family first: the referral's foreign keys name them, and
    # without a relationship the unit of work would not order the inserts.
    session.flush()
    if form.outcomes:
        received = aware(submission.submitted_at or utcnow())
        urgent = form.record.urgent is not None and form.record.urgent.holds(answers)
        acknowledge_by, outcome_due = referral_clocks(
            received, urgent, services.settings.clock_rules
        )
        referral = Referral(
            submission_id=submission.id,
            family_id=family.id,
            form_id=form.id,
            received_at=received,
            urgent=urgent,
            acknowledge_by=acknowledge_by,
            outcome_due_at=outcome_due,
            status=AWAITING,
        )
        session.add(referral)
    _index_needs(session, needs_in(form, answers), submission, family)
    _record_withdrawal(session, form, answers, submission, family)
    record_timing(session, services.registry, form, submission, family)
    refresh_due(session, services.registry, services.settings.clock_rules, family)
    return referral


def _record_withdrawal(
    session: Session,
    form: FormDefinition,
    answers: dict[str, Any],
    submission: Submission,
    family: Family,
) -> None:
    """Keep on the family the day its consent was withdrawn, where the form's
    ``record.consent_withdrawn`` says the answers record it (a review).

    The earliest day recorded stands: a later review repeating the withdrawal does
    not move it. Nothing is deleted or hidden: withdrawal stops sharing, it is not
    erasure, and the forms are kept for the retention period like any other.
    """
    keys = form.record
    if keys.consent_withdrawn is None or not keys.consent_withdrawn.holds(answers):
        return
    day = as_date(value_at(answers, keys.consent_withdrawn_on or ""))
    day = day or aware(submission.submitted_at or utcnow()).date()
    if family.consent_withdrawn_on is not None and family.consent_withdrawn_on <= day:
        return
    family.consent_withdrawn_on = day
    family.consent_withdrawn_in = submission.id
    record_change(
        session, audit.SYSTEM, "family.consent_withdrawn", family, f"in {submission.reference}"
    )


def _index_needs(
    session: Session, named: Iterable[str], submission: Submission, family: Family
) -> None:
    """One ``family_needs`` row per headline the form ``named``, each linked to when the
    family last named it (so the dashboard counts families without DISTINCT)."""
    headlines = sorted({headline[:64] for headline in named})
    if not headlines:
        return
    previous = {
        headline: at
        for headline, at in session.execute(
            select(FamilyNeed.headline, func.max(FamilyNeed.recorded_at))
            .where(FamilyNeed.family_id == family.id, FamilyNeed.headline.in_(headlines))
            .group_by(FamilyNeed.headline)
        )
    }
    session.add_all(
        FamilyNeed(
            family_id=family.id,
            submission_id=submission.id,
            headline=headline,
            recorded_at=submission.submitted_at,
            previous_at=previous.get(headline),
            first_of_form=n == 0,
        )
        for n, headline in enumerate(headlines)
    )


def due_form(registry: Registry, after: str) -> FormDefinition | None:
    """The form that falls due after ``after`` ("allocation" or "plan"), from its ``due:``."""
    return next((f for f in registry.all() if f.due is not None and f.due.after == after), None)


def plan_forms(registry: Registry) -> list[str]:
    """The forms that hold a family plan (``family_plan:``)."""
    return [f.id for f in registry.all() if f.family_plan is not None]


def record_timing(
    session: Session,
    registry: Registry,
    form: FormDefinition,
    submission: Submission,
    family: Family,
) -> None:
    """Record, as it happens, whether this form came in time, so the dashboard only counts.

    The form due after allocation (the Family Story) stops the clock of every
    allocation of the family still waiting for one; the form due after a plan
    (a review) is stored with the time it was due by: ``due.weeks`` after the
    family's previous plan, the latest form with a family plan sent before it
    (none before it: nothing to measure from, so nothing is stored).
    """
    counted = due_form(registry, form.due.after) if form.due is not None else None
    if form.due is None or counted is None or counted.id != form.id:
        return
    sent = aware(submission.submitted_at or utcnow())
    if form.due.after == "allocation":
        session.execute(
            update(Allocation)
            .where(
                Allocation.family_id == family.id,
                Allocation.story_done_at.is_(None),
                Allocation.allocated_at <= sent,
            )
            .values(story_done_at=sent)
            .execution_options(synchronize_session=False)
        )
    elif form.due.after == "plan" and form.due.weeks is not None:
        previous = session.execute(
            select(Submission.id, Submission.submitted_at)
            .where(
                Submission.family_id == family.id,
                Submission.form_id.in_(plan_forms(registry)),
                Submission.submitted_at < sent,
            )
            .order_by(Submission.submitted_at.desc())
            .limit(1)
        ).first()
        if previous is not None:
            session.add(
                ReviewTiming(
                    submission_id=submission.id,
                    form_id=form.id,
                    sent_at=sent,
                    due_at=due_after_weeks(aware(previous.submitted_at), form.due.weeks),
                    measured_from=previous.id,
                )
            )


def story_limit(
    session: Session, registry: Registry, rules: ClockRules, family_id: str, at: dt.datetime
) -> dt.datetime | None:
    """The latest time for the Family Story (the form due after allocation) of an allocation
    made ``at``: its latest working days later; None when the family had a plan before then
    (it needs a review next, not a first assessment) or no form is due after allocation."""
    form = due_form(registry, "allocation")
    if form is None or form.due is None:
        return None
    planned = session.scalar(
        select(
            exists().where(
                Submission.family_id == family_id,
                Submission.form_id.in_(plan_forms(registry)),
                Submission.submitted_at < at,
            )
        )
    )
    if planned:
        return None
    days = form.due.latest_working_days or form.due.working_days or 0
    return due_after_working_days(aware(at), days, rules)


def refresh_due(session: Session, registry: Registry, rules: ClockRules, family: Family) -> None:
    """Set what the family needs next: a review after its latest plan, else the Family Story
    after allocation; nothing for a closed or unallocated family."""
    family.due_form = family.due_at = family.due_limit_at = None
    if family.status == "closed" or family.lead_professional_id is None:
        return
    latest_plan = session.scalar(
        select(func.max(Submission.submitted_at)).where(
            Submission.family_id == family.id, Submission.form_id.in_(plan_forms(registry))
        )
    )
    after, start = ("plan", latest_plan) if latest_plan else ("allocation", family.allocated_at)
    form = due_form(registry, after)
    if form is None or form.due is None or start is None:
        return
    start = aware(start)
    due = form.due
    if due.weeks is not None:
        target = due_after_weeks(start, due.weeks)
        limit = due_after_weeks(start, due.latest_weeks or due.weeks)
    else:
        days = due.working_days or 0
        target = due_after_working_days(start, days, rules)
        limit = due_after_working_days(start, due.latest_working_days or days, rules)
    family.due_form, family.due_at, family.due_limit_at = form.id, target, limit


# --------------------------------------------------------------------------- outcome


def record_outcome(
    services: Services, actor: Actor, reference: str, outcome_id: str, reason: str
) -> tuple[str, ...]:
    """Record a duty worker's outcome for the referral ``reference``; the outbox ids queued.

    The referrer is emailed the outcome (no family names); an outcome that
    sends the family on queues the documents to that service, referrer copied.
    """
    reason = (reason or "").strip()
    with transaction(services.sessions) as session:
        submission = session.scalars(
            select(Submission).where(Submission.reference == reference.strip().upper()[:32])
        ).first()
        referral = (
            session.get(Referral, submission.id, with_for_update=True) if submission else None
        )
        family = current(session, referral.family_id, lock=True) if referral else None
        asked = Asked(
            "referral.outcome",
            "submission",
            submission.id if submission else None,
            outcome_id[:48] if isinstance(outcome_id, str) else None,
        )
        if not decide(session, actor, policy.TRIAGE, family, asked):
            result: tuple[str, ...] | None = None
        else:
            assert submission is not None and referral is not None and family is not None
            result = _decide_outcome(
                session, services, actor, submission, referral, family, outcome_id, reason
            )
    return _refused_after_commit(result, reference)


def _decide_outcome(
    session: Session,
    services: Services,
    actor: Actor,
    submission: Submission,
    referral: Referral,
    family: Family,
    outcome_id: str,
    reason: str,
) -> tuple[str, ...]:
    form = services.registry.get(referral.form_id)
    outcome = form.outcome(outcome_id) if isinstance(outcome_id, str) else None
    if outcome is None:
        raise WorkspaceError("Select the outcome of this referral", "outcome")
    if not reason:
        raise WorkspaceError("Enter the reason for this outcome", "reason")
    if len(reason) > MAX_REASON:
        raise WorkspaceError(f"The reason must be {MAX_REASON} characters or fewer", "reason")
    if referral.status == DECIDED:
        raise AlreadyDecided(f"An outcome has already been recorded for {submission.reference}")
    now = utcnow()
    referral.status = DECIDED
    referral.outcome = outcome.id
    referral.reason_sealed = services.vault.seal(reason)
    referral.decided_at = now
    referral.decided_by = actor.user_id
    if family.status == "provisional":
        family.status = "open"
        record_change(session, actor.who, "family.confirmed", family, "with the outcome")
    family.updated_at = now
    answers = services.vault.open(submission.answers_sealed)
    referrer = referrer_address(services, form, answers)
    onward = services.settings.onward_address(outcome.onward) if outcome.onward else None
    sends: tuple[tuple[str, str | None, dict[str, str]], ...] = (
        (messages.OUTCOME, referrer, {}),
        (messages.ONWARD, onward, {"cc": referrer}),
    )
    queued = []
    for kind, recipient, extra in sends:
        if not recipient:
            continue
        try:
            queued.append(
                messages.queue(
                    session,
                    services.vault,
                    kind=kind,
                    recipient=recipient,
                    submission_id=submission.id,
                    family_id=family.id,
                    payload={"form_id": form.id, "outcome": outcome.id, **extra},
                    lane=messages.document_lane(services.settings, answers)
                    if kind == messages.ONWARD
                    else NORMAL,
                    without_consent=outcome.without_consent,
                )
            )
        except messages.ConsentWithdrawn:
            # The outcome stands; its documents stay with the C-SPOC, who already has them.
            messages.withhold(
                session, actor.who, kind, submission.id, family.id, "consent withdrawn"
            )
    return tuple(queued)


def referrer_address(services: Services, form: FormDefinition, answers: dict[str, Any]) -> str:
    """The referrer's work email, when the form asks for one and it may be emailed; else ""."""
    address = messages.referrer_address(form, answers)
    return address if address and messages.may_email(services.settings, address) else ""


# --------------------------------------------------------------------------- allocation


def allocate(services: Services, actor: Actor, family_id: str, email: str) -> tuple[str, ...]:
    """Make ``email``'s account the family's lead professional; the notice's outbox id."""
    with transaction(services.sessions) as session:
        family = current(session, family_id[:36], lock=True)
        asked = about_family("family.allocated", family_id)
        if not decide(session, actor, policy.ALLOCATE, family, asked):
            result: tuple[str, ...] | None = None
        else:
            assert family is not None
            user = _allocatable(session, email)
            result = assign(session, services, family, user, actor.who)
    return _refused_after_commit(result, family_id)


def allocate_by_reference(services: Services, reference: str, email: str, who: Who) -> str:
    """The CLI's allocation: by any form's reference, as the operator (no family opened)."""
    with transaction(services.sessions) as session:
        submission = session.scalars(
            select(Submission).where(Submission.reference == reference.strip().upper())
        ).first()
        family = current(session, submission.family_id, lock=True) if submission else None
        if family is None:
            raise WorkspaceError(f"there is no submission with the reference {reference}")
        assign(session, services, family, _allocatable(session, email), who)
        return family.id


def _allocatable(session: Session, email: str) -> User:
    user = session.scalars(select(User).where(User.email == normalise_email(email or ""))).first()
    if user is None or user.disabled_at is not None:
        raise WorkspaceError(
            "Enter the email address of an active lead professional's account", "email"
        )
    if user.role not in policy.FORM_ROLES:
        raise WorkspaceError(
            "Only a lead professional or a C-SPOC duty worker can be allocated", "email"
        )
    return user


def assign(
    session: Session, services: Services, family: Family, user: User, who: Who
) -> tuple[str, ...]:
    """Allocate ``user`` to ``family`` (ending any earlier allocation) and queue their notice."""
    now = utcnow()
    for earlier in session.scalars(
        select(Allocation).where(Allocation.family_id == family.id, Allocation.ended_at.is_(None))
    ):
        earlier.ended_at = now
    session.add(
        Allocation(
            family_id=family.id,
            user_id=user.id,
            allocated_by=who.id if who.kind == "user" else None,
            allocated_at=now,
            story_limit_at=story_limit(
                session, services.registry, services.settings.clock_rules, family.id, now
            ),
        )
    )
    family.lead_professional_id = user.id
    family.allocated_at = now
    family.updated_at = now
    if family.status == "provisional":
        family.status = "open"
    session.flush()
    refresh_due(session, services.registry, services.settings.clock_rules, family)
    record_change(session, who, "family.allocated", family, f"to user {user.id}")
    notice = messages.queue(
        session,
        services.vault,
        kind=messages.ALLOCATION,
        recipient=user.email,
        family_id=family.id,
        payload={"family_id": family.id},
    )
    return (notice,)


# --------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class InboxRow:
    """One referral in the C-SPOC inbox: no answers opened but the list summary."""

    submission_id: str
    reference: str
    form_id: str
    family_id: str
    received_at: dt.datetime
    urgent: bool
    status: str
    outcome: str | None
    acknowledge_by: dt.datetime
    outcome_due_at: dt.datetime
    decided_at: dt.datetime | None
    first_name: str | None
    date_of_birth: str | None
    organisation: str | None


@dataclass(frozen=True)
class InboxFilter:
    status: str | None = None  # AWAITING, DECIDED or None for all
    form_id: str | None = None
    urgent_only: bool = False


def _inbox_conditions(wanted: InboxFilter) -> list[Any]:
    conditions: list[Any] = []
    if wanted.status in (AWAITING, DECIDED):
        conditions.append(Referral.status == wanted.status)
    if wanted.form_id:
        conditions.append(Referral.form_id == wanted.form_id)
    if wanted.urgent_only:
        conditions.append(Referral.urgent.is_(True))
    return conditions


def inbox(
    services: Services,
    actor: Actor,
    wanted: InboxFilter = InboxFilter(),
    *,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[InboxRow], int]:
    """Referrals for triage, urgent first then newest first, and how many match in all."""
    if not policy.triages(actor):
        return [], 0
    conditions = _inbox_conditions(wanted)
    with transaction(services.sessions) as session:
        total = session.scalar(select(func.count()).select_from(Referral).where(*conditions))
        found = session.execute(
            select(Referral, Submission.reference, Submission.summary_sealed)
            .join(Submission, Submission.id == Referral.submission_id)
            .where(*conditions)
            .order_by(Referral.urgent.desc(), Referral.received_at.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        rows = [_inbox_row(services, r, reference, sealed) for r, reference, sealed in found]
        audit.record(session, actor.who, "inbox.viewed", detail=f"{len(rows)} shown")
    return rows, int(total or 0)


def _inbox_row(
    services: Services, referral: Referral, reference: str, sealed: bytes | None
) -> InboxRow:
    summary = services.vault.open_optional(sealed)
    summary = summary if isinstance(summary, dict) else {}
    return InboxRow(
        referral.submission_id,
        reference,
        referral.form_id,
        referral.family_id,
        aware(referral.received_at),
        bool(referral.urgent),
        referral.status,
        referral.outcome,
        aware(referral.acknowledge_by),
        aware(referral.outcome_due_at),
        aware(referral.decided_at) if referral.decided_at else None,
        summary.get("first_name"),
        summary.get("date_of_birth"),
        summary.get("organisation"),
    )


@dataclass(frozen=True)
class CaseRow:
    """One family in a lead professional's caseload."""

    family_id: str
    status: str
    reference: str
    first_name: str | None
    date_of_birth: str | None
    due_form: str | None
    due_at: dt.datetime | None
    due_limit_at: dt.datetime | None


def caseload(
    services: Services, actor: Actor, *, offset: int = 0, limit: int = 25
) -> tuple[list[CaseRow], int]:
    """``actor``'s open families, the most overdue first (those with nothing due last)."""
    if actor.user_id is None or not actor.is_staff:
        return [], 0
    mine = (
        Family.lead_professional_id == actor.user_id,
        Family.status != "closed",
        Family.merged_into_id.is_(None),
    )
    with transaction(services.sessions) as session:
        total = session.scalar(select(func.count()).select_from(Family).where(*mine))
        families = session.scalars(
            select(Family)
            .where(*mine)
            .order_by(Family.due_limit_at.is_(None), Family.due_limit_at, Family.id)
            .offset(offset)
            .limit(limit)
        ).all()
        rows = [_case_row(session, services, f) for f in families]
        audit.record(session, actor.who, "caseload.viewed", detail=f"{len(rows)} shown")
    return rows, int(total or 0)


def _case_row(session: Session, services: Services, family: Family) -> CaseRow:
    latest = latest_of(session, family.id, Submission.reference, Submission.summary_sealed)
    summary = services.vault.open_optional(latest.summary_sealed) if latest else None
    summary = summary if isinstance(summary, dict) else {}
    return CaseRow(
        family.id,
        family.status,
        latest.reference if latest else "",
        summary.get("first_name"),
        summary.get("date_of_birth"),
        family.due_form,
        aware(family.due_at) if family.due_at else None,
        aware(family.due_limit_at) if family.due_limit_at else None,
    )


@dataclass(frozen=True)
class Decision:
    """An outcome recorded for one of a family's referrals."""

    reference: str
    form_id: str
    outcome: str | None
    reason: str
    decided_at: dt.datetime | None
    decided_by: str | None
    received_at: dt.datetime
    outcome_due_at: dt.datetime
    urgent: bool


@dataclass(frozen=True)
class AllocationRow:
    lead_professional: str
    allocated_at: dt.datetime
    ended_at: dt.datetime | None
    allocated_by: str | None


@dataclass(frozen=True)
class FamilyWork:
    """The workspace half of a family's page: referrals and outcomes, allocations, what is due."""

    decisions: list[Decision]
    allocations: list[AllocationRow]
    due_form: str | None
    due_at: dt.datetime | None
    due_limit_at: dt.datetime | None


def family_work(services: Services, family_id: str) -> FamilyWork:
    """What the workspace knows of a family. Call only with the id ``family_for`` returned:
    that call asked the policy and wrote the audit event."""
    with transaction(services.readers) as session:
        family = session.get(Family, family_id)
        names = _names(session)
        decisions = [
            Decision(
                reference,
                r.form_id,
                r.outcome,
                str(services.vault.open_optional(r.reason_sealed) or ""),
                aware(r.decided_at) if r.decided_at else None,
                names.get(r.decided_by or ""),
                aware(r.received_at),
                aware(r.outcome_due_at),
                bool(r.urgent),
            )
            for r, reference in session.execute(
                select(Referral, Submission.reference)
                .join(Submission, Submission.id == Referral.submission_id)
                .where(Referral.family_id == family_id)
                .order_by(Referral.received_at.desc())
            )
        ]
        allocations = [
            AllocationRow(
                names.get(a.user_id, "someone"),
                aware(a.allocated_at),
                aware(a.ended_at) if a.ended_at else None,
                names.get(a.allocated_by or ""),
            )
            for a in session.scalars(
                select(Allocation)
                .where(Allocation.family_id == family_id)
                .order_by(Allocation.allocated_at.desc(), Allocation.id.desc())
            )
        ]
        if family is None:
            return FamilyWork(decisions, allocations, None, None, None)
        return FamilyWork(
            decisions,
            allocations,
            family.due_form,
            aware(family.due_at) if family.due_at else None,
            aware(family.due_limit_at) if family.due_limit_at else None,
        )


def _names(session: Session) -> dict[str, str]:
    """Staff names by id (a council's staff list is small)."""
    return {i: n for i, n in session.execute(select(User.id, User.name))}


def referral_of(services: Services, submission_id: str) -> Referral | None:
    """The referral row of a submission (after the view has asked ``submission_for``)."""
    with transaction(services.readers) as session:
        found = session.get(Referral, submission_id[:36])
        if found is not None:
            session.expunge(found)
        return found


def disabled_leads_families(services: Services, actor: Actor) -> list[tuple[str, str]]:
    """(family id, former lead's name) of open families whose lead's account is disabled.

    Disabled accounts first (a handful), then their families through the caseload
    index: joining from families would read every family.
    """
    if not policy.triages(actor):
        return []
    with transaction(services.readers) as session:
        disabled = dict(
            session.execute(select(User.id, User.name).where(User.disabled_at.is_not(None))).all()
        )
        if not disabled:
            return []
        found = session.execute(
            select(Family.id, Family.lead_professional_id)
            .where(Family.lead_professional_id.in_(disabled), Family.status != "closed")
            .order_by(Family.updated_at.desc())
            .limit(200)
        ).all()
        return [(family_id, disabled[lead]) for family_id, lead in found if lead]


# --------------------------------------------------------------------------- triage reads
# (added for the triage pages: the duplicate check's reasons, the outcome form's
# problems all at once, the referrer's emails, and linking a referral's family)

#: Why a family came up in the duplicate check, as the triage page says it.
MATCH_REASONS = {
    record.NHS: "same NHS number",
    record.SURNAME_DOB: "same surname and date of birth",
    record.SURNAME_POSTCODE: "same surname and postcode",
}
#: The most candidates the duplicate check lists (a common surname at one postcode).
MAX_CANDIDATES = 20


@dataclass(frozen=True)
class MatchCandidate:
    """A family already known that may be the referral's: why, and enough to tell."""

    family_id: str
    reasons: tuple[str, ...]
    status: str
    first_name: str | None
    date_of_birth: str | None
    latest_reference: str
    lead_professional: str | None


def match_candidates(services: Services, actor: Actor, family_id: str) -> list[MatchCandidate]:
    """Other families sharing a blind match key with ``family_id``, and which keys they share.

    ``families.service.possible_matches`` says only which families; a duty
    worker deciding "same family or new" needs to see why each came up (an
    NHS number is stronger than a surname at a postcode). Only for triage
    roles, and only after the view has been allowed to open the referral.
    """
    if not policy.triages(actor):
        return []
    mine = select(MatchKey.kind, MatchKey.digest).where(MatchKey.family_id == family_id).subquery()
    with transaction(services.readers) as session:
        shared = session.execute(
            select(MatchKey.family_id, MatchKey.kind)
            .join(mine, (mine.c.kind == MatchKey.kind) & (mine.c.digest == MatchKey.digest))
            .where(MatchKey.family_id != family_id)
            .distinct()
        ).all()
        reasons: dict[str, set[str]] = {}
        for other, kind in shared:
            reasons.setdefault(other, set()).add(kind)
        ranked = sorted(reasons, key=lambda f: (-len(reasons[f]), record.NHS not in reasons[f], f))
        names = _names(session)
        return [
            _candidate(session, services, family, reasons[family], names)
            for family in ranked[:MAX_CANDIDATES]
        ]


def _candidate(
    session: Session, services: Services, family_id: str, kinds: set[str], names: dict[str, str]
) -> MatchCandidate:
    family = session.get(Family, family_id)
    latest = latest_of(session, family_id, Submission.reference, Submission.summary_sealed)
    summary = services.vault.open_optional(latest.summary_sealed) if latest else None
    summary = summary if isinstance(summary, dict) else {}
    lead = family.lead_professional_id if family is not None else None
    return MatchCandidate(
        family_id,
        tuple(MATCH_REASONS[k] for k in record.MATCH_KINDS if k in kinds),
        family.status if family is not None else "",
        summary.get("first_name"),
        summary.get("date_of_birth"),
        latest.reference if latest else "",
        names.get(lead or ""),
    )


def outcome_problems(form: FormDefinition, outcome_id: str, reason: str) -> dict[str, str]:
    """Every problem with an outcome form at once, by field ("outcome", "reason").

    ``record_outcome`` stops at the first problem; a GOV.UK page shows them all
    together, so the page asks here first. The messages are the service's own.
    """
    problems: dict[str, str] = {}
    if form.outcome(outcome_id or "") is None:
        problems["outcome"] = "Select the outcome of this referral"
    reason = (reason or "").strip()
    if not reason:
        problems["reason"] = "Enter the reason for this outcome"
    elif len(reason) > MAX_REASON:
        problems["reason"] = f"The reason must be {MAX_REASON} characters or fewer"
    return problems


@dataclass(frozen=True)
class MessageState:
    """One email about a referral to the referrer or onward, and how its delivery went."""

    kind: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


#: Kinds of message a triage page reports (those to the referrer, and onward).
REFERRAL_MESSAGE_KINDS = (messages.ACKNOWLEDGEMENT, messages.OUTCOME, messages.ONWARD)


def referral_messages(services: Services, submission_id: str) -> list[MessageState]:
    """The emails about a referral beyond the SPOC inbox, oldest first. Call only after
    ``submission_for`` allowed the view (no recipient or content is returned)."""
    with transaction(services.readers) as session:
        return [
            MessageState(kind, status, aware(created), aware(sent) if sent is not None else None)
            for kind, status, created, sent in session.execute(
                select(
                    OutboxMessage.kind,
                    OutboxMessage.status,
                    OutboxMessage.created_at,
                    OutboxMessage.sent_at,
                )
                .where(
                    OutboxMessage.submission_id == submission_id[:36],
                    OutboxMessage.kind.in_(REFERRAL_MESSAGE_KINDS),
                )
                .order_by(OutboxMessage.created_at)
            )
        ]


def settle_family(services: Services, actor: Actor, submission_id: str, same_as: str | None) -> str:
    """The duty worker's answer to the duplicate check; the id of the referral's family now.

    ``same_as`` None confirms the referral's provisional family as new;
    otherwise that family is merged into ``same_as``. Asked of the policy
    (TRIAGE on the referral's family, VIEW on the other) before anything
    changes: a refusal is audited and raised as ``FamilyUnavailable`` once
    committed. The merge and confirmation themselves are
    ``families.service``'s, which write their own audit events.
    """
    action = "family.merged" if same_as else "family.confirmed"
    target_id: str | None = None
    with transaction(services.sessions) as session:
        referral = session.get(Referral, submission_id[:36])
        family = current(session, referral.family_id) if referral is not None else None
        target = current(session, same_as[:36]) if same_as else None
        allowed = policy.can(actor, policy.TRIAGE, family) and (
            not same_as or policy.can(actor, policy.VIEW, target)
        )
        if not allowed:  # allowed: the merge or confirmation writes its own event
            asked = Asked(action, "submission", submission_id[:64])
            record_decision(session, actor, asked, family, allowed=False)
            result: Family | None = None
        else:
            assert family is not None
            if family.status != "provisional":
                raise WorkspaceError("This family has already been checked for a match")
            if target is not None and target.id == family.id:
                raise WorkspaceError("Choose a different family to link this referral to")
            result = family
            target_id = target.id if target is not None else None
    source = _refused_after_commit(result, submission_id)
    if target_id is None:
        families_service.confirm(services, source.id, actor.who)
        return source.id
    families_service.merge(services, source.id, target_id, actor.who)  # moves its referral too
    return target_id


def family_status(services: Services, family_id: str) -> str:
    """A family's state ("provisional" until its duplicate check), or "" if unknown. Call
    only after the view was allowed the family (its id came from ``submission_for``)."""
    with transaction(services.readers) as session:
        return str(session.scalar(select(Family.status).where(Family.id == family_id)) or "")


# --------------------------------------------------------------------------- family page


@dataclass(frozen=True)
class FamilyMessage:
    """One email about one of a family's forms, as the family page shows it: its kind and
    state only (no recipient, no content)."""

    id: str
    submission_id: str
    kind: str
    status: str
    updated_at: dt.datetime


def messages_of(services: Services, family_id: str) -> dict[str, list[FamilyMessage]]:
    """Every email about the family's forms, oldest first, by submission id. Call only
    with the id ``family_for`` returned: that call asked the policy and wrote the audit
    event."""
    with transaction(services.readers) as session:
        rows = session.scalars(
            select(OutboxMessage)
            .join(Submission, Submission.id == OutboxMessage.submission_id)
            .where(Submission.family_id == family_id)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ).all()
        found: dict[str, list[FamilyMessage]] = {}
        for row in rows:
            found.setdefault(str(row.submission_id), []).append(
                FamilyMessage(
                    row.id, str(row.submission_id), row.kind, row.status, aware(row.updated_at)
                )
            )
        return found


@dataclass(frozen=True)
class Resend:
    """A message a member of staff may send again: the form's reference and its family."""

    outbox_id: str
    reference: str
    family_id: str


def resendable(services: Services, actor: Actor, outbox_id: str) -> Resend:
    """The message ``actor`` asked to send again, if they may work with its family
    (``policy.SUBMIT``: a manager reads but does not act); the decision is audited as
    ``message.retried``. FamilyUnavailable (404) otherwise, after that event commits."""
    with transaction(services.sessions) as session:
        message = session.get(OutboxMessage, outbox_id[:36])
        submission = (
            session.get(Submission, message.submission_id)
            if message is not None and message.submission_id
            else None
        )
        family = current(session, submission.family_id) if submission is not None else None
        result: Resend | None = None
        asked = Asked(
            "message.retried",
            "outbox",
            outbox_id[:64],
            message.kind if message is not None else None,
        )
        if decide(session, actor, policy.SUBMIT, family, asked):
            assert message is not None and submission is not None and family is not None
            result = Resend(message.id, submission.reference, family.id)
    return _refused_after_commit(result, outbox_id)
