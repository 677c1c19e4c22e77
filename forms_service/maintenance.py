"""Housekeeping of stored data: the daily purge, and re-encryption under a new key.

``purge`` keeps only what is needed (ICO storage limitation):

- drafts untouched for ``FORMS_DRAFT_DAYS`` (28) are deleted;
- files uploaded with a draft go with it; files never sent go after the same period;
- a closed family's forms (and their files) are deleted ``FORMS_RETENTION_DAYS`` after it closed,
  with every email about them, except any form with an email still pending,
  retrying or sending, or failed (the form to the SPOC inbox, or an onward
  referral): nothing undelivered is ever deleted. A failed email to a
  referrer does not keep the form: the referral itself was delivered;
- with the family go its allocation notices and allocations;
- sent digests and reminders (references and dates only) go after 30 days;
- every deletion is written to the audit log (ids and delivery state only).

``rotate_data_key`` re-seals every sealed column with the newest of
``FORMS_DATA_KEYS``, after which older keys can be retired.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.orm import Session

from . import audit
from .attachments import service as attachments
from .attachments.models import Attachment
from .audit import SYSTEM, Who
from .auth.models import Invitation, StaffSession, User
from .clock import utcnow
from .db import transaction
from .delivery import messages
from .families.models import Family, MatchKey
from .services import Services
from .submissions.models import (
    Draft,
    DraftLink,
    IdempotencyKey,
    OutboxEvent,
    OutboxMessage,
    Submission,
)
from .workspace.models import Allocation, FamilyNeed, Referral, ReviewTiming

UNDELIVERED = ("pending", "retrying", "sending", "failed")
WAITING = ("pending", "retrying", "sending")
#: Sent emails about no family in particular (a digest, a reminder) are kept this long.
MESSAGE_DAYS = 30
IDEMPOTENCY_HOURS = 24
OLD_SIGN_IN_DAYS = 30
BATCH = 200


@dataclass(frozen=True)
class PurgeReport:
    drafts: int
    submissions: int
    families: int
    kept_undelivered: int
    retention_set: bool

    def __str__(self) -> str:
        parts = [
            f"{self.drafts} draft(s), {self.submissions} form(s) and {self.families} "
            f"family record(s) deleted",
            f"{self.kept_undelivered} form(s) kept because their email is not delivered",
        ]
        if not self.retention_set:
            parts.append("FORMS_RETENTION_DAYS is not set, so closed families are kept")
        return "; ".join(parts)


def purge(services: Services, now: dt.datetime | None = None, who: Who = SYSTEM) -> PurgeReport:
    """Delete what has outlived its retention period; see the module docstring."""
    now = now or utcnow()
    settings = services.settings
    drafts = _purge_drafts(services, now - dt.timedelta(days=settings.draft_days), who)
    submissions = families = kept = 0
    if settings.retention_days is not None:
        cutoff = now - dt.timedelta(days=settings.retention_days)
        submissions, families, kept = _purge_closed_families(services, cutoff, who)
    _purge_housekeeping(services, now)
    return PurgeReport(drafts, submissions, families, kept, settings.retention_days is not None)


def _purge_drafts(services: Services, cutoff: dt.datetime, who: Who) -> int:
    with transaction(services.sessions) as session:
        old = session.scalars(select(Draft.id).where(Draft.updated_at < cutoff)).all()
        for draft_id in old:
            audit.record(
                session,
                who,
                "retention.draft_deleted",
                object_type="draft",
                object_id=draft_id[:16],
            )
        if old:
            session.execute(delete(Draft).where(Draft.id.in_(old)))
        # Files of those drafts, and any never sent within the same period.
        attachments.delete_unsent(session, old, cutoff)
        # "Save and come back later" links past their 7 days (each seals an address).
        session.execute(delete(DraftLink).where(DraftLink.expires_at < utcnow()))
        return len(old)


def _purge_closed_families(
    services: Services, cutoff: dt.datetime, who: Who
) -> tuple[int, int, int]:
    deleted = families = kept = 0
    with transaction(services.readers) as session:
        closed = session.scalars(
            select(Family.id).where(Family.status == "closed", Family.closed_at < cutoff)
        ).all()
    for family_id in closed:
        with transaction(services.sessions) as session:
            family = session.get(Family, family_id, with_for_update=True)
            if family is None or family.status != "closed":
                continue  # reopened meanwhile
            gone, stayed = _purge_family_submissions(session, family_id, who)
            deleted += gone
            kept += stayed
            left = session.scalars(
                select(Submission.id).where(Submission.family_id == family_id).limit(1)
            ).first()
            if left is not None:
                FamilyNeed.relink(session, family_id)  # the needs it still has, run on again
            else:
                session.execute(delete(MatchKey).where(MatchKey.family_id == family_id))
                _delete_messages(session, OutboxMessage.family_id == family_id)
                session.execute(delete(Allocation).where(Allocation.family_id == family_id))
                session.execute(delete(Referral).where(Referral.family_id == family_id))
                session.delete(family)
                audit.record(
                    session,
                    who,
                    "retention.family_deleted",
                    object_type="family",
                    object_id=family_id,
                    family_id=family_id,
                )
                families += 1
    return deleted, families, kept


def _keeps(kind: str, status: str) -> bool:
    """Whether an email in this state keeps its form: any still on its way, and a failed
    one unless it was to the referrer (their form itself reached the C-SPOC)."""
    return status in WAITING or (status == "failed" and kind not in messages.REFERRER_KINDS)


def _delete_messages(session: Session, where: ColumnElement[bool]) -> None:
    """Delete the outbox rows matching ``where``, and their histories."""
    ids = select(OutboxMessage.id).where(where)
    session.execute(delete(OutboxEvent).where(OutboxEvent.outbox_id.in_(ids)))
    session.execute(delete(OutboxMessage).where(where))


def _purge_family_submissions(session: Session, family_id: str, who: Who) -> tuple[int, int]:
    deleted = kept = 0
    for submission_id in session.scalars(
        select(Submission.id).where(Submission.family_id == family_id)
    ).all():
        mail = session.execute(
            select(OutboxMessage.kind, OutboxMessage.status).where(
                OutboxMessage.submission_id == submission_id
            )
        ).all()
        if any(_keeps(kind, status) for kind, status in mail):
            kept += 1
            continue
        states = {status for _, status in mail}
        _delete_messages(session, OutboxMessage.submission_id == submission_id)
        session.execute(delete(Referral).where(Referral.submission_id == submission_id))
        session.execute(delete(MatchKey).where(MatchKey.submission_id == submission_id))
        session.execute(delete(FamilyNeed).where(FamilyNeed.submission_id == submission_id))
        session.execute(delete(ReviewTiming).where(ReviewTiming.submission_id == submission_id))
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.submission_id == submission_id))
        session.execute(delete(Draft).where(Draft.submission_id == submission_id))
        attachments.delete_for_submissions(session, [submission_id])
        session.execute(delete(Submission).where(Submission.id == submission_id))
        audit.record(
            session,
            who,
            "retention.submission_deleted",
            object_type="submission",
            object_id=submission_id,
            family_id=family_id,
            detail="delivery: " + (", ".join(sorted(states)) or "no email"),
        )
        deleted += 1
    return deleted, kept


def _purge_housekeeping(services: Services, now: dt.datetime) -> None:
    """Old idempotency keys, ended sessions, used invitations, and old sent digests and
    reminders (no family data in any)."""
    with transaction(services.sessions) as session:
        session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.created_at < now - dt.timedelta(hours=IDEMPOTENCY_HOURS)
            )
        )
        old = now - dt.timedelta(days=OLD_SIGN_IN_DAYS)
        session.execute(delete(StaffSession).where(StaffSession.last_seen_at < old))
        session.execute(delete(Invitation).where(Invitation.expires_at < old))
        _delete_messages(
            session,
            and_(
                OutboxMessage.submission_id.is_(None),
                OutboxMessage.family_id.is_(None),
                OutboxMessage.status == "sent",
                OutboxMessage.sent_at < now - dt.timedelta(days=MESSAGE_DAYS),
            ),
        )


#: Every sealed column: (model, primary key column, sealed column).
SEALED = (
    (Submission, Submission.id, Submission.answers_sealed),
    (Submission, Submission.id, Submission.summary_sealed),
    (Draft, Draft.id, Draft.answers_sealed),
    (Attachment, Attachment.id, Attachment.name_sealed),
    (Attachment, Attachment.id, Attachment.content_sealed),
    (OutboxMessage, OutboxMessage.id, OutboxMessage.payload_sealed),
    (Referral, Referral.submission_id, Referral.reason_sealed),
    (User, User.id, User.totp_sealed),
    (Invitation, Invitation.id, Invitation.totp_sealed),
)


def rotate_data_key(services: Services, who: Who) -> int:
    """Re-seal every sealed value with the newest data key; how many were re-sealed."""
    total = 0
    for model, key, column in SEALED:
        with transaction(services.readers) as session:
            ids = session.scalars(select(key).where(column.is_not(None))).all()
        for start in range(0, len(ids), BATCH):
            with transaction(services.sessions) as session:
                for row in session.scalars(
                    select(model).where(key.in_(ids[start : start + BATCH]))
                ):
                    value = getattr(row, column.key)
                    if value is not None:
                        setattr(row, column.key, services.vault.reseal(value))
                        total += 1
    audit.write(services.sessions, who, "keys.rotated", detail=f"{total} values re-sealed")
    return total
