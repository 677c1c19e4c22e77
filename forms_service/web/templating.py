"""Template helpers for the GOV.UK pages (Jinja globals and filters)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from ..definitions.model import Field, FormDefinition, Page
from ..fieldtypes import display_value, render_fields, type_of
from ..flow.navigation import visible_pages
from ..formats import format_date, format_datetime


def item_name(group: Field, item: dict[str, Any], number: int) -> str:
    """How an item is called in lists: "Family member 2: Ann Smith"."""
    shown = [display_value(group.child(n), item[n]) for n in group.summary[:2] if n in item]
    label = (
        f"{group.item_label[:1].upper()}{group.item_label[1:]} {number}"
        if group.item_label
        else str(number)
    )
    return f"{label}: {' '.join(shown)}" if shown else label


def item_summary(group: Field, item: dict[str, Any]) -> str:
    """The rest of the summary fields, for the value column."""
    return ", ".join(display_value(group.child(n), item[n]) for n in group.summary[2:] if n in item)


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


def with_article(noun: str) -> str:
    """The noun with "a" or "an" by its first letter ("an Early Help request"),
    which is right for every form name this service has."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def pages_for(form: FormDefinition, answers: dict[str, Any]) -> list[Page]:
    return visible_pages(form, answers)


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        render_fields=render_fields,
        item_name=item_name,
        item_summary=item_summary,
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

    app.jinja_env.filters["with_article"] = with_article
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    static = Blueprint(
        "app_assets",
        __name__,
        static_folder=str(Path(__file__).parent / "static" / "app"),
        static_url_path="/app-assets",
    )
    app.register_blueprint(static)
