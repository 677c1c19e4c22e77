"""Every form file: loads, its templates match it, its JSON Schema is valid,
and every page of it renders in the web app."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from forms_service.definitions.loader import load_form
from forms_service.definitions.model import FormDefinition
from forms_service.definitions.registry import form_files
from forms_service.documents.checks import check_template_variables
from forms_service.services import Services
from tests.staff import signed_in, staff_user

ROOT = Path(__file__).resolve().parents[1]
FORM_FILES = form_files(ROOT / "form_schemas")


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


def _page_urls(form: FormDefinition) -> list[str]:
    urls = [f"/forms/{form.id}", f"/forms/{form.id}/check-answers"]
    for page in form.pages:
        urls.append(f"/forms/{form.id}/{page.id}")
        if page.repeating is not None:
            urls.append(f"/forms/{form.id}/{page.id}/add")
    return urls


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_every_page_renders(client: FlaskClient, services: Services, path: Path) -> None:
    form = load_form(path)
    if not form.open_to_anyone:
        # A staff form shows nothing to someone not signed in: every page sends them to sign in.
        for url in _page_urls(form):
            reply = client.get(url)
            assert reply.status_code == 302 and "/sign-in" in reply.location, url
        signed_in(client, services, staff_user(services, "lead-professional"))
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
