"""A calendar date, typed into the GOV.UK three-box date input and held as ``YYYY-MM-DD``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from wtforms import Field as WTField

from ..definitions.model import DateRule, Field
from ..formats import format_date
from .base import Answer, FieldType, XRule, register
from .widgets import Conditional, Errors, question

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: What the boxes hold when they make no date: marshmallow rejects it with the field's message.
NOT_A_DATE = "not-a-date"
MONTH_NAMES = (
    "january february march april may june july august september october november december"
).split()


def month_number(typed: str) -> int | None:
    """The month a box holds: "5", "05", "May", "sept" or "September" (None if none).

    GOV.UK's date input asks services to accept month names and their
    abbreviations, so "14 May 2016" is a real date; a name is read from its
    first three letters on, in any case, with or without a full stop.
    """
    if typed.isdigit():
        return int(typed)
    word = typed.rstrip(".").lower()
    if len(word) < 3:
        return None
    found = [n for n, name in enumerate(MONTH_NAMES, start=1) if name.startswith(word)]
    return found[0] if len(found) == 1 else None


class DatePartsField(WTField):
    """The GOV.UK three-box date: ``<name>-day``, ``<name>-month``, ``<name>-year``."""

    parts: dict[str, str]

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors: list[Any] = []
        self.parts = {"day": "", "month": "", "year": ""}
        if formdata is not None and any(f"{self.name}-{p}" in formdata for p in self.parts):
            self.parts = {p: formdata.get(f"{self.name}-{p}", "")[:10] for p in self.parts}
        elif isinstance(data, str) and len(data) == 10:
            year, month, day = data.split("-")
            self.parts = {"day": str(int(day)), "month": str(int(month)), "year": year}
        self.data = self.answer()

    def answer(self) -> str | None:
        """ISO date if the boxes make one; a marker marshmallow rejects if not."""
        day, month, year = (self.parts[p].strip() for p in ("day", "month", "year"))
        if not (day or month or year):
            return None
        number = month_number(month)
        if not (day.isdigit() and number is not None and year.isdigit() and len(year) == 4):
            return NOT_A_DATE
        return f"{int(year):04d}-{number:02d}-{int(day):02d}"


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def date_problem(rule: DateRule | None, day: dt.date, today: dt.date) -> str | None:
    """How ``day`` breaks the bounds, as the end of a sentence; None if it keeps them."""
    if rule is None:
        return None
    if rule.not_future and day > today:
        return "must be today or in the past"
    if rule.future_only and day <= today:
        return "must be in the future"
    if rule.max_years_ago and day < years_before(today, rule.max_years_ago):
        return f"must be within the last {rule.max_years_ago} years"
    if rule.max_days_ahead and day > today + dt.timedelta(days=rule.max_days_ahead):
        return f"must be within the next {rule.max_days_ahead // 7} weeks"
    return None


class DateAnswer(Answer):
    """A calendar date as ``YYYY-MM-DD``, within the definition's bounds."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(ISO_DATE, value):
            raise self.fail(f"{self.noun} must be a real date")
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(f"{self.noun} must be a real date") from None
        problem = date_problem(self.definition.date, day, dt.date.today())
        if problem:
            raise self.fail(f"{self.noun} {problem}")
        return self._check_rules(day.isoformat())


@register
class DateType(FieldType):
    name = "date"
    answer = DateAnswer

    wtf_class = DatePartsField

    def answer_of(self, definition: Field, field: WTField) -> Any:
        assert isinstance(field, DatePartsField)
        return field.answer()

    def error_anchor(self, field_id: str) -> str:
        return f"{field_id}-day"

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        assert isinstance(field, DatePartsField)
        common = question(definition, field, errors, fieldset=True)
        box = " govuk-input--error" if common["errorMessage"] else ""
        widths = {"day": 2, "month": 2, "year": 4}
        return "govukDateInput", {
            "id": field.id,
            "namePrefix": field.name,
            "fieldset": common["fieldset"],
            "hint": common["hint"],
            "errorMessage": common["errorMessage"],
            "items": [
                {
                    "name": part,
                    "label": part.capitalize(),
                    "classes": f"govuk-input--width-{width}{box}",
                    "value": field.parts[part],
                }
                for part, width in widths.items()
            ],
        }

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {
            "type": "string",
            "format": "date",
            "pattern": ISO_DATE,
            "examples": [self.example(definition, dt.date.today()).isoformat()],
        }

    def example(self, definition: Field, today: dt.date) -> dt.date:
        """A date inside the definition's bounds, worked out from ``today``."""
        rule = definition.date
        if rule is not None and rule.future_only:
            return today + dt.timedelta(days=min(14, rule.max_days_ahead or 14))
        if rule is not None and rule.max_years_ago:
            return today - dt.timedelta(days=365 * rule.max_years_ago // 2)
        return today - dt.timedelta(days=365 * 5)  # a child's birthday reads naturally

    def rules(self, definition: Field) -> list[XRule]:
        said = [XRule("real-date", "Must be a real calendar date.", _real_date)]
        bounds = definition.date
        if bounds is not None and any(
            (bounds.not_future, bounds.future_only, bounds.max_years_ago, bounds.max_days_ahead)
        ):
            said.append(XRule("date-bounds", self._bounds_text(bounds), _within(bounds)))
        return said

    @staticmethod
    def _bounds_text(rule: DateRule) -> str:
        parts = []
        if rule.not_future:
            parts.append("today or in the past")
        if rule.future_only:
            parts.append("after today")
        if rule.max_years_ago:
            parts.append(f"no more than {rule.max_years_ago} years ago")
        if rule.max_days_ahead:
            parts.append(f"no more than {rule.max_days_ahead} days from today")
        return "Must be " + " and ".join(parts) + " (UK date on the server)."

    def show(self, definition: Field, value: Any) -> str:
        return format_date(value)


def _real_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _within(bounds: DateRule) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        day = dt.date.fromisoformat(value)
        return date_problem(bounds, day, dt.date.today()) is None

    return check
