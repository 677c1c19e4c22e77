"""What staff and monitoring see of delivery: undelivered messages, a history, health.

Read-only and free of personal data: references, states, times and short reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ..clock import utcnow
from ..db import transaction
from ..services import Services
from ..submissions.models import OutboxEvent, OutboxMessage, Submission


@dataclass(frozen=True)
class OutboxRow:
    """What staff see of one message: no personal data, just delivery facts."""

    id: str
    reference: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime


def undelivered(services: Services, limit: int = 200) -> list[OutboxRow]:
    """Messages not yet sent (pending, sending, retrying, failed), oldest first."""
    with transaction(services.readers) as session:
        rows = session.execute(
            select(OutboxMessage, Submission.reference)
            .join(Submission, Submission.id == OutboxMessage.submission_id)
            .where(OutboxMessage.status != "sent")
            .order_by(OutboxMessage.created_at)
            .limit(limit)
        ).all()
        return [
            OutboxRow(
                m.id, ref, m.status, m.attempts, m.next_attempt_at, m.last_error, m.created_at
            )
            for m, ref in rows
        ]


def history(services: Services, reference: str) -> list[tuple[dt.datetime, str, str | None]]:
    """(time, status, detail) of every delivery step for ``reference``, oldest first."""
    with transaction(services.readers) as session:
        rows = session.execute(
            select(OutboxEvent.at, OutboxEvent.status, OutboxEvent.detail)
            .join(OutboxMessage, OutboxMessage.id == OutboxEvent.outbox_id)
            .join(Submission, Submission.id == OutboxMessage.submission_id)
            .where(Submission.reference == reference)
            .order_by(OutboxEvent.at, OutboxEvent.id)
        ).all()
        return [(at, status, detail) for at, status, detail in rows]


def health(
    services: Services, stale_after: dt.timedelta = dt.timedelta(minutes=15)
) -> dict[str, int]:
    """Counts for monitoring: messages waiting too long, and failed ones (alert if > 0)."""
    cutoff = utcnow() - stale_after
    with transaction(services.readers) as session:
        stale = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.status.in_(("pending", "retrying", "sending")),
                OutboxMessage.created_at < cutoff,
            )
        )
        failed = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "failed")
        )
    return {"stale_pending": int(stale or 0), "failed": int(failed or 0)}
