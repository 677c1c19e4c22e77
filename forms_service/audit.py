"""The audit log: append-only events saying who did what, when, from where.

Each event holds ids and short codes, never answers or names: who (a user or
API token id, or "anonymous"/"cli"/"system"), when, the action, whether it was
allowed, the object's type and id, the family's id and the client's IP. The
table refuses UPDATE and DELETE (a trigger on SQLite and PostgreSQL), so not
even the service can rewrite history. Managers read it at ``/staff/audit``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import DDL, ColumnElement, DateTime, Integer, String, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from .clock import utcnow
from .db import Base, transaction

#: Every action the service records, with what a manager reads for it.
ACTIONS = {
    "sign_in.password": "Password accepted, waiting for the authenticator code",
    "sign_in.success": "Signed in",
    "sign_in.failure": "Sign-in failed",
    "sign_in.locked": "Account locked for 15 minutes after failed sign-ins",
    "sign_in.refused": "Single sign-on refused",
    "sign_out": "Signed out",
    "session.expired": "Session ended by timeout",
    "mfa.enrolled": "Authenticator set up",
    "mfa.reset": "Authenticator reset",
    "account.created": "Account created",
    "account.disabled": "Account disabled",
    "account.enabled": "Account enabled",
    "account.invited": "Set-up link made",
    "account.setup_started": "Password chosen from a set-up link",
    "account.invitation_accepted": "Invitation accepted",
    "account.reset": "Password and authenticator replaced from a new set-up link",
    "token.created": "API token created",
    "token.revoked": "API token revoked",
    "family.viewed": "Family viewed",
    "family.list_viewed": "Family list viewed",
    "family.allocated": "Lead professional allocated",
    "family.confirmed": "Family confirmed",
    "family.merged": "Family merged into another",
    "family.closed": "Family closed",
    "family.reopened": "Family reopened",
    "family.consent_withdrawn": "Consent withdrawn: no documents to partners from that day",
    "referral.outcome": "Outcome recorded for a referral",
    "referral.viewed": "Referral viewed at triage",
    "inbox.viewed": "C-SPOC inbox viewed",
    "caseload.viewed": "My families viewed",
    "drafts.listed": "Own drafts listed",
    "draft.reopened": "Own draft opened on another computer",
    "dashboard.viewed": "Manager dashboard viewed",
    "claim.exported": "Families First claim data exported",
    "family.handover": "Family record exported for handover",
    "message.retried": "Email sent again by staff",
    "copy.downloaded": "Referrer downloaded their own copy",
    "submission.created": "Form received",
    "attachment.uploaded": "File uploaded with a form",
    "attachment.refused": "File refused (wrong kind, too large, a virus or no scanner)",
    "mail.withheld": "Email to a referrer not sent: no address, or not in a trusted domain",
    "submission.viewed": "Form viewed",
    "document.downloaded": "Document downloaded",
    "submission.start_from": "New form started from an earlier form's reference",
    "form.refused": "Refused a form their role cannot fill in",
    "audit.viewed": "Audit log viewed",
    "audit.exported": "Audit log exported",
    "retention.draft_deleted": "Draft deleted after the retention period",
    "retention.submission_deleted": "Form deleted after the retention period",
    "retention.family_deleted": "Family record deleted after the retention period",
    "keys.rotated": "Stored data re-encrypted with the newest key",
}
OUTCOMES = ("ok", "denied", "failed")


class AuditEvent(Base):
    """One thing that happened. Never updated, never deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    outcome: Mapped[str] = mapped_column(String(8), default="ok")
    object_type: Mapped[str | None] = mapped_column(String(24), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    family_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)


#: SQLite cannot be told "no UPDATE or DELETE" by grants, but a trigger can refuse them.
_SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_{verb} BEFORE {VERB} ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
)
for _verb in ("update", "delete"):
    event.listen(
        AuditEvent.__table__,
        "after_create",
        DDL(_SQLITE_APPEND_ONLY.format(verb=_verb, VERB=_verb.upper())).execute_if(
            dialect="sqlite"
        ),
    )


@dataclass(frozen=True)
class Who:
    """The actor as the audit log records it (see ``auth.actor.Actor.who``)."""

    kind: str  # user | token | anonymous | cli | system
    id: str | None = None
    ip: str | None = None


SYSTEM = Who("system")
CLI = Who("cli")


def record(
    session: Session,
    who: Who,
    action: str,
    *,
    outcome: str = "ok",
    object_type: str | None = None,
    object_id: str | None = None,
    family_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Add one event to ``session`` (committed with the caller's work)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    session.add(
        AuditEvent(
            at=utcnow(),
            actor_kind=who.kind,
            actor_id=who.id,
            action=action,
            outcome=outcome,
            object_type=object_type,
            object_id=object_id,
            family_id=family_id,
            ip=who.ip,
            detail=detail[:200] if detail else None,
        )
    )


def write(sessions: sessionmaker[Session], who: Who, action: str, **details: str | None) -> None:
    """Record one event in its own transaction."""
    with transaction(sessions) as session:
        record(session, who, action, **details)  # type: ignore[arg-type]


@dataclass(frozen=True)
class AuditFilter:
    """What a manager narrows the log to; every part optional."""

    action: str | None = None
    actor_id: str | None = None
    family_id: str | None = None
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _conditions(wanted: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.action:
        conditions.append(AuditEvent.action == wanted.action)
    if wanted.actor_id:
        conditions.append(AuditEvent.actor_id == wanted.actor_id)
    if wanted.family_id:  # a whole id, or its first characters as the log shows them
        if len(wanted.family_id) >= 36:
            conditions.append(AuditEvent.family_id == wanted.family_id)
        else:
            conditions.append(AuditEvent.family_id.startswith(wanted.family_id, autoescape=True))
    if wanted.outcome:
        conditions.append(AuditEvent.outcome == wanted.outcome)
    if wanted.since:
        conditions.append(AuditEvent.at >= wanted.since)
    if wanted.until:
        conditions.append(AuditEvent.at < wanted.until)
    return conditions


def events(
    readers: sessionmaker[Session],
    wanted: AuditFilter,
    *,
    offset: int = 0,
    limit: int | None = 100,
) -> tuple[list[AuditEvent], int]:
    """Matching events, newest first, and how many match in all."""
    with transaction(readers) as session:
        conditions = _conditions(wanted)
        total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
        query = (
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
        if limit is not None:
            query = query.offset(offset).limit(limit)
        rows: Sequence[AuditEvent] = session.scalars(query).all()
        session.expunge_all()
        return list(rows), int(total or 0)
