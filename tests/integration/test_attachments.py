"""Files attached to the EHFSA: checked by content, capped, scanned, sealed, and delivered
byte for byte to the SPOC inbox (a real aiosmtpd server), never to the referrer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import time
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfWriter
from sqlalchemy import select
from werkzeug.test import TestResponse

from forms_service.attachments.models import Attachment
from forms_service.audit import CLI
from forms_service.auth import tokens
from forms_service.flow.navigation import visible_pages
from forms_service.maintenance import purge
from forms_service.services import Services
from forms_service.submissions.models import Submission
from tests.clamd import EICAR, FakeClamd
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.smtp_server import SmtpTestServer
from tests.staff import bearer, referral_headers, stored_answers
from tests.webuser import WebUser, csrf_token

PAGE = "/forms/ehfsa/attachments"
FILES = "/forms/ehfsa/attachments/files"
API = "/api/v1/forms/ehfsa/attachments"
SPOC = "c-spoc@council.example.gov.uk"
THREE_MB = 3 * 1024 * 1024
WRONG_KIND = "The selected file must be a PDF, Word document, JPEG or PNG"
TOO_LARGE = "The selected file must be smaller than 3MB"
TOO_MANY = "You can upload up to 3 files"


def real_pdf(marker: str = "genogram") -> bytes:
    """A real one-page PDF made by pypdf, with a marker in its metadata."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": f"Attachment test {marker}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def clamd() -> Iterator[FakeClamd]:
    with FakeClamd() as server:
        yield server


def _services(app: Flask) -> Services:
    svc: Services = app.extensions["forms"]
    return svc


def _wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _browser_up_to_attachments(client: FlaskClient, services: Services) -> WebUser:
    """A referrer who has filled in every page before the attachments page."""
    form = services.registry.get("ehfsa")
    user = WebUser(client, form)
    answers = ehfsa_answers(3)
    for page in visible_pages(form, answers):
        if page.id == "attachments":
            break
        reply = user.fill_page(page.id, answers)
        assert reply.status_code == 302, (page.id, reply.text[:500])
    return user


