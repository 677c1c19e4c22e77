"""Fields that render themselves through their GOV.UK Frontend macro.

As in notifications-admin's ``GovukFrontendWidgetMixin``: a WTForms field
carries a widget, and calling the bound field (``form.name(errors=…)``)
renders the GOV.UK component with the parameters its field type works out.
The macros come from ``govuk-frontend-jinja``, so the markup is GOV.UK
Frontend's own. (govuk-frontend-wtf's widgets expect WTForms' own date and
choice fields and WTForms-side errors; ours come from marshmallow, keyed by
field id, and dates post as three named boxes, so only the idea is reused.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from flask import current_app
from markupsafe import Markup
from wtforms import Field as WTField

from ..definitions.model import Field
from .messages import hint_text

#: GOV.UK macro name → its component folder in govuk-frontend-jinja.
COMPONENTS = {
    "govukInput": "input",
    "govukCharacterCount": "character-count",
    "govukDateInput": "date-input",
    "govukRadios": "radios",
    "govukSelect": "select",
    "govukCheckboxes": "checkboxes",
    "govukFieldset": "fieldset",
}

Errors = Mapping[str, list[str]]
Conditional = Mapping[str, Markup]


class Renders(Protocol):
    """What a widget needs of its field type."""

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        """The GOV.UK macro to call and its parameters."""


class GovukWidget:
    """Renders one field of one definition with the macro its type chooses."""

    def __init__(self, kind: Renders, definition: Field) -> None:
        self.kind = kind
        self.definition = definition

    def __call__(
        self,
        field: WTField,
        errors: Errors | None = None,
        conditional: Conditional | None = None,
        **_: Any,
    ) -> Markup:
        macro, params = self.kind.widget_params(
            self.definition, field, errors or {}, conditional or {}
        )
        return render_macro(macro, params)


def render_macro(macro: str, params: dict[str, Any]) -> Markup:
    """Call a GOV.UK Frontend macro with ``params`` in the app's Jinja environment."""
    path = f"govuk_frontend_jinja/components/{COMPONENTS[macro]}/macro.html"
    module = current_app.jinja_env.get_template(path).module
    html = getattr(module, macro)(params)
    assert isinstance(html, Markup)  # the app's environment autoescapes: macros return Markup
    return html


def error_message(field: WTField, errors: Errors) -> dict[str, str] | None:
    """The first error for this field, in the shape GOV.UK macros take."""
    messages = errors.get(field.id)
    return {"text": messages[0]} if messages else None


def hint(definition: Field, text: str | None = None) -> dict[str, str] | None:
    """The question's hint (with "The family will read this." where it goes into
    the family's plan), in the shape GOV.UK macros take; ``text`` is the hint
    its type worked out, when that type adds to it."""
    text = text or hint_text(definition)
    return {"text": text} if text else None


def question(
    definition: Field, field: WTField, errors: Errors, *, fieldset: bool = False
) -> dict[str, Any]:
    """The parameters every GOV.UK question component shares.

    A single input has an ``id`` and a label; a question of several inputs
    (radios, checkboxes, a date) has an ``idPrefix`` and a fieldset legend.
    """
    params: dict[str, Any] = {
        "name": field.name,
        "hint": hint(definition),
        "errorMessage": error_message(field, errors),
    }
    if fieldset:
        return {"idPrefix": field.id, "fieldset": legend(definition), **params}
    return {"id": field.id, "label": label(definition), **params}


def label(definition: Field) -> dict[str, str]:
    """A question label at the size every question on a page uses."""
    return {"text": definition.label, "classes": "govuk-label--s"}


def legend(definition: Field, size: str = "s") -> dict[str, Any]:
    """A fieldset legend for a question made of several inputs."""
    return {"legend": {"text": definition.label, "classes": f"govuk-fieldset__legend--{size}"}}
