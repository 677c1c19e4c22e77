"""The outbox state machine: claim → compose → send → record, idempotently.

A row is one message of any kind (``delivery.messages``): the form to the
SPOC inbox, a referrer's acknowledgement or outcome, an onward referral, an
allocation notice, a reminder, a digest. Each has its own Message-ID, fixed
when it was queued, so a resend is recognisably the same message.

A row is claimed with one conditional UPDATE, so of several workers only one
wins it. The claim's attempt number fences it: a worker whose lease ran out
while it rendered (so the sweeper gave the row to another) finds the number
changed when it renews the lease before sending, and stops without sending;
its late ``_record`` matches no row. ``sent`` rows are never touched again.
Transient failures (SMTP 4xx, connection, timeout, TLS) are retried with
exponential backoff and jitter until the retry window (24 hours by default)
has passed; permanent ones (5xx, too large) fail at once, as does a row that
can never become an email (``CannotCompose``). Every failure keeps a short
reason for staff to read. Every change of state is also written to
``outbox_events`` (``status.history`` reads them).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from ..attachments import service as attachments
from ..clock import aware
from ..db import transaction
from ..documents.bounded import RenderTimeout
from ..mail.backends import PermanentSendError, TransientSendError, backend_from_url, check_size
from ..mail.message import Attachment
from ..services import Services
from ..submissions.models import OutboxEvent, OutboxMessage, Submission, utcnow
from ..workspace.models import Referral
from . import messages
from .compose import CannotCompose, Pending, compose
from .lanes import NORMAL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did."""

    status: str
    reason: str | None = None


def backoff(attempts: int, base_seconds: float, max_seconds: float) -> dt.timedelta:
    """Delay before the next try: doubling from the base (30 s by default),
    capped (1 h), with ±20 % jitter so retries after an outage do not stampede."""
    delay = min(base_seconds * (2 ** max(attempts - 1, 0)), max_seconds)
    return dt.timedelta(seconds=delay * random.uniform(0.8, 1.2))  # noqa: S311


