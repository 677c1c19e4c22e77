"""The family record: every submission belongs to a family, and access goes through here.

``attach`` runs inside the submit transaction: a referral opens a provisional
family; a form started from a reference joins that family (if the actor may
still work with it); a lead professional's form started from nothing opens a
family allocated to them. ``family_for`` and ``submission_for`` are the only
ways a view reaches a family's data: each asks ``policy.can``, writes an audit
event whatever the answer, and returns None when the answer is no (the view
answers 404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Row, Table, func, insert, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..audit import Who
from ..auth import policy
from ..auth.actor import Actor
from ..auth.models import User
from ..clock import new_id, utcnow
from ..crypto import Vault
from ..db import transaction
from ..definitions.model import FormDefinition
from ..services import Services
from ..submissions.models import Draft, OutboxMessage, Submission
from ..workspace.models import FamilyNeed, Referral
from . import record
from .models import Family, MatchKey


class FamilyUnavailable(Exception):
    """The family does not exist or the actor may not work with it (answered as 404)."""


# --------------------------------------------------------------------------- on submit


def attach(
    session: Session,
    services: Services,
    form: FormDefinition,
    actor: Actor,
    family_id: str | None,
) -> Family:
    """The family a new submission of ``form`` by ``actor`` belongs to (locked for update)."""
    now = utcnow()
    if family_id is None:
        own = not form.open_to_anyone and policy.opens_own_family(actor)
        family = Family(
            id=new_id(),
            status="provisional" if form.open_to_anyone else "open",
            lead_professional_id=actor.user_id if own else None,
            opened_at=now,
            updated_at=now,
        )
        session.add(family)
        return family
    found = current(session, family_id, lock=True)
    if found is None or not policy.can(actor, policy.SUBMIT, found):
        raise FamilyUnavailable(family_id)
    family = found
    if family.status == "closed":
        family.status = "open"
        family.closed_at = None
        family.closed_reason = None
        record_change(session, actor.who, "family.reopened", family, f"form={form.id}")
    family.updated_at = now
    return family


def match_digests(
    vault: Vault, form: FormDefinition, answers: dict[str, Any]
) -> list[tuple[str, str]]:
    """(kind, blind index) of every identifying value in ``answers``.

    Worked out before the write transaction, so the database is held no longer
    than the inserts take.
    """
    return [
        (kind, vault.blind_index(kind, value))
        for kind, value in sorted(record.match_values(form, answers))
    ]


def index_submission(
    session: Session,
    form: FormDefinition,
    answers: dict[str, Any],
    digests: list[tuple[str, str]],
    family: Family,
    submission_id: str,
    who: Who,
) -> None:
    """Blind match keys for the new submission, and closure if its answers end the work."""
    keys = [
        {"family_id": family.id, "submission_id": submission_id, "kind": kind, "digest": digest}
        for kind, digest in digests
    ]
    if keys:  # one Core executemany (no ORM bookkeeping) once the rows above are flushed
        session.flush()
        session.connection().execute(insert(cast(Table, MatchKey.__table__)), keys)
    reason = record.closing_reason(form, answers)
    if reason is not None and family.status != "closed":
        family.status = "closed"
        family.closed_at = utcnow()
        family.closed_reason = reason
        record_change(session, who, "family.closed", family, reason)


def record_change(
    session: Session, who: Who, action: str, family: Family, detail: str | None = None
) -> None:
    """Audit a change to ``family`` itself.

    The family is both the event's object and the family it belongs to, so the audit
    log's family filter finds it either way.
    """
    audit.record(
        session,
        who,
        action,
        object_type="family",
        object_id=family.id,
        family_id=family.id,
        detail=detail,
    )


def current(session: Session, family_id: str, *, lock: bool = False) -> Family | None:
    """The family, following a merge to the family it was merged into."""
    for _ in range(5):
        family = session.get(Family, family_id, with_for_update=lock)
        if family is None or family.merged_into_id is None:
            return family
        family_id = family.merged_into_id
    return None


# --------------------------------------------------------------------------- access


@dataclass(frozen=True)
class SubmissionRow:
    id: str
    reference: str
    form_id: str
    submitted_at: dt.datetime
    delivery: str


@dataclass(frozen=True)
class FamilyView:
    """What a family's page shows: states and ids in clear, one sealed summary opened."""

    id: str
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    closed_reason: str | None
    lead_professional_id: str | None
    lead_professional: str | None
    first_name: str | None
    date_of_birth: str | None
    submissions: list[SubmissionRow] = field(default_factory=list)
    #: The day the family withdrew consent, and the id of the form that recorded it.
    consent_withdrawn_on: dt.date | None = None
    consent_withdrawn_in: str | None = None


