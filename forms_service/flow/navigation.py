"""Which page comes next, which are skipped, and where an error belongs.

Conditions are declarative (see ``definitions.model.Condition``); nothing from
a schema file is ever evaluated as code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..definitions.model import Advice, Field, FormDefinition, Page, Stop


def visible_pages(form: FormDefinition, answers: Mapping[str, Any]) -> list[Page]:
    """The pages this user sees, in order, given the answers so far."""
    return [p for p in form.pages if p.show_if is None or p.show_if.holds(dict(answers))]


def next_page(form: FormDefinition, current: str, answers: Mapping[str, Any]) -> Page | None:
    """The page after ``current``; None means check-your-answers."""
    pages = visible_pages(form, answers)
    ids = [p.id for p in pages]
    if current not in ids:
        return pages[0] if pages else None
    index = ids.index(current)
    return pages[index + 1] if index + 1 < len(pages) else None


def previous_page(form: FormDefinition, current: str, answers: Mapping[str, Any]) -> Page | None:
    """The page before ``current``; None means the start page."""
    pages = visible_pages(form, answers)
    ids = [p.id for p in pages]
    if current not in ids or ids.index(current) == 0:
        return None
    return pages[ids.index(current) - 1]


def triggered_stop(fields: tuple[Field, ...], answers: Mapping[str, Any]) -> Stop | None:
    """The first stop whose trigger answer was given, if any.

    ``answers`` are the page's answers over the saved ones, so a stop's
    ``unless`` can read an answer given on an earlier page.
    """
    for fld in fields:
        if fld.stop is not None and fld.stop.applies(answers.get(fld.name), answers):
            return fld.stop
    return None


def triggered_advice(
    fields: tuple[Field, ...], answers: Mapping[str, Any]
) -> tuple[Field, Advice] | None:
    """The first question answered with its advice answer ("Not sure"), and its advice."""
    for fld in fields:
        if fld.advice is not None and answers.get(fld.name) == fld.advice.when:
            return fld, fld.advice
    return None


def page_for_error(form: FormDefinition, path: str) -> Page | None:
    """The page holding the answer at ``path`` (``"household.0.first_name"``)."""
    top = path.split(".", 1)[0]
    for page in form.pages:
        if any(f.name == top for f in page.fields):
            return page
    return None
