"""Property tests: generated submissions never cause a 5xx, and accepted text
comes back out of the PDF and DOCX exactly (after the documented normalisation)."""

from __future__ import annotations

import datetime as dt
import io
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from forms_service.definitions.loader import load_form
from forms_service.documents import DocumentRenderer, SubmissionRecord
from forms_service.submissions.answers import AnswersInvalid, validate
from forms_service.text import normalise
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.staff import referral_headers

ROOT = Path(__file__).resolve().parents[2]
EHFSA = load_form(ROOT / "form_schemas" / "ehfsa.yaml")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)
paths = st.sampled_from(
    [
        ("referrer", "full_name"),
        ("referrer", "email"),
        ("referrer", "phone"),
        ("household", 0, "first_name"),
        ("household", 0, "date_of_birth"),
        ("household", 1, "nhs_number"),
        ("household", 0, "role"),
        ("family_contact", "postcode"),
        ("consent", "parent_agrees"),
        ("presenting_issues",),
        ("needs",),
        ("household",),
        ("declaration",),
        ("immediate_danger",),
        ("unknown",),
        ("needs", 0, "headline"),
    ]
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    # Thousands of generated requests from one token: the API's rate limit (its own
    # test is in test_access_limits.py) is raised so this test is about input alone.
    app = make_app(
        tmp_path_factory.mktemp("fuzz"), task_mode="thread", limit_api_submissions="100000/minute"
    )
    task_runner(app).stop()  # queue only: this test is about the request path
    yield app


def _set(answers: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Put ``value`` at ``path`` if an earlier change has not replaced the container."""
    scope: Any = answers
    try:
        for part in path[:-1]:
            scope = scope[part]
        scope[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(paths, json_values | st.text()), min_size=1, max_size=4))
def test_generated_submissions_never_cause_a_server_error(
    fuzz_app: Flask, changes: list[tuple[tuple[Any, ...], Any]]
) -> None:
    answers = ehfsa_answers(2)
    for path, value in changes:
        _set(answers, path, value)
    reply = fuzz_app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=answers, headers=referral_headers(fuzz_app)
    )
    assert reply.status_code in (201, 422), reply.data[:500]
    if reply.status_code == 422:
        errors = reply.get_json()["errors"]
        assert errors and all(isinstance(m, str) and m for v in errors.values() for m in v)


# Text a person types: letters and digits in several scripts' Latin ranges,
# punctuation, markup characters, spaces and line breaks.
typed = st.text(
    alphabet=st.sampled_from(
        string.ascii_letters + string.digits + " \n" + "&<>\"'{}%#£€éèçñüößÆØåŁ–—‘’“”…"
    ),
    min_size=1,
    max_size=400,
).filter(lambda s: s.strip())


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _docx_paragraph_texts(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return [p.text for p in document.paragraphs] + cells


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_text=typed, name=typed)
def test_accepted_text_round_trips_into_pdf_and_docx(long_text: str, name: str) -> None:
    answers = ehfsa_answers(1)
    answers["working_well"] = long_text
    answers["household"][0]["first_name"] = name[:100]
    try:
        clean = validate(EHFSA.fields, answers, {})
    except AnswersInvalid:
        return  # refused with a message: nothing to round-trip
    when = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    stored = clean["working_well"]
    assert stored == normalise(long_text, single_line=False)
    word = _docx_paragraph_texts(
        DocumentRenderer(ROOT / "doc_templates").docx(
            SubmissionRecord(EHFSA, clean, "EH-TEST-TEST", when)
        )
    )
    assert any(text == stored for text in word), "the DOCX changed the text"
    pdf = _pdf_text(
        DocumentRenderer(ROOT / "doc_templates").pdf(
            SubmissionRecord(EHFSA, clean, "EH-TEST-TEST", when)
        )
    )
    assert " ".join(stored.split()) in " ".join(pdf.split())
    assert " ".join(clean["household"][0]["first_name"].split()) in " ".join(pdf.split())
