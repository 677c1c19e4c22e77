"""The referral clocks: working-day arithmetic on the London wall clock, and how a clock reads.

Every "now" and every receipt time is passed in, so nothing here depends on
the real clock. The bank-holiday cases are chosen so that a clock counting
Monday to Friday only, or the usual "first Monday in May / last Monday in
May" rules, gives a different answer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from forms_service.config import ConfigError, settings_from_env
from forms_service.formats import LONDON
from forms_service.workdays import WorkingCalendar
from forms_service.workspace.clock import (
    ClockRules,
    ClockText,
    clock_start,
    describe,
    due_after_hours,
    due_after_weeks,
    due_after_working_days,
)

RULES = ClockRules(WorkingCalendar())
HOURS = ClockRules(WorkingCalendar(), rule="clock-hours")


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A wall-clock time in London (GMT or BST, as it was that day)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def due(received: dt.datetime, days: int, rules: ClockRules = RULES) -> dt.datetime:
    """The due time, checked to come back as aware UTC whatever went in."""
    result = due_after_working_days(received, days, rules)
    assert result.utcoffset() == dt.timedelta(0) and result.tzinfo is dt.UTC
    return result


# --- when the clock starts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "starts"),
    [
        (london(2026, 11, 20, 18, 0), london(2026, 11, 23, 9, 0)),  # Friday evening → Monday 9am
        (london(2026, 11, 20, 17, 30), london(2026, 11, 23, 9, 0)),  # at closing: closed
        (london(2026, 11, 20, 17, 29), london(2026, 11, 20, 17, 29)),  # a minute before: open
        (london(2026, 11, 24, 7, 45), london(2026, 11, 24, 9, 0)),  # before opening: 9am today
        (london(2026, 11, 24, 9, 0), london(2026, 11, 24, 9, 0)),  # at opening: open
        (london(2026, 11, 24, 0, 5), london(2026, 11, 24, 9, 0)),  # just after midnight
        (london(2026, 11, 21, 11, 0), london(2026, 11, 23, 9, 0)),  # Saturday → Monday
        (london(2026, 11, 22, 8, 0), london(2026, 11, 23, 9, 0)),  # Sunday → Monday
        (london(2026, 11, 24, 14, 0), london(2026, 11, 24, 14, 0)),  # open: at once
    ],
)
def test_the_clock_starts_at_once_when_open_else_at_the_next_opening(
    received: dt.datetime, starts: dt.datetime
) -> None:
    start = clock_start(received, RULES)
    assert start == starts
    assert start.tzinfo is dt.UTC


def test_a_receipt_on_a_bank_holiday_starts_at_the_next_working_morning() -> None:
    # Easter Monday 2027 (29 March), mid-morning: a weekday, but closed.
    assert clock_start(london(2027, 3, 29, 10, 0), RULES) == london(2027, 3, 30, 9, 0)
    # Good Friday evening: the weekend and Easter Monday are skipped.
    assert clock_start(london(2027, 3, 26, 19, 0), RULES) == london(2027, 3, 30, 9, 0)


def test_a_naive_time_is_taken_as_utc_as_the_database_stores_it() -> None:
    # 13:00 UTC in July is 2pm in London: open, so the clock starts then.
    naive = dt.datetime(2026, 7, 1, 13, 0)
    assert clock_start(naive, RULES) == dt.datetime(2026, 7, 1, 13, 0, tzinfo=dt.UTC)
    assert due(naive, 1) == london(2026, 7, 2, 14, 0)


# --- one and two working days -------------------------------------------------------------


def test_out_of_hours_on_friday_counts_from_monday_morning() -> None:
    friday_evening = london(2026, 11, 20, 18, 0)
    assert due(friday_evening, 1) == london(2026, 11, 24, 9, 0)  # Tuesday 9am
    assert due(friday_evening, 2) == london(2026, 11, 25, 9, 0)  # Wednesday 9am


def test_friday_afternoon_is_due_at_the_same_time_on_monday() -> None:
    assert due(london(2026, 11, 20, 14, 0), 1) == london(2026, 11, 23, 14, 0)
    assert due(london(2026, 11, 20, 14, 0), 2) == london(2026, 11, 24, 14, 0)


def test_before_opening_counts_from_nine_that_morning() -> None:
    assert due(london(2026, 11, 24, 7, 45), 1) == london(2026, 11, 25, 9, 0)


def test_a_weekend_receipt_counts_from_monday_morning() -> None:
    assert due(london(2026, 11, 21, 11, 0), 1) == london(2026, 11, 24, 9, 0)
    assert due(london(2026, 11, 22, 23, 59), 2) == london(2026, 11, 25, 9, 0)


def test_zero_days_is_the_start_and_negative_days_are_refused() -> None:
    assert due(london(2026, 11, 20, 18, 0), 0) == london(2026, 11, 23, 9, 0)
    with pytest.raises(ValueError, match="negative"):
        due_after_working_days(london(2026, 11, 20, 12, 0), -1, RULES)


# --- bank holidays a weekday-only clock gets wrong ----------------------------------------


@pytest.mark.parametrize(
    ("received", "days", "expected"),
    [
        # 2022: the spring bank holiday moved from Monday 30 May to Thursday 2 June,
        # and Friday 3 June was the Platinum Jubilee.
        (london(2022, 6, 1, 14, 0), 1, london(2022, 6, 6, 14, 0)),
        (london(2022, 6, 1, 14, 0), 2, london(2022, 6, 7, 14, 0)),
        (london(2022, 6, 2, 10, 0), 1, london(2022, 6, 7, 9, 0)),  # received on the holiday
        (london(2022, 5, 27, 14, 0), 1, london(2022, 5, 30, 14, 0)),  # 30 May 2022 was a workday
        # 2022: the Queen's state funeral, Monday 19 September.
        (london(2022, 9, 16, 10, 0), 1, london(2022, 9, 20, 10, 0)),
        (london(2022, 9, 15, 10, 0), 2, london(2022, 9, 20, 10, 0)),
        # 2023: the Coronation, Monday 8 May, a week after the early May bank holiday.
        (london(2023, 5, 5, 15, 0), 1, london(2023, 5, 9, 15, 0)),
        (london(2023, 4, 28, 10, 0), 2, london(2023, 5, 3, 10, 0)),  # Monday 1 May 2023 closed
        # 2020: the early May bank holiday moved from Monday 4 May to Friday 8 May (VE Day).
        (london(2020, 5, 7, 16, 0), 1, london(2020, 5, 11, 16, 0)),
        (london(2020, 5, 1, 12, 0), 1, london(2020, 5, 4, 12, 0)),  # 4 May 2020 was a workday
        # 2022: the early May bank holiday stayed on its Monday (2 May).
        (london(2022, 4, 29, 11, 0), 1, london(2022, 5, 3, 11, 0)),
    ],
)
def test_one_off_and_moved_bank_holidays(
    received: dt.datetime, days: int, expected: dt.datetime
) -> None:
    assert due(received, days) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # 2021: Christmas Saturday, Boxing Day Sunday → substitutes Monday 27 and Tuesday 28.
        (london(2021, 12, 24, 11, 0), london(2021, 12, 29, 11, 0)),
        # 2022: Christmas Sunday → Tuesday 27 substitute; Boxing Day Monday 26.
        (london(2022, 12, 23, 10, 0), london(2022, 12, 28, 10, 0)),
        # 2020: Boxing Day Saturday → Monday 28 substitute.
        (london(2020, 12, 24, 10, 0), london(2020, 12, 29, 10, 0)),
        # New Year's Day 2022 a Saturday → Monday 3 January substitute.
        (london(2021, 12, 31, 12, 0), london(2022, 1, 4, 12, 0)),
        # Christmas Eve evening 2026: Christmas Friday, Boxing Day Saturday → Monday 28.
        (london(2026, 12, 24, 18, 0), london(2026, 12, 30, 9, 0)),
    ],
)
def test_christmas_boxing_day_and_new_year_substitute_days(
    received: dt.datetime, expected: dt.datetime
) -> None:
    assert due(received, 1) == expected


def test_a_configured_closure_day_is_skipped_like_a_bank_holiday() -> None:
    closed = ClockRules(WorkingCalendar(frozenset({dt.date(2026, 12, 24)})))
    received = london(2026, 12, 23, 10, 0)
    assert due(received, 1) == london(2026, 12, 24, 10, 0)  # without the closure
    # 24th closed, 25th Christmas, weekend, 28th Boxing Day's substitute.
    assert due(received, 1, closed) == london(2026, 12, 29, 10, 0)
    assert clock_start(london(2026, 12, 24, 11, 0), closed) == london(2026, 12, 29, 9, 0)


# --- summer time ---------------------------------------------------------------------------


def test_the_due_time_keeps_its_london_time_across_the_october_change() -> None:
    # Clocks go back on Sunday 25 October 2026: Friday 2pm is 13:00 UTC, Monday 2pm 14:00 UTC.
    received = london(2026, 10, 23, 14, 0)
    assert received.utcoffset() == dt.timedelta(hours=1)
    result = due(received, 1)
    assert result == dt.datetime(2026, 10, 26, 14, 0, tzinfo=dt.UTC)
    assert result.astimezone(LONDON).hour == 14


def test_the_due_time_keeps_its_london_time_across_the_march_change() -> None:
    # Clocks go forward on Sunday 29 March 2026: Monday 2pm BST is 13:00 UTC.
    result = due(london(2026, 3, 27, 14, 0), 1)
    assert result == dt.datetime(2026, 3, 30, 13, 0, tzinfo=dt.UTC)


def test_opening_hours_are_london_hours_in_summer() -> None:
    # 08:30 UTC in July is 9:30am BST: open. 07:30 UTC is 8:30am: not yet.
    summer = dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)
    assert clock_start(summer, RULES) == summer
    early = dt.datetime(2026, 7, 1, 7, 30, tzinfo=dt.UTC)
    assert clock_start(early, RULES) == dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)


def test_across_a_year_a_working_day_clock_is_never_shorter_than_24_hours() -> None:
    """Every half hour of 2022 (its one-off holidays included): due on a working
    day, inside opening hours, and never sooner than the clock-hours rule."""
    calendar = RULES.calendar
    moment = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    while moment.year == 2022:
        result = due_after_working_days(moment, 1, RULES).astimezone(LONDON)
        assert calendar.is_working_day(result.date()), moment
        assert dt.time(9, 0) <= result.time() < dt.time(17, 30), moment
        assert result - moment >= dt.timedelta(hours=24), moment
        moment += dt.timedelta(minutes=30)


# --- other rules and clocks ----------------------------------------------------------------


def test_clock_hours_count_from_receipt_through_nights_and_weekends() -> None:
    friday_evening = london(2026, 11, 20, 18, 0)
    assert clock_start(friday_evening, HOURS) == friday_evening
    assert due(friday_evening, 1, HOURS) == london(2026, 11, 21, 18, 0)
    assert due(friday_evening, 2, HOURS) == london(2026, 11, 22, 18, 0)
    assert due(london(2022, 6, 1, 14, 0), 1, HOURS) == london(2022, 6, 2, 14, 0)


def test_clock_hours_are_real_hours_across_the_clock_change() -> None:
    # 24 hours after 10am BST on Saturday 24 October 2026 is 9am GMT on Sunday.
    assert due(london(2026, 10, 24, 10, 0), 1, HOURS) == london(2026, 10, 25, 9, 0)


def test_a_phoned_level_4_concern_has_24_clock_hours_whatever_the_rule() -> None:
    friday_evening = london(2026, 11, 20, 18, 0)
    for rules in (RULES, HOURS):
        result = due_after_hours(friday_evening, 24, rules)
        assert result == london(2026, 11, 21, 18, 0)
        assert result.tzinfo is dt.UTC


def test_reviews_are_due_in_calendar_weeks_at_the_same_london_time() -> None:
    last_review = london(2026, 9, 15, 10, 0)  # BST
    assert due_after_weeks(last_review, 6) == london(2026, 10, 27, 10, 0)  # GMT by then
    assert due_after_weeks(last_review, 8) == london(2026, 11, 10, 10, 0)
    # Weeks are not working weeks: Christmas does not push a review back.
    assert due_after_weeks(london(2026, 12, 1, 10, 0), 6) == london(2027, 1, 12, 10, 0)


@pytest.mark.parametrize(
    "bad", [{"rule": "working-hours"}, {"opens": dt.time(17, 30), "closes": dt.time(9, 0)}]
)
def test_clock_rules_refuse_nonsense(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ClockRules(WorkingCalendar(), **bad)  # type: ignore[arg-type]


def test_other_opening_hours_move_the_start_and_the_due_time() -> None:
    rules = ClockRules(WorkingCalendar(), opens=dt.time(8, 30), closes=dt.time(17, 0))
    assert clock_start(london(2026, 11, 24, 8, 45), rules) == london(2026, 11, 24, 8, 45)
    assert due(london(2026, 11, 20, 17, 15), 1, rules) == london(2026, 11, 24, 8, 30)


# --- how a clock reads ---------------------------------------------------------------------

#: Monday 30 November 2026, 10am (GMT).
NOW = london(2026, 11, 30, 10, 0)


@pytest.mark.parametrize(
    ("due_at", "now", "expected"),
    [
        (london(2026, 11, 30, 11, 0), NOW, ClockText("Due by 11am today", "orange", False)),
        (london(2026, 11, 30, 16, 45), NOW, ClockText("Due by 4:45pm today", "orange", False)),
        (london(2026, 11, 30, 12, 0), NOW, ClockText("Due by midday today", "orange", False)),
        (london(2026, 12, 1, 14, 0), NOW, ClockText("Due by 2pm tomorrow", "blue", False)),
        # within 4 hours, though tomorrow
        (
            london(2026, 12, 1, 1, 0),
            london(2026, 11, 30, 22, 0),
            ClockText("Due by 1am tomorrow", "orange", False),
        ),
        # midnight ends the day before
        (
            london(2026, 12, 1, 0, 0),
            london(2026, 11, 30, 20, 0),
            ClockText("Due by midnight today", "orange", False),
        ),
        (london(2026, 12, 2, 0, 0), NOW, ClockText("Due by midnight tomorrow", "blue", False)),
        (
            london(2026, 12, 4, 9, 30),
            NOW,
            ClockText("Due by 9:30am on Friday 4 December", "blue", False),
        ),
        (
            london(2026, 12, 6, 17, 0),
            NOW,
            ClockText("Due by 5pm on Sunday 6 December", "blue", False),
        ),
        # a week or more away: the date with its year
        (
            london(2026, 12, 7, 14, 0),
            NOW,
            ClockText("Due by 2pm on 7 December 2026", "blue", False),
        ),
        (
            london(2027, 1, 12, 10, 0),
            NOW,
            ClockText("Due by 10am on 12 January 2027", "blue", False),
        ),
        # exactly at, or within the last minute before, the due time
        (NOW, NOW, ClockText("Due now", "orange", False)),
        (NOW + dt.timedelta(seconds=59), NOW, ClockText("Due now", "orange", False)),
        # past it
        (london(2026, 11, 30, 7, 0), NOW, ClockText("Overdue by 3 hours", "red", True)),
        (london(2026, 11, 30, 8, 59), NOW, ClockText("Overdue by 1 hour", "red", True)),
        (london(2026, 11, 30, 9, 35), NOW, ClockText("Overdue by 25 minutes", "red", True)),
        (NOW - dt.timedelta(seconds=10), NOW, ClockText("Overdue by 1 minute", "red", True)),
        (london(2026, 11, 28, 9, 0), NOW, ClockText("Overdue by 2 days", "red", True)),
        (london(2026, 11, 29, 9, 0), NOW, ClockText("Overdue by 1 day", "red", True)),
    ],
)
def test_describe_a_running_clock(
    due_at: dt.datetime, now: dt.datetime, expected: ClockText
) -> None:
    assert describe(due_at, now) == expected


def test_describe_reads_london_time_in_summer() -> None:
    # 13:00 UTC on a July Monday is 2pm in London; 23:30 UTC is already Tuesday there.
    now = dt.datetime(2026, 7, 6, 8, 0, tzinfo=dt.UTC)
    assert describe(dt.datetime(2026, 7, 6, 13, 0, tzinfo=dt.UTC), now).text == "Due by 2pm today"
    late = dt.datetime(2026, 7, 6, 23, 30, tzinfo=dt.UTC)
    assert describe(late, now).text == "Due by 12:30am tomorrow"


def test_describe_the_working_day_clocks_end_to_end() -> None:
    """The cases above, as the inbox would show them on Monday morning."""
    received = london(2026, 11, 27, 18, 0)  # Friday evening
    monday = london(2026, 11, 30, 10, 0)
    acknowledgement = due_after_working_days(received, 1, RULES)
    outcome = due_after_working_days(received, 2, RULES)
    assert describe(acknowledgement, monday).text == "Due by 9am tomorrow"
    assert describe(outcome, monday).text == "Due by 9am on Wednesday 2 December"
    thursday = london(2026, 12, 3, 9, 0)
    assert describe(outcome, thursday) == ClockText("Overdue by 1 day", "red", True)


@pytest.mark.parametrize(
    ("done_at", "expected"),
    [
        (london(2026, 12, 1, 13, 59), ClockText("Done on time", "green", False)),
        (london(2026, 12, 1, 14, 0), ClockText("Done on time", "green", False)),  # at the time
        (london(2026, 12, 1, 14, 25), ClockText("Done 25 minutes late", "grey", False)),
        (london(2026, 12, 1, 17, 0), ClockText("Done 3 hours late", "grey", False)),
        (london(2026, 12, 2, 15, 0), ClockText("Done 1 day late", "grey", False)),
        (london(2026, 12, 4, 14, 0), ClockText("Done 3 days late", "grey", False)),
    ],
)
def test_describe_a_stopped_clock(done_at: dt.datetime, expected: ClockText) -> None:
    # "now" is long after: a clock that stopped is judged by when it stopped.
    assert describe(london(2026, 12, 1, 14, 0), london(2027, 1, 1), done_at=done_at) == expected


# --- settings ------------------------------------------------------------------------------


def test_clock_settings_default_to_working_days_nine_to_half_past_five(tmp_path: Path) -> None:
    settings = settings_from_env({}, {"instance_path": tmp_path})
    assert settings.clock_rules == ClockRules(WorkingCalendar())
    assert settings.clock_rules.opens == dt.time(9, 0)
    assert settings.clock_rules.closes == dt.time(17, 30)


def test_clock_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = settings_from_env(
        {
            "FORMS_CLOCK_RULE": " Clock-Hours ",
            "FORMS_OPENING_HOURS": "8:30 - 17:00",
            "FORMS_CLOSURE_DAYS": "2026-12-24",
        },
        {"instance_path": tmp_path},
    )
    assert settings.clock_rule == "clock-hours"
    assert settings.opening_hours == (dt.time(8, 30), dt.time(17, 0))
    assert settings.clock_rules == ClockRules(
        WorkingCalendar(frozenset({dt.date(2026, 12, 24)})),
        "clock-hours",
        dt.time(8, 30),
        dt.time(17, 0),
    )


def test_configured_closures_reach_the_clock(tmp_path: Path) -> None:
    rules = settings_from_env(
        {"FORMS_CLOSURE_DAYS": "2026-12-24"}, {"instance_path": tmp_path}
    ).clock_rules
    assert due(london(2026, 12, 23, 10, 0), 1, rules) == london(2026, 12, 29, 10, 0)


@pytest.mark.parametrize("value", ["working_days", "hours", "24h", "working days"])
def test_a_bad_clock_rule_refuses_to_start_naming_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="FORMS_CLOCK_RULE must be working-days or clock-hours"):
        settings_from_env({"FORMS_CLOCK_RULE": value}, {"instance_path": tmp_path})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9-5", "must be two 24-hour times like 09:00-17:30: '9-5' is not"),
        ("09:00", "must be two 24-hour times"),
        ("9am-5:30pm", "must be two 24-hour times"),
        ("09:00-24:00", "must be two 24-hour times"),
        ("09:60-17:30", "must be two 24-hour times"),
        ("09:00;17:30", "must be two 24-hour times"),
        ("17:30-09:00", "must open before it closes: '17:30-09:00' does not"),
        ("09:00-09:00", "must open before it closes"),
    ],
)
def test_bad_opening_hours_refuse_to_start_naming_them(
    tmp_path: Path, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match="FORMS_OPENING_HOURS " + message):
        settings_from_env({"FORMS_OPENING_HOURS": value}, {"instance_path": tmp_path})


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"clock_rule": "hours"}, "FORMS_CLOCK_RULE"),
        ({"opening_hours": (dt.time(18, 0), dt.time(9, 0))}, "FORMS_OPENING_HOURS"),
    ],
)
def test_bad_clock_overrides_are_refused_too(
    tmp_path: Path, overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        settings_from_env({}, {"instance_path": tmp_path, **overrides})
