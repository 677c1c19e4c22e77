"""Working days, computed dates and cross-page rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from forms_service.definitions.loader import load_form
from forms_service.submissions.rules import check_rules, computed, warnings
from forms_service.workdays import add_working_days, bank_holidays, easter_sunday

ROOT = Path(__file__).resolve().parents[2]


def test_bank_holidays_match_the_published_dates() -> None:
    assert easter_sunday(2027) == dt.date(2027, 3, 28)
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
