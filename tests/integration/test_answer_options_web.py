"""On the web pages: "Who will do it?" and "Who in the family is this for?" offer
the people this draft's own answers name, and nothing else is accepted.

A lead professional fills the Family Story Assessment (or a review) up to its
plan through the Flask test client, then opens "add an action". The options
are read back from the page's HTML (radios or a select), so the test sees
what a user would be offered.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import html

from forms_service.flow.navigation import visible_pages
from forms_service.services import Services
from tests.factories import family_story_answers, tacaf_review_answers
from tests.staff import signed_in, staff_user
from tests.webuser import WebUser, formdata

HOUSEHOLD = [
    "Kayden Okonkwo-Smith",
    "Amara Okonkwo-Smith",
    "Unborn Okonkwo-Smith",
    "Grace Okonkwo",
    "Daniel Smith",
    "Beatrice Huang",
]


@pytest.fixture
def lead(app: Flask, services: Services) -> FlaskClient:
    """A lead professional signed in on the web (the two forms are staff-only)."""
    return signed_in(app.test_client(), services, staff_user(services, "lead-professional"))


def _up_to_the_plan(client: FlaskClient, services: Services, form_id: str, answers: Any) -> WebUser:
    """Fill every visible page before the plan, as a worker would."""
    user = WebUser(client, services.registry.get(form_id))
    for page in visible_pages(user.form, answers):
        if page.id == "plan":
            return user
        reply = user.fill_page(page.id, answers)
        assert reply.status_code == 302, (page.id, reply.text[:2000])
    raise AssertionError(f"{form_id} has no plan page")


def _offered(page: str, name: str) -> list[str]:
    """The values a user can choose for ``name``: its radios, else its select's options."""
    tree = html.fromstring(page)
    radios = tree.xpath(f'//input[@type="radio"][@name="{name}"]/@value')
    if radios:
        return [str(value) for value in radios]
    options = tree.xpath(f'//select[@name="{name}"]/option/@value')
    return [str(value) for value in options if value]


def test_the_plan_offers_the_household_the_worker_and_the_professionals(
    lead: FlaskClient, services: Services
) -> None:
    user = _up_to_the_plan(lead, services, "family-story", family_story_answers())
    page = lead.get(user.url("plan", "add"))
    assert page.status_code == 200
    assert _offered(page.text, "who") == [
        *HOUSEHOLD,
        "Jo Bennett (Family Support Practitioner)",
        "Hannah Lee (School nurse)",
        "Oluwaseun Adeyemi (Health visitor)",
        "The whole family",
        "Everyone",
    ]
    assert _offered(page.text, "member") == [*HOUSEHOLD, "The whole family"]


def test_a_review_offers_the_people_at_the_meeting(lead: FlaskClient, services: Services) -> None:
    user = _up_to_the_plan(lead, services, "tacaf-review", tacaf_review_answers())
    page = lead.get(user.url("plan", "add"))
    assert page.status_code == 200
    who = _offered(page.text, "who")
    for person in (
        "Grace Okonkwo (Mother)",
        "Priya Raman (Riverside Primary School)",
        "Hannah Lee (School nurse)",
    ):
        assert person in who, who
    assert who[-2:] == ["The whole family", "Everyone"]
    # Only the household is offered as who an action is for, not the professionals.
    assert _offered(page.text, "member") == [*HOUSEHOLD, "The whole family"]


def test_someone_the_answers_do_not_name_is_refused_on_the_page(
    lead: FlaskClient, services: Services
) -> None:
    answers = family_story_answers()
    user = _up_to_the_plan(lead, services, "family-story", answers)
    action = {**answers["plan"][0], "who": "Dean Nobody"}
    fields = user.form.field("plan").fields
    reply = user.post(user.url("plan", "add"), formdata(fields, action))
    assert reply.status_code == 200
    assert "Select who will do it: choose someone listed on this form" in reply.text
    assert "Dean Nobody" not in _offered(reply.text, "who")
    # The same action given to a professional from the answers is accepted.
    action["who"] = "Hannah Lee (School nurse)"
    reply = user.post(user.url("plan", "add"), formdata(fields, action))
    assert reply.status_code == 302, reply.text[:2000]
