"""Tables: drafts being filled in, submissions received, and their outbox rows.

Answers are stored sealed (``crypto.Vault``): the ``*_sealed`` columns hold
Fernet tokens, never readable JSON. Columns that say nothing about a family
(form, times, channel, status, the referrer's type of organisation) stay in
clear and indexed, so lists and clocks need no decryption.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import new_id, utcnow
from ..db import Base

if TYPE_CHECKING:
    from ..families.models import Family

__all__ = [
    "Draft",
    "DraftLink",
    "IdempotencyKey",
    "OutboxEvent",
    "OutboxMessage",
    "Submission",
    "new_id",
    "utcnow",
]


class Draft(Base):
    """Answers saved page by page, on the server (never in the cookie).

    A draft started by a member of staff belongs to them (``owner_id``): no
    one else, signed in or not, can open it. One started from a reference
    carries that family's id, so the submission joins the same family.
    """

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(64))
    answers_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    owner_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    family_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    submission_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"), nullable=True)
    #: When the referrer took their one copy of the PDF from the confirmation page.
    copy_taken_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )

    #: Only so one flush writes the submission before the draft that points at it.
    submission: Mapped[Submission | None] = relationship(lazy="raise")


class DraftLink(Base):
    """A "save and come back later" link to a draft, for someone without an account.

    Only the link token's SHA-256 is the key. The draft's own browser token and
    the address the link went to are sealed together (``secret_sealed``), so a
    stolen table opens no draft. Opening the link emails a 6-digit code to the
    same address (sealed too, in ``code_sealed``); entering it, within its
    minutes and tries, restores the draft to that browser and uses the link up.
    """

    __tablename__ = "draft_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    draft_id: Mapped[str] = mapped_column(String(64), index=True)
    form_id: Mapped[str] = mapped_column(String(64))
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    code_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    code_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    code_tries: Mapped[int] = mapped_column(Integer, default=0)
    codes_sent: Mapped[int] = mapped_column(Integer, default=0)


class Submission(Base):
    """A validated submission: committed before anyone is told it was received."""

    __tablename__ = "submissions"
    #: Reports read one form's submissions over a period, and a family's latest of a form.
    __table_args__ = (
        Index("ix_submissions_form_time", "form_id", "submitted_at"),
        Index("ix_submissions_family_form_time", "family_id", "form_id", "submitted_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    form_id: Mapped[str] = mapped_column(String(64), index=True)
    form_version: Mapped[int] = mapped_column(Integer)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    answers_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    #: The lead child's first name and date of birth, sealed: what a list row shows.
    summary_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    organisation_type: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(8), default="web")
    submitted_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    outbox: Mapped[list[OutboxMessage]] = relationship(back_populates="submission")
    #: Only so one flush writes the family before its submission (no loading is done).
    family: Mapped[Family] = relationship(lazy="raise")


class OutboxMessage(Base):
    """One email to deliver, with its delivery state.

    States: pending → sending → sent; or pending → retrying → … → sent | failed.
    A row is claimed atomically before sending so two workers never send it.
    ``kind`` says which message it is (the forms to the SPOC inbox, an
    acknowledgement, an outcome, …); ``message_id`` is fixed when the row is
    made, so a retried message is the same message; ``payload_sealed`` holds
    what the message says beyond its submission (an outcome id, a list of
    references), sealed like answers. ``lane`` is ``slow`` for documents of a
    submission large enough to render slowly (``delivery/lanes.py``): those are
    delivered by their own threads or Celery queue, never ahead of a normal one.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_kind_status", "kind", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(24), default="spoc")
    submission_id: Mapped[str | None] = mapped_column(
        ForeignKey("submissions.id"), nullable=True, index=True
    )
    family_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payload_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    recipient: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    lane: Mapped[str] = mapped_column(String(8), default="normal")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    submission: Mapped[Submission | None] = relationship(back_populates="outbox")


class OutboxEvent(Base):
    """Every change of an outbox row's state, with its time: the delivery history
    a duty manager can read when asking "did that referral arrive?"."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_id: Mapped[str] = mapped_column(ForeignKey("outbox.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)

    #: Only so one flush writes the message before its first event.
    message: Mapped[OutboxMessage] = relationship(lazy="raise")


#: The longest ``Idempotency-Key`` accepted: the API refuses a longer one (400).
MAX_IDEMPOTENCY_KEY = 255


class IdempotencyKey(Base):
    """An API client's ``Idempotency-Key``: a repeat returns the first reference.

    ``request_digest`` is a keyed hash of the body, so the same key sent with
    different answers is refused rather than silently ignored.
    """

    __tablename__ = "idempotency_keys"

    token_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_IDEMPOTENCY_KEY), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    #: Only so one flush writes the submission before its key. Without a relationship
    #: the unit of work does not order the two (when no match keys flushed the
    #: submission earlier it may insert the key first, and the foreign key refuses it).
    submission: Mapped[Submission] = relationship(lazy="raise")
