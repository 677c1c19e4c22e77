"""Safeguarding at every step, on a real SQLite app through the Flask test client and
the API: the referral gates' stops and "Not sure" advice (which keeps the draft), a
phoned concern confirmed in writing, a step-down from social care, the warning pages of
the Family Story and reviews (never a block) with their "ask for more help" button, the
family page's step-up start, and the step-up words on the family's plan."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from forms_service.auth.actor import Actor
from forms_service.services import Services
from forms_service.submissions.models import Draft, Submission
from forms_service.workspace.service import allocate, record_outcome
from tests.conftest import make_app
from tests.factories import (
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    tacaf_review_answers,
)
from tests.readback import pdf_text
from tests.staff import (
    StaffUser,
    family_of,
    referral_headers,
    signed_in,
    staff_user,
    stored_answers,
    user_headers,
)
from tests.webuser import WebUser, csrf_token

#: About what the safeguarding routes let through and record, not delivery:
#: messages are queued, not sent (UNDELIVERED in tests/conftest.py).
pytestmark = pytest.mark.undelivered

ADVICE_LINE = "01702 215007, option 1"
ADVISOR = "01702 215783"
CALL = {"date": "2026-11-20", "time": "2:30pm", "spoken_to": "Sam Duty", "team": "C-SPOC"}
STEP_UP_WORDS = "Jo is worried that the children are not safe at home when Dean visits."


def _count(services: Services, model: Any) -> int:
    with services.readers() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _only_draft(services: Services) -> dict[str, Any]:
    """The answers of the one draft there is."""
    with services.readers() as db:
        draft = db.scalars(select(Draft)).one()
        answers: dict[str, Any] = services.vault.open(draft.answers_sealed)
        return answers


def _errors(client: FlaskClient, form_id: str, answers: dict[str, Any]) -> dict[str, list[str]]:
    reply = client.post(f"/api/v1/forms/{form_id}/submissions", json=answers)
    assert reply.status_code == 422, reply.get_json()
    errors: dict[str, list[str]] = reply.get_json()["errors"]
    return errors


def _radios(html: str, name: str) -> list[str]:
    """The ``<input>`` tags of the radios called ``name``."""
    tags = [t for t in re.findall(r"<input[^>]*>", html) if f'name="{name}"' in t]
    assert len(tags) >= 3, name
    return tags


def _today_call() -> dict[str, str]:
    return {**CALL, "date": dt.date.today().isoformat()}


# ------------------------------------------------------------------- the API


@pytest.mark.parametrize(
    "question", ["immediate_danger", "significant_harm", "open_to_social_care"]
)
def test_api_refuses_not_sure_naming_the_question_and_the_advice_line(
    api_client: FlaskClient, question: str
) -> None:
    errors = _errors(api_client, "ehfsa", {**ehfsa_answers(), question: "not_sure"})
    assert list(errors) == [question]
    message = errors[question][0]
    assert message.startswith("Whether") and '"Not sure" cannot be sent' in message
    assert ADVICE_LINE in message and ADVISOR in message


def test_api_refuses_significant_harm_on_an_early_help_request(api_client: FlaskClient) -> None:
    """The EHFSA asks no request type, so its "yes" always stops."""
    errors = _errors(api_client, "ehfsa", {**ehfsa_answers(), "significant_harm": "yes"})
    assert "Call children's social care now" in errors["significant_harm"][0]


def test_api_takes_a_phoned_concern_confirmed_with_the_call(
    api_client: FlaskClient, services: Services
) -> None:
    answers = {
        **cspoc_request_answers(),
        "request_type": "confirm_phoned_concern",
        "significant_harm": "yes",
        "phoned_concern": _today_call(),
    }
    reply = api_client.post("/api/v1/forms/cspoc-request/submissions", json=answers)
    assert reply.status_code == 201, reply.get_json()
    stored = stored_answers(services, reply.get_json()["reference"])
    assert stored["significant_harm"] == "yes"
    assert stored["phoned_concern"] == {**_today_call(), "time": "14:30"}


def test_api_asks_for_the_call_and_still_stops_harm_without_a_phoned_concern(
    api_client: FlaskClient,
) -> None:
    confirming = {**cspoc_request_answers(), "request_type": "confirm_phoned_concern"}
    errors = _errors(api_client, "cspoc-request", confirming)
    assert errors["phoned_concern.time"] == ["Enter the time of the call"]
    assert errors["phoned_concern.spoken_to"] == ["Enter the name of the person you spoke to"]
    harm = {**cspoc_request_answers(), "significant_harm": "yes"}
    assert (
        "Call children's social care now"
        in _errors(api_client, "cspoc-request", harm)["significant_harm"][0]
    )
    not_phoned = {**cspoc_request_answers(), "request_type": "safeguarding_concern"}
    assert (
        "must be made by phone"
        in _errors(api_client, "cspoc-request", not_phoned)["request_type"][0]
    )
    bad_time = {**confirming, "phoned_concern": {**_today_call(), "time": "25:00"}}
    assert _errors(api_client, "cspoc-request", bad_time)["phoned_concern.time"] == [
        "Enter the time of the call in the correct format, like 14:30 or 2:30pm"
    ]


def test_api_lets_a_step_down_from_social_care_through(api_client: FlaskClient) -> None:
    step_down = {**ehfsa_answers(), "open_to_social_care": "step_down"}
    assert api_client.post("/api/v1/forms/ehfsa/submissions", json=step_down).status_code == 201
    open_case = {**ehfsa_answers(), "open_to_social_care": "yes"}
    assert "social worker" in _errors(api_client, "ehfsa", open_case)["open_to_social_care"][0]


def test_the_published_schema_states_the_gates(api_client: FlaskClient) -> None:
    schema = api_client.get("/api/v1/forms/cspoc-request/schema").get_json()
    gate = schema["properties"]["immediate_danger"]
    assert gate["enum"] == ["yes", "no", "not_sure"] and gate["not"] == {
        "enum": ["yes", "not_sure"]
    }
    # significant harm: "yes" allowed only when confirming a phoned concern
    branches = [
        part["then"]["properties"]["significant_harm"]
        for part in schema["allOf"]
        if "significant_harm" in part["then"].get("properties", {})
    ]
    assert [b["not"] for b in branches] == [{"const": "not_sure"}, {"enum": ["yes", "not_sure"]}]


# ------------------------------------------------------------------ web: the gates


def _ehfsa(client: FlaskClient, services: Services) -> WebUser:
    return WebUser(client, services.registry.get("ehfsa"))


def test_not_sure_shows_the_advice_and_keeps_the_draft(
    client: FlaskClient, services: Services
) -> None:
    user = _ehfsa(client, services)
    answers = ehfsa_answers()
    assert user.fill_page("safeguarding", answers).status_code == 302
    assert user.fill_page("referrer", answers).status_code == 302
    reply = user.post(
        user.url("safeguarding"),
        {"immediate_danger": "no", "significant_harm": "not_sure", "open_to_social_care": "no"},
    )
    assert reply.status_code == 200
    assert "Get advice before you continue" in reply.text
    assert ADVICE_LINE in reply.text and ADVISOR in reply.text
    assert "Go back and change your answer" in reply.text
    assert 'href="/forms/ehfsa/safeguarding"' in reply.text
    assert _count(services, Draft) == 1  # kept, unlike a stop
    page = client.get(user.url("referrer")).text
    assert answers["referrer"]["full_name"] in page  # the other answers are still there
    # the earlier "No" to this question is dropped, so it cannot be sent in its place
    gate = client.get(user.url("safeguarding")).text
    assert any("checked" in tag for tag in _radios(gate, "immediate_danger"))
    assert not any("checked" in tag for tag in _radios(gate, "significant_harm"))
    reply = user.send()
    assert reply.status_code == 200 and "Select whether a child is suffering" in reply.text


def test_advice_contacts_come_from_configuration(tmp_path: Path) -> None:
    app = make_app(
        tmp_path, advice_line_phone="01234 000111", early_help_advisor_phone="01234 000222"
    )
    user = _ehfsa(app.test_client(), app.extensions["forms"])
    reply = user.post(user.url("safeguarding"), {"immediate_danger": "not_sure"})
    assert "01234 000111" in reply.text and "01234 000222" in reply.text
    assert ADVISOR not in reply.text


def test_a_step_down_from_social_care_continues(client: FlaskClient, services: Services) -> None:
    user = _ehfsa(client, services)
    data = {"immediate_danger": "no", "significant_harm": "no", "open_to_social_care": "step_down"}
    reply = user.post(user.url("safeguarding"), data)
    assert reply.status_code == 302 and reply.location.endswith("/forms/ehfsa/referrer")
    reply = user.post(user.url("safeguarding"), {**data, "open_to_social_care": "yes"})
    assert "Contact the child&#39;s social worker" in reply.text
    # The draft is kept (a mis-click loses nothing), without the answer that stopped it.
    assert "open_to_social_care" not in _only_draft(services)


def _cspoc(client: FlaskClient, services: Services) -> WebUser:
    return WebUser(client, services.registry.get("cspoc-request"))


def test_a_phoned_concern_is_confirmed_in_writing_on_the_web(
    client: FlaskClient, services: Services
) -> None:
    user = _cspoc(client, services)
    page = client.get(user.url("request-type")).text
    assert "Time of the call" in page  # revealed under its answer
    reply = user.post(
        user.url("request-type"),
        {
            "request_type": "confirm_phoned_concern",
            **{f"phoned_concern-{k}": v for k, v in CALL.items() if k != "date"},
            "phoned_concern-date-day": str(dt.date.today().day),
            "phoned_concern-date-month": str(dt.date.today().month),
            "phoned_concern-date-year": str(dt.date.today().year),
        },
    )
    assert reply.status_code == 302 and reply.location.endswith("/safeguarding")
    gate = {"immediate_danger": "no", "significant_harm": "yes", "open_to_social_care": "no"}
    reply = user.post(user.url("safeguarding"), gate)
    assert reply.status_code == 302 and reply.location.endswith("/cspoc-request/referrer")
    answers = {
        **cspoc_request_answers(),
        "request_type": "confirm_phoned_concern",
        "phoned_concern": {**_today_call(), "time": "14:30"},
        "significant_harm": "yes",
    }
    user.fill_all(answers)
    reply = user.send()
    assert reply.status_code == 302, reply.text[:2000]
    assert stored_answers(services)["phoned_concern"]["spoken_to"] == "Sam Duty"


def test_significant_harm_stops_a_request_that_is_not_a_phoned_concern(
    client: FlaskClient, services: Services
) -> None:
    user = _cspoc(client, services)
    assert user.fill_page("request-type", cspoc_request_answers()).status_code == 302
    gate = {"immediate_danger": "no", "significant_harm": "yes", "open_to_social_care": "no"}
    reply = user.post(user.url("safeguarding"), gate)
    assert reply.status_code == 200 and "Call children&#39;s social care now" in reply.text
    kept = _only_draft(services)
    assert "significant_harm" not in kept and "request_type" in kept
    # Opening the gate page first (no request type known) stops too.
    reply = _cspoc(client, services).post(user.url("safeguarding"), gate)
    assert "Call children&#39;s social care now" in reply.text


# ---------------------------------------------- staff: warnings, step-up and the plan


@dataclass
class Family:
    """An EHFSA allocated to ``lead``, with a Family Story written by them."""

    id: str
    story: str
    lead: StaffUser
    client: FlaskClient
    headers: dict[str, str]


@pytest.fixture
def family(app: Flask, services: Services) -> Family:
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(3), headers=referral_headers(app)
    )
    reference = reply.get_json()["reference"]
    family_id = family_of(services, reference)
    duty = staff_user(services, "cspoc")
    lead = staff_user(services, "lead-professional")
    record_outcome(
        services, Actor("user", user_id=duty.id, role="cspoc"), reference, "intensive_support", "."
    )
    allocate(services, Actor("user", user_id=duty.id, role="cspoc"), family_id, lead.email)
    headers = user_headers(services, lead)
    story = app.test_client().post(
        "/api/v1/forms/family-story/submissions",
        json={**family_story_answers(), "prefill_from": reference},
        headers=headers,
    )
    assert story.status_code == 201, story.get_json()
    client = signed_in(app.test_client(), services, lead)
    return Family(family_id, story.get_json()["reference"], lead, client, headers)


def _press(client: FlaskClient, page: str, action: str) -> Any:
    assert f'action="{action}"' in page, action
    return client.post(action, data={"csrf_token": csrf_token(page)})


def _start_review(app: Flask, family: Family) -> WebUser:
    page = family.client.get(f"/staff/families/{family.id}").text
    reply = _press(family.client, page, f"/staff/families/{family.id}/start/tacaf-review")
    assert reply.status_code == 302
    return WebUser(family.client, app.extensions["forms"].registry.get("tacaf-review"))


def test_the_family_page_offers_asking_for_more_help_apart(family: Family) -> None:
    page = family.client.get(f"/staff/families/{family.id}").text
    more_help = page.index("Asking for more help")
    button = page.index("Ask for more help: start a request for service")
    assert more_help < button and "govuk-button--warning" in page[more_help : button + 200]
    assert page.index("Start the Team Around the Child and Family review") < more_help


def test_a_worried_safeguarding_check_warns_and_continues(app: Flask, family: Family) -> None:
    user = _start_review(app, family)
    reply = user.post(
        user.url("safeguarding-check"),
        {"safeguarding_check-worried": "not_sure", "safeguarding_check-details": "Bruises seen."},
    )
    assert reply.status_code == 302
    assert reply.location.endswith("/forms/tacaf-review/warning/worried")
    warning = family.client.get(reply.location).text
    assert "Talk to the Children&#39;s Single Point of Contact today" in warning
    assert "01702 215007" in warning and ADVICE_LINE in warning
    assert 'href="/forms/tacaf-review/analysis"' in warning  # Continue: never a block
    assert f'action="/staff/families/{family.id}/start/cspoc-request"' in warning
    # "No" raises nothing: straight on to the next page.
    reply = user.post(user.url("safeguarding-check"), {"safeguarding_check-worried": "no"})
    assert reply.location.endswith("/forms/tacaf-review/analysis")
    assert family.client.get(user.url("warning", "worried")).location.endswith("/analysis")


@pytest.mark.parametrize(
    ("page_id", "data"),
    [
        ("decision", {"family_agreed": "yes", "decision": "step_up", "step_up_for_family": "x"}),
        ("analysis", {"analysis-scale": "1"}),
    ],
)
def test_step_up_or_a_low_scale_warns_after_the_decision(
    app: Flask, family: Family, page_id: str, data: dict[str, str]
) -> None:
    user = _start_review(app, family)
    analysis = tacaf_review_answers()["analysis"]
    base = {f"analysis-{k}": v for k, v in analysis.items()}
    analysed = user.post(user.url("analysis"), {**base, **data} if page_id == "analysis" else base)
    assert analysed.status_code == 302, analysed.text[:2000]
    decision = {"family_agreed": "yes", "decision": "continue"}
    reply = user.post(user.url("decision"), data if page_id == "decision" else decision)
    assert reply.status_code == 302, reply.text[:2000]
    assert reply.location.endswith("/forms/tacaf-review/warning/risk")
    warning = family.client.get(reply.location).text
    assert "Check whether this family needs more help" in warning
    assert 'href="/forms/tacaf-review/next-meeting"' in warning


def test_step_up_needs_words_for_the_family(app: Flask, family: Family) -> None:
    user = _start_review(app, family)
    reply = user.post(user.url("decision"), {"family_agreed": "yes", "decision": "step_up"})
    assert reply.status_code == 200
    assert "Enter why you are asking for more help, in words the family will understand" in (
        reply.text
    )


def test_the_warning_button_starts_a_request_for_service_from_the_family(
    app: Flask, services: Services, family: Family
) -> None:
    user = _start_review(app, family)
    user.post(
        user.url("safeguarding-check"),
        {"safeguarding_check-worried": "yes", "safeguarding_check-details": "A disclosure."},
    )
    warning = family.client.get(user.url("warning", "worried")).text
    reply = _press(family.client, warning, f"/staff/families/{family.id}/start/cspoc-request")
    assert reply.status_code == 302
    assert reply.location.endswith("/forms/cspoc-request/request-type")
    story = family_story_answers()
    household = family.client.get("/forms/cspoc-request/household").text
    assert all(p["first_name"] in household for p in story["household"])
    referrer = family.client.get("/forms/cspoc-request/referrer").text
    assert story["worker"]["name"] in referrer
    needs = family.client.get("/forms/cspoc-request/needs").text
    assert "Getting a good education" in needs and "Financial stability" in needs
    assert "Improved mental and physical health" not in needs  # a need that does not apply
    assert family.story in family.client.get("/forms/cspoc-request/early-help").text
    # The review being written is kept.
    assert "A disclosure." in family.client.get(user.url("safeguarding-check")).text
    with services.readers() as db:
        rs_draft = db.scalars(select(Draft).where(Draft.form_id == "cspoc-request")).one()
    assert rs_draft.family_id == family.id


def test_a_step_up_request_sent_through_the_api_joins_the_family(
    app: Flask, services: Services, family: Family
) -> None:
    answers = {**cspoc_request_answers(), "prefill_from": family.story}
    reply = app.test_client().post(
        "/api/v1/forms/cspoc-request/submissions", json=answers, headers=family.headers
    )
    assert reply.status_code == 201, reply.get_json()
    assert family_of(services, reply.get_json()["reference"]) == family.id


def test_the_plan_says_plainly_that_the_worker_asks_for_more_help(
    app: Flask, services: Services, family: Family
) -> None:
    review = {
        **tacaf_review_answers(),
        "decision": "step_up",
        "step_up_for_family": STEP_UP_WORDS,
        "prefill_from": family.story,
    }
    reply = app.test_client().post(
        "/api/v1/forms/tacaf-review/submissions", json=review, headers=family.headers
    )
    assert reply.status_code == 201, reply.get_json()
    with services.readers() as db:
        row_id = db.scalars(
            select(Submission.id).where(Submission.reference == reply.get_json()["reference"])
        ).one()
    pdf = family.client.get(f"/staff/submissions/{row_id}/print/standard")
    assert pdf.status_code == 200
    text = " ".join(pdf_text(pdf.data).split())
    assert "Asking for more help" in text
    assert "is asking for more help for our family" in text
    assert STEP_UP_WORDS in text
    story_pdf = _plan_of(family, services, family.story)
    assert "Asking for more help" not in story_pdf


def _plan_of(family: Family, services: Services, reference: str) -> str:
    with services.readers() as db:
        row_id = db.scalars(select(Submission.id).where(Submission.reference == reference)).one()
    return pdf_text(family.client.get(f"/staff/submissions/{row_id}/print/standard").data)
