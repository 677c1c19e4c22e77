"""The family's copy reads as the family's: no abbreviation, no practitioner-only
text, and the sections issue 11 adds (the child's own words, the worries agreed
with the family, a place to sign, the time of the next meeting), in standard
and large print. Rendered with the real libraries, read back with pypdf and
python-docx.
"""

from __future__ import annotations

import io
import math
import shutil
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest

from forms_service.definitions.model import FormDefinition
from forms_service.definitions.registry import Registry
from forms_service.documents import (
    DocumentRenderer,
    RenderedDocuments,
    SubmissionRecord,
    check_template_variables,
)
from forms_service.documents.family import build_family_plan
from forms_service.submissions.service import validate_submission
from tests import factories as fx
from tests.readback import docx_text, flat, pdf_text

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry(ROOT / "form_schemas", ROOT / "doc_templates")

#: The practitioner's own analysis: true, and never for the family's copy.
PRACTITIONER_ONLY = (
    "Dean has been getting in touch through the school gate; report any contact from "
    "Dean to the police. The DSL and the HV share the worry; MARAC referral made."
)
#: Other practitioner-only answers, full of the abbreviations professionals use.
CASE_NOTES = {
    "agency_history": "CAMHS since 2025, EWO for attendance, HV until 2021, CIN in 2023.",
    "complicating_factors": "DA history; the CSC team closed the CP plan in 2024.",
}


def _plan_docs(form: FormDefinition, answers: dict[str, Any]) -> RenderedDocuments:
    return DocumentRenderer(fx.TEMPLATES, fx.CONTACTS).render(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )


def _realistic(case: str) -> tuple[FormDefinition, dict[str, Any]]:
    """A case's answers (as on DOCUMENT_DAY) with practitioner-only notes added."""
    base, answers = fx.document_case(case)
    return REGISTRY.get(base.id), _with_practitioner_notes(answers)


def _with_practitioner_notes(answers: dict[str, Any]) -> dict[str, Any]:
    """Practitioner-only answers holding the abbreviations and the worries the family
    must not read."""
    answers["analysis"]["worried_about"] = PRACTITIONER_ONLY
    for name, text in CASE_NOTES.items():
        if name in answers:
            answers[name] = text
    if "practitioner_updates" in answers:
        answers["practitioner_updates"] = CASE_NOTES["agency_history"]
    return answers


def _texts(docs: RenderedDocuments) -> dict[str, str]:
    assert docs.family_pdf is not None and docs.family_docx is not None
    return {"pdf": flat(pdf_text(docs.family_pdf)), "docx": flat(docx_text(docs.family_docx))}


@pytest.fixture(scope="module")
def realistic() -> dict[str, tuple[dict[str, Any], RenderedDocuments]]:
    cases = {}
    for case in ("family-story", "tacaf-review", "tacaf-closing"):
        form, answers = _realistic(case)
        cases[case] = (answers, _plan_docs(form, answers))
    return cases


@pytest.mark.parametrize("form_id", ["family-story", "tacaf-review"])
def test_the_realistic_answers_pass_the_glossary_check(form_id: str) -> None:
    """So the plans below are what the service would really print (dates as of today)."""
    answers = _with_practitioner_notes(fx.BUILDERS[form_id]())
    clean = validate_submission(REGISTRY.get(form_id), answers, fx.CONTACTS)
    assert clean["analysis"]["worried_about"] == PRACTITIONER_ONLY


@pytest.mark.parametrize("case", ["family-story", "tacaf-review", "tacaf-closing"])
def test_the_plan_has_no_abbreviation_and_no_practitioner_only_text(
    case: str, realistic: dict[str, tuple[dict[str, Any], RenderedDocuments]]
) -> None:
    answers, docs = realistic[case]
    for kind, text in _texts(docs).items():
        assert REGISTRY.glossary.first_in(text) is None, (kind, REGISTRY.glossary.first_in(text))
        assert "Dean" not in text, kind
        assert "police" not in text, kind
        for note in CASE_NOTES.values():
            assert note not in text, kind
        worries = answers["analysis"]["worried_about_for_family"].replace("\n", " ")
        assert f"What we are worried about {worries}" in text, kind
    # The record for the professionals keeps the analysis as written.
    assert PRACTITIONER_ONLY in flat(pdf_text(docs.pdf))


