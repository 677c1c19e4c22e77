"""The ``attachments`` table: one uploaded file, sealed, until its form is deleted.

A file belongs first to whoever uploaded it (``owner``: a browser's draft, or
an API token or member of staff), then to the submission that lists it. Its
bytes and the name the user gave it are sealed (``crypto.Vault``); only the
kind, the size and the times stay in clear.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import new_id, utcnow
from ..db import Base


class Attachment(Base):
    """One uploaded file."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    form_id: Mapped[str] = mapped_column(String(64))
    #: ``draft:<draft id>`` or ``api:<token or user id>``: who may list it in a submission.
    owner: Mapped[str] = mapped_column(String(80), index=True)
    submission_id: Mapped[str | None] = mapped_column(
        ForeignKey("submissions.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    content_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
