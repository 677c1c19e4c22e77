"""Template helpers for the GOV.UK pages (Jinja globals and filters)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from ..definitions.model import Field, FormDefinition, Page
from ..fieldtypes import display_value, render_fields, type_of
from ..flow.navigation import visible_pages
from ..formats import format_date, format_datetime

#: The longest summary value shown in a list: a long answer is cut with an ellipsis.
SUMMARY_CHARS = 60


def _names(group: Field) -> list[str]:
    """The leading summary fields that name the item (``first_name``, ``name``):
    one-line answers whose field names end in "name", as the documents read them."""
    names = []
    for name in group.summary[:2]:
        if not (type_of(group.child(name)).one_line and name.endswith("name")):
            break
        names.append(name)
    return names


def item_name(group: Field, item: dict[str, Any], number: int) -> str:
    """How an item is called in lists: "Family member 2: Ann Smith", "Need 1".

    Only a name joins the label, so the narrow key column never holds a long
    answer (an action's text) nor runs into the values ("Need 1 Getting a good
    education Mia").
    """
    label = group.item_label or "item"
    called = f"{label[:1].upper()}{label[1:]} {number}"
    shown = [display_value(group.child(n), item[n]) for n in _names(group) if n in item]
    return f"{called}: {' '.join(shown)}" if shown else called


def shorten(text: str, most: int = SUMMARY_CHARS) -> str:
    """One line of at most ``most`` characters, cut at a word with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= most:
        return line
    return line[: most - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def item_values(group: Field, item: dict[str, Any]) -> list[str]:
    """The summary answers that are not the item's name, each short, for the value column."""
    named = set(_names(group))
    return [
        shorten(display_value(group.child(n), item[n]))
        for n in group.summary
        if n in item and n not in named
    ]


def item_summary(group: Field, item: dict[str, Any]) -> str:
    """The summary values on one line, for pages that show them together."""
    return ", ".join(item_values(group, item))


def rows_for(fields: tuple[Field, ...], scope: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer) pairs for check-your-answers, hidden questions left out."""
    rows: list[tuple[str, str]] = []
    for fld in fields:
        if fld.show_if is not None and not fld.show_if.holds(scope):
            continue
        kind = type_of(fld)
        if kind.group:
            rows.extend(rows_for(fld.fields, scope.get(fld.name) or {}))
        elif not kind.repeats:
            value = scope.get(fld.name)
            rows.append((fld.label, display_value(fld, value)))
    return rows


def pages_for(form: FormDefinition, answers: dict[str, Any]) -> list[Page]:
    return visible_pages(form, answers)


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        render_fields=render_fields,
        item_name=item_name,
        item_summary=item_summary,
        item_values=item_values,
        rows_for=rows_for,
        pages_for=pages_for,
        service_name="Early Help forms",
        format_date=format_date,
        uk_time=format_datetime,
    )

    # Read by the attachments widget (fieldtypes/files.py), which renders outside a view.
    app.jinja_env.globals.update(
        uploads_enabled=lambda: app.extensions["forms"].settings.uploads_enabled,
        cspoc_email=lambda: app.extensions["forms"].settings.level4_email,
    )

    @app.context_processor
    def _contacts() -> dict[str, Any]:
        return dict(app.extensions["forms"].settings.contacts)

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    static = Blueprint(
        "app_assets",
        __name__,
        static_folder=str(Path(__file__).parent / "static" / "app"),
        static_url_path="/app-assets",
    )
    app.register_blueprint(static)
