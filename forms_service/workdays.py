"""Working days in England and Wales: weekends and bank holidays excluded.

Bank holidays follow the statutory pattern (with substitute days when one
falls at a weekend). One-off holidays, such as a coronation, can be added by
configuration through ``extra`` rather than by changing code.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

ONE_DAY = dt.timedelta(days=1)


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def _first_monday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - ONE_DAY
    return day - dt.timedelta(days=day.weekday())


@functools.lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[dt.date]:
    """England and Wales bank holidays in ``year``."""
    easter = easter_sunday(year)
    days = {
        easter - 2 * ONE_DAY,
        easter + ONE_DAY,
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    new_year = dt.date(year, 1, 1)
    days.add(new_year + dt.timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0)))
    christmas, boxing = dt.date(year, 12, 25), dt.date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Mon 27 and Tue 28
        days |= {dt.date(year, 12, 27), dt.date(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Mon 26, substitute Tue 27
        days |= {boxing, dt.date(year, 12, 27)}
    elif christmas.weekday() == 4:  # Friday: Boxing Day on Monday 28
        days |= {christmas, dt.date(year, 12, 28)}
    else:
        days |= {christmas, boxing}
    return frozenset(days)


def is_working_day(day: dt.date, extra: Iterable[dt.date] = ()) -> bool:
    """Monday to Friday and not a bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays(day.year) and day not in set(extra)


def add_working_days(start: dt.date, days: int, extra: Iterable[dt.date] = ()) -> dt.date:
    """The date ``days`` working days after ``start``."""
    holidays = set(extra)
    day = start
    remaining = days
    while remaining > 0:
        day += ONE_DAY
        if is_working_day(day, holidays):
            remaining -= 1
    return day
