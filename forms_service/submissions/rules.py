"""Rules across pages, warnings and computed values, all declared in the schema.

``check_rules`` refuses a submission (like any field error); ``warnings``
are shown to the user and in documents but do not block; ``computed`` values
(such as the 10 and 15 working-day dates) are derived, never typed. Each rule
and computed value checks or works itself out (see ``definitions/model.py``),
counting working days in the form's calendar: bank holidays and the
deployment's closure days.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..definitions.model import FormDefinition
from ..fieldtypes.answer_options import unoffered


def check_rules(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Errors keyed by the path of the field to correct.

    Besides the schema's ``rules:``, a choice whose options come from other
    answers ("Who will do it?") must be one those answers offer.
    """
    fields = tuple(form.fields)
    errors: dict[str, list[str]] = {}
    for rule in form.rules:
        for message in rule.broken(form, answers, form.calendar):
            errors.setdefault(rule.error_path, []).append(message)
    for path, messages in unoffered(fields, answers, answers, fields).items():
        errors.setdefault(path, []).extend(messages)
    return errors


def warnings(form: FormDefinition, answers: Mapping[str, Any]) -> list[str]:
    """Advice that does not block sending."""
    return [m for rule in form.warnings for m in rule.broken(form, answers, form.calendar)]


def computed(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``{name: {"label": ..., "value": "YYYY-MM-DD"}}`` for values that can be worked out."""
    values: dict[str, dict[str, str]] = {}
    for item in form.computed:
        value = item.value(answers, form.calendar)
        if value is not None:
            values[item.name] = {"label": item.label, "value": value.isoformat()}
    return values
