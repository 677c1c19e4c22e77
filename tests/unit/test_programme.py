"""The programme's name, headlines and eligibility wording live in one data file
(``form_schemas/data/programme.yaml``): every form reads them from there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forms_service.definitions.loader import SchemaError, load_form, load_programme
from forms_service.definitions.registry import Registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    target = tmp_path / "form_schemas"
    shutil.copytree(ROOT / "form_schemas", target)
    return target


def test_the_programme_is_families_first_with_its_source() -> None:
    programme = load_programme(ROOT / "form_schemas")
    assert programme["name"] == "Families First Partnership programme"
    assert programme["since"] == "April 2025"
    assert "Families First Partnership programme guide" in programme["source"]
    assert len(programme["headlines"]) == 10


def test_every_headline_list_comes_from_the_programme_file(schemas: Path) -> None:
    path = schemas / "data" / "programme.yaml"
    path.write_text(path.read_text().replace("Secure housing", "A settled home"))
    path.write_text(
        path.read_text().replace("meets the Families First", "is eligible for the Families First")
    )
    registry = Registry(schemas, ROOT / "doc_templates")
    labels = {
        (form.id, fld.name): [o.label for o in fld.child("headline").options]
        for form in registry.all()
        for fld in form.fields
        if fld.type == "repeating" and any(c.name == "headline" for c in fld.fields)
    }
    assert len(labels) >= 5  # the needs, the assessment, every plan and review list
    assert all("A settled home" in options for options in labels.values())
    assert all("Secure housing" not in options for options in labels.values())
    story = registry.get("family-story")
    [hint] = story.field("domains").count_hints
    assert hint.text.startswith("3 or more needs apply, so the family is eligible for the")


def test_unknown_programme_wording_is_a_schema_error(schemas: Path) -> None:
    path = schemas / "family-story.yaml"
    path.write_text(path.read_text().replace("{programme.eligibility}", "{programme.rules}"))
    with pytest.raises(SchemaError, match=r"programme\.rules"):
        load_form(path)
