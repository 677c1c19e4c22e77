"""What staff and monitoring see of delivery: undelivered messages, histories, health.

Read-only and free of personal data: kinds, references, states, times and
short reasons (never a recipient: a referrer's address is personal data).
Only mail to the SPOC inbox (``messages.INBOX_KINDS``) is a health alert: a
referrer's mail server refusing their address is shown on the referral
(:func:`refused_referrer`), not paged to whoever runs the service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select

from ..clock import utcnow
from ..db import transaction
from ..services import Services
from ..submissions.models import OutboxEvent, OutboxMessage, Submission
from . import messages

#: The counts of :func:`health` that turn ``/healthz`` to 503.
ALERTS = ("stale_pending", "failed")
WAITING = ("pending", "retrying", "sending")


@dataclass(frozen=True)
class OutboxRow:
    """What staff see of one message: no personal data, just delivery facts."""

    id: str
    kind: str
    reference: str | None
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class Step:
    """One change of a message's state."""

    at: dt.datetime
    status: str
    detail: str | None


def _rows(services: Services, *where: ColumnElement[bool], limit: int) -> list[OutboxRow]:
    with transaction(services.readers) as session:
        rows = session.execute(
            select(OutboxMessage, Submission.reference)
            .outerjoin(Submission, Submission.id == OutboxMessage.submission_id)
            .where(*where)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        ).all()
        return [
            OutboxRow(
                m.id,
                m.kind,
                ref,
                m.status,
                m.attempts,
                m.next_attempt_at,
                m.last_error,
                m.created_at,
            )
            for m, ref in rows
        ]


def undelivered(services: Services, limit: int = 200) -> list[OutboxRow]:
    """Messages not yet sent (pending, sending, retrying, failed), oldest first."""
    return _rows(services, OutboxMessage.status != "sent", limit=limit)


def messages_for(services: Services, reference: str, limit: int = 100) -> list[OutboxRow]:
    """Every message about the submission ``reference`` (its form, acknowledgement, …)."""
    return _rows(services, Submission.reference == reference, limit=limit)


def history(
    services: Services, reference: str, kind: str = messages.SPOC
) -> list[tuple[dt.datetime, str, str | None]]:
    """(time, status, detail) of every delivery step of ``reference``'s message of
    ``kind`` (by default the form to the SPOC inbox), oldest first."""
    with transaction(services.readers) as session:
        rows = session.execute(
            select(OutboxEvent.at, OutboxEvent.status, OutboxEvent.detail)
            .join(OutboxMessage, OutboxMessage.id == OutboxEvent.outbox_id)
            .join(Submission, Submission.id == OutboxMessage.submission_id)
            .where(Submission.reference == reference, OutboxMessage.kind == kind)
            .order_by(OutboxEvent.at, OutboxEvent.id)
        ).all()
        return [(at, status, detail) for at, status, detail in rows]


def message_history(services: Services, outbox_id: str) -> list[Step]:
    """Every delivery step of one message, oldest first (with or without a submission)."""
    with transaction(services.readers) as session:
        rows = session.execute(
            select(OutboxEvent.at, OutboxEvent.status, OutboxEvent.detail)
            .where(OutboxEvent.outbox_id == outbox_id)
            .order_by(OutboxEvent.at, OutboxEvent.id)
        ).all()
        return [Step(at, status, detail) for at, status, detail in rows]


def refused_referrer(services: Services, submission_ids: Collection[str]) -> set[str]:
    """Which of ``submission_ids`` had a message to their referrer (acknowledgement or
    outcome) fail for good: staff then tell the referrer another way."""
    if not submission_ids:
        return set()
    with transaction(services.readers) as session:
        found = session.scalars(
            select(OutboxMessage.submission_id)
            .where(
                OutboxMessage.submission_id.in_(list(submission_ids)),
                OutboxMessage.kind.in_(sorted(messages.REFERRER_KINDS)),
                OutboxMessage.status == "failed",
            )
            .distinct()
        ).all()
        return {str(s) for s in found if s is not None}


def health(
    services: Services, stale_after: dt.timedelta = dt.timedelta(minutes=15)
) -> dict[str, int]:
    """Counts for monitoring.

    ``stale_pending`` and ``failed`` count mail to the SPOC inbox waiting too
    long or failed (alert if > 0: referrals are not reaching the C-SPOC);
    ``other_stale`` and ``other_failed`` count every other kind, for
    information only.
    """
    cutoff = utcnow() - stale_after
    with transaction(services.readers) as session:
        counts = session.execute(
            select(OutboxMessage.kind, OutboxMessage.status, func.count())
            .where(
                or_(
                    OutboxMessage.status == "failed",
                    and_(OutboxMessage.status.in_(WAITING), OutboxMessage.created_at < cutoff),
                )
            )
            .group_by(OutboxMessage.kind, OutboxMessage.status)
        ).all()
    result = {"stale_pending": 0, "failed": 0, "other_stale": 0, "other_failed": 0}
    for kind, status, count in counts:
        if kind in messages.INBOX_KINDS:
            key = "failed" if status == "failed" else "stale_pending"
        else:
            key = "other_failed" if status == "failed" else "other_stale"
        result[key] += int(count)
    return result


def healthy(counts: dict[str, int]) -> bool:
    """Whether :func:`health`'s counts say the SPOC inbox is being reached."""
    return not any(counts.get(key) for key in ALERTS)