@dataclass(frozen=True)
class Asked:
    """What an access decision is about, as its audit event names it: kept apart from
    the policy's own arguments so that every decision is recorded the same way."""

    audit_action: str
    object_type: str
    object_id: str | None
    detail: str | None = None


def about_family(audit_action: str, family_id: str) -> Asked:
    """A decision about the family page or record itself (object ``family``)."""
    return Asked(audit_action, "family", family_id[:64])


def record_decision(
    session: Session, actor: Actor, asked: Asked, family: Family | None, allowed: bool
) -> None:
    """The audit event of one access decision: ``ok`` or ``denied``, never the answers."""
    audit.record(
        session,
        actor.who,
        asked.audit_action,
        outcome="ok" if allowed else "denied",
        object_type=asked.object_type,
        object_id=asked.object_id,
        family_id=family.id if family is not None else None,
        detail=asked.detail,
    )


def decide(
    session: Session, actor: Actor, action: str, family: Family | None, asked: Asked
) -> bool:
    """The one decision point: ask the policy, write the audit event, return the answer."""
    allowed = policy.can(actor, action, family)
    record_decision(session, actor, asked, family, allowed)
    return allowed


def latest_of(session: Session, family_id: str, *columns: Any) -> Row[Any] | None:
    """``columns`` of the family's most recent form: the one its lists name it by."""
    return session.execute(
        select(*columns)
        .where(Submission.family_id == family_id)
        .order_by(Submission.submitted_at.desc())
        .limit(1)
    ).first()


def _latest_summary(session: Session, vault: Vault, family_id: str) -> dict[str, str]:
    sealed = session.scalars(
        select(Submission.summary_sealed)
        .where(Submission.family_id == family_id, Submission.summary_sealed.is_not(None))
        .order_by(Submission.submitted_at.desc())
        .limit(1)
    ).first()
    opened = vault.open_optional(sealed)
    return opened if isinstance(opened, dict) else {}


def family_for(services: Services, actor: Actor, family_id: str) -> FamilyView | None:
    """A family's page for ``actor``, or None (unknown or not theirs: the same 404)."""
    with transaction(services.sessions) as session:
        family = current(session, family_id)
        if not decide(
            session, actor, policy.VIEW, family, about_family("family.viewed", family_id)
        ):
            return None
        assert family is not None
        lead = (
            session.get(User, family.lead_professional_id) if family.lead_professional_id else None
        )
        summary = _latest_summary(session, services.vault, family.id)
        delivery = _delivery_states(session, family.id)
        rows = [
            SubmissionRow(s.id, s.reference, s.form_id, s.submitted_at, delivery.get(s.id, ""))
            for s in session.scalars(
                select(Submission)
                .where(Submission.family_id == family.id)
                .order_by(Submission.submitted_at.desc())
            )
        ]
        return FamilyView(
            family.id,
            family.status,
            family.opened_at,
            family.closed_at,
            family.closed_reason,
            family.lead_professional_id,
            lead.name if lead else None,
            summary.get("first_name"),
            summary.get("date_of_birth"),
            rows,
            family.consent_withdrawn_on,
            family.consent_withdrawn_in,
        )


