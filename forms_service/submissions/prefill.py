"""Start a form from an earlier submission: "a single, cumulative assessment".

What is copied is declared in the target form's ``prefill:`` list, so a
Family Story Assessment can start from an EHFSA and a review from the previous
plan with no Python per form. An unknown reference, or one from a form that
cannot feed this one, is refused with a clear message: never someone else's
data, never silently.
"""

from __future__ import annotations

import copy
from typing import Any

from ..definitions.model import Copy, FormDefinition
from ..services import Services
from .references import looks_like_reference
from .rules import value_at
from .service import find_by_reference

REFERENCE_KEY = "_reference"


class PrefillError(Exception):
    """The reference cannot be used to start this form; the message says why."""


def prefill_answers(services: Services, form: FormDefinition, reference: str) -> dict[str, Any]:
    """Answers for ``form`` copied from the submission with ``reference``."""
    reference = reference.strip().upper()
    sources = ", ".join(p.form for p in form.prefill)
    if not form.prefill:
        raise PrefillError(f"A {form.short_title.lower()} cannot be started from a reference")
    if not looks_like_reference(reference):
        raise PrefillError("Enter a reference in the correct format, like FS-7K3Q-2MZD")
    source = find_by_reference(services, reference)
    if source is None:
        raise PrefillError(f"There is no submission with the reference {reference}")
    plan = form.prefill_from(source.form_id)
    if plan is None:
        kinds = " or ".join(services.registry.get(f).short_title for f in sources.split(", "))
        raise PrefillError(
            f"{reference} cannot be used here. A {form.short_title.lower()} starts from "
            f"the reference of: {kinds}"
        )
    source_answers = {**source.answers, REFERENCE_KEY: source.reference}
    answers: dict[str, Any] = {}
    for step in plan.copies:
        _apply(answers, step, source_answers)
    return answers


def _apply(answers: dict[str, Any], step: Copy, source: dict[str, Any]) -> None:
    value = value_at(source, step.source)
    if value is None:
        return
    if isinstance(value, list):
        items = [_map_item(item, step) for item in value if isinstance(item, dict)]
        items = [
            item
            for item, original in zip(items, value, strict=False)
            if step.where is None or step.where.holds(original)
        ]
        _put(answers, step.target, [*(_get_list(answers, step.target)), *items])
    elif isinstance(value, dict):
        _put(answers, step.target, _map_item(value, step))
    else:
        _put(answers, step.target, copy.deepcopy(value))


def _map_item(item: dict[str, Any], step: Copy) -> dict[str, Any]:
    if step.fields:
        mapped = {to: copy.deepcopy(item[src]) for to, src in step.fields if src in item}
    else:
        mapped = copy.deepcopy(item)
    mapped.update(dict(step.set))
    return mapped


def _get_list(answers: dict[str, Any], path: str) -> list[Any]:
    value = value_at(answers, path)
    return value if isinstance(value, list) else []


def _put(answers: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    scope = answers
    for part in parents:
        scope = scope.setdefault(part, {})
    scope[last] = value
