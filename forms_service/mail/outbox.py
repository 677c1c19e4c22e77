"""Delivering outbox rows: claim → render → send → record, idempotently.

A row is claimed with one conditional UPDATE, so of several workers only one
wins it. ``sent`` rows are never touched again. Transient failures (SMTP 4xx,
connection, timeout, TLS) are retried with exponential backoff and jitter
until ``RETRY_WINDOW`` has passed; permanent ones (5xx, too large) fail at
once. Every failure keeps a short reason for staff to read.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import and_, or_, select, update

from ..db import transaction
from ..documents.pipeline import render_documents
from ..services import Services
from ..submissions.models import OutboxMessage, Submission, utcnow
from .backends import PermanentSendError, TransientSendError, backend_from_url
from .message import Attachment, build_message

log = logging.getLogger(__name__)

BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=1)
RETRY_WINDOW = dt.timedelta(hours=24)
LEASE = dt.timedelta(minutes=15)
EMAIL_BODY = Path("shared") / "email_body.txt"


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did."""

    status: str
    reason: str | None = None


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try: doubling from 30 s, capped at 1 h, ±20 % jitter."""
    delay = min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)
    return delay * random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not security)


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
        return bool(getattr(result, "rowcount", 0) == 1)


def deliver(services: Services, outbox_id: str) -> Outcome:
    """Try to send one outbox row; safe to call any number of times."""
    if not claim(services, outbox_id):
        return Outcome("skipped")
    with transaction(services.sessions) as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        submission = session.get(Submission, row.submission_id)
        assert submission is not None
        session.expunge_all()
    try:
        message = compose(services, submission, row.recipient)
        backend_from_url(services.settings.smtp_url, services.settings.pickup_dir).send(
            message, [row.recipient]
        )
    except PermanentSendError as exc:
        return _record(services, row, "failed", exc.reason)
    except TransientSendError as exc:
        return _retry_or_fail(services, row, exc.reason)
    except Exception as exc:  # rendering or an unexpected fault: keep the row, retry
        log.exception("delivery of outbox row %s failed", outbox_id)
        return _retry_or_fail(services, row, f"internal error: {type(exc).__name__}")
    return _record(services, row, "sent", None)


def compose(services: Services, submission: Submission, recipient: str) -> EmailMessage:
    """The email for ``submission``: short body, PDF and DOCX attached."""
    settings = services.settings
    form = services.registry.get(submission.form_id)
    documents = render_documents(
        form,
        submission.answers,
        submission.reference,
        submission.submitted_at,
        settings.templates_dir,
    )
    body = (
        (settings.templates_dir / EMAIL_BODY)
        .read_text(encoding="utf-8")
        .format(
            form_title=form.title,
            reference=submission.reference,
            submitted=submission.submitted_at.strftime("%d %B %Y %H:%M UTC"),
        )
    )
    return build_message(
        reference=submission.reference,
        form_title=form.short_title,
        sender=settings.mail_from,
        recipient=recipient,
        body=body,
        attachments=[
            Attachment(f"{submission.reference}.pdf", documents.pdf, "application", "pdf"),
            Attachment(
                f"{submission.reference}.docx",
                documents.docx,
                "application",
                "vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ],
        message_id_domain=settings.message_id_domain,
        submission_id=submission.id,
    )


def _retry_or_fail(services: Services, row: OutboxMessage, reason: str) -> Outcome:
    attempts = row.attempts  # already counted when the row was claimed
    if utcnow() - _aware(row.created_at) > RETRY_WINDOW:
        return _record(services, row, "failed", f"gave up after {attempts} attempts: {reason}")
    return _record(services, row, "retrying", reason, next_attempt=utcnow() + backoff(attempts))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


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
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if status == "failed":
        log.error("outbox row %s failed: %s", row.id, reason)
    return Outcome(status, reason)


def due_ids(services: Services, limit: int = 100) -> list[str]:
    """Rows ready to send, after releasing any whose worker died mid-send."""
    now = utcnow()
    with transaction(services.sessions) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - LEASE)
            .values(status="retrying", last_error="worker stopped mid-send", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return list(
            session.scalars(
                select(OutboxMessage.id)
                .where(
                    or_(
                        OutboxMessage.status == "pending",
                        and_(OutboxMessage.status == "retrying"),
                    ),
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.next_attempt_at)
                .limit(limit)
            )
        )
