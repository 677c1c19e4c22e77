"""Queueing one email of any kind: a row in the outbox, in the caller's transaction.

Every email the service sends goes through here and then through the same
outbox state machine (``delivery.outbox``): the forms to the SPOC inbox, the
referrer's acknowledgement and outcome, onward referrals, allocation
notices, reminders and digests. The caller queues inside the transaction
that makes the change the message reports, and hands the returned id to its
task runner once that transaction has committed.

Mail to a referrer (acknowledgement, outcome, the copy of an onward
referral) goes only to an address :func:`may_email` allows: with
``FORMS_TRUSTED_EMAIL_DOMAINS`` set, one in those domains. Anything else is
not queued at all, and the audit log says so without the address.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from .. import audit
from ..audit import SYSTEM, Who
from ..clock import new_id, utcnow
from ..config import Settings
from ..crypto import Vault
from ..definitions.model import FormDefinition, value_at
from ..mail.message import is_plain_address
from ..submissions.models import OutboxEvent, OutboxMessage
from .lanes import LANES, NORMAL, lane_for

log = logging.getLogger(__name__)

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
#: Kinds addressed to the referrer, whose permanent failure staff see on the referral.
REFERRER_KINDS = frozenset({ACKNOWLEDGEMENT, OUTCOME})


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
    message_id: str | None = None,
    lane: str = NORMAL,
) -> str:
    """Add one message to the outbox (pending) and return its id.

    ``payload`` is what the message says beyond its submission (an outcome id,
    a list of references); it is sealed, as it may name a family's situation.
    ``message_id`` is the left part of its Message-ID (the row's id unless
    given: the form to the SPOC inbox keeps its submission's id, as it always had).
    ``lane`` is where its documents are rendered (:func:`document_lane`).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of message {kind!r}")
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")
    row_id = new_id()
    now = utcnow()
    message = OutboxMessage(
        id=row_id,
        kind=kind,
        recipient=recipient,
        submission_id=submission_id,
        family_id=family_id,
        message_id=message_id or row_id,
        payload_sealed=vault.seal(payload) if payload is not None else None,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
        lane=lane,
    )
    session.add(message)
    session.add(OutboxEvent(message=message, status="pending", at=now, detail=detail))
    return row_id


def document_lane(settings: Settings, answers: dict[str, Any]) -> str:
    """The lane for a message carrying ``answers``' documents: ``slow`` past
    ``FORMS_SLOW_LANE_CHARS`` (``delivery/lanes.py`` says why)."""
    return lane_for(answers, settings.slow_lane_chars)


def may_email(settings: Settings, address: str | None) -> bool:
    """Whether the service may email ``address`` on a referrer's behalf.

    It must be one plain address and, when ``FORMS_TRUSTED_EMAIL_DOMAINS`` is
    set, its domain one of those or a subdomain of one (``school.sch.uk`` for
    ``sch.uk``; never ``evilsch.uk``).
    """
    if not address or not is_plain_address(address):
        return False
    domains = settings.trusted_email_domains
    if not domains:
        return True
    domain = address.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith("." + d) for d in domains)


def referrer_address(form: FormDefinition, answers: dict[str, Any]) -> str | None:
    """The referrer's work email, where the form's ``record.referrer_email`` says it is."""
    path = form.record.referrer_email
    value = value_at(answers, path) if path else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def queue_for_referrer(
    session: Session,
    vault: Vault,
    settings: Settings,
    *,
    kind: str,
    address: str | None,
    submission_id: str,
    family_id: str | None = None,
    payload: dict[str, Any] | None = None,
    who: Who = SYSTEM,
) -> str | None:
    """Queue an acknowledgement or outcome to the referrer, if :func:`may_email` allows.

    Returns the new row's id, or None when the address is missing or not
    trusted: then an audit event (without the address) records that nothing
    was sent, so staff can tell the referrer another way.
    """
    if kind not in REFERRER_KINDS:
        raise ValueError(f"{kind!r} is not a message to the referrer")
    if may_email(settings, address):
        assert address is not None
        return queue(
            session,
            vault,
            kind=kind,
            recipient=address,
            submission_id=submission_id,
            family_id=family_id,
            payload=payload,
        )
    withhold(session, who, kind, submission_id, family_id, "no address" if not address else None)
    return None


def queue_onward(
    session: Session,
    vault: Vault,
    settings: Settings,
    *,
    address: str,
    submission_id: str,
    form_id: str,
    outcome: str,
    referrer: str | None,
    family_id: str | None = None,
    who: Who = SYSTEM,
) -> str:
    """Queue the documents of a referral to the service an outcome sends it on to.

    The referrer is copied in when :func:`may_email` allows their address;
    otherwise the onward message goes without the copy (and the audit log says so).
    """
    payload: dict[str, Any] = {"form_id": form_id, "outcome": outcome}
    if may_email(settings, referrer):
        payload["cc"] = referrer
    else:
        withhold(session, who, "onward copy", submission_id, family_id, None)
    return queue(
        session,
        vault,
        kind=ONWARD,
        recipient=address,
        submission_id=submission_id,
        family_id=family_id,
        payload=payload,
    )


def withhold(
    session: Session,
    who: Who,
    what: str,
    submission_id: str,
    family_id: str | None,
    why: str | None,
) -> None:
    """Record that a message to a referrer was not queued (never the address itself)."""
    reason = why or "address outside the trusted email domains"
    log.info("%s for submission %s not sent: %s", what, submission_id, reason)
    audit.record(
        session,
        who,
        "mail.withheld",
        object_type="submission",
        object_id=submission_id,
        family_id=family_id,
        detail=f"{what}: {reason}",
    )
