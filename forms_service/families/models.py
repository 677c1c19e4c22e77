"""Tables of the family record: one row per family, and its blind match keys.

A referral opens a *provisional* family; a duty worker confirms it (``open``)
or merges it into an existing family; every later form joins it. A family
closes when the service's involvement ends. Nothing here is personal data
in clear: the record holds ids, states and times, and match keys are HMAC
digests (``crypto.Vault.blind_index``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import new_id, utcnow
from ..db import Base

STATUSES = ("provisional", "open", "closed")


class Family(Base):
    """A family known to the service.

    ``due_form`` is the form the family needs next (the Family Story after
    allocation, then a review after each plan), due by ``due_at`` and at the
    latest by ``due_limit_at``: kept on the row so "My families" sorts by it.
    """

    __tablename__ = "families"
    #: "My families" sorts one person's families by ``due_limit_at``; the status columns
    #: after it let the dashboard count every caseload from the index alone.
    __table_args__ = (
        Index(
            "ix_families_caseload",
            "lead_professional_id",
            "due_limit_at",
            "status",
            "merged_into_id",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(16), default="provisional", index=True)
    lead_professional_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    #: Set when a duty worker merges this provisional family into another.
    merged_into_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    closed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )
    closed_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    allocated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    due_form: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    due_limit_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The day the family withdrew consent (recorded on a review), and that review:
    #: from then on no documents about them are emailed to partners. A date, not
    #: a reason to delete anything: the record is kept for the retention period.
    consent_withdrawn_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    consent_withdrawn_in: Mapped[str | None] = mapped_column(String(36), nullable=True)

    def consent_withdrawn_by(self, day: dt.date) -> bool:
        """Whether the family had withdrawn consent on ``day``."""
        return self.consent_withdrawn_on is not None and self.consent_withdrawn_on <= day


class MatchKey(Base):
    """A keyed digest of one identifying value of one submission, for duplicate checks."""

    __tablename__ = "match_keys"
    __table_args__ = (Index("ix_match_keys_kind_digest", "kind", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    digest: Mapped[str] = mapped_column(String(64))
