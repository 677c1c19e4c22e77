"""Choices whose options come from other answers of the same submission.

A schema says where (``options_from_answers:`` on a ``choice``): "Who will do
it?" offers each household member as "first name last name", each
professional as "name (agency)", then the field's fixed ``options`` ("The
whole family"). The options therefore depend on the answers, so a choice
cannot be checked alone: its own type only checks that it is a line of text,
and :func:`unoffered` checks it against the options of the answers it is sent
with (the whole submission when it is sent; the saved draft while a page is
filled in).

**What is stored is the option's text** ("Grace Okonkwo", "Hannah Lee
(School nurse)"), not an index or a generated key, because:

- it survives the list being reordered, or a person being added or removed;
- it reads the same in the API, in the documents and in any later form that
  copies it (a review carries an action's ``who`` forward as text), with no
  lookup that could fail once the household has changed;
- it can be tested later against the household's answers (the family's plan
  leaves out an action whose person is left out of the family's copy).

The cost is that renaming a person changes the text: the earlier choice is
then no longer offered, and the form asks for it to be chosen again before it
is sent, so a stored submission always names someone in its own answers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from ..definitions.model import AnswerOptions, Field, Option, resolve
from .base import display_value, type_of

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
#: A label's leftovers when a bracketed answer is blank: "Ann ()" → "Ann".
_EMPTY_BRACKETS = re.compile(r"\(\s*\)")


def tidy(text: str) -> str:
    """Text as options are compared: NFC, white space folded, empty brackets dropped."""
    text = _EMPTY_BRACKETS.sub("", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def _items(answers: Mapping[str, Any], source: AnswerOptions) -> list[Mapping[str, Any]]:
    value = answers.get(source.source)
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def _label(source: AnswerOptions, group: Field, item: Mapping[str, Any]) -> str:
    """One item's option text ("" when every answer it would show is blank)."""
    shown: dict[str, str] = {}
    for name in source.placeholders:
        value = item.get(name)
        blank = value in (None, "", [])
        shown[name] = "" if blank else display_value(group.child(name), value)
    if not any(text.strip() for text in shown.values()):
        return ""
    return tidy(_PLACEHOLDER.sub(lambda m: shown[m.group(1)], source.label))


def offered(
    definition: Field, answers: Mapping[str, Any], fields: tuple[Field, ...]
) -> tuple[Option, ...]:
    """The options ``definition`` offers for ``answers`` (``fields``: the form's, top level).

    Drawn options come first, in the order of their sources and items, then
    the fixed ones; a text offered twice (two people of the same name) is
    offered once.
    """
    options: list[Option] = []
    seen: set[str] = set()
    for source in definition.options_from_answers:
        group = resolve(fields, source.source)
        if group is None:
            continue
        for item in _items(answers, source):
            text = _label(source, group, item)
            if text and text not in seen:
                seen.add(text)
                options.append(Option(value=text, label=text))
    for option in definition.options:
        if option.value not in seen:
            seen.add(option.value)
            options.append(option)
    return tuple(options)


def not_offered_message(definition: Field) -> str:
    """The message for an answer that is not one of the options (names the field)."""
    return (
        definition.messages.get("not_offered")
        or f"Select {definition.noun}: choose someone listed on this form"
    )


def unoffered(
    definitions: tuple[Field, ...],
    scope: Any,
    answers: Mapping[str, Any],
    fields: tuple[Field, ...],
    prefix: str = "",
) -> dict[str, list[str]]:
    """Errors, by dotted path, for each answer in ``scope`` that its options do not offer.

    ``scope`` holds answers to ``definitions`` (a page, an item, the whole
    form); ``answers`` are the submission's answers the options come from.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(scope, Mapping):
        return errors
    for fld in definitions:
        value = scope.get(fld.name)
        path = f"{prefix}{fld.name}"
        if fld.options_from_answers and isinstance(value, str) and value:
            if value not in {o.value for o in offered(fld, answers, fields)}:
                errors[path] = [not_offered_message(fld)]
        elif type_of(fld).group:
            errors.update(unoffered(fld.fields, value, answers, fields, f"{path}."))
        elif type_of(fld).repeats and isinstance(value, list):
            for index, item in enumerate(value):
                errors.update(unoffered(fld.fields, item, answers, fields, f"{path}.{index}."))
    return errors


def described(definition: Field, fields: tuple[Field, ...]) -> str:
    """The options in words, for the published schema ("an item of 'household' …")."""
    parts = [
        f"an item of '{source.source}' written as "
        + _PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", source.label)
        for source in definition.options_from_answers
        if resolve(fields, source.source) is not None
    ]
    fixed = [f"'{o.value}'" for o in definition.options]
    if fixed:
        parts.append("one of " + ", ".join(fixed))
    return (
        "One of the options the other answers of this submission offer: "
        + "; ".join(parts)
        + " (a choice answer written as its option's label)."
    )
