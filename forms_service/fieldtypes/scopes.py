"""Builders over one scope of fields (a page, a group, one item of a list).

Each walks the definitions and asks every field's type for its part, so a
group or a repeating group (which hold a scope of their own) recurse through
here without any type knowing the others. Results are cached: definitions
are frozen and shared.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, pre_load, validates_schema
from wtforms import Form

from ..definitions.model import Condition, Field
from .answer_options import offered
from .base import is_required, required_message, type_of

UNKNOWN_FIELD = "This is not a question on this form. Remove it"
#: How an optional answer may be left out besides omitting it: the server
#: treats null, white space only and an empty list as no answer.
BLANK: dict[str, Any] = {
    "anyOf": [
        {"type": "null"},
        {"type": "string", "pattern": "^\\s*$"},
        {"type": "array", "maxItems": 0},
    ]
}

Contacts = tuple[tuple[str, str], ...]


def contacts_key(contacts: Mapping[str, str]) -> Contacts:
    """Configured contacts in a hashable form, for the schema cache."""
    return tuple(sorted(contacts.items()))


def is_blank(value: Any) -> bool:
    """No answer: null, white space only, or an empty list."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


# -- marshmallow: the server's checks ------------------------------------------------


@functools.lru_cache(maxsize=256)
def answers_schema(definitions: tuple[Field, ...], contacts: Contacts) -> Schema:
    """A marshmallow schema instance for one scope of fields."""
    contact_map = dict(contacts)
    attrs: dict[str, Any] = {f.name: type_of(f).answer_field(f, contact_map) for f in definitions}

    class Meta:
        unknown = RAISE

    def drop_blank_and_hidden(self: Schema, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if not is_blank(v)}
        for f in definitions:
            if type_of(f).group and f.name not in data:
                data[f.name] = {}
            if f.show_if is not None and not f.show_if.holds(data):
                data.pop(f.name, None)
        return data

    def conditional_required(self: Schema, data: dict[str, Any], original: Any, **_: Any) -> None:
        given = original if isinstance(original, dict) else {}
        errors: dict[str, list[str]] = {}
        for f in definitions:
            visible = f.show_if is not None and f.show_if.holds(data)
            missing = f.name not in data and is_blank(given.get(f.name))
            if visible and is_required(f) and missing:
                errors[f.name] = [required_message(f)]
        if errors:
            raise ValidationError(errors)

    attrs["Meta"] = Meta
    attrs["_drop_blank_and_hidden"] = pre_load(drop_blank_and_hidden)
    attrs["_conditional_required"] = validates_schema(
        skip_on_field_errors=False, pass_original=True
    )(conditional_required)
    schema = type("AnswersSchema", (Schema,), attrs)()
    schema.error_messages = {**schema.error_messages, "unknown": UNKNOWN_FIELD}
    return schema


# -- WTForms: the web page's binding ---------------------------------------------------


@functools.lru_cache(maxsize=512)
def form_class(definitions: tuple[Field, ...]) -> type[Form]:
    """A form class with one WTForms field per definition (lists have their own pages).

    As in CTFd: a fresh subclass per scope with fields set onto it. It binds
    and re-displays answers only: CSRFProtect checks every POST before a view
    runs, and marshmallow checks the answers.
    """
    attrs = {d.name: type_of(d).wtf_field(d) for d in definitions if not type_of(d).repeats}
    return type("ScopeForm", (Form,), attrs)


def page_form(definitions: tuple[Field, ...], formdata: Any, data: dict[str, Any]) -> Form:
    """A bound page form: posted data if any (alone, so a cleared answer stays
    cleared), else the saved answers. With posted data, ``data`` may hold only what is
    never posted (a question's uploaded files: ``FieldType.takes_files``).
    CSRFProtect has checked the POST already."""
    cls = form_class(definitions)
    return cls(formdata=formdata, data=data) if formdata is not None else cls(data=data)


def offer_options(
    form: Form,
    definitions: tuple[Field, ...],
    answers: Mapping[str, Any],
    fields: tuple[Field, ...],
) -> Form:
    """Give each choice on a bound page the options ``answers`` offer (see
    ``answer_options``): set per request on the bound field, never on the
    cached class. ``fields`` are the form's top-level fields."""
    for d in definitions:
        kind = type_of(d)
        if d.options_from_answers:
            form[d.name].offered = offered(d, answers, fields)
        elif kind.group:
            offer_options(form[d.name].form, d.fields, answers, fields)
    return form


def answers_of(definitions: tuple[Field, ...], form: Form) -> dict[str, Any]:
    """A bound form's answers in the API's JSON shape, blanks left out."""
    answers: dict[str, Any] = {}
    for d in definitions:
        if type_of(d).repeats:
            continue
        value = type_of(d).answer_of(d, form[d.name])
        if value not in (None, "", []):
            answers[d.name] = value
    return answers


# -- JSON Schema: what the API publishes -----------------------------------------------


def condition_schema(condition: Condition) -> dict[str, Any]:
    """A JSON Schema that holds exactly when ``condition`` holds on the answers."""
    if condition.includes is not None:
        value: dict[str, Any] = {"type": "array", "contains": {"const": condition.includes}}
    elif condition.includes_any is not None:
        value = {"type": "array", "contains": {"enum": list(condition.includes_any)}}
    elif condition.one_of is not None:
        value = {"enum": list(condition.one_of)}
    else:
        value = {"const": condition.equals}
    return {"properties": {condition.field: value}, "required": [condition.field]}


