"""Every form file: loads, its templates match it, its JSON Schema is valid,
and every page of it renders in the web app."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from forms_service.definitions import load_form
from forms_service.documents.checks import check_template_variables

ROOT = Path(__file__).resolve().parents[1]
FORM_FILES = sorted((ROOT / "form_schemas").glob("*.yaml"))


def test_the_four_forms_exist() -> None:
    assert {p.stem for p in FORM_FILES} >= {
        "ehfsa",
        "cspoc-request",
        "family-story",
        "tacaf-review",
    }


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_schema_loads_and_templates_use_only_its_fields(path: Path) -> None:
    form = load_form(path, ROOT / "doc_templates")
    assert check_template_variables(form, ROOT / "doc_templates") == []


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_every_page_renders(client: FlaskClient, path: Path) -> None:
    form = load_form(path)
    assert client.get(f"/forms/{form.id}").status_code == 200
    for page in form.pages:
        reply = client.get(f"/forms/{form.id}/{page.id}")
        assert reply.status_code == 200, page.id
        assert str(escape(page.title)) in reply.text
        if page.repeating is not None:
            assert client.get(f"/forms/{form.id}/{page.id}/add").status_code == 200
    assert client.get(f"/forms/{form.id}/check-answers").status_code == 200


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_json_schema_is_valid(client: FlaskClient, path: Path) -> None:
    schema = client.get(f"/api/v1/forms/{path.stem}/schema").get_json()
    jsonschema.Draft202012Validator.check_schema(schema)
