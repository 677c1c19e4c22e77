"""Time and identifiers shared by every table: UTC now, random row ids."""

from __future__ import annotations

import datetime as dt
import uuid


def utcnow() -> dt.datetime:
    """Timezone-aware now; every stored time is UTC."""
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """A stored time as timezone-aware UTC (SQLite hands back naive values)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def new_id() -> str:
    return str(uuid.uuid4())
