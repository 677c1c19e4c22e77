"""How dates and times read to people in the council: one formatter for every screen and document.

Stored times are UTC; readers are in England, so every time is shown on the
Europe/London wall clock ("24 November 2026 at 2:05pm"), and a date is
written day first with the month in words ("3 March 2016"), as GOV.UK does.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def format_date(value: str | dt.date, *, weekday: bool = False) -> str:
    """``"2016-03-03"`` → ``"3 March 2016"`` (an unparseable value is returned as is).

    ``weekday`` adds the day's name ("Tuesday 5 January 2027"), as a family's
    plan gives the next meeting.
    """
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
    else:
        day = value
    return f"{day:%A} {day.day} {day:%B %Y}" if weekday else f"{day.day} {day:%B %Y}"


def format_datetime(moment: dt.datetime | None, *, date_only: bool = False) -> str:
    """A stored time on the UK wall clock: ``"24 November 2026 at 2:05pm"``.

    A naive datetime is taken to be UTC, as the database stores it; ``None``
    (a time not yet reached, e.g. a first sign-in) reads as "".
    """
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    local = aware.astimezone(LONDON)
    day = format_date(local.date())
    if date_only:
        return day
    hour = local.hour % 12 or 12
    return f"{day} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (even after leading spaces).

    Every CSV export writes its cells through this: a value starting ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip()[:1] in ("=", "+", "-", "@", "\t", "\r") else text
