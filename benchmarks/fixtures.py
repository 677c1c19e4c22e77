"""The realistic fixtures every benchmark uses.

All are built from the one family in ``tests/factories.py``:

* ``ehfsa-8``: an EHFSA with 8 household members (``ehfsa_answers(8)``).
* ``family-story-12``: a Family Story Assessment whose plan has 12 actions
  (``family_story_answers(actions=12)``); renders the record and the family's plan.
* ``ehfsa-largest``: the largest EHFSA the API accepts: 20 household members
  (``ehfsa_answers(20)``), the most needs and professionals allowed, and every
  text answer (required or optional, where it applies) at its maximum length.

Each fixture is the API body (what clients POST) plus the validated answers
(what the documents are made from).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from forms_service.definitions.model import Field, FormDefinition
from forms_service.submissions.answers import AnswersInvalid
from forms_service.submissions.service import validate_submission
from tests.factories import CONTACTS, ehfsa_answers, family_story_answers, form

WORDS = (
    "Attendance dropped after the move and mornings are hard; Grace works evenings, "
    "the children are late most days and the school has offered a breakfast club place. "
)


@dataclass(frozen=True)
class Fixture:
    name: str
    form: FormDefinition
    body: dict[str, Any]  # what a client POSTs
    answers: dict[str, Any]  # validated, what the documents are made from


def filler(length: int) -> str:
    """``length`` characters of plausible prose with a line break every ~400."""
    text = ""
    while len(text) < length:
        text += WORDS if len(text) % 400 > 250 or not text else WORDS.rstrip() + "\n"
    return text[:length].rstrip() + "x" * (length - len(text[:length].rstrip()))


def _maximise(fields: tuple[Field, ...], data: dict[str, Any]) -> None:
    """Every visible text answer in ``data`` (and optional ones) at its max length."""
    for fld in fields:
        if fld.show_if is not None and not fld.show_if.holds(dict(data)):
            continue
        if fld.type == "group":
            inner = data.setdefault(fld.name, {})
            if isinstance(inner, dict):
                _maximise(fld.fields, inner)
        elif fld.type == "repeating":
            for item in data.get(fld.name) or []:
                _maximise(fld.fields, item)
        elif fld.type in ("text", "long_text") and fld.max_length:
            data[fld.name] = filler(fld.max_length)


def _valid(fx_form: FormDefinition, body: dict[str, Any]) -> dict[str, Any]:
    return validate_submission(fx_form, copy.deepcopy(body), CONTACTS)


def _largest_ehfsa(fx_form: FormDefinition) -> dict[str, Any]:
    base = ehfsa_answers(20)
    base["needs"] = [copy.deepcopy(base["needs"][i % 2]) for i in range(10)]
    base["professionals"] = [copy.deepcopy(base["professionals"][i % 2]) for i in range(20)]
    body = copy.deepcopy(base)
    _maximise(fx_form.fields, body)
    # Put back any answer whose long value a rule refuses (e.g. a name pattern).
    for _ in range(50):
        try:
            _valid(fx_form, body)
            return body
        except AnswersInvalid as exc:
            for path in exc.errors:
                _restore(body, base, path.split("."))
    raise RuntimeError("could not build a valid largest EHFSA")


def _restore(body: dict[str, Any], base: dict[str, Any], path: list[str]) -> None:
    target: Any = body
    source: Any = base
    for step in path[:-1]:
        key: Any = int(step) if step.isdigit() else step
        target = target[key]
        try:
            source = source[key]
        except (KeyError, IndexError, TypeError):
            source = {}
    last: Any = int(path[-1]) if path[-1].isdigit() else path[-1]
    if isinstance(source, dict) and last in source:
        target[last] = copy.deepcopy(source[last])
    elif isinstance(target, dict):
        target.pop(last, None)


def fixtures() -> dict[str, Fixture]:
    ehfsa, story = form("ehfsa"), form("family-story")
    bodies = {
        "ehfsa-8": (ehfsa, ehfsa_answers(8)),
        "family-story-12": (story, family_story_answers(actions=12)),
        "ehfsa-largest": (ehfsa, _largest_ehfsa(ehfsa)),
    }
    return {
        name: Fixture(name, fx_form, body, _valid(fx_form, body))
        for name, (fx_form, body) in bodies.items()
    }
