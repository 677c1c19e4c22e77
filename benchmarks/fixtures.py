"""The realistic fixtures every benchmark uses.

All are built from the one family in ``tests/factories.py``:

* ``ehfsa-8``: an EHFSA with 8 household members (``ehfsa_answers(8)``).
* ``family-story-12``: a Family Story Assessment whose plan has 12 actions
  (``family_story_answers(actions=12)``); renders the record and the family's plan.
* ``ehfsa-largest``: the largest EHFSA the API accepts (``tests/largest.py``):
  every list at its most items, and every text answer (required or optional,
  where it applies) at its maximum length.

Each fixture is the API body (what clients POST) plus the validated answers
(what the documents are made from).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from forms_service.definitions.model import FormDefinition
from forms_service.submissions.service import validate_submission
from tests.factories import CONTACTS, ehfsa_answers, family_story_answers, form
from tests.largest import largest_answers


@dataclass(frozen=True)
class Fixture:
    name: str
    form: FormDefinition
    body: dict[str, Any]  # what a client POSTs
    answers: dict[str, Any]  # validated, what the documents are made from


def _valid(fx_form: FormDefinition, body: dict[str, Any]) -> dict[str, Any]:
    return validate_submission(fx_form, copy.deepcopy(body), CONTACTS)


def fixtures() -> dict[str, Fixture]:
    ehfsa, story = form("ehfsa"), form("family-story")
    bodies = {
        "ehfsa-8": (ehfsa, ehfsa_answers(8)),
        "family-story-12": (story, family_story_answers(actions=12)),
        "ehfsa-largest": (ehfsa, largest_answers("ehfsa")),
    }
    return {
        name: Fixture(name, fx_form, body, _valid(fx_form, body))
        for name, (fx_form, body) in bodies.items()
    }
