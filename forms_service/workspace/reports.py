"""Figures for the team manager: timeliness, volumes and caseloads, and the Families First claim.

Plain functions over ``Services`` (no Flask), called by the dashboard pages and
usable from a CLI. Each public function asks the access policy
(:func:`~forms_service.auth.policy.reads_reports`) and writes its audit event
in the same transaction as its reads; a refusal is audited too and comes back
as ``None``, which a page answers with 404.

Form knowledge stays in the form files: which form is due after allocation and
which after a plan, and in how many working days or weeks, come from each
form's ``due:``; plans are forms with ``family_plan``; outcome labels come from
``outcomes:``; and a need is an item of a repeating question that names a
Supporting Families headline (the ``need`` block's ``headline`` choice, which
every block taking ``options_from: need.headline`` shares).

Days are London days (as the audit log's filter counts them), and a period's
bounds go to the database as UTC: SQLite keeps times without their zone, so a
London-time bound would be an hour out in summer.

Cost: every figure is an aggregate query on an index. When each Family Story
and review was due, and the needs each form names, are recorded as they happen
(``workspace.service.on_submission`` and ``assign``), never worked out per row
here; only the claim export opens answers (every form of every family active
in the period).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from .. import audit
from ..auth import policy
from ..auth.actor import Actor
from ..auth.models import User
from ..clock import aware, utcnow
from ..db import transaction
from ..definitions.model import FormDefinition
from ..definitions.registry import Registry, UnknownForm
from ..families.models import Family
from ..formats import LONDON
from ..services import Services
from ..submissions.models import Submission
from .models import Allocation, FamilyNeed, Referral, ReviewTiming
from .needs import HEADLINE, need_lists, needs_in, outcomes_met_in
from .service import due_form

#: The dashboard's default period: the last three months.
DEFAULT_MONTHS = 3
#: Shown in place of an outcome for a referral still waiting for one.
AWAITING_LABEL = "Waiting for an outcome"


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """From the start of ``first_day`` to the end of ``last_day``, London time."""

    first_day: dt.date
    last_day: dt.date

    @property
    def start(self) -> dt.datetime:
        """The first moment, as aware UTC."""
        return dt.datetime.combine(self.first_day, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The moment after the last day ends (exclusive), as aware UTC."""
        after = self.last_day + dt.timedelta(days=1)
        return dt.datetime.combine(after, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def default_period(today: dt.date) -> Period:
    """The last three months, up to and including ``today``."""
    return Period(months_before(today, DEFAULT_MONTHS), today)


def london_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in London (where the council's days are counted)."""
    return aware(now or utcnow()).astimezone(LONDON).date()


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Ratio:
    """How many of ``total`` were done in time: shown with both numbers, never a bare percentage."""

    key: str
    label: str
    met: int
    total: int

    @property
    def percent(self) -> int | None:
        """Rounded to a whole number (half up); None when there is nothing to count."""
        if not self.total:
            return None
        return (200 * self.met + self.total) // (2 * self.total)

    @property
    def text(self) -> str:
        """ "41 of 50 (82%)", or "None in this period"."""
        if not self.total:
            return "None in this period"
        return f"{self.met} of {self.total} ({self.percent}%)"


@dataclass(frozen=True)
class Count:
    """One bar: a label and how many."""

    label: str
    value: int


@dataclass(frozen=True)
class Caseload:
    """One lead professional's open families, and how many of them are overdue."""

    name: str
    families: int
    overdue: int


@dataclass(frozen=True)
class Dashboard:
    period: Period
    timeliness: list[Ratio]
    by_outcome: list[Count]
    by_need: list[Count]
    forms_read: int
    caseloads: list[Caseload]


def dashboard(
    services: Services, actor: Actor, period: Period, now: dt.datetime | None = None
) -> Dashboard | None:
    """Every figure of the manager dashboard for ``period`` (None: not a manager; audited)."""
    now = aware(now or utcnow())
    registry = services.registry
    with transaction(services.sessions) as session:
        if not _allowed(session, actor, "dashboard.viewed"):
            return None
        by_need, forms_read = needs_by_headline(session, services, period)
        found = Dashboard(
            period,
            [
                referral_timeliness(session, period, now),
                story_timeliness(session, registry, period, now),
                review_timeliness(session, registry, period),
            ],
            outcome_volumes(session, registry, period),
            by_need,
            forms_read,
            caseloads(session, now),
        )
        audit.record(
            session,
            actor.who,
            "dashboard.viewed",
            detail=f"{period.first_day.isoformat()} to {period.last_day.isoformat()}",
        )
    return found


def _allowed(session: Session, actor: Actor, action: str) -> bool:
    """Whether ``actor`` reads reports; a refusal is audited (and committed with the reads)."""
    if policy.reads_reports(actor):
        return True
    audit.record(session, actor.who, action, outcome="denied")
    return False


def _in(column: Any, period: Period) -> Any:
    return and_(column >= period.start, column < period.end)


def referral_timeliness(session: Session, period: Period, now: dt.datetime) -> Ratio:
    """Referrals received in the period with an outcome by their due time (two working days,
    or the urgent clock).

    Counted once the clock has run out or stopped: a referral decided, or not
    decided and past its due time (late); one still within its time is not
    counted yet either way.
    """
    met = case((Referral.decided_at <= Referral.outcome_due_at, 1), else_=0)
    total, on_time = session.execute(
        select(func.count(), func.coalesce(func.sum(met), 0)).where(
            _in(Referral.received_at, period),
            or_(Referral.decided_at.is_not(None), Referral.outcome_due_at < now),
        )
    ).one()
    return Ratio("referrals", "Referrals with an outcome within 48 hours", int(on_time), int(total))


def story_timeliness(
    session: Session, registry: Registry, period: Period, now: dt.datetime
) -> Ratio:
    """Allocations in the period whose Family Story (the form due after allocation) was sent
    within its latest limit in working days (15).

    Each allocation is measured to the first such form sent after it. An
    allocation of a family that already had a plan is not counted: that family
    needs a review next, not a first assessment. An allocation still waiting
    is counted once its limit has passed (late), not before.

    The limit and the time the form came are recorded as they happen
    (``Allocation.story_limit_at``, ``story_done_at``; a family with a plan
    already gets no limit), so this is one aggregate.
    """
    form = due_form(registry, "allocation")
    if form is None or form.due is None:
        return Ratio("stories", "Family Story Assessments", 0, 0)
    days = form.due.latest_working_days or form.due.working_days or 0
    label = f"{form.short_title}s within {days} working days of allocation"
    met = case((Allocation.story_done_at <= Allocation.story_limit_at, 1), else_=0)
    total, on_time = session.execute(
        select(func.count(), func.coalesce(func.sum(met), 0)).where(
            _in(Allocation.allocated_at, period),
            Allocation.story_limit_at.is_not(None),
            or_(Allocation.story_done_at.is_not(None), Allocation.story_limit_at < now),
        )
    ).one()
    return Ratio("stories", label, int(on_time), int(total))


def review_timeliness(session: Session, registry: Registry, period: Period) -> Ratio:
    """Reviews (the form due after a plan) sent in the period within ``due.weeks`` (6) of the
    family's previous plan (the latest form with a family plan sent before the review).

    The time each review was due by is recorded when it is sent
    (``ReviewTiming``; a first review with no plan before it has none and is
    not counted), so this is one aggregate.
    """
    form = due_form(registry, "plan")
    if form is None or form.due is None or form.due.weeks is None:
        return Ratio("reviews", "Reviews", 0, 0)
    label = f"{form.short_title}s within {form.due.weeks} weeks of the previous plan"
    met = case((ReviewTiming.sent_at <= ReviewTiming.due_at, 1), else_=0)
    total, on_time = session.execute(
        select(func.count(), func.coalesce(func.sum(met), 0)).where(
            ReviewTiming.form_id == form.id, _in(ReviewTiming.sent_at, period)
        )
    ).one()
    return Ratio("reviews", label, int(on_time), int(total))


def outcome_volumes(session: Session, registry: Registry, period: Period) -> list[Count]:
    """Referrals received in the period by outcome, in each form's order of outcomes
    (every outcome listed, with none as 0), then those still waiting."""
    counts = {
        (form_id, outcome): int(n)
        for form_id, outcome, n in session.execute(
            select(Referral.form_id, Referral.outcome, func.count())
            .where(_in(Referral.received_at, period))
            .group_by(Referral.form_id, Referral.outcome)
        )
    }
    bars = [
        Count(f"{form.short_title}: {outcome.label}", counts.pop((form.id, outcome.id), 0))
        for form in registry.all()
        for outcome in form.outcomes
    ]
    waiting = sum(n for (_, outcome), n in counts.items() if outcome is None)
    bars.append(Count(AWAITING_LABEL, waiting))
    bars.extend(  # an outcome a form no longer offers: still counted, by its id
        Count(f"{form_id}: {outcome}", n) for (form_id, outcome), n in counts.items() if outcome
    )
    return bars


def caseloads(session: Session, now: dt.datetime) -> list[Caseload]:
    """Open families per active lead professional (anyone with an open family allocated,
    and every active lead professional, even with none), and how many are overdue:
    past the latest date for what they need next."""
    overdue = case((Family.due_limit_at < now, 1), else_=0)
    counts = {
        user_id: (int(n), int(late))
        for user_id, n, late in session.execute(
            select(Family.lead_professional_id, func.count(), func.coalesce(func.sum(overdue), 0))
            .where(
                Family.lead_professional_id.is_not(None),
                Family.status != "closed",
                Family.merged_into_id.is_(None),
            )
            .group_by(Family.lead_professional_id)
        )
    }
    people = session.execute(
        select(User.id, User.name)
        .where(
            User.disabled_at.is_(None),
            or_(User.role == "lead-professional", User.id.in_(list(counts))),
        )
        .order_by(User.name, User.id)
    ).all()
    return [Caseload(name, *counts.get(user_id, (0, 0))) for user_id, name in people]


# --------------------------------------------------------------------------- needs


def headline_labels(registry: Registry) -> dict[str, str]:
    """Each headline's label, in the forms' order of options (the ``need`` block's list)."""
    labels: dict[str, str] = {}
    for form in registry.all():
        for _, fld in need_lists(form):
            for option in fld.child(HEADLINE).options:
                labels.setdefault(option.value, option.label)
    return labels


def needs_by_headline(
    session: Session, services: Services, period: Period
) -> tuple[list[Count], int]:
    """Families with each need named in a form sent in the period; and how many forms named one.

    Each family counts once per headline however many forms name it. Reads the
    ``family_needs`` index written on submit (``workspace.service.on_submission``),
    so no answers are opened, in one pass without DISTINCT: a family is counted
    by its first row in the period (the one whose ``previous_at`` is before it),
    a form by its ``first_of_form`` row.
    """
    new_to_period = or_(FamilyNeed.previous_at.is_(None), FamilyNeed.previous_at < period.start)
    counted: Counter[str] = Counter()
    read = 0
    for headline, families, forms in session.execute(
        select(
            FamilyNeed.headline,
            func.coalesce(func.sum(case((new_to_period, 1), else_=0)), 0),
            func.coalesce(func.sum(case((FamilyNeed.first_of_form, 1), else_=0)), 0),
        )
        .where(_in(FamilyNeed.recorded_at, period))
        .group_by(FamilyNeed.headline)
    ):
        counted[headline] = int(families)
        read += int(forms)
    labels = headline_labels(services.registry)
    bars = [Count(label, counted.pop(value, 0)) for value, label in labels.items()]
    bars.extend(Count(value, n) for value, n in counted.items())  # no longer offered
    return bars, read


# --------------------------------------------------------------------------- the claim


@dataclass(frozen=True)
class ClaimRow:
    """One family, as a Families First claim needs it (ids, headlines and dates: no names)."""

    family_id: str
    status: str
    needs: list[tuple[str, dt.date]]  # (headline label, first named on)
    outcomes_met: list[str]  # headline labels
    outcomes_met_on: dt.date | None
    closed_how: str
    lead_assigned_on: dt.date | None
    closed_on: dt.date | None


def claim_rows(services: Services, actor: Actor, period: Period) -> list[ClaimRow] | None:
    """Every family worked with during ``period`` (opened by its end, and not closed before
    its start), oldest first (None: not a manager; audited).

    Needs are dated by the first form that named them; outcomes met are those
    the review that closed the family records as met, dated by that review.
    """
    registry = services.registry
    labels = headline_labels(registry)
    with transaction(services.sessions) as session:
        if not _allowed(session, actor, "claim.exported"):
            return None
        families = session.scalars(
            select(Family)
            .where(
                Family.merged_into_id.is_(None),
                Family.status != "provisional",
                Family.opened_at < period.end,
                or_(Family.closed_at.is_(None), Family.closed_at >= period.start),
            )
            .order_by(Family.opened_at, Family.id)
        ).all()
        rows = [_claim_row(session, services, labels, family) for family in families]
        audit.record(
            session,
            actor.who,
            "claim.exported",
            detail=f"{len(rows)} families, {period.first_day.isoformat()} to "
            f"{period.last_day.isoformat()}",
        )
    return rows


def _claim_row(
    session: Session, services: Services, labels: dict[str, str], family: Family
) -> ClaimRow:
    first_named: dict[str, dt.date] = {}
    met: set[str] = set()
    met_on = None
    closed_how = ""
    for form_id, sealed, sent_at in session.execute(
        select(Submission.form_id, Submission.answers_sealed, Submission.submitted_at)
        .where(Submission.family_id == family.id)
        .order_by(Submission.submitted_at)
    ):
        try:
            form = services.registry.get(form_id)
        except UnknownForm:
            continue
        answers = services.vault.open(sealed)
        day = london_today(sent_at)
        for headline in sorted(needs_in(form, answers)):
            first_named.setdefault(headline, day)
        how = _closing(form, answers)
        if how and family.closed_at is not None and aware(sent_at) <= aware(family.closed_at):
            met, met_on, closed_how = outcomes_met_in(form, answers), day, how
    assigned = session.scalar(
        select(func.min(Allocation.allocated_at)).where(Allocation.family_id == family.id)
    )
    if assigned is None and family.lead_professional_id is not None:
        assigned = family.allocated_at or family.opened_at  # opened by their own form
    order = list(labels)
    return ClaimRow(
        family.id,
        family.status,
        [
            (labels.get(h, h), d)
            for h, d in sorted(first_named.items(), key=lambda x: (x[1], _rank(order, x[0])))
        ],
        [labels.get(h, h) for h in sorted(met, key=lambda h: _rank(order, h))],
        met_on if family.status == "closed" else None,
        closed_how if family.status == "closed" else "",
        london_today(assigned) if assigned else None,
        london_today(family.closed_at) if family.closed_at else None,
    )


def _rank(order: list[str], value: str) -> int:
    return order.index(value) if value in order else len(order)


def _closing(form: FormDefinition, answers: Mapping[str, Any]) -> str:
    """How these answers close a family, in the form's words ("Close"), or "" if they do not."""
    condition = form.record.closes_family
    if condition is None or not condition.holds(dict(answers)):
        return ""
    return form.field(condition.field).option_label(answers.get(condition.field))
