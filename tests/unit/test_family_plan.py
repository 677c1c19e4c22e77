"""The family's own copy of the plan ("Our Family Plan"), and the fixtures behind it.

Rendered with the real libraries for the Family Story Assessment and the Team
Around the Child and Family review (continuing and closing), then read back
with pypdf and python-docx.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import re
import types
from collections.abc import Iterator
from typing import Any

import docx
import pypdf
import pytest

from forms_service.definitions.model import FormDefinition
from forms_service.documents import (
    DocumentRenderer,
    RenderedDocuments,
    SubmissionRecord,
    build_context,
)
from forms_service.documents.family import long_date
from forms_service.fieldtypes import date as date_type
from forms_service.flow.navigation import visible_pages
from forms_service.formats import format_phone
from forms_service.submissions.answers import validate
from forms_service.submissions.rules import check_rules
from forms_service.submissions.service import validate_submission
from tests import factories as fx
from tests.readback import docx_text, flat, pdf_text

HEADINGS = [
    "Who is in our family",
    "What Kayden says",
    "What is going well",
    "What we are worried about",
    "What we want to change",
    "Who will do what, and by when",
    "When we will meet again",
    "Do we agree with this plan?",
    "Your worker",
    "Your information",
    "If you are worried about a child's safety",
]
ACRONYMS = ["TACAF", "EHFSA", "C-SPOC", "SMART", "RAG", "CIN", "CP", "YOS", "EHFS", "SEN", "NHS"]
NO_MORE_MEETINGS = "There are no more meetings planned."

CASES = ["family-story", "tacaf-review", "tacaf-closing", "cspoc-request"]
PLAN_CASES = ["family-story", "tacaf-review", "tacaf-closing"]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def render(
    form: FormDefinition, answers: dict[str, Any], contacts: dict[str, str] | None = None
) -> RenderedDocuments:
    """Every document, failing on any WeasyPrint warning."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        docs = DocumentRenderer(fx.TEMPLATES, fx.CONTACTS if contacts is None else contacts).render(
            SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
        )
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == []
    return docs


@pytest.fixture(scope="module")
def rendered() -> dict[str, RenderedDocuments]:
    return {name: render(*fx.document_case(name)) for name in CASES}


@pytest.fixture
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation's "today" is fx.DOCUMENT_DAY, so the fixed fixture dates stay valid."""

    class FrozenDate(dt.date):
        @classmethod
        def today(cls) -> FrozenDate:
            day = fx.DOCUMENT_DAY
            return cls(day.year, day.month, day.day)

    fake = types.SimpleNamespace(date=FrozenDate, timedelta=dt.timedelta, datetime=dt.datetime)
    monkeypatch.setattr(date_type, "dt", fake)


def family_texts(docs: RenderedDocuments) -> dict[str, str]:
    assert docs.family_pdf is not None
    assert docs.family_docx is not None
    return {
        "pdf": flat(pdf_text(docs.family_pdf)),
        "docx": flat(docx_text(docs.family_docx)),
    }


def expected_actions(answers: dict[str, Any]) -> list[dict[str, str]]:
    """What the family's table must show: this plan, then actions carried forward
    (a household member who does an action by first name only)."""
    first = {f"{p['first_name']} {p['last_name']}": p["first_name"] for p in answers["household"]}
    rows = [{"what": a["what"], "who": first.get(a["who"], a["who"])} for a in answers["plan"]]
    rows += [
        {"what": a["action"], "who": first.get(a["who"], a["who"])}
        for a in answers.get("previous_actions", [])
        if a.get("carry_forward") and a["status"] not in ("closed", "done")
    ]
    return rows


# --- the fixtures are real, valid submissions ------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_fixture_answers_are_valid(case: str, frozen_today: None) -> None:
    form, answers = fx.document_case(case)
    assert validate_submission(form, answers, fx.CONTACTS) == answers
    assert check_rules(form, answers) == {}
    # A review leaves out "Moving on" (continuing) or "Next review" (closing).
    fields = [f for page in visible_pages(form, answers) for f in page.fields]
    assert validate(fields, answers, {}) == answers
    if not case.startswith("tacaf"):
        assert validate(form.fields, answers, {}) == answers


# --- the family plan: content and writing rules ------------------------------------


