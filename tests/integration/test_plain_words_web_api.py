"""The abbreviation check on a real app: the page says which field goes to the
family, refuses an abbreviation with a GOV.UK error, and the API refuses it too;
the family's and the child's own words are stored exactly as written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from forms_service.fieldtypes.messages import FAMILY_READS
from forms_service.services import Services
from tests.factories import family_story_answers, tacaf_review_answers
from tests.staff import signed_in, staff_user, stored_answers, user_headers
from tests.webuser import WebUser, formdata

TAF = "The family's plan cannot use 'TAF'. Write 'Team Around the Family meeting' instead"
CAMHS = "The family's plan cannot use 'CAMHS'. Write 'children's mental health service' instead"


@pytest.fixture
def client(app: Flask, services: Services) -> FlaskClient:
    """A duty worker: signed in on the web, with their own API token."""
    worker = staff_user(services, "cspoc")
    signed = signed_in(app.test_client(), services, worker)
    signed.environ_base["HTTP_AUTHORIZATION"] = user_headers(services, worker)["Authorization"]
    return signed


def _hint(html: str, field_id: str) -> str:
    """The text of the GOV.UK hint of the question with ``field_id``."""
    match = re.search(
        rf'<div id="{re.escape(field_id)}-hint" class="govuk-hint">(.*?)</div>', html, re.S
    )
    assert match, field_id
    return " ".join(match.group(1).split())


def test_a_family_facing_question_says_the_family_will_read_it(
    client: FlaskClient, services: Services
) -> None:
    page = client.get("/forms/family-story/analysis").text
    assert _hint(page, "analysis-worried_about_for_family").endswith(FAMILY_READS)
    assert _hint(page, "analysis-working_well") == (
        f"Write this so the family would recognise it. {FAMILY_READS}"
    )
    # The practitioner's own worries are theirs: no such hint.
    assert FAMILY_READS not in _hint(page, "analysis-worried_about")
    story = client.get("/forms/family-story/our-story").text
    assert _hint(story, "child_own_words").endswith(FAMILY_READS)
    review = client.get("/forms/tacaf-review/plan/add").text
    assert _hint(review, "what") == FAMILY_READS


def test_the_page_refuses_an_abbreviation_and_keeps_what_was_typed(
    client: FlaskClient, services: Services
) -> None:
    user = WebUser(client, services.registry.get("family-story"))
    analysis = family_story_answers()["analysis"]
    typed = "We will talk about money at the next TAF."
    reply = user.fill_page(
        "analysis", {"analysis": {**analysis, "worried_about_for_family": typed}}
    )
    assert reply.status_code == 200
    assert "There is a problem" in reply.text
    message = str(escape(TAF))
    assert f'<a href="#analysis-worried_about_for_family">{message}</a>' in reply.text
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in reply.text
    assert str(escape(typed)) in reply.text
    fixed = user.fill_page("analysis", {"analysis": analysis})
    assert fixed.status_code == 302


def test_the_page_refuses_an_abbreviation_in_a_plan_action(
    client: FlaskClient, services: Services
) -> None:
    form = services.registry.get("tacaf-review")
    user = WebUser(client, form)
    action = {**tacaf_review_answers()["plan"][0], "what": "A referral to CAMHS for Kayden."}
    reply = user.post(user.url("plan", "add"), formdata(form.page("plan").fields[0].fields, action))
    assert reply.status_code == 200
    assert str(escape(CAMHS)) in reply.text


def _post(client: FlaskClient, form_id: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/forms/{form_id}/submissions", json=body)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("analysis", "worried_about_for_family"), "The TAF is worried about mornings."),
        (("analysis", "needs_to_happen"), "Grace goes to the next TAF."),
        (("next_meeting", "place"), "The TAF room at Riverside Primary School"),
    ],
)
def test_the_api_refuses_an_abbreviation_in_a_family_facing_answer(
    client: FlaskClient, path: tuple[str, str], value: str
) -> None:
    answers = family_story_answers()
    answers[path[0]][path[1]] = value
    reply = _post(client, "family-story", answers)
    assert reply.status_code == 422, reply.get_json()
    assert reply.get_json()["errors"] == {".".join(path): [TAF]}


def test_the_api_refuses_an_abbreviation_in_a_reviews_plan(client: FlaskClient) -> None:
    answers = tacaf_review_answers()
    answers["plan"][1]["measure"] = "CAMHS have seen Kayden."
    reply = _post(client, "tacaf-review", answers)
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {"plan.1.measure": [CAMHS]}


def test_the_api_keeps_own_words_and_practitioner_notes_as_written(
    client: FlaskClient, services: Services
) -> None:
    answers = family_story_answers()
    answers["child_own_words"] = "My SEN teacher gave me a sticker. I like the DSL lady."
    answers["plan"][0]["outcome"] = "We want CAMHS to help Kayden sleep."
    answers["analysis"]["worried_about"] = "The DSL reports DA; the TAF must discuss it."
    reply = _post(client, "family-story", answers)
    assert reply.status_code == 201, reply.get_json()
    stored = stored_answers(services, reply.get_json()["reference"])
    assert stored["child_own_words"] == answers["child_own_words"]
    assert stored["plan"][0]["outcome"] == answers["plan"][0]["outcome"]
    assert stored["analysis"]["worried_about"] == answers["analysis"]["worried_about"]
