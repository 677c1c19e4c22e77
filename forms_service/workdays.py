"""Working days in England and Wales: weekends, bank holidays and closures excluded.

Bank holidays come from the ``holidays`` package, which knows the one-off
days (VE Day 2020, the Platinum Jubilee and the Queen's funeral in 2022, the
Coronation in 2023) that a hand-written rule of Easter and Mondays misses;
upgrading the package brings newly announced ones. A council's own closures
(a Christmas shutdown, or a new one-off holiday before the package knows it)
are configured as ``FORMS_CLOSURE_DAYS`` and held by a :class:`WorkingCalendar`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import holidays

ONE_DAY = dt.timedelta(days=1)
#: The ``holidays`` subdivision whose bank holidays we keep. England and Wales
#: share one list (the Banking and Financial Dealings Act 1971); the package
#: files it under both ``ENG`` and ``WLS``, with the same dates.
SUBDIVISION = "ENG"


@functools.lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[dt.date]:
    """The weekdays in ``year`` that are England and Wales bank holidays.

    As GOV.UK publishes them: when a holiday falls at a weekend only its
    substitute weekday is listed (the weekend day is not a working day anyway).
    """
    days = holidays.country_holidays("GB", subdiv=SUBDIVISION, years=year)
    return frozenset(day for day in days if day.weekday() < 5)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days the Early Help service works: Monday to Friday, not a bank
    holiday and not one of the configured ``closures``.

    Plain data (it pickles into the render process with the form). A later
    opening-hours clock can build on :meth:`is_working_day`.
    """

    closures: frozenset[dt.date] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the service is open on ``day``."""
        return day.weekday() < 5 and day not in bank_holidays(day.year) and day not in self.closures

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
        day = start
        remaining = days
        while remaining > 0:
            day += ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day
