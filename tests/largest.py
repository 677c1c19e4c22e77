"""The largest submission each form accepts, built from its published limits.

Starting from the form's realistic answers in ``tests/factories.py``, every
repeating group is filled to its ``max_items`` (by repeating its own items) and
every visible text answer, optional ones too, to its ``max_length``, as read
from the form's definition: when the limits in ``form_schemas/`` change, so
does the largest submission. An answer a rule refuses at that length (a name
pattern, a rule across items) is put back as the factory wrote it, until the
whole submission validates.

Used by the slow-lane tests and benchmarks (issue 14): "10 largest
submissions, then 1 normal one".
"""

from __future__ import annotations

import copy
from typing import Any

from forms_service.definitions.model import Field, FormDefinition
from forms_service.submissions.answers import AnswersInvalid
from forms_service.submissions.service import validate_submission
from tests.factories import BUILDERS, CONTACTS, Answers, form

WORDS = (
    "Attendance dropped after the move and mornings are hard; Grace works evenings, "
    "the children are late most days and the school has offered a breakfast club place. "
)
REPAIRS = 200


def filler(length: int) -> str:
    """``length`` characters of plausible prose, with a line break every ~400."""
    text = ""
    while len(text) < length:
        text += WORDS if len(text) % 400 > 250 or not text else WORDS.rstrip() + "\n"
    text = text[:length].rstrip()
    return text + "x" * (length - len(text))


def largest_answers(definition: FormDefinition, base: Answers | None = None) -> Answers:
    """The largest valid answers to ``definition`` (see the module's docstring)."""
    start = base if base is not None else BUILDERS[definition.id]()
    body = copy.deepcopy(start)
    _maximise(definition.fields, body)
    for _ in range(REPAIRS):
        try:
            return validate_submission(definition, copy.deepcopy(body), CONTACTS)
        except AnswersInvalid as exc:
            for path in exc.errors:
                _restore(body, start, path.split("."))
    raise RuntimeError(f"could not build a valid largest {definition.id}")


def largest(form_id: str) -> tuple[FormDefinition, Answers]:
    """The form ``form_id`` and its largest valid answers."""
    definition = form(form_id)
    return definition, largest_answers(definition)


def _maximise(fields: tuple[Field, ...], data: dict[str, Any]) -> None:
    for fld in fields:
        if fld.show_if is not None and not fld.show_if.holds(dict(data)):
            continue
        if fld.type == "group":
            inner = data.setdefault(fld.name, {})
            if isinstance(inner, dict):
                _maximise(fld.fields, inner)
        elif fld.type == "repeating":
            items = data.get(fld.name)
            if isinstance(items, list) and items and fld.max_items:
                data[fld.name] = items + _repeats(items, fld.max_items - len(items))
            for item in data.get(fld.name) or []:
                _maximise(fld.fields, item)
        elif fld.type in ("text", "long_text") and fld.max_length:
            data[fld.name] = filler(fld.max_length)


def _repeats(items: list[Any], count: int) -> list[Any]:
    """``count`` copies of the items after the first, in turn: the first item is
    often the one a rule wants exactly one of (the child the request is about)."""
    pool = items[1:] or items
    return [copy.deepcopy(pool[i % len(pool)]) for i in range(max(count, 0))]


def _restore(body: Any, base: Any, path: list[str]) -> None:
    """Put back the answer at ``path`` as ``base`` has it (an item beyond the base's
    list is a repeat of one of its items), or drop it when the base has none."""
    target, source = body, base
    for step in path[:-1]:
        key: Any = int(step) if step.isdigit() else step
        try:
            target = target[key]
        except (KeyError, IndexError, TypeError):
            return
        source = _step(source, key)
    last: Any = int(path[-1]) if path[-1].isdigit() else path[-1]
    original = _step(source, last)
    if isinstance(target, dict):
        if original is None:
            target.pop(last, None)
        else:
            target[last] = copy.deepcopy(original)
    elif isinstance(target, list) and isinstance(last, int) and last < len(target):
        if original is not None:
            target[last] = copy.deepcopy(original)


def _step(source: Any, key: Any) -> Any:
    if isinstance(source, list) and isinstance(key, int) and source:
        if key < len(source):
            return source[key]
        pool = source[1:] or source
        return pool[(key - len(source)) % len(pool)]
    if isinstance(source, dict):
        return source.get(key)
    return None