def _delivery_states(session: Session, family_id: str) -> dict[str, str]:
    """Each submission's delivery to the SPOC inbox.

    The kind is compared here, not in SQL: a ``kind`` condition leads SQLite's
    planner to walk the (kind, status) index over every message ever sent.
    """
    rows = session.execute(
        select(OutboxMessage.submission_id, OutboxMessage.status, OutboxMessage.kind)
        .join(Submission, Submission.id == OutboxMessage.submission_id)
        .where(Submission.family_id == family_id)
    ).all()
    return {str(sid): status for sid, status, kind in rows if kind == "spoc"}


@dataclass(frozen=True)
class SubmissionView:
    """One submission, opened for someone entitled to read it."""

    id: str
    reference: str
    form_id: str
    family_id: str
    submitted_at: dt.datetime
    answers: dict[str, Any]


def submission_for(
    services: Services,
    actor: Actor,
    submission_id: str,
    *,
    audit_action: str,
    detail: str | None = None,
    offers: Callable[[str], bool] | None = None,
) -> SubmissionView | None:
    """A submission for ``actor`` to read or download, or None (the same 404 either way).

    ``offers(form_id)`` says whether the thing asked for exists for that kind of
    form (a family plan, say); when it does not, the answer is None as well.
    """
    with transaction(services.sessions) as session:
        submission = session.get(Submission, submission_id[:64])
        family = current(session, submission.family_id) if submission is not None else None
        if submission is not None and offers is not None and not offers(submission.form_id):
            submission = family = None  # asked for something this form does not have
        asked = Asked(audit_action, "submission", submission_id[:64], detail)
        if not decide(session, actor, policy.VIEW, family, asked):
            return None
        assert submission is not None and family is not None
        return _opened(services, submission, family)


def _opened(services: Services, submission: Submission, family: Family) -> SubmissionView:
    return SubmissionView(
        submission.id,
        submission.reference,
        submission.form_id,
        family.id,
        submission.submitted_at,
        services.vault.open(submission.answers_sealed),
    )


def source_for_start(
    services: Services, actor: Actor, reference: str, target: FormDefinition
) -> SubmissionView | None:
    """The earlier submission ``actor`` may start ``target`` from, or None.

    Unknown, not theirs and the wrong kind of form all give None, and all
    are audited as a refused start (with the submission's id when it exists).
    """
    with transaction(services.sessions) as session:
        submission = session.scalars(
            select(Submission).where(Submission.reference == reference)
        ).first()
        family = current(session, submission.family_id) if submission is not None else None
        refusal = _start_refusal(actor, submission, family, target)
        audit.record(
            session,
            actor.who,
            "submission.start_from",
            outcome="denied" if refusal else "ok",
            object_type="submission",
            object_id=submission.id if submission else None,
            family_id=family.id if family is not None else None,
            detail=refusal or f"into {target.id}",
        )
        if refusal:
            return None
        assert submission is not None and family is not None
        return _opened(services, submission, family)


def _start_refusal(
    actor: Actor, submission: Submission | None, family: Family | None, target: FormDefinition
) -> str | None:
    """Why ``actor`` may not start ``target`` from ``submission`` (for the audit log only)."""
    if submission is None:
        return "no such reference"
    if not policy.can(actor, policy.START_FROM, family):
        return "not allowed"
    if target.prefill_from(submission.form_id) is None:
        return "wrong kind of form"
    return None


def may_continue(services: Services, actor: Actor, family_id: str) -> bool:
    """Whether ``actor`` may still work on a draft started from this family.

    Asked each time such a draft is opened, so a family reallocated to someone
    else disappears from the old worker's drafts at once; a refusal is audited.
    """
    with transaction(services.readers) as session:
        family = current(session, family_id)
        allowed = policy.can(actor, policy.SUBMIT, family)
    if not allowed:
        audit.write(
            services.sessions,
            actor.who,
            "family.viewed",
            outcome="denied",
            object_type="draft",
            family_id=family_id,
        )
    return allowed


