"""Where each question goes on a page: in order, or revealed under the radio that shows it."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from wtforms import Form

from ..definitions.model import Field
from .base import type_of
from .widgets import Errors


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
        if not type_of(controller).hosts_reveals(controller):
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


def render_fields(fields: tuple[Field, ...], form: Form, errors: Errors) -> Markup:
    """Every question of a scope, each drawn by its own GOV.UK component."""
    html = Markup("")
    for fld, reveals in reveal_layout(fields):
        conditional = {
            value: render_fields(tuple(inner), form, errors) for value, inner in reveals.items()
        }
        html += form[fld.name](errors=errors, conditional=conditional)
    return html
