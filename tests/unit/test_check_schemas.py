"""``forms-service check-schemas`` and the schema loader's error messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forms_service.cli import main
from forms_service.definitions.loader import SchemaError, load_form

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    target = tmp_path / "form_schemas"
    shutil.copytree(ROOT / "form_schemas", target)
    return target


def test_the_real_schemas_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-schemas"]) == 0
    assert "are valid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("type: long_text", "type: longtext", 1), "pages.5.fields.0.type"),
        (lambda t: t.replace("id: referrer\n", "id: referrer\n    colour: red\n", 1), "colour"),
        (lambda t: t.replace("include: need", "include: needz"), "block 'needz' does not exist"),
        (lambda t: t.replace("pdf: ehfsa/pdf.html", "pdf: ehfsa/missing.html"), "missing.html"),
        (lambda t: t.replace("name: working_well", "name: presenting_issues"), "used twice"),
        (lambda t: t + "\n  - : [", "not valid YAML"),
    ],
)
def test_a_broken_schema_fails_naming_the_file_and_key(
    schemas: Path, capsys: pytest.CaptureFixture[str], edit: object, expected: str
) -> None:
    path = schemas / "ehfsa.yaml"
    path.write_text(edit(path.read_text()))  # type: ignore[operator]
    code = main(
        ["check-schemas", "--schemas", str(schemas), "--templates", str(ROOT / "doc_templates")]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "ehfsa.yaml" in err and expected in err


def test_show_if_must_name_an_earlier_field(schemas: Path) -> None:
    block = schemas / "blocks" / "person.yaml"
    block.write_text(
        block.read_text().replace(
            "{field: lives_in_household, equals: false}", "{field: lives_somewhere, equals: false}"
        )
    )
    with pytest.raises(SchemaError, match="lives_somewhere"):
        load_form(schemas / "ehfsa.yaml")


def test_render_command_writes_pdf_and_docx(tmp_path: Path) -> None:
    import json

    from tests.factories import ehfsa_answers

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ehfsa_answers()))
    assert main(["render", "ehfsa", str(answers), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "EH-DRAFT.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "out" / "EH-DRAFT.docx").read_bytes().startswith(b"PK")
