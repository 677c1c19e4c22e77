"""JSON Schema (2020-12) of a form's submission body, generated from its definition.

It states every rule the server enforces that JSON Schema can state (each
answer's own schema comes from its field type); the rest (an NHS number's
check digit, a date relative to today, a rule across pages) are listed in
plain words in the ``x-rules`` keyword, on the answer they govern or, for
rules across answers, on the body. The server still validates everything.

``x-rules`` is an array of ``{"id": "...", "rule": "..."}``: ``id`` is stable,
so a client can recognise a rule; ``rule`` says it in words.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from ..definitions.model import Field, FormDefinition
from ..fieldtypes import object_schema, type_of
from ..fieldtypes.answer_options import described
from ..fieldtypes.scopes import condition_schema, when_all

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REFERENCE_PATTERN = "^[A-Z]{2,4}-[2-9A-Z]{4}-[2-9A-Z]{4}$"
X_RULES_DOC = (
    "x-rules lists, in plain words, rules the server enforces that JSON Schema cannot state. "
    "Text is normalised before it is checked: Unicode NFC, characters XML forbids removed, "
    "white space on one line folded to single spaces, lines stripped of trailing spaces."
)


def form_rules(form: FormDefinition) -> list[dict[str, str]]:
    """The form's rules across answers (checked on sending), as ``x-rules`` entries.

    A message names the item that breaks the rule (``{label}``); published,
    it stands for any item, so the placeholder reads as an ellipsis.
    """
    fields = tuple(form.fields)
    return [
        {"id": f"form-rule-{number}", "rule": re.sub(r"\{[a-z_]+\}", "…", rule.message)}
        for number, rule in enumerate(form.rules, start=1)
    ] + [
        {
            "id": f"options-from-answers:{path}",
            "rule": f"{path} ({fld.label}): {described(fld, fields)}",
        }
        for path, fld in _drawing_options(fields, "")
    ]


def _drawing_options(fields: tuple[Field, ...], prefix: str) -> list[tuple[str, Field]]:
    """Every choice whose options come from answers, by path (``plan[].who``)."""
    found: list[tuple[str, Field]] = []
    for fld in fields:
        path = f"{prefix}{fld.name}"
        if fld.options_from_answers:
            found.append((path, fld))
        suffix = "[]." if type_of(fld).repeats else "."
        found.extend(_drawing_options(fld.fields, path + suffix))
    return found


def _required_unless_prefilled(body: dict[str, Any]) -> dict[str, Any]:
    """``required`` and ``allOf`` for a body that may name an earlier submission.

    Without ``prefill_from`` every answer the form needs must be in the body.
    With it, the earlier answers fill the gaps, so only the shape of what is
    given is checked here (the merged answers are checked on the server).
    """
    needed = body["required"]
    conditionals = body.get("allOf", [])
    strict: dict[str, Any] = {"required": needed}
    if conditionals:
        strict["allOf"] = conditionals
    loose = [_not_required(c) for c in conditionals]
    return {
        "required": [],
        "allOf": [{"if": {"not": {"required": ["prefill_from"]}}, "then": strict}, *loose],
    }


def _not_required(conditional: dict[str, Any]) -> dict[str, Any]:
    """A (nested) ``if``/``then`` with the innermost ``required`` left out."""
    then = conditional["then"]
    if "if" in then:
        return {"if": conditional["if"], "then": _not_required(then)}
    return {"if": conditional["if"], "then": {k: v for k, v in then.items() if k != "required"}}


def form_json_schema(form: FormDefinition, schema_id: str) -> dict[str, Any]:
    """The whole submission body of ``form``.

    A form that can start from an earlier submission also takes
    ``prefill_from``: the earlier reference, whose answers fill in whatever
    the body leaves out, so the answers it needs are required only when the
    body has no ``prefill_from``.
    """
    pages = {f.name: page.show_if for page in form.pages if page.show_if for f in page.fields}
    body = object_schema(tuple(form.fields), pages)
    if form.prefill:
        body["properties"]["prefill_from"] = {
            "type": "string",
            "title": "Reference of an earlier submission to start from",
            "description": "Allowed sources: " + ", ".join(p.form for p in form.prefill),
            "pattern": REFERENCE_PATTERN,
            "x-rules": [
                {
                    "id": "prefill-source",
                    "rule": "Must be the reference of an earlier submission of one of the "
                    "allowed forms, for a family you may work with.",
                }
            ],
        }
        body.update(_required_unless_prefilled(body))
    waivers = [_waiver(path, fld, body) for path, fld in _waivable(tuple(form.fields), "")]
    if waivers:
        body["allOf"] = [*body.get("allOf", []), *waivers]
    rules = form_rules(form)
    return {
        "$schema": DIALECT,
        "$id": schema_id,
        "title": form.title,
        "description": f"Submission body for '{form.id}' version {form.version}. {X_RULES_DOC}",
        **body,
        **({"x-rules": rules} if rules else {}),
    }


def _waivable(fields: tuple[Field, ...], prefix: str) -> list[tuple[str, Field]]:
    """(dotted path, field) of each ``must_be`` with a ``must_be_unless``, through groups."""
    found = []
    for fld in fields:
        if fld.must_be is not None and fld.must_be_unless:
            found.append((prefix + fld.name, fld))
        if fld.type == "group":
            found.extend(_waivable(fld.fields, f"{prefix}{fld.name}."))
    return found


def _at(path: str, leaf: dict[str, Any]) -> dict[str, Any]:
    """``leaf`` (a schema of the object holding the last name) nested down ``path``'s groups."""
    *groups, _ = path.split(".")
    schema = leaf
    for name in reversed(groups):
        schema = {"properties": {name: schema}, "required": [name]}
    return schema


def _waiver(path: str, fld: Field, body: dict[str, Any]) -> dict[str, Any]:
    """A ``must_be_unless`` in JSON Schema, in the server's terms: when the answer is
    given and not every waiving condition holds, it must be ``must_be``.

    The ``then`` restates the whole top-level answer with the ``const`` added, so a
    client (or a generator) that reads it meets the rule without losing the rest.
    """
    *groups, name = path.split(".")
    top = groups[0] if groups else name
    waived = [
        _at(c.field, condition_schema(replace(c, field=c.field.rsplit(".", 1)[-1])))
        for c in fld.must_be_unless
    ]
    if groups:
        answer = copy.deepcopy(body["properties"][top])
        holder = answer
        for group in groups[1:]:
            holder = holder["properties"][group]
        holder["properties"][name] = {**holder["properties"][name], "const": fld.must_be}
    else:
        answer = {"const": fld.must_be}
    # "Given, and not every waiving condition holds", nested (see ``when_all``), with
    # the "not every" as De Morgan's "any fails": a generator can negate each of those.
    not_waived = {"anyOf": [{"not": condition} for condition in waived]}
    return when_all(
        [{"required": [top]}, not_waived],
        {"properties": {top: answer}, "required": [top]},
    )


def schema_document(description: str, **extra: Any) -> dict[str, Any]:
    """The OpenAPI shape of a JSON Schema document this service publishes (a form's
    submission body, the handover): the keywords every one of them has."""
    return {
        "type": "object",
        "description": description,
        "required": ["$schema", "$id", "title", "type", "properties", "additionalProperties"],
        "properties": {
            "$schema": {"const": DIALECT},
            "$id": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "type": {"const": "object"},
            "properties": {"type": "object"},
            "additionalProperties": {"const": False},
            **extra,
        },
    }