def _applies(
    fld: Field,
    by_name: Mapping[str, Field],
    pages: Mapping[str, Condition],
    depth: int = 0,
) -> list[dict[str, Any]]:
    """The conditions under which ``fld`` applies: its page's, its own, its controller's.

    The server drops the answers on a page that does not apply, and a hidden
    answer before it looks at the next condition, so a question shown by a
    hidden question is hidden too.
    """
    page = pages.get(fld.name)
    mine = [condition_schema(page)] if page is not None else []
    if fld.show_if is None or depth > len(by_name):
        return mine
    controller = by_name.get(fld.show_if.field)
    above = _applies(controller, by_name, pages, depth + 1) if controller is not None else []
    return [*mine, *above, condition_schema(fld.show_if)]


def field_schema(d: Field, *, stopped: bool = True) -> dict[str, Any]:
    """One answer: its type's schema, the rules every type shares, title and description.

    ``stopped=False`` leaves out the stop's answer from the refused ones (the
    branch of a stop with ``unless`` where that other answer allows it).
    """
    kind = type_of(d)
    schema: dict[str, Any] = {"title": d.label, **kind.json_schema(d)}
    rules = [rule.published() for rule in kind.rules(d)]
    if d.must_be is not None and not d.must_be_unless:
        schema["const"] = d.must_be
    elif d.must_be is not None:  # waived by answers elsewhere: stated in words
        waivers = " and ".join(_in_words(c) for c in d.must_be_unless)
        rules.append({"id": "must-be-unless", "rule": f"Must be {d.must_be} unless {waivers}."})
    refused = [d.stop.when] if d.stop is not None and stopped else []
    if d.advice is not None:
        refused.append(d.advice.when)
    if refused:
        schema["not"] = {"const": refused[0]} if len(refused) == 1 else {"enum": refused}
    description = " ".join(filter(None, (kind.hint(d), schema.get("description"))))
    if description:
        schema["description"] = description
    if rules:
        schema["x-rules"] = rules
    return schema


def _answer(d: Field, schema: dict[str, Any]) -> dict[str, Any]:
    needed = is_required(d) or _group_needs_answers(d)
    return schema if needed else {"anyOf": [schema, BLANK]}


def _branches(d: Field, conditions: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], Any]]:
    """The (conditions, answer schema) pairs under which ``d`` applies: one, or two
    for a stop with ``unless`` (its stop answer allowed where ``unless`` holds)."""
    if d.stop is None or d.stop.unless is None:
        return [(conditions, _answer(d, field_schema(d)))] if conditions else []
    allowed = condition_schema(d.stop.unless)
    return [
        ([*conditions, allowed], _answer(d, field_schema(d, stopped=False))),
        ([*conditions, {"not": allowed}], _answer(d, field_schema(d))),
    ]


def when_all(conditions: list[dict[str, Any]], then: dict[str, Any]) -> dict[str, Any]:
    """``then`` where every condition holds, as nested ``if``/``then``s.

    The same as one ``if`` over an ``allOf``, but a generator of wrong bodies
    (schemathesis's negative mode) must negate each ``if``, and it cannot
    negate an ``allOf``: nesting keeps every published schema generatable.
    """
    schema = then
    for condition in reversed(conditions):
        schema = {"if": condition, "then": schema}
    return schema


def _in_words(condition: Condition) -> str:
    """``request_type is confirm_phoned_concern``: a condition on a dotted path, in words."""
    if condition.one_of is not None:
        return f"{condition.field} is one of {', '.join(map(str, condition.one_of))}"
    if condition.includes is not None or condition.includes_any is not None:
        picked = [condition.includes] if condition.includes else list(condition.includes_any or ())
        return f"{condition.field} includes {' or '.join(picked)}"
    return f"{condition.field} is {condition.equals}"


def object_schema(
    fields: tuple[Field, ...], pages: Mapping[str, Condition] | None = None
) -> dict[str, Any]:
    """An object of ``fields``, stating which answers are needed and when.

    Unknown properties are refused. A question that applies only after some
    answer is listed (any value is accepted and ignored when it does not
    apply) and checked in an ``if``/``then`` on that answer. ``pages`` gives
    the condition of the page each top-level question is on, where it has one.
    A stop with ``unless`` is stated the same way, once for each case.
    """
    by_name = {d.name: d for d in fields}
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditionals: list[dict[str, Any]] = []
    for d in fields:
        needed = is_required(d) or _group_needs_answers(d)
        branches = _branches(d, _applies(d, by_name, pages or {}))
        if not branches:
            properties[d.name] = _answer(d, field_schema(d))
            if needed:
                required.append(d.name)
            continue
        properties[d.name] = {"description": "Ignored unless it applies (see allOf)."}
        for tests, answer in branches:
            then: dict[str, Any] = {"properties": {d.name: answer}}
            if needed:
                then["required"] = [d.name]
            conditionals.append(when_all(tests, then))
    body: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if conditionals:
        body["allOf"] = conditionals
    return body


def _group_needs_answers(d: Field) -> bool:
    """A group left out is checked as empty, so it is needed when any question in it is."""
    return type_of(d).group and any(is_required(f) and f.show_if is None for f in d.fields)
