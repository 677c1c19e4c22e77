"""Which page comes next, which are skipped, and where an error belongs.

Conditions are declarative (see ``definitions.model.Condition``); nothing from
a schema file is ever evaluated as code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..definitions.model import Field, FormDefinition, Page, Stop


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
    """The first stop whose trigger answer was given, if any."""
    for fld in fields:
        if fld.stop is not None and answers.get(fld.name) == fld.stop.when:
            return fld.stop
    return None


def page_for_error(form: FormDefinition, path: str) -> Page | None:
    """The page holding the answer at ``path`` (``"household.0.first_name"``)."""
    top = path.split(".", 1)[0]
    for page in form.pages:
        if any(f.name == top for f in page.fields):
            return page
    return None


def reveal_layout(fields: tuple[Field, ...]) -> list[tuple[Field, dict[str, list[Field]]]]:
    """Fields in order, with those shown by one radio answer nested under it.

    A field whose condition is "sibling radio equals X" is revealed inside
    option X (the GOV.UK conditional reveal). Other conditional fields stay in
    sequence and are simply ignored by the server when not applicable.
    """
    by_name = {f.name: f for f in fields}
    nested: dict[str, dict[str, list[Field]]] = {}
    placed: set[str] = set()
    for fld in fields:
        cond = fld.show_if
        if cond is None or cond.field not in by_name:
            continue
        controller = by_name[cond.field]
        if controller.type not in {"yes_no", "choice"} or len(controller.options) > 12:
            continue
        single: Any = (
            cond.equals
            if cond.one_of is None
            else (cond.one_of[0] if len(cond.one_of) == 1 else None)
        )
        if single is None and cond.equals is None:
            continue
        key = {True: "yes", False: "no"}.get(single, single) if isinstance(single, bool) else single
        nested.setdefault(controller.name, {}).setdefault(str(key), []).append(fld)
        placed.add(fld.name)
    return [(f, nested.get(f.name, {})) for f in fields if f.name not in placed]
