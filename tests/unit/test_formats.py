"""Display formats: how dates, times, phone and NHS numbers read on every screen and document."""

from __future__ import annotations

import datetime as dt

import pytest

from forms_service.formats import format_date, format_datetime, format_nhs_number, format_phone


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+441702215007", "01702 215007"),  # a UK landline, national form
        ("+447911123456", "07911 123456"),  # a UK mobile
        ("+442079460000", "020 7946 0000"),  # London's 3-4-4 grouping
        ("+33123456789", "+33 1 23 45 67 89"),  # abroad: international form
        ("+12025550123", "+1 202-555-0123"),
        ("", ""),
        (None, ""),
        ("not a number", "not a number"),  # text that is no number is left as it is
    ],
)
def test_phone_numbers_read_as_people_write_them(stored: str | None, shown: str) -> None:
    assert format_phone(stored) == shown


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("9434765919", "943 476 5919"),
        ("943 476 5919", "943 476 5919"),
        ("", ""),
        (None, ""),
        ("12345", "12345"),
    ],
)
def test_nhs_numbers_are_grouped_three_three_four(stored: str | None, shown: str) -> None:
    assert format_nhs_number(stored) == shown


def test_dates_are_day_month_in_words_year() -> None:
    assert format_date("2016-05-14") == "14 May 2016"
    assert format_date(dt.date(2016, 5, 4)) == "4 May 2016"
    assert format_date("2027-01-05", weekday=True) == "Tuesday 5 January 2027"
    assert format_date("unknown") == "unknown"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        # British Summer Time: UTC 13:05 is 2:05pm in London.
        (dt.datetime(2026, 7, 1, 13, 5, tzinfo=dt.UTC), "1 July 2026 at 2:05pm"),
        # Greenwich Mean Time: the same UTC hour is 1:05pm.
        (dt.datetime(2026, 11, 24, 13, 5, tzinfo=dt.UTC), "24 November 2026 at 1:05pm"),
        # A naive time from the database is UTC; 23:30 UTC in June is the next day in London.
        (dt.datetime(2026, 6, 30, 23, 30), "1 July 2026 at 12:30am"),
    ],
)
def test_times_read_on_the_london_wall_clock(stored: dt.datetime, shown: str) -> None:
    assert format_datetime(stored) == shown
