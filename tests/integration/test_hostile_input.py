"""Hostile input through the API and the web form: a clear 4xx, or accepted
and shown literally in the PDF and DOCX. Never a 500, a fetched file or URL,
an evaluated template, a corrupt DOCX or an injected mail header."""

from __future__ import annotations

import email
import io
import zipfile
from email import policy
from pathlib import Path
from typing import Any

import docx
import pytest
from flask.testing import FlaskClient
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from forms_service.services import Services
from forms_service.submissions.models import Submission
from tests.factories import ehfsa_answers
from tests.webuser import WebUser

PAYLOADS = {
    "html": '<img src="file:///etc/passwd"><b>x</b>',
    "jinja": "{{ 7*7 }} {% for x in y %}",
    "css": "<style>@import url(http://127.0.0.1:9/x)</style> url(file:///etc/hosts)",
    "amp": "Tom & Jerry <select> 100<100",
    "control": "a\x0bb\x0cc\x1dd\x00e",
    "crlf": "Alice\r\nBcc: evil@example.com",
    "encoded": "=?UTF-8?Q?=0A?=Bcc: evil@example.com",
}
EXPECTED = {  # what must appear, literally, once normalised (see forms_service/text.py)
    "html": '<img src="file:///etc/passwd"><b>x</b>',
    "jinja": "{{ 7*7 }} {% for x in y %}",
    "css": "url(file:///etc/hosts)",
    "amp": "Tom & Jerry <select> 100<100",
    "control": "abcde",
    "crlf": "Alice Bcc: evil@example.com",
    "encoded": "=?UTF-8?Q?=0A?=Bcc: evil@example.com",
}


def _hostile_answers(payload: str) -> dict[str, Any]:
    answers = ehfsa_answers(2)
    answers["referrer"]["full_name"] = payload[:100]
    answers["household"][0]["first_name"] = payload[:100]
    answers["presenting_issues"] = payload
    answers["working_well"] = payload
    return answers


def _documents(services: Services) -> tuple[email.message.EmailMessage, bytes, bytes]:
    """The form to the SPOC inbox (every message's headers are checked for injection)."""
    mail = [
        email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        for eml in services.settings.pickup_dir.glob("*.eml")
    ]
    assert len(mail) == 2  # the form, and the referrer's acknowledgement
    for each in mail:
        assert each["Bcc"] is None and all("evil" not in value for _, value in each.items())
    [message] = [m for m in mail if m["To"] == services.settings.spoc_inbox]
    parts = {
        p.get_filename().rsplit(".", 1)[1]: p.get_content() for p in message.iter_attachments()
    }
    return message, parts["pdf"], parts["docx"]  # type: ignore[return-value]


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _assert_literal(services: Services, expected: str) -> None:
    message, pdf, docx_bytes = _documents(services)
    assert message["Bcc"] is None and "evil" not in str(message["Subject"])
    assert all("evil" not in value for _, value in message.items())
    pdf_text = _normalise(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert _normalise(expected) in pdf_text
    assert "/EmbeddedFile" not in pdf.decode("latin-1")
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        etree.fromstring(archive.read("word/document.xml"))  # well-formed XML
    document = docx.Document(io.BytesIO(docx_bytes))
    texts = [p.text for p in document.paragraphs] + [
        c.text for t in document.tables for r in t.rows for c in r.cells
    ]
    assert any(_normalise(expected) in _normalise(t) for t in texts)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_api_shows_hostile_text_literally(
    api_client: FlaskClient, services: Services, name: str
) -> None:
    reply = api_client.post(
        "/api/v1/forms/ehfsa/submissions", json=_hostile_answers(PAYLOADS[name])
    )
    assert reply.status_code == 201, reply.get_json()
    _assert_literal(services, EXPECTED[name])


@pytest.mark.parametrize("name", ["html", "jinja", "crlf", "control"])
def test_web_form_shows_hostile_text_literally(
    client: FlaskClient, services: Services, name: str
) -> None:
    user = WebUser(client, services.registry.get("ehfsa"))
    user.fill_all(_hostile_answers(PAYLOADS[name]))
    check = client.get(user.url("check-answers"))
    assert "<img src=" not in check.text and "<b>x</b>" not in check.text
    assert user.send().status_code == 302
    _assert_literal(services, EXPECTED[name])


def test_megabyte_strings_get_a_length_error_not_a_500(
    client: FlaskClient, api_client: FlaskClient, services: Services
) -> None:
    answers = ehfsa_answers()
    answers["working_well"] = "x" * 1_000_000
    reply = api_client.post("/api/v1/forms/ehfsa/submissions", json=answers)
    assert reply.status_code == 422
    assert reply.get_json()["errors"]["working_well"] == [
        "What is working well for this family must be 5,000 characters or fewer"
    ]
    user = WebUser(client, services.registry.get("ehfsa"))
    reply = user.post(user.url("strengths"), {"working_well": "y" * 1_000_000})
    assert reply.status_code == 200
    assert "must be 5,000 characters or fewer" in reply.text


def test_bodies_over_the_cap_are_413(client: FlaskClient, api_client: FlaskClient) -> None:
    reply = api_client.post(
        "/api/v1/forms/ehfsa/submissions",
        data=b"x" * (3 * 1024 * 1024),
        content_type="application/json",
    )
    assert reply.status_code == 413
    reply = client.post("/forms/ehfsa/strengths", data={"working_well": "z" * (3 * 1024 * 1024)})
    assert reply.status_code == 413


def test_one_over_the_maximum_length_is_refused(api_client: FlaskClient) -> None:
    answers = ehfsa_answers()
    answers["referrer"]["full_name"] = "n" * 101
    reply = api_client.post("/api/v1/forms/ehfsa/submissions", json=answers)
    errors = reply.get_json()["errors"]
    assert errors["referrer.full_name"] == ["Your full name must be 100 characters or fewer"]
    answers["referrer"]["full_name"] = "n" * 100
    assert api_client.post("/api/v1/forms/ehfsa/submissions", json=answers).status_code == 201


def test_an_answer_of_one_letter_lines_is_refused_and_blank_runs_fold(
    api_client: FlaskClient, services: Services
) -> None:
    """5,000 characters as 2,500 one-letter lines printed 50 pages: at most 125 lines, and
    runs of blank lines keep one (what is stored is what prints)."""
    answers = ehfsa_answers()
    answers["working_well"] = "a\n" * 2_500
    reply = api_client.post("/api/v1/forms/ehfsa/submissions", json=answers)
    assert reply.get_json()["errors"]["working_well"] == [
        "What is working well for this family must be 125 lines or fewer: join short lines together"
    ]
    answers["working_well"] = "\n".join(["a line"] * 125)
    answers["support_so_far"] = "First.\n\n\n\n\n\nSecond."
    reply = api_client.post("/api/v1/forms/ehfsa/submissions", json=answers)
    assert reply.status_code == 201
    with services.sessions() as db:
        stored = db.scalars(select(Submission)).one()
        assert services.vault.open(stored.answers_sealed)["support_so_far"] == "First.\n\nSecond."


def test_nothing_outside_the_instance_folder_is_read(tmp_path: Path) -> None:
    assert not any(tmp_path.glob("passwd*"))
