"""Working days, computed dates and cross-page rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import holidays
import pytest

from forms_service.config import ConfigError, settings_from_env
from forms_service.definitions.loader import load_form
from forms_service.submissions.rules import check_rules, computed, warnings
from forms_service.workdays import WorkingCalendar, bank_holidays

ROOT = Path(__file__).resolve().parents[2]
add_working_days = WorkingCalendar().add_working_days


def test_bank_holidays_match_the_published_dates() -> None:
    easter_2027 = {dt.date(2027, 3, 26), dt.date(2027, 3, 29)}  # Good Friday, Easter Monday
    assert easter_2027 <= bank_holidays(2027)
    assert bank_holidays(2026) == {
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 6),
        dt.date(2026, 5, 4),
        dt.date(2026, 5, 25),
        dt.date(2026, 8, 31),
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 28),
    }
    assert dt.date(2027, 12, 27) in bank_holidays(2027)  # Christmas on a Saturday
    assert dt.date(2027, 12, 28) in bank_holidays(2027)


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    assert add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)  # Fri → Mon
    assert add_working_days(dt.date(2026, 12, 23), 2) == dt.date(2026, 12, 29)  # over Christmas
    assert add_working_days(dt.date(2026, 11, 2), 10) == dt.date(2026, 11, 16)


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2020, 5, 8),  # VE Day 75 (the early May bank holiday moved from Monday 4 May)
        dt.date(2022, 6, 2),  # spring bank holiday, moved from Monday 30 May
        dt.date(2022, 6, 3),  # Platinum Jubilee
        dt.date(2022, 9, 19),  # the Queen's state funeral
        dt.date(2023, 5, 8),  # the Coronation of King Charles III
    ],
)
def test_one_off_bank_holidays_are_closures(day: dt.date) -> None:
    assert day in bank_holidays(day.year)
    assert not WorkingCalendar().is_working_day(day)


def test_a_moved_bank_holiday_leaves_its_usual_monday_a_working_day() -> None:
    assert WorkingCalendar().is_working_day(dt.date(2020, 5, 4))
    assert WorkingCalendar().is_working_day(dt.date(2022, 5, 30))
    assert add_working_days(dt.date(2022, 6, 1), 1) == dt.date(2022, 6, 6)  # Thu, Fri closed


def test_england_and_wales_keep_the_same_bank_holidays() -> None:
    for year in range(2015, 2036):
        wales = holidays.country_holidays("GB", subdiv="WLS", years=year)
        assert bank_holidays(year) == {day for day in wales if day.weekday() < 5}, year
    scotland = holidays.country_holidays("GB", subdiv="SCT", years=2026)
    assert dt.date(2026, 1, 2) in scotland and dt.date(2026, 1, 2) not in bank_holidays(2026)


def test_configured_closure_days_are_not_working_days() -> None:
    calendar = WorkingCalendar(frozenset({dt.date(2026, 11, 3), dt.date(2026, 11, 7)}))
    assert not calendar.is_working_day(dt.date(2026, 11, 3))
    assert calendar.is_working_day(dt.date(2026, 11, 4))
    assert calendar.add_working_days(dt.date(2026, 11, 2), 10) == dt.date(2026, 11, 17)
    assert WorkingCalendar().add_working_days(dt.date(2026, 11, 2), 10) == dt.date(2026, 11, 16)


def test_closure_days_come_from_the_environment(tmp_path: Path) -> None:
    settings = settings_from_env(
        {"FORMS_CLOSURE_DAYS": " 2026-12-29, 2026-12-24,2026-12-29"},
        {"instance_path": tmp_path},
    )
    assert settings.closure_days == (dt.date(2026, 12, 24), dt.date(2026, 12, 29))
    assert settings.calendar == WorkingCalendar(frozenset(settings.closure_days))
    assert settings_from_env({}, {"instance_path": tmp_path}).calendar == WorkingCalendar()


@pytest.mark.parametrize("value", ["24/12/2026", "2026-12-32", "20261224", "2026-12-24;2026-12-29"])
def test_a_bad_closure_day_refuses_to_start_naming_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="FORMS_CLOSURE_DAYS must be dates like") as bad:
        settings_from_env({"FORMS_CLOSURE_DAYS": value}, {"instance_path": tmp_path})
    assert repr(value) in str(bad.value)


def test_family_story_shows_10_and_15_working_day_dates() -> None:
    form = load_form(ROOT / "form_schemas" / "family-story.yaml")
    values = computed(form, {"case": {"allocation_date": "2026-11-02"}})
    assert values["due_10"]["value"] == "2026-11-16"
    assert values["due_15"]["value"] == "2026-11-23"
    late = {"case": {"allocation_date": "2026-11-02", "completion_date": "2026-11-24"}}
    on_time = {"case": {"allocation_date": "2026-11-02", "completion_date": "2026-11-23"}}
    assert warnings(form, late) and not warnings(form, on_time)


def test_plan_must_cover_every_need_that_applies() -> None:
    form = load_form(ROOT / "form_schemas" / "family-story.yaml")
    answers = {
        "domains": [
            {"headline": "EDU", "applies": True},
            {"headline": "HSG", "applies": True},
            {"headline": "FIN", "applies": False},
        ],
        "plan": [{"headline": "EDU"}],
    }
    errors = check_rules(form, answers)
    assert errors == {
        "plan": [
            'The family plan has no action for the need "Secure housing". Add an action for it'
        ]
    }
    answers["plan"].append({"headline": "HSG"})
    assert check_rules(form, answers) == {}


def test_next_review_is_refused_past_8_weeks_and_warned_past_6() -> None:
    form = load_form(ROOT / "form_schemas" / "tacaf-review.yaml")

    def answers(days: int) -> dict:
        meeting = dt.date(2026, 11, 20)
        return {
            "meeting": {"date": meeting.isoformat()},
            "next_meeting": {"date": (meeting + dt.timedelta(days=days)).isoformat()},
        }

    assert check_rules(form, answers(42)) == {} and warnings(form, answers(42)) == []
    assert check_rules(form, answers(43)) == {} and warnings(form, answers(43))
    assert check_rules(form, answers(57)) == {
        "next_meeting.date": ["The next review must be no more than 8 weeks after this meeting"]
    }