@pytest.mark.parametrize("case", PLAN_CASES)
def test_family_plan_has_every_section_in_order(
    case: str, rendered: dict[str, RenderedDocuments]
) -> None:
    for kind, text in family_texts(rendered[case]).items():
        assert text.startswith("Our Family Plan"), kind
        positions = [text.find(heading) for heading in HEADINGS]
        assert -1 not in positions, (kind, positions)
        assert positions == sorted(positions), kind
    document = docx.Document(io.BytesIO(rendered[case].family_docx or b""))
    headings = [p.text for p in document.paragraphs if p.style and p.style.name == "Heading 1"]
    assert headings == HEADINGS


@pytest.mark.parametrize("case", PLAN_CASES)
def test_family_plan_shows_every_action(case: str, rendered: dict[str, RenderedDocuments]) -> None:
    _, answers = fx.document_case(case)
    actions = expected_actions(answers)
    assert actions
    texts = family_texts(rendered[case])
    for action in actions:
        for kind, text in texts.items():
            assert action["what"] in text, (kind, action)
            assert action["who"] in text, (kind, action)
    for item in answers["plan"]:
        by_when = dt.date.fromisoformat(item["by_when"])
        for text in texts.values():
            assert f"{by_when.day} {by_when:%B %Y}" in text
            assert item["measure"] in text
            assert item["outcome"] in text
    # The DOCX table: a header row and one row per action, four columns.
    document = docx.Document(io.BytesIO(rendered[case].family_docx or b""))
    (table,) = document.tables
    assert [c.text for c in table.rows[0].cells] == [
        "What will happen",
        "Who will do it",
        "By when",
        "How we will know it is working",
    ]
    assert [row.cells[0].text for row in table.rows[1:]] == [a["what"] for a in actions]


@pytest.mark.parametrize("case", PLAN_CASES)
def test_family_plan_uses_first_names_only(
    case: str, rendered: dict[str, RenderedDocuments]
) -> None:
    for kind, text in family_texts(rendered[case]).items():
        for person in fx.household(today=fx.DOCUMENT_DAY):
            if person["role"] != "unborn":
                assert re.search(rf"\b{person['first_name']}\b", text), (kind, person)
            birthday = person.get("date_of_birth")
            if birthday:
                day = dt.date.fromisoformat(birthday)
                assert f"{day.day} {day:%B %Y}" not in text
                assert birthday not in text
        for surname in fx.SURNAMES:
            assert surname not in text, (kind, surname)


@pytest.mark.parametrize("case", PLAN_CASES)
def test_family_plan_has_no_acronyms_or_professional_detail(
    case: str, rendered: dict[str, RenderedDocuments]
) -> None:
    _, answers = fx.document_case(case)
    for kind, text in family_texts(rendered[case]).items():
        found = [a for a in ACRONYMS if re.search(rf"\b{re.escape(a)}\b", text)]
        assert found == [], kind
        assert "Team Around the Child and Family meeting" in text
        assert "referrer" not in text.lower()
        assert "Priya" not in text  # who asked for help
        assert "Hannah Lee" not in text  # other professionals
        assert "score" not in text.lower()
        assert "Green" not in text and "Amber" not in text
        assert fx.REFERENCE in text  # small, at the bottom
        assert "written on 24 November 2026" in text
        if "agency_history" in answers:
            assert answers["agency_history"] not in text


@pytest.mark.parametrize("case", PLAN_CASES)
def test_family_plan_gives_the_worker_and_the_safety_numbers(
    case: str, rendered: dict[str, RenderedDocuments]
) -> None:
    for kind, text in family_texts(rendered[case]).items():
        assert "Your worker is Jo Bennett, Family Support Practitioner." in text, kind
        assert "0113 496 0555" in text  # the stored +441134960555, as people write it
        assert "jo.bennett@northtown.example.gov.uk" in text
        assert "call 999" in text
        assert f"on {fx.CONTACTS['level4_phone']}." in text
        assert fx.CONTACTS["level4_out_of_hours_phone"] in text
        assert "change your mind" in text
        assert "only share your information without your agreement" in text
        assert "at risk of harm" in text


def test_family_plan_lists_the_household(rendered: dict[str, RenderedDocuments]) -> None:
    for text in family_texts(rendered["family-story"]).values():
        assert "Amara, sister" in text
        assert "A baby, on the way" in text
        assert "Beatrice, maternal grandmother" in text
        assert "Unborn" not in text
        assert "Self" not in text


def test_family_plan_says_when_we_meet_again(rendered: dict[str, RenderedDocuments]) -> None:
    for text in family_texts(rendered["tacaf-review"]).values():
        assert "We will meet again on Monday 4 January 2027, at Riverside Primary School." in text
        assert "about every 6 weeks" in text
        assert NO_MORE_MEETINGS not in text
    for text in family_texts(rendered["family-story"]).values():
        assert "We will meet again on Tuesday 5 January 2027 at 4pm, at Riverside" in text


