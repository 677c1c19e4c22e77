"""Template helpers for the GOV.UK pages (Jinja globals and filters)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask

from ..definitions.model import Field, FormDefinition, Page
from ..documents.context import display_value, format_date
from ..flow.navigation import reveal_layout, visible_pages

INPUT_TYPES = {"email": "email", "phone": "tel"}
INPUT_WIDTHS = {
    "postcode": "govuk-input--width-10",
    "phone": "govuk-input--width-20",
    "nhs_number": "govuk-input--width-10",
    "number": "govuk-input--width-3",
}


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
        if fld.type == "group":
            rows.extend(rows_for(fld.fields, scope.get(fld.name) or {}))
        elif fld.type != "repeating":
            value = scope.get(fld.name)
            rows.append(
                (fld.label, display_value(fld, value) if value is not None else "Not given")
            )
    return rows


def option_triples(fld: Field) -> list[tuple[str, str, str | None]]:
    """(value, label, hint) for radios; yes/no questions get Yes and No."""
    if fld.type == "yes_no":
        return [("yes", "Yes", None), ("no", "No", None)]
    return [(o.value, o.label, o.hint) for o in fld.options]


UK = ZoneInfo("Europe/London")


def uk_time(moment: dt.datetime | None, *, date_only: bool = False) -> str:
    """A stored UTC time as people in the council read it: "3 December 2026 at 6:23pm"."""
    if moment is None:
        return ""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(UK)
    day = f"{local.day} {local:%B %Y}"
    if date_only:
        return day
    hour = local.hour % 12 or 12
    return f"{day} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def pages_for(form: FormDefinition, answers: dict[str, Any]) -> list[Page]:
    return visible_pages(form, answers)


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        reveal_layout=reveal_layout,
        item_name=item_name,
        item_summary=item_summary,
        rows_for=rows_for,
        option_triples=option_triples,
        pages_for=pages_for,
        input_types=INPUT_TYPES,
        input_widths=INPUT_WIDTHS,
        service_name="Early Help forms",
        format_date=format_date,
        uk_time=uk_time,
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
