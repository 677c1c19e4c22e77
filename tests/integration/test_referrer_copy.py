"""The referrer's copy: the browser that sent a referral downloads its PDF once, within
30 minutes; a second try, another browser and a late try are all refused with a clear
page, and nothing identifying is in the link."""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select, update

from forms_service.audit import SYSTEM, AuditEvent
from forms_service.crypto import token_digest
from forms_service.flow import referrer_copy
from forms_service.services import Services
from forms_service.submissions.models import Draft, Submission
from tests.factories import ehfsa_answers, family_story_answers
from tests.staff import staff_user, user_headers
from tests.webuser import WebUser

#: About the referrer's own copy, not delivery:
#: messages are queued, not sent (UNDELIVERED in tests/conftest.py).
pytestmark = pytest.mark.undelivered

LINK_TEXT = "Download a copy of what you sent (PDF)"
COPY_URL = "/forms/ehfsa/confirmation/copy.pdf"
GONE = "This copy is no longer available"
LINK = re.compile(r'<a class="govuk-link" href="([^"]+)">' + re.escape(LINK_TEXT))


def _send(client: FlaskClient, services: Services) -> str:
    """Send an EHFSA through the web pages; the reference."""
    user = WebUser(client, services.registry.get("ehfsa"))
    user.fill_all(ehfsa_answers(2))
    reply = user.send()
    assert reply.status_code == 302 and reply.location.endswith("/confirmation")
    with services.readers() as db:
        return str(db.scalars(select(Submission.reference)).one())


def _downloads(services: Services) -> int:
    with services.readers() as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "copy.downloaded")
            )
            or 0
        )


def test_the_sending_browser_downloads_its_copy_once(
    client: FlaskClient, services: Services
) -> None:
    reference = _send(client, services)
    confirmation = client.get("/forms/ehfsa/confirmation")
    link = LINK.search(confirmation.text)
    assert link, confirmation.text
    assert link.group(1) == COPY_URL  # nothing identifying in the address
    assert "works once, in this browser" in confirmation.text

    reply = client.get(COPY_URL)
    assert reply.status_code == 200
    assert reply.mimetype == "application/pdf"
    assert reply.headers["Content-Disposition"] == f'attachment; filename="{reference}.pdf"'
    assert reply.headers["Cache-Control"] == "no-store"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(reply.data)).pages)
    assert reference in text
    assert ehfsa_answers(2)["household"][0]["first_name"] in text
    assert _downloads(services) == 1
    with services.readers() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "copy.downloaded")).one()
        submission = db.scalars(select(Submission)).one()
        assert event.object_id == submission.id and event.family_id == submission.family_id
        assert db.scalars(select(Draft.copy_taken_at)).one() is not None

    again = client.get(COPY_URL)
    assert again.status_code == 410 and GONE in again.text
    assert _downloads(services) == 1
    after = client.get("/forms/ehfsa/confirmation")
    assert reference in after.text and LINK_TEXT not in after.text


def test_another_browser_is_refused_and_does_not_use_the_copy_up(
    client: FlaskClient, services: Services
) -> None:
    _send(client, services)
    stranger = client.application.test_client()
    refused = stranger.get(COPY_URL)
    assert refused.status_code == 410 and GONE in refused.text
    assert refused.mimetype == "text/html"
    assert _downloads(services) == 0
    assert client.get(COPY_URL).status_code == 200  # still there for the sender


def test_after_30_minutes_the_copy_is_gone(client: FlaskClient, services: Services) -> None:
    _send(client, services)
    with services.sessions() as db, db.begin():
        sent = db.scalars(select(Submission.submitted_at)).one()
        db.execute(
            update(Submission).values(submitted_at=sent - dt.timedelta(minutes=30, seconds=1))
        )
    assert LINK_TEXT not in client.get("/forms/ehfsa/confirmation").text
    late = client.get(COPY_URL)
    assert late.status_code == 410 and GONE in late.text
    assert _downloads(services) == 0
    with services.readers() as db:
        assert db.scalars(select(Draft.copy_taken_at)).one() is None


def test_a_browser_with_no_sent_draft_is_refused(client: FlaskClient, services: Services) -> None:
    user = WebUser(client, services.registry.get("ehfsa"))
    user.fill_page(services.registry.get("ehfsa").pages[0].id, ehfsa_answers(2))  # not sent
    assert client.get(COPY_URL).status_code == 410
    assert client.get("/forms/ehfsa/confirmation").status_code == 404


def test_a_staff_form_offers_no_copy(client: FlaskClient, services: Services) -> None:
    """Staff download their forms from the family page, under the access policy."""
    worker = staff_user(services, "lead-professional")
    reply = client.post(
        "/api/v1/forms/family-story/submissions",
        json=family_story_answers(),
        headers=user_headers(services, worker),
    )
    assert reply.status_code == 201
    draft_id = token_digest(secrets.token_urlsafe(32))
    with services.sessions() as db, db.begin():
        submission = db.scalars(select(Submission)).one()
        db.add(
            Draft(
                id=draft_id,
                form_id="family-story",
                owner_id=worker.id,
                answers_sealed=services.vault.seal({}),
                submission_id=submission.id,
            )
        )
    assert referrer_copy.available_until(services, draft_id) is None
    assert referrer_copy.take(services, draft_id, SYSTEM) is None
    assert _downloads(services) == 0
