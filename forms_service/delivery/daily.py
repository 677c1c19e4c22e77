"""Each working morning's mail: the SPOC inbox's digest, and reminders of forms due.

The **digest** lists the references of every form delivered to the SPOC
inbox over the last working day (after a weekend or a bank holiday, every
day since the working day before), so a missing email can be noticed. The
**reminders** give each lead professional one email listing their families
with a form due by the end of the next working day or overdue, and each
manager one email listing every family with a form overdue. Both carry
references, form titles and dates only, never a family's name.

The selections are plain functions of a database session and times (tests
call them directly); ``queue_digest`` and ``queue_reminders`` put the emails
in the outbox, and ``tasks.daily_jobs_task`` runs them once a working day,
from ``FORMS_DAILY_MAIL_HOUR`` (UK time), under a lease per job and day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..clock import aware, utcnow
from ..config import Settings
from ..db import transaction
from ..definitions.registry import Registry, UnknownForm
from ..families.models import Family
from ..formats import LONDON
from ..services import Services
from ..submissions.models import OutboxMessage, Submission
from ..workdays import ONE_DAY, WorkingCalendar
from . import messages

LEAD_PROFESSIONAL = "lead-professional"
MANAGER = "manager"


# --------------------------------------------------------------------------- when


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` on the UK wall clock, in UTC."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=LONDON).astimezone(dt.UTC)


def is_mail_morning(settings: Settings, now: dt.datetime) -> bool:
    """Whether the daily mail may go now: turned on, a working day, from the configured
    hour (UK time)."""
    local = aware(now).astimezone(LONDON)
    return (
        settings.daily_mail
        and settings.calendar.is_working_day(local.date())
        and local.hour >= settings.daily_mail_hour
    )


def digest_days(calendar: WorkingCalendar, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day a digest sent on ``today`` covers: from the working day
    before ``today`` up to yesterday (Friday to Sunday on a Monday)."""
    first = today - ONE_DAY
    while not calendar.is_working_day(first):
        first -= ONE_DAY
    return first, today - ONE_DAY


def reminder_horizon(calendar: WorkingCalendar, today: dt.date) -> dt.datetime:
    """The end of the next working day after ``today``: what falls due before it is listed."""
    return local_midnight(calendar.add_working_days(today, 1) + ONE_DAY)


# --------------------------------------------------------------------------- digest


def digest_references(session: Session, start: dt.datetime, end: dt.datetime) -> list[str]:
    """References of forms delivered to the SPOC inbox in ``[start, end)``, in order."""
    return list(
        session.scalars(
            select(Submission.reference)
            .join(OutboxMessage, OutboxMessage.submission_id == Submission.id)
            .where(
                OutboxMessage.kind == messages.SPOC,
                OutboxMessage.status == "sent",
                OutboxMessage.sent_at >= start,
                OutboxMessage.sent_at < end,
            )
            .order_by(OutboxMessage.sent_at, Submission.reference)
        )
    )


def queue_digest(services: Services, now: dt.datetime | None = None) -> str:
    """Queue today's digest to the SPOC inbox (even an empty one: silence is news)."""
    settings = services.settings
    today = aware(now or utcnow()).astimezone(LONDON).date()
    first, last = digest_days(settings.calendar, today)
    with transaction(services.sessions) as session:
        references = digest_references(session, local_midnight(first), local_midnight(today))
        messages.queue(
            session,
            services.vault,
            kind=messages.DIGEST,
            recipient=settings.spoc_inbox,
            payload={
                "day": first.isoformat(),
                "last_day": last.isoformat(),
                "references": references,
            },
        )
    return f"digest of {len(references)} reference(s) queued"


