"""C-SPOC request, Family Story Assessment and TACAF review: web, API, rules,
and one cumulative assessment (prefill EHFSA → FSA → review → next review)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms_service.services import Services
from forms_service.submissions.models import Submission
from forms_service.submissions.prefill import NOT_FOUND
from tests.factories import (
    BUILDERS,
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    tacaf_review_answers,
)
from tests.staff import StaffUser, signed_in, staff_user, stored_answers, user_headers
from tests.webuser import WebUser, csrf_token

#: About the forms' pages, rules and records, not delivery:
#: messages are queued, not sent (UNDELIVERED in tests/conftest.py).
pytestmark = pytest.mark.undelivered

PREFIXES = {"cspoc-request": "RS", "family-story": "FS", "tacaf-review": "TR"}


@pytest.fixture
def duty_worker(services: Services) -> StaffUser:
    return staff_user(services, "cspoc")


@pytest.fixture
def client(app: Flask, services: Services, duty_worker: StaffUser) -> FlaskClient:
    """A C-SPOC duty worker: signed in on the web, and their own API token."""
    signed = signed_in(app.test_client(), services, duty_worker)
    signed.environ_base["HTTP_AUTHORIZATION"] = user_headers(services, duty_worker)["Authorization"]
    return signed


def _post(client: FlaskClient, form_id: str, body: Any) -> Any:
    return client.post(f"/api/v1/forms/{form_id}/submissions", json=body)


def _stored(services: Services, reference: str) -> dict[str, Any]:
    return stored_answers(services, reference)


@pytest.mark.parametrize("form_id", sorted(PREFIXES))
def test_api_accepts_a_complete_form(client: FlaskClient, form_id: str) -> None:
    reply = _post(client, form_id, BUILDERS[form_id]())
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["reference"].startswith(PREFIXES[form_id] + "-")


@pytest.mark.parametrize("form_id", sorted(PREFIXES))
def test_web_form_submits(client: FlaskClient, services: Services, form_id: str) -> None:
    user = WebUser(client, services.registry.get(form_id))
    user.fill_all(BUILDERS[form_id]())
    reply = user.send()
    assert reply.status_code == 302, reply.text[:3000]
    assert PREFIXES[form_id] + "-" in client.get(reply.location).text


def test_cspoc_safeguarding_request_type_stops(client: FlaskClient, services: Services) -> None:
    user = WebUser(client, services.registry.get("cspoc-request"))
    reply = user.post(user.url("request-type"), {"request_type": "safeguarding_concern"})
    assert "Call the Children&#39;s Single Point of Contact" in reply.text
    assert "01702 215007" in reply.text


def test_cspoc_needs_count_hint(client: FlaskClient, services: Services) -> None:
    user = WebUser(client, services.registry.get("cspoc-request"))
    answers = cspoc_request_answers()
    user.fill_page("needs", {"needs": answers["needs"][:2]})
    assert "may suit this family better" in client.get(user.url("needs")).text
    user.fill_page("needs", {"needs": answers["needs"][2:]})
    assert "may need Level 3 support" in client.get(user.url("needs")).text


def test_cspoc_support_tried_needs_a_row_and_enough_detail(client: FlaskClient) -> None:
    answers = cspoc_request_answers()
    answers["support_tried"] = []
    errors = _post(client, "cspoc-request", answers).get_json()["errors"]
    assert errors["support_tried"] == ["Add at least one service"]
    answers["support_tried"] = [{**cspoc_request_answers()["support_tried"][0], "outcome": "Fine."}]
    errors = _post(client, "cspoc-request", answers).get_json()["errors"]
    assert errors["support_tried.0.outcome"] == ["What happened must be 50 characters or more"]


def test_family_plan_must_cover_every_need_that_applies(client: FlaskClient) -> None:
    answers = family_story_answers()
    plan = answers["plan"]
    answers["plan"] = [action for action in plan if action["headline"] == "EDU"]
    errors = _post(client, "family-story", answers).get_json()["errors"]
    assert errors["plan"] == [
        'The family plan has no action for the need "Financial stability". Add an action for it'
    ]
    answers["plan"].append(next(action for action in plan if action["headline"] == "FIN"))
    assert _post(client, "family-story", answers).status_code == 201


def test_amber_and_red_actions_need_a_comment(client: FlaskClient) -> None:
    answers = tacaf_review_answers()
    amber = answers["previous_actions"][2]
    assert amber["status"] == "amber"
    del amber["comment"]
    errors = _post(client, "tacaf-review", answers).get_json()["errors"]
    assert errors["previous_actions.2.comment"] == [
        "Enter the progress and evidence for this action"
    ]
    amber["status"] = "green"
    assert _post(client, "tacaf-review", answers).status_code == 201


def test_next_review_within_8_weeks_unless_closing(client: FlaskClient) -> None:
    answers = tacaf_review_answers()
    meeting = dt.date.fromisoformat(answers["meeting"]["date"])
    answers["next_meeting"]["date"] = (meeting + dt.timedelta(days=60)).isoformat()
    errors = _post(client, "tacaf-review", answers).get_json()["errors"]
    assert errors["next_meeting.date"] == [
        "The next review must be no more than 8 weeks after this meeting"
    ]
    answers["next_meeting"]["date"] = (meeting + dt.timedelta(days=50)).isoformat()
    assert _post(client, "tacaf-review", answers).status_code == 201
    closing = {
        **tacaf_review_answers(),
        "decision": "close",
        "close_reason": "outcomes_met",
        "what_helped": "The routine chart.",
        "who_to_contact": "School office",
    }
    del closing["next_meeting"]
    assert _post(client, "tacaf-review", closing).status_code == 201
    closing["decision"] = "continue"
    errors = _post(client, "tacaf-review", closing).get_json()["errors"]
    assert "next_meeting.date" in errors


def test_over_six_weeks_warns_on_check_answers(client: FlaskClient, services: Services) -> None:
    answers = tacaf_review_answers()
    meeting = dt.date.fromisoformat(answers["meeting"]["date"])
    answers["next_meeting"]["date"] = (meeting + dt.timedelta(days=50)).isoformat()
    user = WebUser(client, services.registry.get("tacaf-review"))
    user.fill_all(answers)
    assert "more than 6 weeks after this meeting" in client.get(user.url("check-answers")).text


def test_cumulative_assessment_ehfsa_to_story_to_reviews(
    client: FlaskClient, services: Services, duty_worker: StaffUser
) -> None:
    ehfsa = ehfsa_answers(6)
    eh_ref = _post(client, "ehfsa", ehfsa).get_json()["reference"]

    # Family Story started from the EHFSA on the web: household, referrer,
    # consent, needs and professionals are filled in and can be corrected.
    story = WebUser(client, services.registry.get("family-story"))
    start = client.get("/forms/family-story")
    assert "Does this follow an earlier form for this family?" in start.text
    reply = client.post(
        "/forms/family-story/start-from",
        data={"reference": eh_ref, "csrf_token": csrf_token(start.text)},
    )
    assert reply.status_code == 302
    household_page = client.get(story.url("household")).text
    assert all(m["last_name"] in household_page for m in ehfsa["household"])
    assert ehfsa["referrer"]["organisation"] in client.get(story.url("referrer")).text
    needs_page = client.get(story.url("needs-assessment")).text
    assert "Getting a good education" in needs_page

    # Finish it over the API from the same reference.
    fsa = family_story_answers()
    for key in ("household", "referrer", "consent", "professionals"):
        del fsa[key]
    reply = _post(client, "family-story", {**fsa, "prefill_from": eh_ref})
    assert reply.status_code == 201, reply.get_json()
    fs_ref = reply.get_json()["reference"]
    stored = _stored(services, fs_ref)
    assert [m["last_name"] for m in stored["household"]] == [
        m["last_name"] for m in ehfsa["household"]
    ]
    assert stored["referrer"] == ehfsa["referrer"]

    # First review from the Family Story: its plan becomes the actions to review.
    review = tacaf_review_answers()
    for key in ("previous_actions", "household", "worker"):
        del review[key]
    del review["meeting"]["date"]
    review_body = {**review, "prefill_from": fs_ref}
    bad = _post(client, "tacaf-review", review_body)
    assert bad.status_code == 422  # carried actions still need a status now
    carried = _prefilled(services, duty_worker, "tacaf-review", fs_ref)
    assert [a["action"] for a in carried["previous_actions"]] == [
        a["what"] for a in family_story_answers()["plan"]
    ]
    assert {a["last_status"] for a in carried["previous_actions"]} == {"new"}
    assert carried["meeting"]["date"] == family_story_answers()["next_meeting"]["date"]
    assert carried["previous_reference"] == fs_ref
    reviewed = [
        {
            **a,
            "status": "green" if i else "amber",
            "carry_forward": i == 0,
            **({} if i else {"comment": "Half done."}),
        }
        for i, a in enumerate(carried["previous_actions"])
    ]
    meeting = {**review["meeting"], "date": dt.date.today().isoformat()}
    reply = _post(
        client, "tacaf-review", {**review_body, "previous_actions": reviewed, "meeting": meeting}
    )
    assert reply.status_code == 201, reply.get_json()
    tr1 = reply.get_json()["reference"]

    # Next review from the previous review: carried actions keep their status
    # as "at the last review", the new actions arrive as new; attendees carry over.
    again = _prefilled(services, duty_worker, "tacaf-review", tr1)
    statuses = [(a["action"], a["last_status"]) for a in again["previous_actions"]]
    assert statuses == [
        (family_story_answers()["plan"][0]["what"], "amber"),
        *((action["what"], "new") for action in tacaf_review_answers()["plan"]),
    ]
    assert [a["name"] for a in again["attendance"]] == [
        a["name"] for a in tacaf_review_answers()["attendance"]
    ]
    assert again["meeting"]["date"] == tacaf_review_answers()["next_meeting"]["date"]


def _prefilled(services: Services, user: StaffUser, form_id: str, reference: str) -> dict[str, Any]:
    from forms_service.auth.actor import Actor
    from forms_service.submissions.prefill import prefill_answers

    actor = Actor("user", user_id=user.id, role=user.role)
    form = services.registry.get(form_id)
    return copy.deepcopy(prefill_answers(services, form, reference, actor).answers)


def test_unknown_or_wrong_form_reference_is_refused(
    client: FlaskClient, services: Services
) -> None:
    # (A request for service can start a Family Story; another one cannot.)
    story_ref = _post(client, "family-story", family_story_answers()).get_json()["reference"]
    body = {**family_story_answers(), "prefill_from": story_ref}
    # The wrong kind of form and an unknown reference get one and the same answer.
    errors = _post(client, "family-story", body).get_json()["errors"]
    assert errors["prefill_from"] == [NOT_FOUND]
    body["prefill_from"] = "EH-2222-2222"
    errors = _post(client, "family-story", body).get_json()["errors"]
    assert errors["prefill_from"] == [NOT_FOUND]
    start = client.get("/forms/tacaf-review")
    reply = client.post(
        "/forms/tacaf-review/start-from",
        data={"reference": "nonsense", "csrf_token": csrf_token(start.text)},
    )
    assert "Enter a reference in the correct format" in reply.text
    with services.sessions() as db:
        stories = db.scalars(select(Submission).where(Submission.form_id == "family-story"))
        assert [row.reference for row in stories] == [story_ref]  # only the source


def test_a_need_that_does_not_apply_asks_nothing_more(
    client: FlaskClient, services: Services
) -> None:
    """Strengths and scores belong to a need that applies: under "No" nothing is
    asked by the page (they sit in the "Yes" reveal), the server or the API."""
    answers = family_story_answers()
    answers["domains"][2] = {"headline": "HLT", "applies": False}
    assert _post(client, "family-story", answers).status_code == 201
    applying = answers["domains"][0]
    del applying["strengths"], applying["family_score"]
    errors = _post(client, "family-story", answers).get_json()["errors"]
    assert errors["domains.0.strengths"] == ["Enter the strengths"]
    assert errors["domains.0.family_score"] == ["Enter the family's score"]

    user = WebUser(client, services.registry.get("family-story"))
    page = client.get(user.url("needs-assessment", "add")).text
    reveal = page.split('id="conditional-applies"', 1)[1].split("</fieldset>", 1)[0]
    for name in ("who", "strengths", "worries", "family_score", "practitioner_score"):
        assert f'name="{name}"' in reveal, name
    reply = user.post(user.url("needs-assessment", "add"), {"headline": "HLT", "applies": "no"})
    assert reply.status_code == 302, reply.text

    schema = client.get("/api/v1/forms/family-story/schema").get_json()
    item = schema["properties"]["domains"]["items"]
    assert not {"strengths", "family_score"} & set(item.get("required", []))
    assert {"strengths", "family_score"} <= {
        name for rule in item["allOf"] for name in rule.get("then", {}).get("required", [])
    }


def test_the_start_page_names_earlier_forms_with_the_right_article(client: FlaskClient) -> None:
    page = client.get("/forms/family-story").text
    assert "For example, an Early Help request or a request for service." in page
    assert "a early help" not in page.lower()
