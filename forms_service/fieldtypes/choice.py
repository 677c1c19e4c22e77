"""Questions answered by picking: one option, several options, yes or no, a confirming tick."""

from __future__ import annotations

from typing import Any, ClassVar

from wtforms import BooleanField, StringField
from wtforms import Field as WTField

from ..definitions.model import Field, Option
from .answer_options import tidy
from .base import Answer, FieldType, register
from .widgets import Conditional, Errors, error_message, question

#: GOV.UK: radios for a short list, a select beyond this many options.
MOST_RADIOS = 12
#: The longest option text drawn from answers (two 100-character names and a label).
DRAWN_MAX_LENGTH = 300


def drawn_limit(definition: Field) -> int:
    """The longest answer a choice drawing options from answers takes."""
    return definition.max_length or DRAWN_MAX_LENGTH


class ChoiceAnswer(Answer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if self.definition.options_from_answers:
            return self._drawn(value)
        allowed = {o.value for o in self.definition.options}
        if not isinstance(value, str) or value not in allowed:
            raise self.missing()
        return self._check_rules(value, data)

    def _drawn(self, value: Any) -> str:
        """An option drawn from other answers: checked here as text only; whether the
        answers offer it is checked with them (``answer_options.unoffered``)."""
        text = tidy(value) if isinstance(value, str) else ""
        if not text:
            raise self.missing()
        if len(text) > drawn_limit(self.definition):
            raise self.fail(
                f"{self.noun} must be {drawn_limit(self.definition)} characters or fewer"
            )
        return text


class MultiChoiceAnswer(Answer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        allowed = [o.value for o in self.definition.options]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{self.noun} must be a list of options")
        if any(v not in allowed for v in value):
            raise self.missing()
        if self.definition.required and not value:
            raise self.missing()
        return [v for v in allowed if v in value]  # form order, no duplicates


class YesNoAnswer(Answer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.fail(f"{self.noun} must be true or false")
        return self._check_rules(value, data)


class ConfirmAnswer(Answer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value is not True:
            raise self.missing()
        return True


class MultiChoiceField(WTField):
    """Checkboxes: every posted value of the name, in the order posted."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = list(valuelist)

    def process_data(self, value: Any) -> None:
        self.data = list(value) if isinstance(value, list) else []


class YesNoField(StringField):
    """Radios "yes"/"no" held as a boolean answer."""

    def process_data(self, value: Any) -> None:
        self.data = {True: "yes", False: "no"}.get(value, value)


class Picked(FieldType):
    """What picking types share: a missing answer is a choice not made."""

    def missing_message(self, definition: Field) -> str:
        return definition.messages.get("required") or f"Select {definition.noun}"


def radio_items(
    options: list[tuple[str, str, str | None]], checked: Any, conditional: Conditional
) -> list[dict[str, Any]]:
    """GOV.UK radio items, each with the questions its answer reveals."""
    return [
        {
            "value": value,
            "text": text,
            "hint": {"text": item_hint} if item_hint else None,
            "checked": checked == value,
            "conditional": {"html": conditional[value]} if conditional.get(value) else None,
        }
        for value, text, item_hint in options
    ]


@register
class ChoiceType(Picked):
    """One option: radios for up to 12, otherwise a select."""

    name = "choice"
    answer = ChoiceAnswer

    def hosts_reveals(self, definition: Field) -> bool:
        return not definition.options_from_answers and len(definition.options) <= MOST_RADIOS

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        offered = self.offered_on(definition, field)
        if len(offered) > MOST_RADIOS:
            return "govukSelect", {
                **question(definition, field, errors),
                "items": [{"value": "", "text": "Select an option"}]
                + [
                    {"value": o.value, "text": o.label, "selected": field.data == o.value}
                    for o in offered
                ],
            }
        options = [(o.value, o.label, o.hint) for o in offered]
        return "govukRadios", {
            **question(definition, field, errors, fieldset=True),
            "classes": "",
            "items": radio_items(options, field.data, conditional),
        }

    @staticmethod
    def offered_on(definition: Field, field: WTField) -> tuple[Option, ...]:
        """The options on this page: those the view drew from the draft's answers
        (``scopes.offer_options``), else the schema's own."""
        drawn: tuple[Option, ...] | None = getattr(field, "offered", None)
        return drawn if drawn is not None else definition.options

    def json_schema(self, definition: Field) -> dict[str, Any]:
        if not definition.options_from_answers:
            return {"type": "string", "enum": [o.value for o in definition.options]}
        schema: dict[str, Any] = {
            "type": "string",
            "minLength": 1,
            "maxLength": drawn_limit(definition),
            "description": "One of the options this submission's other answers offer: see "
            "x-options-from-answers (each item of that answer, its label filled in with the "
            "item's answers as shown to a reader) and the fixed examples.",
            "x-options-from-answers": [
                {"list": s.source, "label": s.label, "optional": s.optional}
                for s in definition.options_from_answers
            ],
        }
        if definition.options:
            schema["examples"] = [o.value for o in definition.options]
        return schema

    def show(self, definition: Field, value: Any) -> str:
        return definition.option_label(value)


@register
class MultiChoiceType(Picked):
    """Any number of options, as checkboxes; stored in form order without repeats."""

    name = "multi_choice"
    answer = MultiChoiceAnswer

    wtf_class = MultiChoiceField

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        return "govukCheckboxes", {
            **question(definition, field, errors, fieldset=True),
            "items": [
                {"value": o.value, "text": o.label, "checked": o.value in (field.data or [])}
                for o in definition.options
            ],
        }

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"type": "string", "enum": [o.value for o in definition.options]},
            "minItems": 1 if definition.required else 0,
            "description": "Repeated options count once; they are stored in the form's order.",
        }

    def show(self, definition: Field, value: Any) -> str:
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(definition.option_label(v) for v in values)


@register
class YesNoType(Picked):
    """Yes or no, as inline radios (stacked when an answer reveals questions)."""

    name = "yes_no"
    answer = YesNoAnswer
    OPTIONS: ClassVar[list[tuple[str, str, str | None]]] = [
        ("yes", "Yes", None),
        ("no", "No", None),
    ]

    wtf_class = YesNoField

    def answer_of(self, definition: Field, field: WTField) -> Any:
        return {"yes": True, "no": False}.get(field.data or "")

    def hosts_reveals(self, definition: Field) -> bool:
        return True

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        return "govukRadios", {
            **question(definition, field, errors, fieldset=True),
            "classes": "" if conditional else "govuk-radios--inline",
            "items": radio_items(self.OPTIONS, field.data, conditional),
        }

    def json_schema(self, definition: Field) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "boolean"}
        if definition.must_be is not None and not definition.must_be_unless:
            schema["const"] = definition.must_be
        elif definition.stop is not None and definition.stop.unless is None:
            schema["const"] = not definition.stop.when
        return schema

    def show(self, definition: Field, value: Any) -> str:
        return "Yes" if value else "No"


@register
class ConfirmType(FieldType):
    """A single tick box confirming a statement (the label)."""

    name = "confirm"
    answer = ConfirmAnswer

    wtf_class = BooleanField

    def answer_of(self, definition: Field, field: WTField) -> Any:
        return True if field.data else None

    def missing_message(self, definition: Field) -> str:
        return definition.messages.get("required") or f"Tick the box to confirm {definition.noun}"

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        return "govukCheckboxes", {
            "idPrefix": field.id,
            "name": field.name,
            "errorMessage": error_message(field, errors),
            "fieldset": {"legend": {"text": "Confirm", "classes": "govuk-fieldset__legend--s"}},
            "items": [{"value": "y", "text": definition.label, "checked": field.data}],
        }

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {"const": True}

    def show(self, definition: Field, value: Any) -> str:
        return "Confirmed" if value else "Not confirmed"