# --------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class FamilyRow:
    id: str
    status: str
    updated_at: dt.datetime
    lead_professional: str | None
    first_name: str | None
    date_of_birth: str | None
    forms: int
    latest_reference: str = ""
    latest_form: str = ""


def families_for(
    services: Services, actor: Actor, *, offset: int = 0, limit: int = 25
) -> tuple[list[FamilyRow], int]:
    """The families ``actor`` may see, most recently changed first, and how many in all."""
    scope = policy.family_scope(actor, Family.lead_professional_id)
    live = (Family.merged_into_id.is_(None), scope)
    with transaction(services.sessions) as session:
        total = session.scalar(select(func.count()).select_from(Family).where(*live)) or 0
        families = session.execute(
            select(Family, User.name)
            .outerjoin(User, User.id == Family.lead_professional_id)
            .where(*live)
            .order_by(Family.updated_at.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        rows = []
        for family, lead in families:
            summary = _latest_summary(session, services.vault, family.id)
            latest = latest_of(session, family.id, Submission.reference, Submission.form_id)
            count = session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.family_id == family.id)
            )
            rows.append(
                FamilyRow(
                    family.id,
                    family.status,
                    family.updated_at,
                    lead,
                    summary.get("first_name"),
                    summary.get("date_of_birth"),
                    int(count or 0),
                    latest.reference if latest else "",
                    latest.form_id if latest else "",
                )
            )
        audit.record(session, actor.who, "family.list_viewed", detail=f"{len(rows)} shown")
        return rows, int(total)


# --------------------------------------------------------------------------- changes


def confirm(services: Services, family_id: str, who: Who) -> None:
    """A duty worker confirms a provisional family as a new family."""
    with transaction(services.sessions) as session:
        family = current(session, family_id, lock=True)
        if family is None:
            raise FamilyUnavailable(family_id)
        if family.status == "provisional":
            family.status = "open"
            family.updated_at = utcnow()
            record_change(session, who, "family.confirmed", family)


def merge(services: Services, source_id: str, target_id: str, who: Who) -> None:
    """Merge a provisional family into an existing one: its forms, keys and drafts move."""
    with transaction(services.sessions) as session:
        source = current(session, source_id, lock=True)
        target = current(session, target_id, lock=True)
        if source is None or target is None or source.id == target.id:
            raise FamilyUnavailable(source_id)
        for model in (Submission, MatchKey, Draft, Referral, FamilyNeed):
            session.execute(
                update(model)
                .where(model.family_id == source.id)
                .values(family_id=target.id)
                .execution_options(synchronize_session=False)
            )
        FamilyNeed.relink(session, target.id)  # its needs now run on from the target's
        source.merged_into_id = target.id
        source.status = "closed"
        source.closed_at = utcnow()
        source.closed_reason = "merged"
        target.updated_at = utcnow()
        audit.record(
            session,
            who,
            "family.merged",
            object_type="family",
            object_id=source.id,
            family_id=target.id,
            detail=f"into {target.id}",
        )


def family_of_reference(services: Services, reference: str) -> str | None:
    """The family a form's reference belongs to (for managers' audit filters; no data opened)."""
    with transaction(services.readers) as session:
        found = session.scalars(
            select(Submission.family_id).where(Submission.reference == reference)
        ).first()
        return str(found) if found else None


def possible_matches(services: Services, family_id: str) -> list[str]:
    """Other families sharing an NHS number, surname and date of birth, or surname and postcode."""
    with transaction(services.readers) as session:
        mine = select(MatchKey.kind, MatchKey.digest).where(MatchKey.family_id == family_id)
        pairs = session.execute(mine).all()
        if not pairs:
            return []
        found: set[str] = set()
        for kind, digest in pairs:
            found.update(
                session.scalars(
                    select(MatchKey.family_id).where(
                        MatchKey.kind == kind,
                        MatchKey.digest == digest,
                        MatchKey.family_id != family_id,
                    )
                )
            )
        return sorted(found)
