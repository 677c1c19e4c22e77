"""Which needs a form's answers name: the programme's headlines.

Their codes and labels live in one place, ``form_schemas/data/programme.yaml``
(the Families First Partnership programme); the forms take them from there.

A need is an item of any repeating question whose items have a ``headline``
choice (the shared ``need`` block), unless assessed as not applying. Pure
functions over a form and its answers, used on submit (the ``family_needs``
index) and by the claim export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..definitions.model import Field, FormDefinition, value_at

#: The choice that names a need's programme headline, in every block that has one.
HEADLINE = "headline"
#: A need looked at but answered "does not apply" (the Family Story's assessment of each need).
APPLIES = "applies"
#: A need whose outcome a review records as met.
OUTCOME_MET = "indicator_met"


def need_lists(form: FormDefinition) -> list[tuple[str, Field]]:
    """(dotted path, question) of each repeating question of ``form`` whose items name a
    headline, through groups."""

    def walk(fields: Iterable[Field], prefix: str) -> Iterator[tuple[str, Field]]:
        for fld in fields:
            if fld.type == "repeating" and any(c.name == HEADLINE for c in fld.fields):
                yield prefix + fld.name, fld
            elif fld.type == "group":
                yield from walk(fld.fields, f"{prefix}{fld.name}.")

    return list(walk(form.fields, ""))


def _items(form: FormDefinition, answers: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every item of ``form``'s headline lists in ``answers``."""
    for path, _ in need_lists(form):
        value = value_at(answers, path)
        if isinstance(value, list):
            yield from (item for item in value if isinstance(item, Mapping))


def needs_in(form: FormDefinition, answers: Mapping[str, Any]) -> set[str]:
    """The headlines these answers name as needs (not those assessed as not applying)."""
    return {
        item[HEADLINE]
        for item in _items(form, answers)
        if isinstance(item.get(HEADLINE), str) and item.get(APPLIES) is not False
    }


def outcomes_met_in(form: FormDefinition, answers: Mapping[str, Any]) -> set[str]:
    """The headlines whose outcome these answers record as met."""
    return {
        item[HEADLINE]
        for item in _items(form, answers)
        if isinstance(item.get(HEADLINE), str) and item.get(OUTCOME_MET) is True
    }
