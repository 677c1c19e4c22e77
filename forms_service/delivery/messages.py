"""Queueing one email of any kind: a row in the outbox, in the caller's transaction.

Every email the service sends goes through here and then through the same
outbox state machine (``delivery.outbox``): the forms to the SPOC inbox, the
referrer's acknowledgement and outcome, onward referrals, allocation
notices, reminders, digests, and the link and code of "save and come back
later". The caller queues inside the transaction that makes the change the
message reports, and hands the returned id to its task runner once that
transaction has committed.

Mail to a referrer (acknowledgement, outcome, the copy of an onward
referral) goes only to an address :func:`may_email` allows: with
``FORMS_TRUSTED_EMAIL_DOMAINS`` set, one in those domains. Anything else is
not queued at all, and the audit log says so without the address.

Once a family has withdrawn consent (recorded on a review, kept on the family
as ``consent_withdrawn_on``), no message carrying their documents to a
partner is queued: :func:`queue` raises :class:`ConsentWithdrawn` for an
onward referral, and the form itself still goes to the SPOC inbox. The one
exception is the safeguarding route to children's social care (an outcome
marked ``without_consent: true``): withdrawing consent to *early help*, which
is voluntary, does not stop a referral made to protect a child. UK GDPR
Article 6(1)(e) and 9(2)(g) with the Children Act 1989 s47 and the Children
Act 2004 s11 duties make that sharing lawful without consent, and Working
Together to Safeguard Children 2023 says consent must not be a barrier to it;
stopping it would leave the duty worker's safeguarding decision undelivered.
That message is audited as sent despite the withdrawal.
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
from ..families.models import Family
from ..formats import LONDON
from ..mail.message import is_plain_address
from ..submissions.models import OutboxEvent, OutboxMessage, Submission
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
#: "Save and come back later" (``flow/resume.py``): the link, then the code.
RESUME_LINK = "resume_link"
RESUME_CODE = "resume_code"
KINDS = (
    SPOC,
    ACKNOWLEDGEMENT,
    OUTCOME,
    ONWARD,
    ALLOCATION,
    REMINDER,
    DIGEST,
    RESUME_LINK,
    RESUME_CODE,
)
#: Kinds addressed to the SPOC inbox, whose failure is an alert.
INBOX_KINDS = frozenset({SPOC, DIGEST})
#: Kinds addressed to the referrer, whose permanent failure staff see on the referral.
REFERRER_KINDS = frozenset({ACKNOWLEDGEMENT, OUTCOME})
#: Kinds that carry a family's documents to a partner (not to the SPOC inbox).
PARTNER_DOCUMENT_KINDS = frozenset({ONWARD})


class ConsentWithdrawn(Exception):
    """The family has withdrawn consent: their documents go to no partner by email."""


def withdrawn_family(
    session: Session, family_id: str | None, submission_id: str | None = None
) -> Family | None:
    """The family (named, or the submission's), following a merge, if it has
    withdrawn consent by today; else None."""
    if family_id is None and submission_id is not None:
        submission = session.get(Submission, submission_id)
        family_id = submission.family_id if submission is not None else None
    family = session.get(Family, family_id) if family_id else None
    if family is not None and family.merged_into_id:
        family = session.get(Family, family.merged_into_id)
    today = utcnow().astimezone(LONDON).date()
    return family if family is not None and family.consent_withdrawn_by(today) else None


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
    without_consent: bool = False,
) -> str:
    """Add one message to the outbox (pending) and return its id.

    A message carrying documents to a partner about a family that has withdrawn
    consent raises :class:`ConsentWithdrawn` and queues nothing, unless
    ``without_consent`` says it is the safeguarding route (see the module's notes).

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
    if kind in PARTNER_DOCUMENT_KINDS:
        withdrawn = withdrawn_family(session, family_id, submission_id)
        if withdrawn is not None and not without_consent:
            raise ConsentWithdrawn(withdrawn.id)
        if withdrawn is not None:
            detail = "sent for safeguarding after consent was withdrawn"
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
    without_consent: bool = False,
) -> str:
    """Queue the documents of a referral to the service an outcome sends it on to.

    Raises :class:`ConsentWithdrawn` as :func:`queue` does.

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
        without_consent=without_consent,
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
