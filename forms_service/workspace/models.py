"""Tables of the staff workspace: each referral's clocks and outcome, and allocations.

Like the family record, nothing here is personal data in clear: ids, form
ids, times and outcome ids, indexed for the inbox and "My families"; the
worker's reason for an outcome is sealed (``crypto.Vault``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from ..clock import utcnow
from ..db import Base

#: A referral's states: waiting for a duty worker's outcome, or decided.
AWAITING = "awaiting-outcome"
DECIDED = "decided"
REFERRAL_STATUSES = (AWAITING, DECIDED)


class Referral(Base):
    """One referral (a form open to anyone) on its way through triage."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_queue", "status", "urgent", "received_at"),
        Index("ix_referrals_newest", "urgent", "received_at"),
    )

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    form_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    #: Confirms a phoned Level 4 concern: top of the inbox, on a 24-clock-hour clock.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledge_by: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome_due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(24), default=AWAITING)
    outcome: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )
    decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Allocation(Base):
    """A lead professional's allocation to a family, from when until when.

    The Family Story's clock is recorded here as it runs (``story_limit_at`` at
    allocation, ``story_done_at`` when the form due after allocation is sent),
    so the dashboard counts assessments in time with one aggregate instead of
    working out each allocation's working days on every view.
    """

    __tablename__ = "allocations"
    #: Covers the dashboard's count of Family Stories in time over a period.
    __table_args__ = (
        Index("ix_allocations_period", "allocated_at", "story_limit_at", "story_done_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    allocated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    allocated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The latest time for the form due after allocation (its latest working days).
    #: None when no first assessment is owed: the family already had a plan (it
    #: needs a review next), or no form falls due after allocation.
    story_limit_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    #: When the first such form after the allocation was sent (None: not yet).
    story_done_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class FamilyNeed(Base):
    """A Supporting Families headline named as a need by one submission of a family.

    Written on submit so the dashboard counts needs without opening answers:
    a headline id and the family's random id, no names or words of the family.

    Counted without ``DISTINCT``: ``previous_at`` is when the same family last
    named the same headline before this row (None: never), so of a family's
    rows for a headline within a period exactly one has ``previous_at`` before
    the period (or none), and counting those counts families; and
    ``first_of_form`` marks one row per submission, so counting those counts
    forms. ``relink`` sets ``previous_at`` again when a family's rows move.
    """

    __tablename__ = "family_needs"
    #: Covers the dashboard's count of families and forms by headline over a period.
    __table_args__ = (
        Index("ix_family_needs_period", "recorded_at", "headline", "previous_at", "first_of_form"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    headline: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    previous_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_of_form: Mapped[bool] = mapped_column(Boolean, default=False)

    @classmethod
    def relink(cls, session: Session, family_id: str) -> None:
        """Set ``previous_at`` of every row of ``family_id`` from its rows as they now are
        (after a merge brought another family's rows, or times were corrected); rows sent
        at the same moment are ordered by id."""
        earlier = aliased(cls)
        previous = (
            select(func.max(earlier.recorded_at))
            .where(
                earlier.family_id == cls.family_id,
                earlier.headline == cls.headline,
                or_(
                    earlier.recorded_at < cls.recorded_at,
                    and_(earlier.recorded_at == cls.recorded_at, earlier.id < cls.id),
                ),
            )
            .scalar_subquery()
        )
        session.execute(
            update(cls)
            .where(cls.family_id == family_id)
            .values(previous_at=previous)
            .execution_options(synchronize_session=False)
        )


class ReviewTiming(Base):
    """A review (the form due after a plan) and the time it was due by, recorded on submit.

    Due ``due.weeks`` after the family's previous plan (the latest form with a
    family plan sent before it), worked out once when the review is sent, so
    the dashboard counts reviews in time with one aggregate. A first review
    with no plan before it has no row: there is nothing to measure it from.
    Ids and times only, like ``family_needs``.
    """

    __tablename__ = "review_timings"
    #: Covers the dashboard's count of reviews in time over a period.
    __table_args__ = (Index("ix_review_timings_period", "form_id", "sent_at", "due_at"),)

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The plan it was measured from (no foreign key: retention deletes a family's
    #: forms one by one, in no particular order).
    measured_from: Mapped[str] = mapped_column(String(36))
