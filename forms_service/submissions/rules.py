"""Rules across pages, warnings and computed values, all declared in the schema.

``check_rules`` refuses a submission (like any field error); ``warnings``
are shown to the user and in documents but do not block; ``computed`` values
(such as the 10 and 15 working-day dates) are derived, never typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..definitions.loader import resolve
from ..definitions.model import FormDefinition, FormRule
from ..workdays import WorkingCalendar

#: England and Wales bank holidays.
CALENDAR = WorkingCalendar()


def value_at(answers: Mapping[str, Any], path: str) -> Any:
    """The answer at a dotted path, or None."""
    current: Any = answers
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _as_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _broken(form: FormDefinition, rule: FormRule, answers: Mapping[str, Any]) -> list[str]:
    """Messages for each way ``answers`` break ``rule`` (empty when it holds)."""
    if rule.kind == "covers":
        items = value_at(answers, rule.items or "") or []
        covering = {item.get(rule.by_key) for item in value_at(answers, rule.by or "") or []}
        group = resolve(tuple(form.fields), rule.items or "")
        key_field = group.child(rule.key or "") if group else None
        messages = []
        for item in items:
            if rule.where is not None and not rule.where.holds(item):
                continue
            value = item.get(rule.key)
            if value not in covering:
                label = key_field.option_label(value) if key_field else str(value)
                messages.append(rule.message.replace("{label}", label))
        return messages
    later, earlier = (
        _as_date(value_at(answers, rule.field or "")),
        _as_date(value_at(answers, rule.after or "")),
    )
    if later is None or earlier is None:
        return []
    if rule.working_days:
        too_late = later > CALENDAR.add_working_days(earlier, rule.max_days or 0)
    else:
        too_late = (later - earlier).days > (rule.max_days or 0)
    if later < earlier or too_late:
        return [rule.message]
    return []


def check_rules(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Errors keyed by the path of the field to correct."""
    errors: dict[str, list[str]] = {}
    for rule in form.rules:
        for message in _broken(form, rule, answers):
            path = rule.by if rule.kind == "covers" else rule.field
            errors.setdefault(path or "_form", []).append(message)
    return errors


def warnings(form: FormDefinition, answers: Mapping[str, Any]) -> list[str]:
    """Advice that does not block sending."""
    return [m for rule in form.warnings for m in _broken(form, rule, answers)]


def computed(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``{name: {"label": ..., "value": "YYYY-MM-DD"}}`` for values that can be worked out."""
    values: dict[str, dict[str, str]] = {}
    for item in form.computed:
        start = _as_date(value_at(answers, item.field))
        if start is not None:
            due = CALENDAR.add_working_days(start, item.days)
            values[item.name] = {"label": item.label, "value": due.isoformat()}
    return values
