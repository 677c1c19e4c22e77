"""Queueing one email of any kind: a row in the outbox, in the caller's transaction.

Every email the service sends goes through here and then through the same
outbox state machine (``delivery.outbox``): the forms to the SPOC inbox, the
referrer's acknowledgement and outcome, onward referrals, allocation
notices, reminders and digests. The caller queues inside the transaction
that makes the change the message reports, and hands the returned id to its
task runner once that transaction has committed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..clock import new_id, utcnow
from ..config import Settings
from ..crypto import Vault
from ..mail.message import is_plain_address
from ..submissions.models import OutboxEvent, OutboxMessage

#: The kinds of message, and whether a failure means the SPOC inbox is not being
#: reached (only those turn ``/healthz`` to 503).
SPOC = "spoc"
ACKNOWLEDGEMENT = "acknowledgement"
OUTCOME = "outcome"
ONWARD = "onward"
ALLOCATION = "allocation"
REMINDER = "reminder"
DIGEST = "digest"
KINDS = (SPOC, ACKNOWLEDGEMENT, OUTCOME, ONWARD, ALLOCATION, REMINDER, DIGEST)
#: Kinds addressed to the SPOC inbox, whose failure is an alert.
INBOX_KINDS = frozenset({SPOC, DIGEST})


def may_email(settings: Settings, address: str) -> bool:
    """Whether mail about a referral may go to ``address``: any plain address when
    FORMS_TRUSTED_EMAIL_DOMAINS is empty, else only one in (or under) a listed domain."""
    address = (address or "").strip().lower()
    if not is_plain_address(address):
        return False
    domain = address.rpartition("@")[2]
    trusted = settings.trusted_email_domains
    return not trusted or any(domain == d or domain.endswith("." + d) for d in trusted)


def queue(
    session: Session,
    vault: Vault,
    *,
    kind: str,
    recipient: str,
    submission_id: str | None = None,
    family_id: str | None = None,
    payload: dict[str, Any] | None = None,
    detail: str = "queued",
) -> str:
    """Add one message to the outbox (pending) and return its id.

    ``payload`` is what the message says beyond its submission (an outcome id,
    a list of references); it is sealed, as it may name a family's situation.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of message {kind!r}")
    row_id = new_id()
    now = utcnow()
    message = OutboxMessage(
        id=row_id,
        kind=kind,
        recipient=recipient,
        submission_id=submission_id,
        family_id=family_id,
        message_id=row_id,
        payload_sealed=vault.seal(payload) if payload is not None else None,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    session.add(OutboxEvent(message=message, status="pending", at=now, detail=detail))
    return row_id
