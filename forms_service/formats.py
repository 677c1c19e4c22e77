"""How dates, times and numbers read to people: one formatter for every screen and document.

Stored times are UTC; readers are in England, so every time is shown on the
Europe/London wall clock ("24 November 2026 at 2:05pm"), and a date is
written day first with the month in words ("3 March 2016"), as GOV.UK does.
Numbers are stored in machine form (a phone as E.164, an NHS number as ten
digits) so they compare and match; people read them grouped as they would
write them ("01702 215007", "943 476 5919"). The web pages, the PDF, the Word
file and the emails all format through here, so they never disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

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


def format_phone(value: Any) -> str:
    """A stored number as people write it: UK numbers in national form
    (``+441702215007`` → ``01702 215007``), others in international form
    (``+33123456789`` → ``+33 1 23 45 67 89``); text that is no number is returned as is.
    """
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return text
    if number.country_code == 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_nhs_number(value: Any) -> str:
    """Ten digits grouped 3-3-4 as the NHS prints them: ``9434765919`` → ``943 476 5919``.

    Anything but ten digits (with or without spaces) is returned as it was given.
    """
    text = str(value or "").strip()
    digits = text.replace(" ", "").replace("-", "")
    if len(digits) != 10 or not digits.isdigit():
        return text
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (even after leading spaces).

    Every CSV export writes its cells through this: a value starting ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip()[:1] in ("=", "+", "-", "@", "\t", "\r") else text