# --------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class DueItem:
    """One family's form due or overdue: ids, a reference, a form id and dates only."""

    family_id: str
    lead_professional_id: str | None
    reference: str | None
    form_id: str | None
    due_at: dt.datetime | None
    due_limit_at: dt.datetime | None

    def overdue(self, now: dt.datetime) -> bool:
        """Past its latest date (a review at 8 weeks, a Family Story at 15 working days)."""
        limit = self.due_limit_at or self.due_at
        return limit is not None and aware(limit) < now

    def as_payload(self, registry: Registry, now: dt.datetime) -> dict[str, Any]:
        """What a reminder email lists for this family."""
        overdue = self.overdue(now)
        shown = (self.due_limit_at or self.due_at) if overdue else self.due_at
        latest = None if overdue or self.due_limit_at is None else self.due_limit_at
        return {
            "reference": self.reference,
            "due": _form_title(registry, self.form_id),
            "due_at": aware(shown).isoformat() if shown else None,
            "latest_at": aware(latest).isoformat() if latest else None,
            "overdue": overdue,
        }


def _form_title(registry: Registry, form_id: str | None) -> str:
    if not form_id:
        return "A form"
    try:
        return registry.get(form_id).title
    except UnknownForm:
        return form_id


def _latest_reference() -> Any:
    """The reference of the family's latest submission (a correlated subquery)."""
    return (
        select(Submission.reference)
        .where(Submission.family_id == Family.id)
        .order_by(Submission.submitted_at.desc())
        .limit(1)
        .correlate(Family)
        .scalar_subquery()
    )


def _items(session: Session, *where: Any) -> list[DueItem]:
    rows = session.execute(
        select(
            Family.id,
            Family.lead_professional_id,
            _latest_reference(),
            Family.due_form,
            Family.due_at,
            Family.due_limit_at,
        )
        .where(Family.status != "closed", Family.merged_into_id.is_(None), *where)
        .order_by(func.coalesce(Family.due_limit_at, Family.due_at), Family.id)
    ).all()
    return [DueItem(*row) for row in rows]


def due_by(session: Session, horizon: dt.datetime) -> list[DueItem]:
    """Open families with a form due (or at its latest) before ``horizon``, or overdue."""
    return _items(
        session,
        or_(
            and_(Family.due_at.is_not(None), Family.due_at < horizon),
            and_(Family.due_limit_at.is_not(None), Family.due_limit_at < horizon),
        ),
    )


def overdue(session: Session, now: dt.datetime) -> list[DueItem]:
    """Open families with a form past its latest date, allocated or not."""
    return _items(session, func.coalesce(Family.due_limit_at, Family.due_at) < now)


def active_staff(session: Session, role: str) -> list[tuple[str, str]]:
    """(id, email) of every account with ``role`` that is not disabled."""
    rows = session.execute(
        select(User.id, User.email)
        .where(User.role == role, User.disabled_at.is_(None))
        .order_by(User.email)
    ).all()
    return [(str(i), str(e)) for i, e in rows]


def caseload_reminders(
    session: Session, now: dt.datetime, horizon: dt.datetime
) -> dict[str, list[DueItem]]:
    """Each active lead professional's email → their families due before ``horizon``
    or overdue, overdue first (only lead professionals with something due)."""
    items = due_by(session, horizon)
    found: dict[str, list[DueItem]] = {}
    for user_id, email in active_staff(session, LEAD_PROFESSIONAL):
        theirs = [i for i in items if i.lead_professional_id == user_id]
        if theirs:
            found[email] = sorted(theirs, key=lambda i: not i.overdue(now))
    return found


def queue_reminders(services: Services, now: dt.datetime | None = None) -> str:
    """Queue today's reminders: one per lead professional with something due, and one
    per manager listing every overdue family (when there is one)."""
    now = aware(now or utcnow())
    settings = services.settings
    today = now.astimezone(LONDON).date()
    horizon = reminder_horizon(settings.calendar, today)
    with transaction(services.sessions) as session:
        plans: list[tuple[str, str, list[DueItem]]] = [
            (email, "caseload", items)
            for email, items in caseload_reminders(session, now, horizon).items()
        ]
        late = overdue(session, now)
        if late:
            plans += [(email, "overdue", late) for _, email in active_staff(session, MANAGER)]
        for email, scope, items in plans:
            messages.queue(
                session,
                services.vault,
                kind=messages.REMINDER,
                recipient=email,
                payload={
                    "day": today.isoformat(),
                    "scope": scope,
                    "items": [i.as_payload(services.registry, now) for i in items],
                },
            )
    return f"{len(plans)} reminder(s) queued"
