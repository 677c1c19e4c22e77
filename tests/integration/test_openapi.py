"""The OpenAPI document: valid 3.1, every ``/api/v1`` route in it, and the service keeps it.

schemathesis generates requests from the document (headers, broken headers and
broken bodies; valid bodies come from each form's embedded JSON Schema through
tests/schema_instances.py, see below) and sends them to the app in process,
with a referral token, a staff token and no token at all: no reply may be a
5xx, have a status the document does not list, or break the schema the
document gives for it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import UnsupportedSchema
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from forms_service.api.json_schema import form_json_schema
from forms_service.services import Services
from forms_service.web.wiring import TASKS
from tests.conftest import make_app, task_runner
from tests.schema_instances import Generator
from tests.staff import referral_headers, staff_user, user_headers

OPENAPI = "/api/v1/openapi.json"
JSON = "application/json"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _document(client: FlaskClient) -> dict[str, Any]:
    reply = client.get(OPENAPI)
    assert reply.status_code == 200
    document: dict[str, Any] = reply.get_json()
    return document


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    document = _document(client)
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_api_route_and_method_is_described(app: Flask, services: Services) -> None:
    paths = _document(app.test_client())["paths"]
    described = {
        (path, method.upper())
        for path, item in paths.items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        if "<form_id>" in rule.rule and "POST" in methods:  # one path per form
            concrete = [rule.rule.replace("<form_id>", f) for f in services.registry.ids()]
        else:
            concrete = [re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)]
        served |= {(path, method) for path in concrete for method in methods}
    assert served == described


def test_each_form_body_is_its_published_schema(client: FlaskClient, services: Services) -> None:
    document = _document(client)
    for form in services.registry.all():
        operation = document["paths"][f"/api/v1/forms/{form.id}/submissions"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        embedded = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        published = client.get(f"/api/v1/forms/{form.id}/schema").get_json()
        assert embedded == published
        assert embedded == form_json_schema(form, published["$id"])
        assert operation["security"] == [{"bearer": []}]
        assert {"201", "400", "401", "403", "413", "415", "422", "429"} <= set(
            operation["responses"]
        )


def test_servers_and_schema_ids_use_the_configured_base_url(tmp_path: Path) -> None:
    app = make_app(tmp_path, base_url="https://forms.council.example.gov.uk/")
    try:
        document = _document(app.test_client())
    finally:
        task_runner(app).stop()
    assert document["servers"] == [{"url": "https://forms.council.example.gov.uk"}]
    schema = document["components"]["schemas"]["ehfsa-submission"]
    assert schema["$id"] == "https://forms.council.example.gov.uk/api/v1/forms/ehfsa/schema"


# -- schemathesis ------------------------------------------------------------------------
# Each operation's cases come from schemathesis (``operation.as_strategy``) under a plain
# hypothesis ``@given``: its pytest integration (``from_fixture``) reads ``Node._nodeid``,
# which pytest 9.2 no longer has.
#
# Valid submission bodies come from tests/schema_instances.py, fed the schema embedded in
# the document: schemathesis generates JSON Schema through hypothesis-jsonschema (drafts
# 4-7, no ``minContains``), so its "valid" bodies are refused (422), and drawing them from
# these schemas' long text patterns takes seconds each. Everything else about those
# requests (headers, Idempotency-Key, media type, a broken header) is schemathesis's, and
# so are the broken bodies, which cost the same seconds and so are drawn a few at a time.

FUZZ = {"derandomize": True, "deadline": None, "database": None}
QUIET = list(HealthCheck)


class KeptForLater:
    """A task runner that keeps the outbox ids: delivery is not the API's contract (the
    delivery tests render and send), and rendering every accepted body would cost minutes."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def enqueue_delivery(self, outbox_id: str) -> None:
        self.ids.append(outbox_id)

    def sweep(self) -> int:
        return 0

    def stop(self) -> None:
        return None


@dataclass
class Fuzz:
    """One app under test, the header it sends, and every status code it saw."""

    app: Flask
    authorization: dict[str, str]
    broken_bodies: int = 0
    seen: Counter[str] = field(default_factory=Counter)

    def send(self, case: schemathesis.Case) -> None:
        """Send ``case`` with this Authorization (or with none at all) and check the reply."""
        if self.authorization:
            reply = case.call_and_validate(headers=self.authorization, checks=CHECKS)
        else:
            headers = case.headers or {}
            case.headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            reply = case.call_and_validate(checks=CHECKS)
        self.seen[f"{case.method} {reply.status_code}"] += 1

    def run(self, cases: st.SearchStrategy[schemathesis.Case], examples: int) -> None:
        @settings(max_examples=examples, suppress_health_check=QUIET, **FUZZ)
        @given(case=cases)
        def send(case: schemathesis.Case) -> None:
            self.send(case)

        send()


def _with_valid_body(
    operation: schemathesis.APIOperation, body_schema: dict[str, Any], mode: GenerationMode
) -> st.SearchStrategy[schemathesis.Case]:
    """schemathesis's cases for ``operation`` (``mode`` breaks a header, if any), each
    with a body generated from ``body_schema``."""

    def fill(pair: tuple[schemathesis.Case, int]) -> schemathesis.Case:
        case, seed = pair
        case.body = Generator(body_schema, seed).instance()
        return case

    seeds = st.integers(min_value=0, max_value=2**32 - 1)
    return st.tuples(operation.as_strategy(mode, body={}), seeds).map(fill)


