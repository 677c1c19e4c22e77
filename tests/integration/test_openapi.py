"""The OpenAPI document: valid 3.1, and every ``/api/v1`` route in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from forms_service.api.json_schema import form_json_schema
from forms_service.services import Services
from tests.conftest import make_app, task_runner

OPENAPI = "/api/v1/openapi.json"


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