@pytest.mark.parametrize("case", ["family-story", "tacaf-review", "tacaf-closing"])
def test_the_plan_prints_the_childs_own_words_as_said(
    case: str, realistic: dict[str, tuple[dict[str, Any], RenderedDocuments]]
) -> None:
    answers, docs = realistic[case]
    words = answers["child_own_words"]
    for kind, text in _texts(docs).items():
        assert f"What Kayden says In their own words: {words}" in text, kind
        assert text.index("What Kayden says") < text.index("What is going well"), kind


def test_the_plan_has_a_place_for_each_adult_to_sign(
    realistic: dict[str, tuple[dict[str, Any], RenderedDocuments]],
) -> None:
    _, docs = realistic["family-story"]
    for kind, text in _texts(docs).items():
        section = text[text.index("Do we agree with this plan?") : text.index("Your worker")]
        assert section.count("Signed:") == 3, kind  # Grace, Daniel and Beatrice
        assert section.count("Date:") == 3, kind
        for adult in ("Grace", "Daniel", "Beatrice"):
            assert adult in section, (kind, adult)
        for child in ("Kayden", "Amara", "A baby"):
            assert child not in section, (kind, child)
        # The Family Story recorded Grace Okonkwo's agreement: first name only.
        assert "Grace agreed to this plan on 20 November 2026." in section, kind
        assert "Okonkwo" not in section, kind
    document = docx.Document(io.BytesIO(docs.family_docx or b""))
    lines = [p.text for p in document.paragraphs if p.text.startswith("Signed:")]
    assert len(lines) == 3 and all("____" in line for line in lines)


def test_a_plan_with_no_adult_listed_still_has_a_line_to_sign() -> None:
    _, answers = fx.document_case("tacaf-review")
    answers["household"] = [p for p in answers["household"] if p["role"] == "lead_child"]
    family = build_family_plan(answers, fx.CONTACTS)
    assert family["signatures"] == [{"name": "", "agreed_on": ""}]
    html = DocumentRenderer(fx.TEMPLATES).family_plan_html(
        SubmissionRecord(fx.form("tacaf-review"), answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert 'Name: <span class="line"></span>' in html


def test_the_plan_gives_the_time_of_the_next_meeting(
    realistic: dict[str, tuple[dict[str, Any], RenderedDocuments]],
) -> None:
    _, docs = realistic["family-story"]
    for kind, text in _texts(docs).items():
        assert (
            "We will meet again on Tuesday 5 January 2027 at 4pm, at Riverside Primary School."
            in text
        ), kind


def test_without_the_childs_words_the_section_is_left_out() -> None:
    form, answers = fx.document_case("family-story")
    del answers["child_own_words"]
    assert build_family_plan(answers, fx.CONTACTS)["child_words"] is None
    html = DocumentRenderer(fx.TEMPLATES).family_plan_html(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert "says</h2>" not in html and "In their own words" not in html


def _font_sizes(pdf: bytes) -> list[tuple[float, str]]:
    """Each piece of text with the size it is drawn at, in points."""
    sizes: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            points = size * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
            sizes.append((points, text.strip()))

    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def test_the_large_print_plan_keeps_every_new_section_at_16pt_or_more() -> None:
    form, answers = _realistic("family-story")
    pdf = DocumentRenderer(fx.TEMPLATES, fx.CONTACTS).family_plan_pdf(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT), large_print=True
    )
    sizes = _font_sizes(pdf)
    assert min(points for points, _ in sizes) >= 15.99, min(sizes)
    text = flat(pdf_text(pdf))
    for new in (
        "What Kayden says",
        fx.CHILD_OWN_WORDS,
        answers["analysis"]["worried_about_for_family"].replace("\n", " "),
        "Do we agree with this plan?",
        "Signed:",
        "Grace agreed to this plan on 20 November 2026.",
        "Tuesday 5 January 2027 at 4pm",
    ):
        assert new in text, new
    assert "Dean" not in text


def test_a_plan_template_that_reads_the_raw_answers_is_reported(tmp_path: Path) -> None:
    """The practitioner's analysis is one ``answers.`` away: only ``family`` may be read."""
    templates = tmp_path / "doc_templates"
    shutil.copytree(fx.TEMPLATES, templates)
    source = (templates / "shared" / "family_plan.html").read_text(encoding="utf-8")
    (templates / "shared" / "family_plan.html").write_text(
        source.replace("{{ family.worried_about }}", "{{ answers.analysis.worried_about }}"),
        encoding="utf-8",
    )
    form = REGISTRY.get("family-story")
    assert check_template_variables(form, templates) == [
        "shared/family_plan.html: the family's plan reads 'answers'; it may read only family, "
        "reference (practitioner-only answers never reach it)"
    ]
    assert check_template_variables(form, fx.TEMPLATES) == []