#: Ways to break a valid body, each a reply the contract must still describe (a 4xx).
BREAKS = ("wrong type", "unknown property", "missing answer", "not an object")


def _with_broken_body(
    operation: schemathesis.APIOperation, body_schema: dict[str, Any]
) -> st.SearchStrategy[schemathesis.Case]:
    """Bodies broken one way each, made from valid ones: for a form whose whole schema
    schemathesis cannot negate (its many ``if``/``then``s exceed what it spells out)."""

    def fill(drawn: tuple[schemathesis.Case, int, str]) -> schemathesis.Case:
        case, seed, how = drawn
        body = Generator(body_schema, seed).instance()
        names = sorted(body)
        name = names[seed % len(names)] if names else "x"
        if how == "wrong type":
            body[name] = 12345 if isinstance(body.get(name), str) else "12345"
        elif how == "unknown property":
            body["not_a_question"] = "x"
        elif how == "missing answer":
            body.pop(name, None)
        else:
            body = [body]
        case.body = body
        return case

    seeds = st.integers(min_value=0, max_value=2**32 - 1)
    return st.tuples(
        operation.as_strategy(GenerationMode.POSITIVE, body={}), seeds, st.sampled_from(BREAKS)
    ).map(fill)


def _body_schema(document: dict[str, Any], operation: schemathesis.APIOperation) -> Any:
    """The body schema the document gives ``operation`` (``None`` for one without a body)."""
    post = document["paths"][operation.path].get("post")
    if post is None or JSON not in post["requestBody"]["content"]:
        return None  # no body, or a file upload (multipart: schemathesis makes those)
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _operations(app: Flask) -> tuple[dict[str, Any], list[schemathesis.APIOperation]]:
    document = _document(app.test_client())
    api = schemathesis.openapi.from_wsgi(OPENAPI, app)
    # schemathesis leaves out the operation that serves the document; it is tested too.
    operations = [result.ok() for result in api.get_all_operations()] + [api[OPENAPI]["GET"]]
    described = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert {operation.label for operation in operations} == described
    return document, operations


def _keeps_its_contract(fuzz: Fuzz) -> Counter[str]:
    """Valid and broken requests to every operation, each reply checked against the document."""
    document, operations = _operations(fuzz.app)
    for operation in operations:
        body_schema = _body_schema(document, operation)
        if body_schema is None:
            fuzz.run(
                st.one_of(
                    operation.as_strategy(GenerationMode.POSITIVE),
                    operation.as_strategy(GenerationMode.NEGATIVE),
                ),
                examples=15,
            )
            continue
        fuzz.run(_with_valid_body(operation, body_schema, GenerationMode.POSITIVE), examples=12)
        fuzz.run(_with_valid_body(operation, body_schema, GenerationMode.NEGATIVE), examples=6)
        if fuzz.broken_bodies:
            try:
                fuzz.run(
                    operation.as_strategy(GenerationMode.NEGATIVE), examples=fuzz.broken_bodies
                )
            except UnsupportedSchema:
                fuzz.run(_with_broken_body(operation, body_schema), examples=fuzz.broken_bodies * 3)
    return fuzz.seen


@pytest.fixture
def fuzzed_app(tmp_path: Path) -> Flask:
    application = make_app(tmp_path)
    task_runner(application).stop()
    application.extensions[TASKS] = KeptForLater()
    return application


def test_the_contract_holds_with_a_staff_token(fuzzed_app: Flask) -> None:
    services: Services = fuzzed_app.extensions["forms"]
    worker = user_headers(services, staff_user(services, "lead-professional"))
    seen = _keeps_its_contract(Fuzz(fuzzed_app, worker, broken_bodies=2))
    assert {"GET 200", "GET 404", "POST 201", "POST 422"} <= set(seen), seen
    assert fuzzed_app.extensions[TASKS].ids  # accepted submissions were queued for delivery


def test_the_contract_holds_with_a_referral_token(fuzzed_app: Flask) -> None:
    seen = _keeps_its_contract(Fuzz(fuzzed_app, referral_headers(fuzzed_app)))
    assert {"POST 201", "POST 403"} <= set(seen), seen


def test_the_contract_holds_without_a_token(fuzzed_app: Flask) -> None:
    seen = _keeps_its_contract(Fuzz(fuzzed_app, {}))
    assert {key for key in seen if key.startswith("POST")} == {"POST 401"}, seen


def test_too_large_and_too_many_replies_keep_the_contract(tmp_path: Path) -> None:
    """413 and 429, which fuzzing at the default limits never reaches."""
    app = make_app(tmp_path, max_content_length=4096, limit_api_submissions="1/minute")
    try:
        api = schemathesis.openapi.from_wsgi(OPENAPI, app)
        operation = api["/api/v1/forms/ehfsa/submissions"]["POST"]
        headers = referral_headers(app)
        big = operation.Case(body={"presenting_issues": "x" * 5000}, media_type=JSON)
        assert big.call_and_validate(headers=headers, checks=CHECKS).status_code == 413
        again = operation.Case(body={}, media_type=JSON)
        limited = again.call_and_validate(headers=headers, checks=CHECKS)
        retry_after = {k.lower(): v for k, v in limited.headers.items()}["retry-after"]
        assert limited.status_code == 429 and int(retry_after[0]) > 0
    finally:
        task_runner(app).stop()
