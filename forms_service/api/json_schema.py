"""JSON Schema (2020-12) of a form's submission body, generated from its definition.

It documents the same rules the marshmallow validation enforces, so API
clients can check their payloads before sending; the server still validates
everything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..definitions.model import Field, FormDefinition
from ..submissions.answers import DEFAULT_MAX, is_required

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _text(d: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "string",
        "minLength": max(d.min_length or 1, 1),
        "maxLength": d.max_length or DEFAULT_MAX.get(d.type, 200),
    }
    return schema


def _email(d: Field) -> dict[str, Any]:
    return {**_text(d), "format": "email"}


def _postcode(d: Field) -> dict[str, Any]:
    return {**_text(d), "pattern": "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"}


def _nhs(d: Field) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": "^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$",
        "description": "10 digits with a valid modulus-11 check digit",
    }


def _date(d: Field) -> dict[str, Any]:
    return {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def _yes_no(d: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "boolean"}
    if d.must_be is not None:
        schema["const"] = d.must_be
    elif d.stop is not None:
        schema["const"] = not d.stop.when
    return schema


def _choice(d: Field) -> dict[str, Any]:
    return {"type": "string", "enum": [o.value for o in d.options]}


def _multi(d: Field) -> dict[str, Any]:
    return {
        "type": "array",
        "items": _choice(d),
        "uniqueItems": True,
        "minItems": 1 if d.required else 0,
    }


def _group(d: Field) -> dict[str, Any]:
    return object_schema(d.fields)


def _repeating(d: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "array",
        "items": object_schema(d.fields),
        "minItems": d.min_items,
    }
    if d.max_items is not None:
        schema["maxItems"] = d.max_items
    return schema


TYPE_SCHEMAS: dict[str, Callable[[Field], dict[str, Any]]] = {
    "text": _text,
    "long_text": _text,
    "phone": _text,
    "email": _email,
    "postcode": _postcode,
    "nhs_number": _nhs,
    "date": _date,
    "yes_no": _yes_no,
    "confirm": lambda d: {"const": True},
    "number": lambda d: {"type": "integer", "minimum": d.minimum, "maximum": d.maximum},
    "choice": _choice,
    "multi_choice": _multi,
    "group": _group,
    "repeating": _repeating,
}


def field_schema(d: Field) -> dict[str, Any]:
    """One property: its type schema plus title and description."""
    schema = {"title": d.label, **TYPE_SCHEMAS[d.type](d)}
    notes = [d.hint] if d.hint else []
    if d.show_if is not None:
        notes.append(f"Only when '{d.show_if.field}' makes it applicable; ignored otherwise.")
    if notes:
        schema["description"] = " ".join(notes)
    return schema


def object_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    """An object of ``fields``: unknown properties are not allowed."""
    return {
        "type": "object",
        "properties": {d.name: field_schema(d) for d in fields},
        "required": [d.name for d in fields if is_required(d) and d.show_if is None],
        "additionalProperties": False,
    }


def form_json_schema(form: FormDefinition, schema_id: str) -> dict[str, Any]:
    """The whole submission body of ``form``.

    A form that can start from an earlier submission also takes
    ``prefill_from``: the earlier reference, whose answers fill in whatever
    the body leaves out (so ``required`` then applies to the merged answers).
    """
    body = object_schema(tuple(form.fields))
    if form.prefill:
        body["properties"]["prefill_from"] = {
            "type": "string",
            "title": "Reference of an earlier submission to start from",
            "description": "Allowed sources: " + ", ".join(p.form for p in form.prefill),
            "pattern": "^[A-Z]{2,4}-[2-9A-Z]{4}-[2-9A-Z]{4}$",
        }
        body["required"] = []
    return {
        "$schema": DIALECT,
        "$id": schema_id,
        "title": form.title,
        "description": f"Submission body for '{form.id}' version {form.version}.",
        **body,
    }
