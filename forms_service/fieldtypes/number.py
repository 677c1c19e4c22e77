"""A whole number in a range, such as a Signs of Safety scale from 0 to 10."""

from __future__ import annotations

from typing import Any

from wtforms import Field as WTField

from ..definitions.model import Field
from .base import Answer, register
from .text import TextType
from .widgets import Conditional, Errors

DIGITS = r"^-?[0-9]{1,12}$"


class NumberAnswer(Answer):
    """A whole number between the definition's minimum and maximum.

    JSON gives an integer (or a number with no fraction, which JSON Schema
    also calls an integer); the web page's box gives digits, which the page
    turns into an integer before it gets here.
    """

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        d = self.definition
        low, high = d.minimum or 0, d.maximum or 0
        message = f"{self.noun} must be a whole number from {low} to {high}"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(message)
        return self._check_rules(value)


@register
class NumberType(TextType):
    """Typed as text into a narrow numeric box; held as an integer."""

    name = "number"
    answer = NumberAnswer
    one_line = False
    width = "govuk-input--width-3"
    inputmode = "numeric"

    def answer_of(self, definition: Field, field: WTField) -> Any:
        text = (field.data or "").strip()
        if not text:
            return None
        digits = text.lstrip("-")
        return int(text) if digits.isdigit() and len(digits) <= 12 else text

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        macro, params = super().widget_params(definition, field, errors, conditional)
        return macro, {**params, "value": "" if field.data is None else str(field.data)}

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {"type": "integer", "minimum": definition.minimum, "maximum": definition.maximum}

    def rules(self, definition: Field) -> list[Any]:
        return []
