"""Start a form from an earlier submission: "a single, cumulative assessment".

What is copied is declared in the target form's ``prefill:`` list, so a
Family Story Assessment can start from an EHFSA and a review from the previous
plan with no Python per form. Only a member of staff who may work with the
family can start from its reference (``families.service.source_for_start``
asks the access policy and writes the audit event); an unknown reference,
someone else's and one from a form that cannot feed this one all get one
answer, so a reference is never a key to a family's record.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

from .. import audit
from ..auth.actor import Actor
from ..auth.policy import can_start_from
from ..definitions.model import Copy, FormDefinition, fill, value_at
from ..families.service import source_for_start
from ..services import Services
from .references import looks_like_reference

REFERENCE_KEY = "_reference"
#: One answer for an unknown reference, someone else's, and the wrong kind of form.
NOT_FOUND = "We could not find a record you can start from with that reference"
BAD_FORMAT = "Enter a reference in the correct format, like FS-7K3Q-2MZD"


class PrefillError(Exception):
    """The reference cannot be used to start this form; the message says why."""


@dataclass(frozen=True)
class Prefilled:
    """Answers copied from an earlier submission, and the family they belong to."""

    answers: dict[str, Any]
    family_id: str


def prefill_answers(
    services: Services, form: FormDefinition, reference: str, actor: Actor
) -> Prefilled:
    """Answers for ``form`` copied from the submission with ``reference``, if ``actor`` may.

    Every refusal that could tell whether a reference exists (unknown, not
    theirs, the wrong kind) gives the same message and takes at least
    ``start_from_floor_seconds``, so neither the words nor the time say which.
    """
    started = time.monotonic()
    reference = reference.strip().upper()
    if not form.prefill or not can_start_from(actor):
        refused(services, actor, "not allowed to start from a reference")
        title = form.a_title
        raise PrefillError(f"{title[:1].upper()}{title[1:]} cannot be started from a reference")
    if not looks_like_reference(reference):
        refused(services, actor, "not a reference")
        raise PrefillError(BAD_FORMAT)
    source = source_for_start(services, actor, reference, form)
    plan = form.prefill_from(source.form_id) if source is not None else None
    if source is None or plan is None:
        remaining = services.settings.start_from_floor_seconds - (time.monotonic() - started)
        time.sleep(max(0.0, remaining))
        raise PrefillError(NOT_FOUND)
    source_answers = {**source.answers, REFERENCE_KEY: source.reference}
    answers: dict[str, Any] = {}
    for step in plan.copies:
        _apply(answers, step, source_answers)
    return Prefilled(answers, source.family_id)


def refused(services: Services, actor: Actor, why: str) -> None:
    """Record a start from a reference refused before any record was looked up."""
    audit.write(services.sessions, actor.who, "submission.start_from", outcome="denied", detail=why)


def _apply(answers: dict[str, Any], step: Copy, source: dict[str, Any]) -> None:
    """Carry one declared step (see :class:`Copy` for what each key does)."""
    value = value_at(source, step.source)
    if value is None or value == "" or value == []:
        return
    if step.value is not None:
        _put(answers, step.target, copy.deepcopy(step.value))
    elif step.format is not None:
        text = _as_text(value, step)
        if text:
            _put(answers, step.target, text)
    elif step.into is not None:
        item = {step.into: copy.deepcopy(value), **dict(step.set)}
        _put(answers, step.target, [*_get_list(answers, step.target), item])
    elif isinstance(value, list):
        items = [_map_item(item, step) for item in _chosen(value, step)]
        _put(answers, step.target, [*_get_list(answers, step.target), *items])
    elif isinstance(value, dict):
        _put(answers, step.target, _map_item(value, step))
    else:
        _put(answers, step.target, copy.deepcopy(value))


def _chosen(value: list[Any], step: Copy) -> list[dict[str, Any]]:
    """The items of a list the step copies: mappings that ``where`` holds for."""
    return [
        item
        for item in value
        if isinstance(item, dict) and (step.where is None or step.where.holds(item))
    ]


def _as_text(value: Any, step: Copy) -> str:
    """A group, or each chosen item of a list, written out by ``step.format``."""
    assert step.format is not None
    if isinstance(value, dict):
        return fill(step.format, value)
    if isinstance(value, list):
        return "\n\n".join(t for t in (fill(step.format, i) for i in _chosen(value, step)) if t)
    return str(value).strip()


def _map_item(item: dict[str, Any], step: Copy) -> dict[str, Any]:
    if step.fields:
        mapped = {to: _mapped(item, src) for to, src in step.fields if "{" in src or src in item}
        mapped = {to: answer for to, answer in mapped.items() if answer not in (None, "")}
    else:
        mapped = copy.deepcopy(item)
    mapped.update(dict(step.set))
    return mapped


def _mapped(item: dict[str, Any], src: str) -> Any:
    """One target answer: the source answer ``src`` or, for a template, the text it makes."""
    return fill(src, item) if "{" in src else copy.deepcopy(item[src])


def _get_list(answers: dict[str, Any], path: str) -> list[Any]:
    value = value_at(answers, path)
    return value if isinstance(value, list) else []


def _put(answers: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    scope = answers
    for part in parents:
        scope = scope.setdefault(part, {})
    scope[last] = value