def test_closing_review_says_there_are_no_more_meetings(
    rendered: dict[str, RenderedDocuments],
) -> None:
    for kind, text in family_texts(rendered["tacaf-closing"]).items():
        assert NO_MORE_MEETINGS in text, kind
        assert fx.WHO_TO_CONTACT in text
        assert "We will meet again" not in text


def test_closing_review_without_anyone_to_contact_names_the_worker() -> None:
    form, answers = fx.document_case("tacaf-closing")
    del answers["who_to_contact"]
    html = DocumentRenderer(fx.TEMPLATES).family_plan_html(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert NO_MORE_MEETINGS in html
    assert "If you need help again, contact your worker." in html


def test_family_plan_pdf_is_large_print(rendered: dict[str, RenderedDocuments]) -> None:
    """Every run of text is 14pt or more, except the page numbers and reference line."""
    reader = pypdf.PdfReader(io.BytesIO(rendered["family-story"].family_pdf or b""))
    assert reader.metadata is not None
    assert reader.metadata.title == "Our Family Plan"
    assert reader.root_object["/Lang"] == "en-GB"
    small: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        points = round(size * abs(tm[3]) * abs(cm[3]), 1)
        if text.strip() and points < 14:
            small.append((points, text.strip()))

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    assert small
    for points, text in small:
        assert text.startswith(("Page ", fx.REFERENCE, "2026")), (points, text)


def test_family_plan_without_contacts_still_renders() -> None:
    docs = render(*fx.document_case("family-story"), contacts={})
    for text in family_texts(docs).values():
        assert "call 999" in text
        assert "Single Point of Contact on" not in text


def test_family_plan_html_escapes_answers() -> None:
    form, answers = fx.document_case("family-story")
    answers["plan"][0]["what"] = '<img src="file:///etc/passwd"> & {{ 7*7 }}'
    html = DocumentRenderer(fx.TEMPLATES).family_plan_html(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt; &amp; {{ 7*7 }}" in html
    assert "<img" not in html


# --- which forms get a family plan -------------------------------------------------


def test_only_forms_with_a_family_plan_get_one(rendered: dict[str, RenderedDocuments]) -> None:
    assert rendered["cspoc-request"].family_pdf is None
    assert rendered["cspoc-request"].family_docx is None
    for case in PLAN_CASES:
        assert rendered[case].family_pdf is not None
    with pytest.raises(ValueError, match="no family plan"):
        DocumentRenderer(fx.TEMPLATES).family_plan_html(
            SubmissionRecord(*fx.document_case("ehfsa"), fx.REFERENCE, fx.SUBMITTED_AT)
        )


def test_the_family_context(frozen_today: None) -> None:
    form, answers = fx.document_case("tacaf-review")
    context = build_context(form, answers, fx.REFERENCE, fx.SUBMITTED_AT, fx.CONTACTS)
    family = context["family"]
    assert family["members"][0] == {"name": "Kayden", "about": ""}
    assert family["next_meeting"] == {
        "date": "Monday 4 January 2027",
        "time": "",
        "when": "Monday 4 January 2027",
        "place": "Riverside Primary School",
    }
    assert family["worker"]["phone"] == "0113 496 0555"
    assert family["safety"] == {"phone": "01702 215007", "out_of_hours_phone": "0345 606 1212"}
    assert [a["measure"] for a in family["actions"]][2:] == [
        "We will check this at our next meeting"
    ] * 2
    no_plan = dataclasses.replace(form, family_plan=None)
    assert build_context(no_plan, answers, "R", fx.SUBMITTED_AT)["family"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("+441134960555", "0113 496 0555"), ("+33123456789", "+33 1 23 45 67 89"), ("", "")],
)
def test_format_phone_in_the_plan(value: str, expected: str) -> None:
    assert format_phone(value) == expected


def test_long_date() -> None:
    assert long_date("2027-01-05") == "Tuesday 5 January 2027"
    assert long_date(None) == ""


@pytest.fixture(autouse=True)
def _no_leftover_tags(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "rendered" in request.fixturenames:
        for docs in request.getfixturevalue("rendered").values():
            for data in (docs.docx, docs.family_docx):
                if data is not None:
                    assert "{{" not in docx_text(data)
                    assert "{%" not in docx_text(data)
