"""The largest submission each form accepts is delivered, whole, through real SMTP.

Issue 14: huge but valid submissions rendered for over a minute and were
retried for a day, never delivered. Here every list is full and every text at
its limit (``tests/largest.py``); each form goes in through the API, is
rendered by the real renderer and reaches a real SMTP server with its
documents, which are read back. How long that takes is a figure for
``make bench`` (benchmarks/largest.py), not an assertion.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from forms_service.services import Services
from tests.conftest import make_app
from tests.largest import largest_answers
from tests.readback import docx_text, flat, pdf_text
from tests.smtp_server import SmtpTestServer
from tests.staff import referral_headers, staff_user, user_headers

SPOC = "c-spoc@council.example.gov.uk"
FORMS = ("ehfsa", "cspoc-request", "family-story", "tacaf-review")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpTestServer) -> Flask:
    # The render limit is the production one's job to enforce; a busy test machine
    # must not turn a slow render into a retry here.
    return make_app(tmp_path, smtp_url=smtp.url("smtp"), render_timeout_seconds=600)


@pytest.mark.parametrize("form_id", FORMS)
def test_the_largest_submission_is_delivered_with_readable_documents(
    app: Flask, smtp: SmtpTestServer, form_id: str
) -> None:
    services: Services = app.extensions["forms"]
    form = services.registry.get(form_id)
    headers = (
        referral_headers(app)
        if form.open_to_anyone
        else user_headers(services, staff_user(services, "lead-professional"))
    )
    body = largest_answers(form_id)
    # Each top-level long answer ends with its own marker (same length): each must print
    # once, in full, in both documents.
    markers = []
    for fld in form.fields:
        value = body.get(fld.name)
        if fld.type == "long_text" and isinstance(value, str):
            marker = f"[end of {fld.name}]"
            body[fld.name] = value[: len(value) - len(marker)] + marker
            markers.append(marker)
    assert markers
    reply = app.test_client().post(
        f"/api/v1/forms/{form_id}/submissions", json=body, headers=headers
    )
    assert reply.status_code == 201, reply.get_json()
    reference = reply.get_json()["reference"]

    [message] = [
        m.parsed()
        for m in smtp.messages
        if m.rcpt_tos == [SPOC] and reference in m.parsed()["Subject"]
    ]
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    in_pdf = flat(pdf_text(files[f"{reference}.pdf"]))
    in_word = docx_text(files[f"{reference}.docx"])
    for marker in markers:
        assert in_pdf.count(flat(marker)) == 1, marker
        assert in_word.count(marker) == 1, marker
    if form.family_plan is not None:
        assert f"{reference}-family-plan.pdf" in files
    assert len(message.as_bytes()) <= services.settings.smtp_size_cap
