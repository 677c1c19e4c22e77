"""Questions that hold questions: a group shown as one fieldset, and a list of items."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from wtforms import Field as WTField
from wtforms import FormField

from ..definitions.model import Field, ItemRule
from .base import Answer, FieldType, register, type_of
from .layout import render_fields
from .scopes import answers_schema, contacts_key, form_class, object_schema
from .widgets import Conditional, Errors, GovukWidget


class GroupAnswer(Answer):
    """A non-repeating group of questions, held as an object."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise self.fail(f"{self.noun} must be an object")
        return answers_schema(self.definition.fields, contacts_key(self.contacts)).load(value)


class RepeatingAnswer(Answer):
    """A repeating group, held as an array of objects."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        d = self.definition
        if not isinstance(value, list):
            raise self.fail(f"{self.noun} must be a list")
        if len(value) < d.min_items:
            raise self.missing()
        if d.max_items is not None and len(value) > d.max_items:
            raise self.fail(f"You can add up to {d.count_items(d.max_items)}")
        schema = answers_schema(d.fields, contacts_key(self.contacts))
        items: list[Any] = []
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                errors[index] = {"_schema": [f"Each {d.item_label} must be an object"]}
                continue
            try:
                items.append(schema.load(item))
            except ValidationError as exc:
                errors[index] = exc.messages
        if errors:
            raise ValidationError(errors)
        for rule in d.item_rules:
            if not rule.holds(items):
                raise self.fail(rule.message)
        return items


@register
class GroupType(FieldType):
    """Questions that belong together (an address), shown in one fieldset."""

    name = "group"
    answer = GroupAnswer
    holds_fields = True
    group = True

    def wtf_field(self, definition: Field) -> Any:
        return FormField(
            form_class(definition.fields),
            label=definition.label,
            widget=GovukWidget(self, definition),
        )

    def answer_of(self, definition: Field, field: WTField) -> Any:
        """Every answer in the group, blanks included (the whole group is checked on sending)."""
        assert isinstance(field, FormField)
        return {
            sub.name: type_of(sub).answer_of(sub, field.form[sub.name])
            for sub in definition.fields
            if not type_of(sub).repeats
        }

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        assert isinstance(field, FormField)
        return "govukFieldset", {
            "legend": {"text": definition.label, "classes": "govuk-fieldset__legend--m"},
            "html": render_fields(definition.fields, field.form, errors),
        }

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return object_schema(definition.fields)


@register
class RepeatingType(FieldType):
    """A list the user adds to item by item (the household, the needs), on pages of its own."""

    name = "repeating"
    answer = RepeatingAnswer
    holds_fields = True
    repeats = True

    def must_answer(self, definition: Field) -> bool:
        return definition.min_items > 0

    def missing_message(self, definition: Field) -> str:
        # "one" needs no article: "Add at least one need"
        return definition.messages.get("required") or f"Add at least one {definition.item_label}"

    def json_schema(self, definition: Field) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "array",
            "items": object_schema(definition.fields),
            "minItems": definition.min_items,
        }
        if definition.max_items is not None:
            schema["maxItems"] = definition.max_items
        counted = [item_rule_schema(rule) for rule in definition.item_rules]
        if counted:
            schema["allOf"] = counted
        return schema


def item_rule_schema(rule: ItemRule) -> dict[str, Any]:
    """ "Exactly one lead child" as ``contains`` with ``minContains``/``maxContains``."""
    matching = {
        "type": "object",
        "properties": {rule.field: {"enum": list(rule.one_of)}},
        "required": [rule.field],
    }
    counted: dict[str, Any] = {
        "contains": matching,
        "minContains": rule.min_count,
        "description": rule.message,
    }
    if rule.max_count is not None:
        counted["maxContains"] = rule.max_count
    return counted
