"""Issue 11 (consent, the EHFSA guidance's questions, the programme's words):
who may consent, the lawful basis for sharing, withdrawal and disagreement on
reviews, the service wanted, the under-3 rule, the plan's 8-action advice."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from forms_service.documents import DocumentRenderer, SubmissionRecord
from forms_service.services import Services
from tests import factories as fx
from tests.factories import ehfsa_answers, tacaf_closing_answers
from tests.readback import docx_text, flat, pdf_text
from tests.staff import StaffUser, signed_in, staff_user, stored_answers, user_headers
from tests.webuser import WebUser


@pytest.fixture
def duty_worker(services: Services) -> StaffUser:
    return staff_user(services, "cspoc")


@pytest.fixture
def staff(app: Flask, services: Services, duty_worker: StaffUser) -> FlaskClient:
    """A C-SPOC duty worker: signed in on the web, and their own API token."""
    signed = signed_in(app.test_client(), services, duty_worker)
    signed.environ_base["HTTP_AUTHORIZATION"] = user_headers(services, duty_worker)["Authorization"]
    return signed


def _post(client: FlaskClient, form_id: str, body: Any) -> Any:
    return client.post(f"/api/v1/forms/{form_id}/submissions", json=body)


# -- who may consent ---------------------------------------------------------------


def _gillick(reason: str | None) -> dict[str, Any]:
    answers = ehfsa_answers()
    answers["consent"] = {
        **answers["consent"],
        "given_by_role": "gillick_competent",
        "parent_aware": False,
        "given_by": "Kayden Okonkwo",
        "given_by_relationship": "The young person",
    }
    if reason is not None:
        answers["consent"]["gillick_reason"] = reason
    return answers


def test_gillick_consent_is_accepted_with_a_reason(
    api_client: FlaskClient, services: Services
) -> None:
    reason = "Assessed by the school nurse on 18 November: he understands what help is offered."
    reply = _post(api_client, "ehfsa", _gillick(reason))
    assert reply.status_code == 201, reply.get_json()
    consent = stored_answers(services)["consent"]
    assert consent["given_by_role"] == "gillick_competent"
    assert consent["gillick_reason"] == reason


def test_gillick_consent_without_a_reason_is_refused(api_client: FlaskClient) -> None:
    reply = _post(api_client, "ehfsa", _gillick(None))
    assert reply.status_code == 422
    assert reply.get_json()["errors"]["consent.gillick_reason"] == [
        "Enter why you judge the young person able to consent"
    ]


def test_consent_page_speaks_to_a_young_person_too(client: FlaskClient, services: Services) -> None:
    user = WebUser(client, services.registry.get("ehfsa"))
    page = client.get(user.url("consent")).text
    assert "The young person, judged Gillick-competent" in page
    assert "aged 16 or 17" in page
    reply = user.post(
        user.url("consent"), {"consent-given_by_role": "gillick_competent", "consent-parent_agrees": "no"}
    )
    assert "Enter why you judge the young person able to consent" in reply.text
    assert "or the young person if they are giving consent for themselves" in reply.text


# -- a review records the family's disagreement --------------------------------------

DISAGREES = "Grace does not want a parenting course; she says the mornings are not the problem."


def _declined() -> dict[str, Any]:
    answers = tacaf_closing_answers()
    answers.update(family_agreed=False, disagreement_reasons=DISAGREES, close_reason="declined")
    return answers


def test_review_records_disagreement_and_closes_as_declined(
    staff: FlaskClient, services: Services
) -> None:
    reply = _post(staff, "tacaf-review", _declined())
    assert reply.status_code == 201, reply.get_json()
    stored = stored_answers(services)
    assert stored["family_agreed"] is False and stored["disagreement_reasons"] == DISAGREES
    assert stored["close_reason"] == "declined"


def test_disagreement_needs_the_reasons(staff: FlaskClient) -> None:
    answers = _declined()
    del answers["disagreement_reasons"]
    reply = _post(staff, "tacaf-review", answers)
    assert reply.status_code == 422
    assert reply.get_json()["errors"]["disagreement_reasons"] == [
        "Enter what the family disagrees with and why"
    ]


def test_disagreement_is_shown_in_the_documents() -> None:
    form = fx.form("tacaf-review")
    answers = _declined()
    rendered = DocumentRenderer(fx.TEMPLATES).render(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    text = flat(pdf_text(rendered.pdf))
    assert "The family disagrees" in text and DISAGREES in text
    assert "The family declined or withdrew consent" in text
    assert DISAGREES in flat(docx_text(rendered.docx))
