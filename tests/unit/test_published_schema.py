"""The published JSON Schema tells the whole truth, in both directions.

Soundness: every body the server accepts validates against the schema (the
factories' valid answers, and Hypothesis variations of them). Completeness:
bodies generated from the schema alone are accepted by the server, apart
from those that break an ``x-rules`` entry, each filtered out by that rule's
own check on the server.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from forms_service.api.json_schema import form_json_schema
from forms_service.definitions.model import Field, FormDefinition
from forms_service.definitions.registry import Registry
from forms_service.fieldtypes import type_of
from forms_service.fieldtypes.scopes import is_blank
from forms_service.submissions.answers import AnswersInvalid
from forms_service.submissions.rules import check_rules
from forms_service.submissions.service import validate_fields, validate_submission
from tests import factories
from tests.schema_instances import Generator, conforms

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry(ROOT / "form_schemas", ROOT / "doc_templates")
CONTACTS = {"level4_phone": "01702 215000"}
VALID: dict[str, Callable[..., dict[str, Any]]] = factories.BUILDERS
#: Each form: this many generated bodies must be accepted (or fail only an x-rule).
ACCEPTED = 200
FORM_IDS = sorted(VALID)


def schema_of(form_id: str) -> dict[str, Any]:
    return form_json_schema(REGISTRY.get(form_id), f"urn:test:{form_id}")


def accepts(form: FormDefinition, body: Any) -> bool:
    try:
        validate_submission(form, copy.deepcopy(body), CONTACTS)
    except AnswersInvalid:
        return False
    return True


def test_every_form_has_valid_answers_in_the_factories() -> None:
    assert sorted(REGISTRY.ids()) == FORM_IDS


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_the_schema_is_a_valid_2020_12_schema(form_id: str) -> None:
    Draft202012Validator.check_schema(schema_of(form_id))


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_required_is_stated(form_id: str) -> None:
    """No form publishes an empty ``required`` with nothing in its place."""
    schema = schema_of(form_id)
    assert not conforms(schema, {}), "an empty body must not validate"
    assert not accepts(REGISTRY.get(form_id), {})


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_published_rules_read_as_words(form_id: str) -> None:
    """No message template leaks its placeholders into x-rules."""
    text = json.dumps(schema_of(form_id), ensure_ascii=False)
    rules = [r["rule"] for r in schema_of(form_id).get("x-rules", [])]
    assert all("{" not in rule for rule in rules), rules
    assert "{label}" not in text


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_valid_answers_and_what_is_stored_conform(form_id: str) -> None:
    form, schema = REGISTRY.get(form_id), schema_of(form_id)
    body = VALID[form_id]()
    stored = validate_submission(form, copy.deepcopy(body), CONTACTS)
    assert conforms(schema, body)
    assert conforms(schema, stored)


# -- soundness ---------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a body a variation can touch."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from _paths(inner, (*prefix, index))


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _vary(body: dict[str, Any], donor: Any, draw: st.DrawFn) -> dict[str, Any]:
    """One variation: a part deleted, blanked, or replaced by the donor's part at that place."""
    body = copy.deepcopy(body)
    places = list(_paths(body))
    path = draw(st.sampled_from(places))
    parent = _at(body, path[:-1])
    action = draw(st.sampled_from(["delete", "blank", "donor", "donor"]))
    key = path[-1]
    if action == "delete":
        if isinstance(parent, list):
            parent.pop(key)
        else:
            parent.pop(key, None)
    elif action == "blank":
        parent[key] = draw(st.sampled_from([None, "", "  ", []]))
    else:
        given = _at(donor, path)
        if given is not None:
            parent[key] = copy.deepcopy(given)
    return body


@pytest.mark.parametrize("form_id", FORM_IDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_whatever_the_server_accepts_conforms(form_id: str, data: st.DataObject) -> None:
    form, schema = REGISTRY.get(form_id), schema_of(form_id)
    body = VALID[form_id]()
    donor = Generator(schema, data.draw(st.integers(0, 10**6), label="seed")).instance()
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        body = _vary(body, donor, data.draw)
    if accepts(form, body):
        errors = sorted(e.message for e in Draft202012Validator(schema).iter_errors(body))
        assert conforms(schema, body), errors


# -- completeness -------------------------------------------------------------------


def broken_x_rules(fields: tuple[Field, ...], scope: Any) -> list[str]:
    """The ids of the x-rules an answer in ``scope`` breaks, by the server's own checks."""
    broken: list[str] = []
    if not isinstance(scope, dict):
        return broken
    for fld in fields:
        value = scope.get(fld.name)
        if is_blank(value):
            continue
        kind = type_of(fld)
        if kind.group:
            broken += broken_x_rules(fld.fields, value)
        elif kind.repeats and isinstance(value, list):
            for item in value:
                broken += broken_x_rules(fld.fields, item)
            broken += [rule.id for rule in kind.rules(fld) if not _keeps(rule.check, value)]
        else:
            broken += [rule.id for rule in kind.rules(fld) if not _keeps(rule.check, value)]
    return broken


def _keeps(check: Callable[[Any], bool], value: Any) -> bool:
    try:
        return check(value)
    except (TypeError, ValueError):
        return False


def _only_form_rules(form: FormDefinition, body: dict[str, Any]) -> bool:
    """Whether the body fails only rules across answers (published as the body's x-rules)."""
    try:
        answers = validate_fields(form, copy.deepcopy(body), CONTACTS)
    except AnswersInvalid:
        return False
    return bool(check_rules(form, answers))


def completeness(form_id: str, wanted: int = ACCEPTED) -> dict[str, int]:
    """Generate until ``wanted`` bodies are accepted; count what happened to the rest."""
    form, schema = REGISTRY.get(form_id), schema_of(form_id)
    counts = {"generated": 0, "accepted": 0, "filtered": 0, "not schema-valid": 0}
    seed = 0
    while counts["accepted"] < wanted and seed < wanted * 40:
        seed += 1
        # x-rule prefill-source: there is no earlier submission to start from here
        # (tests/integration/test_api.py sends prefill_from to a real service)
        body = Generator(schema, seed, omit=frozenset({"prefill_from"})).instance()
        counts["generated"] += 1
        if not conforms(schema, body):
            counts["not schema-valid"] += 1
            continue
        if accepts(form, body):
            counts["accepted"] += 1
            continue
        if broken_x_rules(tuple(form.fields), body) or _only_form_rules(form, body):
            counts["filtered"] += 1
            continue
        try:
            validate_submission(form, copy.deepcopy(body), CONTACTS)
        except AnswersInvalid as exc:
            raise AssertionError(f"seed {seed}: schema-valid body refused: {exc.errors}") from None
    return counts


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_bodies_generated_from_the_schema_are_accepted(form_id: str) -> None:
    counts = completeness(form_id)
    print(form_id, counts)  # the closing note reports these shares
    assert counts["accepted"] == ACCEPTED, counts
    assert counts["not schema-valid"] <= counts["generated"] // 5, counts
