"""The JSON API: list, JSON Schema, submissions and their error replies."""

from __future__ import annotations

import json

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from forms_service.services import Services
from forms_service.submissions.models import OutboxMessage, Submission
from tests.factories import ehfsa_answers


def _count(services: Services, model: type) -> int:
    with services.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_lists_forms_with_id_title_version(client: FlaskClient) -> None:
    forms = client.get("/api/v1/forms").get_json()["forms"]
    ehfsa = next(f for f in forms if f["id"] == "ehfsa")
    assert ehfsa["title"] == "Early Help Family Support Assessment"
    assert ehfsa["version"] == 1


def test_schema_is_valid_2020_12_and_accepts_a_valid_submission(client: FlaskClient) -> None:
    schema = client.get("/api/v1/forms/ehfsa/schema").get_json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(ehfsa_answers())) == []
    household = schema["properties"]["household"]
    assert household["type"] == "array" and household["maxItems"] == 20
    assert "first_name" in household["items"]["required"]
    assert household["items"]["properties"]["sex"]["enum"][:2] == ["female", "male"]
    assert schema["properties"]["consent"]["properties"]["parent_agrees"]["const"] is True
    assert schema["additionalProperties"] is False
    bad = {**ehfsa_answers(), "extra": 1}
    assert list(validator.iter_errors(bad))


def test_valid_submission_is_stored_with_outbox_row(
    api_client: FlaskClient, services: Services
) -> None:
    reply = api_client.post("/api/v1/forms/ehfsa/submissions", json=ehfsa_answers())
    assert reply.status_code == 201
    assert reply.get_json()["reference"].startswith("EH-")
    assert _count(services, Submission) == 1
    with services.readers() as db:  # the form to the SPOC inbox, the referrer's acknowledgement
        kinds = sorted(db.scalars(select(OutboxMessage.kind)))
    assert kinds == ["acknowledgement", "spoc"]


def test_every_bad_field_is_named(api_client: FlaskClient, services: Services) -> None:
    answers = ehfsa_answers()
    answers["referrer"]["email"] = "nope"
    answers["household"][1]["nhs_number"] = "9434765918"  # bad check digit
    answers["household"][0]["date_of_birth"] = "2016-02-31"
    answers["unknown_question"] = "x"
    del answers["working_well"]
    reply = api_client.post("/api/v1/forms/ehfsa/submissions", json=answers)
    assert reply.status_code == 422
    errors = reply.get_json()["errors"]
    assert errors["referrer.email"] == [
        "Enter your work email address in the correct format, like name@example.com"
    ]
    assert "valid 10-digit NHS number" in errors["household.1.nhs_number"][0]
    assert errors["household.0.date_of_birth"] == ["Their date of birth must be a real date"]
    assert errors["working_well"] == ["Enter what is working well for this family"]
    assert "unknown_question" in errors
    assert _count(services, Submission) == 0


def test_consent_and_lead_child_rules_are_enforced(api_client: FlaskClient) -> None:
    answers = ehfsa_answers()
    answers["consent"]["parent_agrees"] = False
    answers["household"][1]["role"] = "lead_child"
    errors = api_client.post("/api/v1/forms/ehfsa/submissions", json=answers).get_json()["errors"]
    assert "The family must agree" in errors["consent.parent_agrees"][0]
    assert errors["household"] == [
        "Choose exactly one person as the child this request is mainly about"
    ]


def test_one_nhs_number_for_two_people_is_refused(
    api_client: FlaskClient, services: Services
) -> None:
    """Compared as stored: the same digits typed with spaces are the same number."""
    answers = ehfsa_answers()
    answers["household"][2]["nhs_number"] = "943 476 5919"  # the lead child's, spaced
    reply = api_client.post("/api/v1/forms/ehfsa/submissions", json=answers)
    assert reply.status_code == 422
    [message] = reply.get_json()["errors"]["household"]
    assert message.startswith("Family member 3: NHS number")
    assert message.endswith("is the same as family member 1's. Check both numbers")
    assert _count(services, Submission) == 0


def test_the_household_schema_publishes_the_one_nhs_number_rule(client: FlaskClient) -> None:
    household = client.get("/api/v1/forms/ehfsa/schema").get_json()["properties"]["household"]
    rules = household["x-rules"]
    assert [r["id"] for r in rules] == ["unique-in-list"]
    assert rules[0]["rule"].startswith("No two family members may give the same answer to: NHS")


def test_gate_answer_yes_is_refused_with_the_contact(api_client: FlaskClient) -> None:
    answers = {**ehfsa_answers(), "immediate_danger": "yes"}
    errors = api_client.post("/api/v1/forms/ehfsa/submissions", json=answers).get_json()["errors"]
    assert "999" in errors["immediate_danger"][0]


def test_malformed_json_is_400_and_wrong_content_type_415(api_client: FlaskClient) -> None:
    reply = api_client.post(
        "/api/v1/forms/ehfsa/submissions", data="{not json", content_type="application/json"
    )
    assert reply.status_code == 400
    assert reply.get_json()["errors"]["_form"]
    assert api_client.post("/api/v1/forms/ehfsa/submissions", data="a=b").status_code == 415


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_deeply_nested_json_is_400_not_500(api_client: FlaskClient, depth: int) -> None:
    """A body nested past 32 levels is refused like any malformed body, never parsed."""
    body = '{"household": ' + "[" * depth + "]" * depth + "}"
    reply = api_client.post(
        "/api/v1/forms/ehfsa/submissions", data=body, content_type="application/json"
    )
    assert reply.status_code == 400
    assert reply.get_json()["errors"]["_form"]


def test_nesting_within_the_limit_is_parsed_and_answered_422(api_client: FlaskClient) -> None:
    """32 levels (deeper than any form) still reach validation: the limit is not too tight."""
    body = '{"household": ' + "[" * 31 + "]" * 31 + "}"
    reply = api_client.post(
        "/api/v1/forms/ehfsa/submissions", data=body, content_type="application/json"
    )
    assert reply.status_code == 422


def test_every_json_route_shares_the_bounded_parser(app: Flask) -> None:
    """The staff API and any later JSON route read bodies through ``app.json``: bounded."""
    with pytest.raises(ValueError, match="deeper than 32"):
        app.json.loads("[" * 5_000 + "]" * 5_000)
    assert app.json.loads('{"a": ["[[[[", {"b": []}]}') == {"a": ["[[[[", {"b": []}]}


def test_wrong_types_are_422_not_500(api_client: FlaskClient) -> None:
    for body in (
        [],
        "text",
        7,
        None,
        {"household": "x"},
        {"household": [1, "a"]},
        {"referrer": []},
        {"declaration": "yes"},
        {"needs": [{"headline": ["EDU"]}]},
    ):
        reply = api_client.post(
            "/api/v1/forms/ehfsa/submissions",
            data=json.dumps(body),
            content_type="application/json",
        )
        assert reply.status_code in (400, 422), body
        assert reply.get_json()["errors"], body


def test_unknown_form_is_404(api_client: FlaskClient) -> None:
    assert api_client.post("/api/v1/forms/nope/submissions", json={}).status_code == 404
    assert api_client.get("/api/v1/forms/nope/schema").status_code == 404


def test_a_wrong_method_is_405_with_allow(api_client: FlaskClient) -> None:
    reply = api_client.get("/api/v1/forms/ehfsa/submissions")
    assert reply.status_code == 405
    assert set(reply.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert reply.get_json()["errors"]["_form"]
