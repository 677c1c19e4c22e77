"""``forms-service check-schemas`` and the schema loader's error messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forms_service.cli import main
from forms_service.definitions.loader import SchemaError, load_form
from forms_service.definitions.model import (
    AtLeastOneRule,
    Condition,
    CoversRule,
    DateWithinRule,
    ExactlyOneRule,
    WorkingDaysAfter,
)

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
        # a second top-level key would silently replace the first (two prefill: lists)
        (
            lambda t: t + "\ndocuments:\n  pdf: ehfsa/pdf.html\n",
            "the key 'documents' is given twice",
        ),
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


def _story_with(schemas: Path, old: str, new: str) -> Path:
    path = schemas / "family-story.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "kind: covers",
            "kind: coverz",
            "rules.0.kind: Must be one of: covers, date_within, dated_before, required_from_age, "
            "required_without.",
        ),
        ("  - kind: covers\n", "  - kinds: covers\n", "rules.0.kind: Missing data for required"),
        ("  - kind: covers\n", "  - kind: [covers]\n", "rules.0.kind: Must be one of: covers,"),
        ("    by_key: headline\n", "", "rules.0.by_key: Missing data for required field."),
        ("kind: covers", "kind: covers\n    max_days: 3", "rules.0.max_days: Unknown field."),
        ("    max_days: 15\n", "", "warnings.0.max_days: Missing data for required field."),
        ("kind: working_days_after", "kind: days_after", "computed.0.kind: Must be one of"),
        ("- kind: exactly_one", "- kind: exactly_two", "item_rules.0.kind: Must be one of"),
        ("equals: true}", "equals: true, includes: x}", "rules.0.where: give exactly one of"),
        ("    key: headline", "    key: headlinez", "rules: 'headlinez' is not a field of"),
        ("    items: domains", "    items: domainz", "rules: items 'domainz' is not a field"),
        # An alert's "some item" test names the list and a question each item holds.
        ("{field: domains, some:", "{field: domainz, some:", "'domainz' is not a field of"),
        ("[{field: applies, equals", "[{field: applise, equals", "'applise' is not in 'domains'"),
    ],
)
def test_a_broken_rule_names_its_key(schemas: Path, old: str, new: str, expected: str) -> None:
    with pytest.raises(SchemaError) as broken:
        load_form(_story_with(schemas, old, new))
    assert "family-story.yaml: " in str(broken.value) and expected in str(broken.value)


def test_a_rule_that_is_not_a_mapping_is_refused(schemas: Path) -> None:
    path = _story_with(
        schemas, "warnings:\n  - kind: date_within", "warnings:\n  - 3\n  - kind: date_within"
    )
    with pytest.raises(SchemaError, match=r"warnings\.0: Invalid input type\."):
        load_form(path)


def test_the_schema_file_loads_into_one_class_per_rule_kind() -> None:
    story = load_form(ROOT / "form_schemas" / "family-story.yaml")
    assert [type(r) for r in story.rules] == [CoversRule, DateWithinRule]
    assert [type(w) for w in story.warnings] == [DateWithinRule]
    assert [type(c) for c in story.computed] == [WorkingDaysAfter, WorkingDaysAfter]
    household = story.field("household")
    assert [type(r) for r in household.item_rules] == [ExactlyOneRule, AtLeastOneRule]
    assert household.item_rules[0].one_of == ("lead_child",)
    assert isinstance(household.fields, tuple) and isinstance(household.options, tuple)
    covers = story.rules[0]
    assert isinstance(covers, CoversRule) and covers.where == Condition("applies", equals=True)
    review = load_form(ROOT / "form_schemas" / "tacaf-review.yaml")
    copy = review.prefill[0].copies[0]
    assert (copy.target, copy.source) == ("household", "household")


def test_an_item_rule_counts_the_matching_items() -> None:
    one = ExactlyOneRule("role", ("lead_child",), "Choose one")
    some = AtLeastOneRule("role", ("parent", "carer"), "Add a parent")
    lead, parent = {"role": "lead_child"}, {"role": "parent"}
    assert one.holds([lead, parent]) and not one.holds([parent]) and not one.holds([lead, lead])
    assert some.holds([lead, parent, parent]) and not some.holds([lead])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # A template may only name answers the source item has.
        ('"{first_name} {last_name}"', '"{first_name} {surname}"', "'surname' is not in"),
        ("{dates}). Offered", "{when}). Offered", "'when' is not in 'support_tried'"),
        ("into: offered", "into: offerd", "'offerd' is not in 'support_tried'"),
        ("value: true}", "value: true, into: offered}", "give at most one of"),
        ('"{first_name} {last_name}"', '"{first_name} {Last}"', "must name answers like"),
        ("label: action\n", "label: actionz\n", "'actionz' is not a field of 'previous_actions'"),
    ],
)
def test_a_broken_prefill_step_is_refused(
    schemas: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    for name in ("tacaf-review.yaml", "family-story.yaml", "cspoc-request.yaml"):
        path = schemas / name
        path.write_text(path.read_text().replace(old, new, 1))
    code = main(
        ["check-schemas", "--schemas", str(schemas), "--templates", str(ROOT / "doc_templates")]
    )
    assert code == 1
    assert expected in capsys.readouterr().err