def claim(services: Services, outbox_id: str) -> bool:
    """Atomically move a due row to ``sending``; False if someone else has it."""
    now = utcnow()
    with transaction(services.sessions) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == outbox_id,
                OutboxMessage.status.in_(("pending", "retrying")),
                OutboxMessage.next_attempt_at <= now,
            )
            .values(
                status="sending",
                claimed_at=now,
                attempts=OutboxMessage.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        won = bool(getattr(result, "rowcount", 0) == 1)
        if won:
            session.add(OutboxEvent(outbox_id=outbox_id, status="sending", at=now))
        return won


def deliver(services: Services, outbox_id: str) -> Outcome:
    """Try to send one outbox row; safe to call any number of times."""
    if not claim(services, outbox_id):
        return Outcome("skipped")
    row, submission, due = _load(services, outbox_id)
    try:
        composed = compose(services, _pending(services, row, submission, due))
        check_size(composed.message, services.settings.smtp_size_cap)
        if not renew(services, row):
            return Outcome("skipped", "lease lost while composing")
        refused = backend_from_url(services.settings.smtp_url, services.settings.pickup_dir).send(
            composed.message, list(composed.recipients), optional=composed.optional
        )
    except CannotCompose as exc:
        return _record(services, row, "failed", exc.reason)
    except PermanentSendError as exc:
        return _record(services, row, "failed", exc.reason)
    except TransientSendError as exc:
        return _retry_or_fail(services, row, exc.reason)
    except RenderTimeout as exc:
        return _render_timed_out(services, row, str(exc))
    except Exception as exc:  # rendering or an unexpected fault: keep the row, retry
        log.exception("delivery of outbox row %s failed", outbox_id)
        return _retry_or_fail(services, row, f"internal error: {type(exc).__name__}")
    copies = "; ".join(f"copy refused: {reason}" for reason in refused)
    return _record(services, row, "sent", copies or None)


def renew(services: Services, row: OutboxMessage) -> bool:
    """Restart the lease on ``row`` if this claim still holds it (same attempt,
    still ``sending``); False if the sweeper released it and another took it.

    Called between composing and sending, so a slow render does not count
    against the lease: only the SMTP exchange itself has to fit inside it.
    """
    now = utcnow()
    with transaction(services.sessions) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(*_held(row))
            .values(claimed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def _held(row: OutboxMessage) -> tuple[ColumnElement[bool], ...]:
    """The row is still under the claim that loaded ``row``."""
    return (
        OutboxMessage.id == row.id,
        OutboxMessage.status == "sending",
        OutboxMessage.attempts == row.attempts,
    )


def _load(
    services: Services, outbox_id: str
) -> tuple[OutboxMessage, Submission | None, dt.datetime | None]:
    """The claimed row, its submission (if it has one) and, for an acknowledgement,
    when the referral's outcome is due (if the workspace has set its clock)."""
    with transaction(services.readers) as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        submission = session.get(Submission, row.submission_id) if row.submission_id else None
        due = None
        if row.kind == messages.ACKNOWLEDGEMENT and row.submission_id:
            due = session.scalar(
                select(Referral.outcome_due_at).where(Referral.submission_id == row.submission_id)
            )
        session.expunge_all()
    return row, submission, aware(due) if due else None


def _pending(
    services: Services,
    row: OutboxMessage,
    submission: Submission | None,
    due: dt.datetime | None,
) -> Pending:
    payload: dict[str, Any] = (
        services.vault.open(row.payload_sealed) if row.payload_sealed is not None else {}
    )
    return Pending(
        kind=row.kind,
        recipient=row.recipient,
        # Rows from before messages had their own ids are forms to the SPOC inbox.
        message_id=row.message_id or row.submission_id or row.id,
        submission=submission,
        family_id=row.family_id,
        payload=payload,
        outcome_due_at=due,
        lane=row.lane,
        files=_files(services, row, submission),
    )


def _files(
    services: Services, row: OutboxMessage, submission: Submission | None
) -> tuple[Attachment, ...]:
    """The files uploaded with the form, decrypted for the email to the SPOC inbox only."""
    if row.kind != messages.SPOC or submission is None:
        return ()
    return tuple(attachments.delivered(services, submission.id, submission.reference))


#: How a render that overran is recorded; the second time the row fails with it.
RENDER_TIMEOUT = "render_timeout"


def _render_timed_out(services: Services, row: OutboxMessage, reason: str) -> Outcome:
    """Retry a render that overran once (the machine may have been busy); fail the row
    the second time, visibly, instead of retrying a document that cannot be made in
    time for the whole retry window while it holds up every other render.

    A failed row to the SPOC inbox turns ``/healthz`` red (the alert) and shows as
    failed on the staff pages, where it can be sent again by hand.
    """
    with transaction(services.readers) as session:
        earlier = session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(
                OutboxEvent.outbox_id == row.id,
                OutboxEvent.detail.startswith(RENDER_TIMEOUT),
            )
        )
    if earlier:
        return _record(services, row, "failed", f"{RENDER_TIMEOUT}: {reason}, twice")
    return _retry_or_fail(services, row, f"{RENDER_TIMEOUT}: {reason}")


def _retry_or_fail(services: Services, row: OutboxMessage, reason: str) -> Outcome:
    settings = services.settings
    attempts = row.attempts  # already counted when the row was claimed
    window = dt.timedelta(seconds=settings.retry_window_seconds)
    if utcnow() - aware(row.created_at) > window:
        return _record(services, row, "failed", f"gave up after {attempts} attempts: {reason}")
    delay = backoff(attempts, settings.retry_base_seconds, settings.retry_max_seconds)
    return _record(services, row, "retrying", reason, next_attempt=utcnow() + delay)


def _record(
    services: Services,
    row: OutboxMessage,
    status: str,
    reason: str | None,
    next_attempt: dt.datetime | None = None,
) -> Outcome:
    now = utcnow()
    values: dict[str, object] = {"status": status, "last_error": reason, "updated_at": now}
    if status == "sent":
        values["sent_at"] = now
    if next_attempt is not None:
        values["next_attempt_at"] = next_attempt
    with transaction(services.sessions) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(*_held(row))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            session.add(OutboxEvent(outbox_id=row.id, status=status, at=now, detail=reason))
    if status == "failed":
        log.error("outbox row %s failed: %s", row.id, reason)
    return Outcome(status, reason)


def due_ids(services: Services, limit: int = 100, lane: str | None = None) -> list[str]:
    """Rows ready to send, after releasing any whose worker died mid-send; only
    those of ``lane`` when given, so each lane's sweeper keeps to its own rows."""
    now = utcnow()
    lease = dt.timedelta(seconds=services.settings.lease_seconds)
    with transaction(services.sessions) as session:
        stuck = session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - lease
            )
        ).all()
        if stuck:
            reason = "worker stopped mid-send"
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(stuck), OutboxMessage.status == "sending")
                .values(status="retrying", last_error=reason, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            session.add_all(
                OutboxEvent(outbox_id=i, status="retrying", at=now, detail=reason) for i in stuck
            )
        # A new row's own task is normally still queued: leave it a sweep's grace.
        fresh = now - dt.timedelta(seconds=services.settings.sweep_seconds)
        return list(
            session.scalars(
                select(OutboxMessage.id)
                .where(
                    or_(
                        and_(OutboxMessage.status == "pending", OutboxMessage.created_at < fresh),
                        OutboxMessage.status == "retrying",
                    ),
                    OutboxMessage.next_attempt_at <= now,
                    *_in_lane(lane),
                )
                .order_by(OutboxMessage.next_attempt_at)
                .limit(limit)
            )
        )


def _in_lane(lane: str | None) -> tuple[ColumnElement[bool], ...]:
    return () if lane is None else (OutboxMessage.lane == lane,)


def lane_of(services: Services, outbox_id: str) -> str:
    """The row's lane (``normal`` if it is gone: delivering it will then skip it)."""
    with transaction(services.readers) as session:
        lane = session.scalar(select(OutboxMessage.lane).where(OutboxMessage.id == outbox_id))
    return lane or NORMAL


def waiting(services: Services, limit: int = 100) -> list[tuple[str, str]]:
    """(id, lane) of every row ready to send now, new ones included, oldest first.

    A read, never a write: the ``deliver`` process asks this each time it is woken
    (and each second on SQLite), so it must not take the writer's lock. Rows left
    ``sending`` by a dead worker are released by the lanes' sweeps.
    """
    now = utcnow()
    with transaction(services.readers) as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.lane)
            .where(
                OutboxMessage.status.in_(("pending", "retrying")),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
        ).all()
    return [(row_id, lane) for row_id, lane in rows]


def retry_now(
    services: Services, reference: str | None = None, *, message_id: str | None = None
) -> list[str]:
    """Make failed or waiting messages due now (staff's "send again"); the ids changed.

    Either every unsent message of the submission ``reference``, or the one
    outbox row ``message_id``. The caller hands the ids to its task runner
    (the rows are committed first).
    """
    if (reference is None) == (message_id is None):
        raise ValueError("give a reference or a message id")
    now = utcnow()
    unsent = OutboxMessage.status.in_(("failed", "retrying", "pending"))
    if message_id is not None:
        query = select(OutboxMessage.id).where(OutboxMessage.id == message_id, unsent)
    else:
        query = (
            select(OutboxMessage.id)
            .join(Submission, Submission.id == OutboxMessage.submission_id)
            .where(Submission.reference == reference, unsent)
        )
    with transaction(services.sessions) as session:
        ids = session.scalars(query).all()
        if ids:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), unsent)
                .values(status="retrying", next_attempt_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            session.add_all(
                OutboxEvent(outbox_id=i, status="retrying", at=now, detail="retried by staff")
                for i in ids
            )
    return list(ids)
