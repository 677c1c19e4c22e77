"""Static checks: every name a document template uses exists in the context and the form."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import docx
import pytest

from forms_service.definitions.model import Documents, FormDefinition
from forms_service.documents import check_template_variables

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "doc_templates"


@pytest.fixture(scope="module")
def form() -> FormDefinition:
    from forms_service.definitions.loader import load_form

    return load_form(ROOT / "form_schemas" / "ehfsa.yaml", TEMPLATES)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    target = tmp_path / "doc_templates"
    shutil.copytree(TEMPLATES, target)
    (target / "bad").mkdir()
    return target


def with_documents(form: FormDefinition, pdf: str, docx_name: str) -> FormDefinition:
    return dataclasses.replace(form, documents=Documents(pdf=pdf, docx=docx_name))


def test_ehfsa_templates_use_only_what_exists(form: FormDefinition) -> None:
    assert check_template_variables(form, TEMPLATES) == []


def test_generic_record_uses_only_what_exists(form: FormDefinition) -> None:
    generic = with_documents(form, "shared/base.html", "shared/record.docx")
    assert check_template_variables(generic, TEMPLATES) == []


def test_unknown_answer_in_the_pdf_template_is_reported(
    form: FormDefinition, templates: Path
) -> None:
    (templates / "bad" / "pdf.html").write_text(
        '{% extends "shared/base.html" %}\n'
        "{% block intro %}<p>{{ answers.no_such_field }}</p>"
        "<p>{{ answers.referrer.shoe_size }} {{ answers['consent'].method }}</p>"
        "<p>{{ answers.household.first_name }} {{ answers.household[0].first_name }}</p>"
        "<p>{{ answers.get('family_views', '') }} {{ secret_key }}</p>"
        "{% include 'bad/part.html' %}{% endblock %}\n",
        encoding="utf-8",
    )
    (templates / "bad" / "part.html").write_text(
        "<p>{{ answers.presenting_issues.colour }} {{ answers.hoped_outcome | safe }}</p>\n",
        encoding="utf-8",
    )
    problems = check_template_variables(
        with_documents(form, "bad/pdf.html", "ehfsa/ehfsa.docx"), templates
    )
    text = "\n".join(problems)
    assert "bad/pdf.html: 'answers.no_such_field'" in text
    assert "bad/pdf.html: 'answers.referrer.shoe_size'" in text
    assert "'answers.household.first_name': 'household' is a repeating group" in text
    assert "bad/pdf.html: uses 'secret_key'" in text
    assert "bad/part.html: 'answers.presenting_issues.colour'" in text
    assert "bad/part.html: line 1 uses |safe" in text
    assert "method" not in text  # answers['consent'].method exists
    assert "household[0]" not in text  # indexing an item, then a real child
    assert "family_views" not in text
    assert len(problems) == 6


def test_unknown_answer_in_the_docx_template_is_reported(
    form: FormDefinition, templates: Path
) -> None:
    document = docx.Document(str(templates / "ehfsa" / "ehfsa.docx"))
    document.add_paragraph("Lead: {{ answers.no_such_docx_field }}")
    document.sections[0].header.add_paragraph("{{ council_name }}")
    document.save(str(templates / "bad" / "bad.docx"))
    problems = check_template_variables(
        with_documents(form, "ehfsa/pdf.html", "bad/bad.docx"), templates
    )
    assert problems == [
        "bad/bad.docx: uses 'council_name', which the document context does not provide",
        "bad/bad.docx: 'answers.no_such_docx_field': the form 'ehfsa' has no field "
        "'no_such_docx_field' here",
    ]


def test_a_missing_docx_is_reported_not_raised(form: FormDefinition, templates: Path) -> None:
    problems = check_template_variables(
        with_documents(form, "ehfsa/pdf.html", "bad/missing.docx"), templates
    )
    assert len(problems) == 1
    assert problems[0].startswith("bad/missing.docx: cannot be read")


@pytest.mark.parametrize("form_id", ["cspoc-request", "family-story", "tacaf-review"])
def test_every_new_form_uses_only_what_exists(form_id: str) -> None:
    from forms_service.definitions.loader import load_form

    form = load_form(ROOT / "form_schemas" / f"{form_id}.yaml", TEMPLATES)
    assert check_template_variables(form, TEMPLATES) == []


def test_family_plan_templates_are_checked_against_the_form(
    form: FormDefinition, templates: Path
) -> None:
    """The EHFSA asks none of what the family plan reads: each missing answer is named."""
    (templates / "bad" / "plan.html").write_text(
        "{{ family.members }} {{ answers.no_plan_field }} {{ council }}\n", encoding="utf-8"
    )
    with_plan = dataclasses.replace(
        form, family_plan=Documents(pdf="bad/plan.html", docx="shared/family_plan.docx")
    )
    problems = check_template_variables(with_plan, templates)
    text = "\n".join(problems)
    assert "bad/plan.html: 'answers.no_plan_field'" in text
    assert "bad/plan.html: uses 'council'" in text
    assert "the family plan needs the answer 'analysis.working_well'" in text
    assert "the family plan needs the answer 'worker.phone'" in text
    assert "'household.first_name'" not in text  # the EHFSA has a household


def test_a_broken_family_plan_docx_is_reported(form: FormDefinition, templates: Path) -> None:
    from forms_service.definitions.loader import load_form

    story = load_form(ROOT / "form_schemas" / "family-story.yaml", TEMPLATES)
    document = docx.Document(str(templates / "shared" / "family_plan.docx"))
    document.add_paragraph("{{ answers.worker.shoe_size }} {{ family.members }}")
    document.save(str(templates / "bad" / "plan.docx"))
    broken = dataclasses.replace(
        story, family_plan=Documents(pdf="shared/family_plan.html", docx="bad/plan.docx")
    )
    assert check_template_variables(broken, templates) == [
        "bad/plan.docx: 'answers.worker.shoe_size': the form 'family-story' has no field "
        "'shoe_size' here",
        "bad/plan.docx: the family's plan reads 'answers'; it may read only family, reference "
        "(practitioner-only answers never reach it)",
    ]


def test_shown_keys_are_checked(form: FormDefinition, templates: Path) -> None:
    (templates / "bad" / "pdf.html").write_text(
        '{% extends "shared/base.html" %}\n'
        "{% block facts %}{{ shown['referrer.full_name'] }} {{ shown['referrer.shoe'] }}"
        "{{ shown['household.first_name'] }} {{ shown['consent'] }}{% endblock %}\n",
        encoding="utf-8",
    )
    problems = check_template_variables(
        with_documents(form, "bad/pdf.html", "ehfsa/ehfsa.docx"), templates
    )
    assert problems == [
        "bad/pdf.html: 'shown['referrer.shoe']': the form 'ehfsa' has no field 'shoe' here",
        "bad/pdf.html: 'shown['household.first_name']': 'household' is a repeating group; "
        "loop over answers.household",
        "bad/pdf.html: 'shown['consent']' is a group; name one of its answers",
    ]