def _upload(
    client: FlaskClient, content: bytes, name: str, *, note: str = "", action: str = "upload"
) -> TestResponse:
    token = csrf_token(client.get(PAGE).text)
    return client.post(
        FILES,
        data={
            "csrf_token": token,
            "action": action,
            "attachments_note": note,
            "attachments": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )


def _rows(services: Services) -> list[Attachment]:
    with services.readers() as db:
        return list(db.scalars(select(Attachment)).all())


def _spoc_files(message: EmailMessage, reference: str) -> dict[str, bytes]:
    return {
        str(part.get_filename()): part.get_content()
        for part in message.iter_attachments()
        if str(part.get_filename()).startswith(f"{reference}-attachment-")
    }


# -- checked by content ------------------------------------------------------------------


def test_a_pdf_that_is_really_html_is_refused_on_the_page_and_in_the_api(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    _browser_up_to_attachments(client, services)
    reply = _upload(client, html, "report.pdf")
    assert reply.status_code == 200
    assert WRONG_KIND in reply.text
    assert 'class="govuk-error-summary' in reply.text
    api = app.test_client().post(
        API,
        data={"file": (io.BytesIO(html), "report.pdf", "application/pdf")},
        headers=referral_headers(app),
        content_type="multipart/form-data",
    )
    assert api.status_code == 422
    assert api.get_json() == {"errors": {"file": [WRONG_KIND]}}
    assert _rows(services) == []


def test_a_file_over_3mb_is_refused_and_the_pages_answers_are_kept(
    client: FlaskClient, services: Services
) -> None:
    _browser_up_to_attachments(client, services)
    big = real_pdf() + b"%" + b"x" * THREE_MB
    reply = _upload(client, big, "scan.pdf", note="Graded Care Profile 2 from November")
    assert reply.status_code == 200
    assert TOO_LARGE in reply.text
    assert "Graded Care Profile 2 from November" in reply.text  # the typed answer, kept
    assert _rows(services) == []
    # The draft is kept too: check your answers still shows the earlier pages.
    check = client.get("/forms/ehfsa/check-answers")
    assert ehfsa_answers(3)["referrer"]["full_name"] in check.text


def test_a_fourth_file_is_refused_and_remove_makes_room(
    client: FlaskClient, services: Services
) -> None:
    _browser_up_to_attachments(client, services)
    for number in range(3):
        reply = _upload(client, real_pdf(str(number)), f"tool-{number}.pdf", note="Three tools")
        assert reply.status_code == 302, reply.text[:1000]
    page = client.get(PAGE).text
    assert page.count('value="remove:') == 3
    assert "tool-2.pdf" in page
    assert 'type="file"' not in page  # full: no more file input
    reply = _upload(client, real_pdf("4"), "tool-4.pdf")
    assert reply.status_code == 200
    assert TOO_MANY in reply.text
    assert len(_rows(services)) == 3
    first = _rows(services)[0].id
    reply = _upload(client, b"", "", action=f"remove:{first}")
    assert reply.status_code == 302
    assert first not in {row.id for row in _rows(services)}
    assert _upload(client, real_pdf("4"), "tool-4.pdf").status_code == 302


def test_a_word_document_and_a_png_are_accepted_a_plain_zip_is_not(
    app: Flask, services: Services
) -> None:
    word = io.BytesIO()
    docx.Document().save(word)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    client = app.test_client()
    headers = referral_headers(app)

    def send(content: bytes, name: str) -> TestResponse:
        return client.post(
            API,
            data={"file": (io.BytesIO(content), name)},
            headers=headers,
            content_type="multipart/form-data",
        )

    assert send(word.getvalue(), "plan.docx").get_json()["kind"] == "docx"
    assert send(png, "genogram.png").get_json()["kind"] == "png"
    refused = send(plain_zip.getvalue(), "plan.docx")
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["file"] == [WRONG_KIND]


def test_only_the_upload_routes_take_a_body_as_large_as_a_file(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    """The page route and the submissions route keep the 2 MB limit."""
    _browser_up_to_attachments(client, services)
    token = csrf_token(client.get(PAGE).text)
    big = {"csrf_token": token, "attachments": (io.BytesIO(b"%PDF-" + b"x" * THREE_MB), "a.pdf")}
    assert client.post(PAGE, data=big, content_type="multipart/form-data").status_code == 413
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions",
        data=b"{" + b" " * THREE_MB + b"}",
        headers={**referral_headers(app), "Content-Type": "application/json"},
    )
    assert reply.status_code == 413


# -- delivery -------------------------------------------------------------------------------


def test_a_real_pdf_uploaded_on_the_page_arrives_in_the_spoc_email_byte_for_byte(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    app = make_app(tmp_path, smtp_url=smtp.url("smtp"))
    services = _services(app)
    pdf = real_pdf("web")
    try:
        client = app.test_client()
        user = _browser_up_to_attachments(client, services)
        assert _upload(client, pdf, "../../GCP2\tRaman family.pdf").status_code == 302
        page = client.get(PAGE).text
        assert "GCP2 Raman family.pdf" in page  # the name as a label only, folders gone
        reply = _upload(client, b"", "", note="Graded Care Profile 2", action="continue")
        assert reply.status_code == 302, reply.text[:1000]
        declaration = ehfsa_answers(3)
        assert user.fill_page("declaration", declaration).status_code == 302
        sent = user.send()
        assert sent.status_code == 302, sent.text[:2000]
        reference = stored_reference(services)
        _wait_for(lambda: len(smtp.messages) >= 2)
    finally:
        task_runner(app).stop()
    [to_spoc] = [m for m in smtp.messages if m.rcpt_tos == [SPOC]]
    files = _spoc_files(to_spoc.parsed(), reference)
    assert files == {f"{reference}-attachment-1.pdf": pdf}
    for other in (m for m in smtp.messages if m.rcpt_tos != [SPOC]):
        assert not _spoc_files(other.parsed(), reference)  # never to the referrer
        assert pdf not in other.data
    assert b"Raman family" not in to_spoc.data.split(b"\r\n\r\n", 1)[0]  # not in headers
    answers = stored_answers(services, reference)
    assert answers["attachments"][0]["name"] == "GCP2 Raman family.pdf"
    assert answers["attachments"][0]["size"] == len(pdf)
    assert answers["attachments_note"] == "Graded Care Profile 2"


def stored_reference(services: Services) -> str:
    with services.readers() as db:
        return str(db.scalars(select(Submission.reference)).one())


def test_a_real_pdf_sent_through_the_api_arrives_in_the_spoc_email_byte_for_byte(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    app = make_app(tmp_path, smtp_url=smtp.url("smtp"))
    pdf = real_pdf("api")
    headers = referral_headers(app)
    try:
        client = app.test_client()
        stored = client.post(
            API,
            data={"file": (io.BytesIO(pdf), "genogram.pdf")},
            headers=headers,
            content_type="multipart/form-data",
        )
        assert stored.status_code == 201, stored.text
        body = stored.get_json()
        assert body["kind"] == "pdf" and body["size"] == len(pdf)
        answers = {**ehfsa_answers(3), "attachments": [body["id"]]}
        reply = client.post("/api/v1/forms/ehfsa/submissions", json=answers, headers=headers)
        assert reply.status_code == 201, reply.text
        reference = reply.get_json()["reference"]
        _wait_for(lambda: len(smtp.messages) >= 2)
        # The same id cannot be sent twice.
        again = client.post("/api/v1/forms/ehfsa/submissions", json=answers, headers=headers)
        assert again.status_code == 422
        assert "attachments" in again.get_json()["errors"]
    finally:
        task_runner(app).stop()
    [to_spoc] = [m for m in smtp.messages if m.rcpt_tos == [SPOC]]
    assert _spoc_files(to_spoc.parsed(), reference) == {f"{reference}-attachment-1.pdf": pdf}
    assert all(pdf not in m.data for m in smtp.messages if m.rcpt_tos != [SPOC])


def test_unknown_and_someone_elses_ids_are_refused(app: Flask, services: Services) -> None:

    client = app.test_client()
    mine = client.post(
        API,
        data={"file": (io.BytesIO(real_pdf()), "a.pdf")},
        headers=referral_headers(app),
        content_type="multipart/form-data",
    ).get_json()["id"]
    other = bearer(tokens.create(services, "another referrer", CLI, forms=("ehfsa",)))
    for ids, headers in (
        ([mine], other),  # someone else's
        (["3f0c2a7e-9d1b-4c5e-8a6f-0b1c2d3e4f50"], referral_headers(app)),  # unknown
    ):
        answers = {**ehfsa_answers(3), "attachments": ids}
        reply = client.post("/api/v1/forms/ehfsa/submissions", json=answers, headers=headers)
        assert reply.status_code == 422
        assert list(reply.get_json()["errors"]) == ["attachments"]
    assert stored_answers_count(services) == 0


def stored_answers_count(services: Services) -> int:
    with services.readers() as db:
        return len(db.scalars(select(Submission.id)).all())


def test_stored_bytes_are_sealed_not_the_plaintext(app: Flask, services: Services) -> None:
    pdf = real_pdf("CANARY-7f3a-attachment")
    reply = app.test_client().post(
        API,
        data={"file": (io.BytesIO(pdf), "CANARY-name.pdf")},
        headers=referral_headers(app),
        content_type="multipart/form-data",
    )
    assert reply.status_code == 201
    [row] = _rows(services)
    assert pdf not in row.content_sealed and b"CANARY" not in row.content_sealed
    assert b"CANARY" not in row.name_sealed
    assert services.vault.open_bytes(row.content_sealed) == pdf
    database = Path(services.engine.url.database or "")
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert b"CANARY-7f3a-attachment" not in raw and b"%PDF-" not in raw


def test_unsent_files_go_with_their_draft_in_the_purge(
    client: FlaskClient, services: Services
) -> None:
    _browser_up_to_attachments(client, services)
    assert _upload(client, real_pdf(), "a.pdf").status_code == 302
    assert len(_rows(services)) == 1
    purge(services, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=29))
    assert _rows(services) == []


# -- virus scanning -------------------------------------------------------------------------


def test_eicar_is_refused_by_clamd_and_a_clean_file_passes(
    tmp_path: Path, clamd: FakeClamd
) -> None:
    app = make_app(tmp_path, clamd_socket=clamd.path)
    services = _services(app)
    try:
        client = app.test_client()
        _browser_up_to_attachments(client, services)
        infected = real_pdf() + b"\n" + EICAR
        reply = _upload(client, infected, "infected.pdf", note="kept")
        assert reply.status_code == 200
        assert "The selected file contains a virus" in reply.text
        assert "kept" in reply.text
        assert _rows(services) == []
        clean = real_pdf("clean")
        assert _upload(client, clean, "clean.pdf").status_code == 302
        assert clamd.scanned == [infected, clean]  # every byte streamed, in chunks
        api = app.test_client().post(
            API,
            data={"file": (io.BytesIO(infected), "x.pdf")},
            headers=referral_headers(app),
            content_type="multipart/form-data",
        )
        assert api.status_code == 422
        assert api.get_json() == {"errors": {"file": ["The selected file contains a virus"]}}
    finally:
        task_runner(app).stop()


@pytest.mark.parametrize("scanner", ["broken", "absent"])
def test_a_scanner_that_cannot_answer_refuses_the_file(tmp_path: Path, scanner: str) -> None:
    with FakeClamd(broken=True) as broken:
        socket_path = broken.path if scanner == "broken" else broken.path + ".missing"
        app = make_app(tmp_path, clamd_socket=socket_path)
        try:
            reply = app.test_client().post(
                API,
                data={"file": (io.BytesIO(real_pdf()), "x.pdf")},
                headers=referral_headers(app),
                content_type="multipart/form-data",
            )
        finally:
            task_runner(app).stop()
    assert reply.status_code == 422
    assert "could not be checked for viruses" in reply.get_json()["errors"]["file"][0]
    assert _rows(_services(app)) == []


def test_production_without_a_scanner_switches_uploads_off(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    services.settings = dataclasses.replace(services.settings, environment="production")
    assert not services.settings.uploads_enabled
    assert dataclasses.replace(services.settings, clamd_socket="/run/clamd.sock").uploads_enabled
    _browser_up_to_attachments(client, services)
    page = client.get(PAGE).text
    assert "Uploading files is not available" in page
    assert services.settings.level4_email in page
    assert 'type="file"' not in page
    reply = _upload(client, real_pdf(), "a.pdf")
    assert reply.status_code == 200
    assert "Uploading files is not available" in reply.text
    assert _rows(services) == []
