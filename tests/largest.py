"""The largest submission each form accepts: every list full, every text at its limit.

Built from a valid realistic submission (``tests/factories.py``) and the form's
own definition, so when a schema's limits change the largest body changes with
them, and it stays valid: lists are filled by copying their items (never one
that a rule allows only once, such as the lead child), and every text answer,
and every optional text the page would show, is filled to its ``max_length``
with plain words. The result is checked by the service's own validation, so a
test or benchmark using it knows the API would take it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from forms_service.definitions.model import Field, FormDefinition
from forms_service.fieldtypes.answer_options import offered
from forms_service.submissions.service import validate_submission

from .factories import (
    CONTACTS,
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    form,
    tacaf_review_answers,
)

Answers = dict[str, Any]

#: A valid realistic body per form, to grow to the limits.
BASES: dict[str, Callable[[], Answers]] = {
    "ehfsa": ehfsa_answers,
    "cspoc-request": cspoc_request_answers,
    "family-story": family_story_answers,
    "tacaf-review": tacaf_review_answers,
}

#: Plain words, as a practitioner writes: long answers are made of these.
WORDS = (
    "Grace says the mornings are hard because Kayden will not get dressed and the "
    "school bus leaves at eight. The school has seen his attendance fall since "
    "September and his teacher is worried that he is missing reading sessions. "
)

#: Text types that are free text (others, such as phone or email, keep their value).
FREE_TEXT = ("text", "long_text")


def prose(length: int) -> str:
    """``length`` characters of plain words, a new paragraph about every 400."""
    text = ""
    while len(text) < length:
        text += WORDS if len(text) % 400 > 250 or not text else WORDS.rstrip() + "\n"
    return text[:length].rstrip() + "." * (length - len(text[:length].rstrip()))


def largest_answers(form_id: str) -> Answers:
    """The largest valid submission of ``form_id`` (validated before it is returned)."""
    definition = form(form_id)
    answers = copy.deepcopy(BASES[form_id]())
    fields = tuple(definition.fields)
    _grow(fields, answers)
    _choose_people(fields, answers, answers, fields)
    return validate_submission(definition, answers, CONTACTS)


def _grow(fields: tuple[Field, ...], scope: Answers) -> None:
    for fld in fields:
        if fld.show_if is not None and not fld.show_if.holds(scope):
            continue
        value = scope.get(fld.name)
        if fld.type == "repeating":
            items = value if isinstance(value, list) else []
            _fill_list(fld, items)
            scope[fld.name] = items
            for item in items:
                _grow(fld.fields, item)
        elif fld.type == "group":
            group = value if isinstance(value, dict) else {}
            scope[fld.name] = group
            _grow(fld.fields, group)
        elif fld.type in FREE_TEXT and fld.max_length and (value or not fld.required):
            scope[fld.name] = prose(fld.max_length)


def _choose_people(
    fields: tuple[Field, ...], scope: Answers, answers: Answers, top: tuple[Field, ...]
) -> None:
    """Names grew with the text: each choice drawn from the answers (who does an action)
    takes the longest person now offered, as the largest body would."""
    for fld in fields:
        value = scope.get(fld.name)
        if fld.options_from_answers and value is not None:
            scope[fld.name] = max(offered(fld, answers, top), key=lambda o: len(o.value)).value
        elif fld.type == "repeating" and isinstance(value, list):
            for item in value:
                _choose_people(fld.fields, item, answers, top)
        elif fld.type == "group" and isinstance(value, dict):
            _choose_people(fld.fields, value, answers, top)


def _fill_list(fld: Field, items: list[Answers]) -> None:
    """Copy items that no rule limits (another child, not a second lead child) up to the max."""
    if not items or not fld.max_items:
        return
    spare = [item for item in items if _copyable(fld, item)] or items[-1:]
    index = 0
    while len(items) < fld.max_items:
        items.append(copy.deepcopy(spare[index % len(spare)]))
        index += 1


def _copyable(fld: Field, item: Mapping[str, Any]) -> bool:
    """An item that can appear any number of times without breaking an item rule."""
    return all(
        rule.max_count is None or item.get(rule.field) not in rule.one_of for rule in fld.item_rules
    )


def largest(form_id: str) -> tuple[FormDefinition, Answers]:
    """The form and its largest valid submission."""
    return form(form_id), largest_answers(form_id)
