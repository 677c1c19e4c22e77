"""Questions that hold questions: a group shown as one fieldset, and a list of items."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from wtforms import Field as WTField
from wtforms import FormField

from ..definitions.model import Field, ItemRule
from .base import Answer, FieldType, XRule, register, type_of
from .layout import render_fields
from .messages import capitalise
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
        repeated = first_repeat(d, items)
        if repeated is not None:
            raise self.fail(repeat_message(d, *repeated))
        return items


def first_repeat(definition: Field, items: list[Any]) -> tuple[str, int, int] | None:
    """The first item answering a ``unique`` field as an earlier item did:
    (field name, earlier item's number, this item's number), counting from 1.

    Items are compared as stored (cleaned), so "943 476 5919" and "9434765919"
    are the same NHS number. Blank answers repeat nothing.
    """
    for name in definition.unique:
        seen: dict[str, int] = {}
        for number, item in enumerate(items, start=1):
            value = item.get(name) if isinstance(item, dict) else None
            if value in (None, "", []):
                continue
            if str(value) in seen:
                return name, seen[str(value)], number
            seen[str(value)] = number
    return None


def repeat_message(definition: Field, name: str, first: int, second: int) -> str:
    """ "Family member 2: NHS number is the same as family member 1's. Check both numbers".

    The message names both items by number, as the list shows them, so the user
    knows which two to open.
    """
    child = definition.child(name)
    label = definition.item_label or "item"
    return (
        f"{capitalise(label)} {second}: {capitalise(child.noun)} is the same as "
        f"{label} {first}'s. Check both {type_of(child).plural_kind}"
    )


def stored_form(definition: Field, value: Any) -> Any:
    """An answer as the server would store it (None if it would refuse it), so a
    published rule compares what the server compares."""
    try:
        return type_of(definition).answer_field(definition, {}).deserialize(value)
    except ValidationError:
        return None


def keeps_unique(definition: Field, value: Any) -> bool:
    """The x-rule check of ``unique``: no two items' stored answers alike."""
    if not isinstance(value, list):
        return True
    stored = [
        {n: stored_form(definition.child(n), i.get(n)) for n in definition.unique}
        for i in value
        if isinstance(i, dict)
    ]
    return first_repeat(definition, stored) is None


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

    def rules(self, definition: Field) -> list[XRule]:
        if not definition.unique:
            return []
        nouns = "; ".join(capitalise(definition.child(n).noun) for n in definition.unique)
        items = definition.item_plural or f"{definition.item_label or 'item'}s"
        return [
            XRule(
                "unique-in-list",
                f"No two {items} may give the same answer to: {nouns}. Answers are "
                "compared as stored, so spacing does not make two numbers differ.",
                lambda value: keeps_unique(definition, value),
            )
        ]

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
