"""Issue 11 (consent, the EHFSA guidance's questions, the programme's words):
who may consent, the lawful basis for sharing, withdrawal and disagreement on
reviews, the service wanted, the under-3 rule, the plan's 8-action advice."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
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

#: About consent and later additions to a family's record, not delivery:
#: messages are queued, not sent (UNDELIVERED in tests/conftest.py).
pytestmark = pytest.mark.undelivered


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
        user.url("consent"),
        {"consent-given_by_role": "gillick_competent", "consent-parent_agrees": "no"},
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


# -- the EHFSA guidance's questions --------------------------------------------------

LEVELS = "Reading: working towards the expected standard (Year 4). Writing: Year 3 level."


def _lead(answers: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in answers["household"] if p["role"] == "lead_child")


def _errors(client: FlaskClient, answers: dict[str, Any]) -> dict[str, list[str]]:
    reply = _post(client, "ehfsa", answers)
    assert reply.status_code == 422, reply.get_json()
    return dict(reply.get_json()["errors"])


def test_levels_are_needed_only_for_educational_psychology_or_speech_and_language(
    api_client: FlaskClient, services: Services
) -> None:
    for wanted in (["educational_psychology"], ["speech_language", "parenting"]):
        answers = {**ehfsa_answers(), "services_wanted": wanted}
        del answers["attainment_levels"]
        assert _errors(api_client, answers)["attainment_levels"] == [
            "Enter the child's National Curriculum or Early Years levels"
        ]
    answers = {**ehfsa_answers(), "services_wanted": ["educational_psychology"]}
    reply = _post(api_client, "ehfsa", {**answers, "attainment_levels": LEVELS})
    assert reply.status_code == 201, reply.get_json()
    assert stored_answers(services, reply.get_json()["reference"])["attainment_levels"] == LEVELS
    # Family support alone: the levels are not asked for, and dropped if sent.
    answers = {
        **ehfsa_answers(),
        "services_wanted": ["family_support"],
        "attainment_levels": LEVELS,
    }
    reply = _post(api_client, "ehfsa", answers)
    assert reply.status_code == 201
    assert "attainment_levels" not in stored_answers(services, reply.get_json()["reference"])


def test_service_wanted_other_existing_assessment_and_lead_professional_are_asked(
    api_client: FlaskClient,
) -> None:
    answers = {**ehfsa_answers(), "services_wanted": ["other"], "existing_assessment": True}
    del answers["possible_lead_professional"]
    errors = _errors(api_client, answers)
    assert errors["services_other"] == ["Enter what other help you are asking for"]
    assert errors["existing_assessment_reference"] == [
        "Enter the reference of the early help assessment, or who holds it"
    ]
    assert errors["possible_lead_professional"] == ["Enter who could be the lead professional"]
    del answers["services_wanted"]
    assert _errors(api_client, answers)["services_wanted"]


def test_the_levels_page_appears_only_when_its_services_are_chosen(
    client: FlaskClient, services: Services
) -> None:
    user = WebUser(client, services.registry.get("ehfsa"))
    reply = user.post(user.url("service-wanted"), {"services_wanted": "family_support"})
    assert reply.location.endswith("/existing-assessment")
    reply = user.post(
        user.url("service-wanted"), {"services_wanted": ["family_support", "speech_language"]}
    )
    assert reply.location.endswith("/attainment")
    assert "National Curriculum or Early Years levels" in client.get(reply.location).text


def test_a_child_under_3_may_have_no_views_with_a_reason(
    api_client: FlaskClient, services: Services
) -> None:
    answers = ehfsa_answers()
    _lead(answers)["date_of_birth"] = (date.today() - timedelta(days=400)).isoformat()
    del answers["child_views"], answers["how_views_obtained"]
    assert _errors(api_client, answers) == {
        "no_child_views_reason": ["Enter why the child's views are not recorded"]
    }
    reason = "Kayden is 13 months old; he was settled and smiling with his mother."
    reply = _post(api_client, "ehfsa", {**answers, "no_child_views_reason": reason})
    assert reply.status_code == 201, reply.get_json()
    assert stored_answers(services)["no_child_views_reason"] == reason


def test_a_child_of_3_or_over_must_have_their_views_recorded(api_client: FlaskClient) -> None:
    answers = ehfsa_answers()
    today = date.today()
    _lead(answers)["date_of_birth"] = today.replace(year=today.year - 3).isoformat()
    del answers["child_views"], answers["how_views_obtained"]
    answers["no_child_views_reason"] = "He would not talk to me."
    errors = _errors(api_client, answers)
    assert errors["child_views"] == [
        "Enter what the child says. Only a child under 3 may have no views recorded"
    ]
    assert errors["how_views_obtained"] == ["Enter how you found out the child's views"]


def test_the_new_answers_are_in_the_ehfsa_documents() -> None:
    form = fx.form("ehfsa")
    answers = {
        **ehfsa_answers(),
        "services_wanted": ["educational_psychology", "young_carers", "other"],
        "services_other": "Holiday club place",
        "attainment_levels": LEVELS,
        "existing_assessment": True,
        "existing_assessment_reference": "EH-7K3Q-2MZD",
        "no_child_views_reason": "Also drew a picture of his family.",
    }
    rendered = DocumentRenderer(fx.TEMPLATES).render(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    for text in (flat(pdf_text(rendered.pdf)), flat(docx_text(rendered.docx))):
        for expected in (
            "Educational psychology",
            "Young carers support",
            "Holiday club place",
            LEVELS,
            "EH-7K3Q-2MZD",
            "The school's family support worker",
            "Also drew a picture of his family.",
        ):
            assert expected in text, expected


# -- no more than 8 actions in a plan (advice, not a refusal) -------------------------

MORE_THAN_8 = "There are more than 8 actions. Council guidance advises no more than 8"


@pytest.mark.parametrize("form_id", ["family-story", "tacaf-review"])
def test_a_plan_of_more_than_8_actions_gets_a_soft_warning(
    staff: FlaskClient, services: Services, form_id: str
) -> None:
    user = WebUser(staff, services.registry.get(form_id))
    whole = fx.BUILDERS[form_id]()
    # The actions' people are chosen from the draft's answers: give it its people first.
    for name in ("household", "worker", "professionals", "attendance"):
        if name in whole:
            user.fill_page(name, {name: whole[name]})
    plan = fx.family_story_answers(actions=9)["plan"]
    user.fill_page("plan", {"plan": plan[:8]})
    assert MORE_THAN_8 not in staff.get(user.url("plan")).text
    user.fill_page("plan", {"plan": plan[8:]})
    assert MORE_THAN_8 in staff.get(user.url("plan")).text
    # Only advice: a plan of 9 actions is still accepted.
    answers = {**fx.BUILDERS[form_id](), "plan": plan}
    assert _post(staff, form_id, answers).status_code == 201


# -- the programme's wording, from one data file ---------------------------------------

ELIGIBLE = "the family meets the Families First Partnership programme's eligibility"


def test_the_family_story_names_the_programme_from_the_data_file(
    staff: FlaskClient, services: Services
) -> None:
    user = WebUser(staff, services.registry.get("family-story"))
    domains = fx.family_story_answers()["domains"]
    applying = [*domains[:2], {**domains[0], "headline": "HSG"}]
    assert all(d["applies"] for d in applying)
    user.fill_page("needs-assessment", {"domains": applying[:2]})
    assert ELIGIBLE not in staff.get(user.url("needs-assessment")).text
    user.fill_page("needs-assessment", {"domains": applying[2:]})
    page = staff.get(user.url("needs-assessment")).text
    assert ELIGIBLE.replace("'", "&#39;") in page
    assert "2022 to 2025" not in page and "Supporting Families eligibility" not in page


# -- the lawful basis for sharing without consent ---------------------------------------

WHY = "Asking the mother would alert the person the child has disclosed harm about."


def _phoned_concern_without_consent(**extra: Any) -> dict[str, Any]:
    answers = fx.phoned_concern_request()
    answers["consent"] = {
        k: v
        for k, v in answers["consent"].items()
        if k not in {"given_by", "given_by_relationship", "date_given", "method"}
    }
    answers["consent"]["parent_agrees"] = False
    return {**answers, **extra}


def test_a_confirmed_concern_may_go_without_consent_with_a_lawful_basis(
    api_client: FlaskClient, services: Services
) -> None:
    answers = _phoned_concern_without_consent(
        lawful_basis="public_task_safeguarding", lawful_basis_reason=WHY
    )
    reply = _post(api_client, "cspoc-request", answers)
    assert reply.status_code == 201, reply.get_json()
    stored = stored_answers(services)
    assert stored["lawful_basis"] == "public_task_safeguarding"
    assert stored["lawful_basis_reason"] == WHY
    assert stored["consent"]["parent_agrees"] is False
    form = services.registry.get("cspoc-request")
    rendered = DocumentRenderer(fx.TEMPLATES).render(
        SubmissionRecord(form, stored, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert "Public task, to safeguard a child" in flat(pdf_text(rendered.pdf))


def test_without_a_lawful_basis_or_for_other_requests_consent_is_still_needed(
    api_client: FlaskClient,
) -> None:
    no_basis = _post(api_client, "cspoc-request", _phoned_concern_without_consent())
    assert no_basis.status_code == 422
    [message] = no_basis.get_json()["errors"]["consent.parent_agrees"]
    assert message.startswith("The family must agree before you can send this request")
    other = _phoned_concern_without_consent(
        request_type="supporting_families",
        lawful_basis="public_task_safeguarding",
        lawful_basis_reason=WHY,
    )
    reply = _post(api_client, "cspoc-request", other)
    assert reply.status_code == 422
    assert "consent.parent_agrees" in reply.get_json()["errors"]
    # The early help request is voluntary: no lawful basis question, consent required.
    ehfsa = ehfsa_answers()
    ehfsa["consent"]["parent_agrees"] = False
    assert "consent.parent_agrees" in _errors(api_client, ehfsa)


def test_the_published_schema_states_the_waiver(client: FlaskClient) -> None:
    schema = client.get("/api/v1/forms/cspoc-request/schema").get_json()
    agrees = schema["properties"]["consent"]["properties"]["parent_agrees"]
    assert "const" not in agrees
    assert "unless request_type is confirm_phoned_concern" in agrees["x-rules"][0]["rule"]
    ehfsa = client.get("/api/v1/forms/ehfsa/schema").get_json()
    assert ehfsa["properties"]["consent"]["properties"]["parent_agrees"]["const"] is True


def test_the_consent_page_accepts_no_once_a_lawful_basis_is_recorded(
    client: FlaskClient, services: Services
) -> None:
    user = WebUser(client, services.registry.get("cspoc-request"))
    today = dt.date.today()
    saved = user.post(
        user.url("request-type"),
        {
            "request_type": "confirm_phoned_concern",
            "phoned_concern-date-day": str(today.day),
            "phoned_concern-date-month": str(today.month),
            "phoned_concern-date-year": str(today.year),
            "phoned_concern-time": "9:15am",
            "phoned_concern-spoken_to": "Sam Duty",
            "phoned_concern-team": "First Contact",
        },
    )
    assert saved.status_code == 302
    consent = {
        "consent-given_by_role": "parent_carer",
        "consent-parent_aware": "no",
        "consent-parent_agrees": "no",
        "consent-privacy_notice_explained": "no",
        "child_knows": "no",
    }
    refused = user.post(user.url("consent"), consent)
    assert "The family must agree before you can send this request" in refused.text
    reply = user.post(
        user.url("sharing-without-consent"),
        {"lawful_basis": "vital_interests", "lawful_basis_reason": WHY},
    )
    assert reply.status_code == 302
    assert user.post(user.url("consent"), consent).status_code == 302
