"""Safeguarding routes in Debian Chromium, with axe on each new page: "Not sure" at a
referral gate (advice, then back to change the answer) and a review's warning page
(continue past it, or ask for more help with a request for service from the family)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from forms_service.audit import CLI
from forms_service.auth.actor import Actor
from forms_service.workspace.service import allocate_by_reference as allocate
from forms_service.workspace.service import record_outcome
from tests.browser.signing import sign_in
from tests.factories import ehfsa_answers, family_story_answers
from tests.staff import referral_headers, staff_user, user_headers

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

HARM = "Is a child suffering, or likely to suffer, significant harm?"
WORRIED = (
    "Since the last contact, has anything made you worried that a child is suffering "
    "or likely to suffer significant harm?"
)


def _heading(page: Any, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _radio(page: Any, question: str, answer: str) -> None:
    page.get_by_role("group", name=question, exact=True).get_by_label(answer, exact=True).check()


def test_not_sure_at_the_gate_gives_advice_and_goes_back(
    page: Any, live_server: Any, axe: Any
) -> None:
    page.goto("/forms/ehfsa/safeguarding")
    _radio(page, "Is a child in immediate danger?", "No")
    _radio(page, HARM, "Not sure")
    _radio(page, "Is the child already open to children's social care?", "No")
    page.get_by_role("button", name="Continue", exact=True).click()
    _heading(page, "Get advice before you continue")
    expect(page.locator("main")).to_contain_text("01702 215007, option 1")
    expect(page.locator("main")).to_contain_text("01702 215783")
    axe.check(page, "advice")
    page.get_by_role("button", name="Go back and change your answer").click()
    _heading(page, "Before you start")
    _radio(page, "Is a child in immediate danger?", "No")
    _radio(page, HARM, "No")
    _radio(
        page,
        "Is the child already open to children's social care?",
        "Yes, this is a step-down from social care",
    )
    page.get_by_role("button", name="Continue", exact=True).click()
    _heading(page, "About you")


def test_a_review_warns_and_asks_for_more_help_for_the_family(
    page: Any, live_server: Any, axe: Any
) -> None:
    app = live_server.app
    services = app.extensions["forms"]
    referral = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(3), headers=referral_headers(app)
    )
    reference = referral.get_json()["reference"]
    duty = staff_user(services, "cspoc")
    actor = Actor("user", user_id=duty.id, role="cspoc")
    record_outcome(services, actor, reference, "intensive_support", "A plan.")
    user = sign_in(page, services, "lead-professional")
    allocate(services, reference, user.email, CLI)
    story = app.test_client().post(
        "/api/v1/forms/family-story/submissions",
        json={**family_story_answers(), "prefill_from": reference},
        headers=user_headers(services, user),
    )
    assert story.status_code == 201, story.get_json()
    page.reload()
    page.get_by_role("link", name=ehfsa_answers(3)["household"][0]["first_name"]).click()
    expect(page.get_by_role("heading", name="Asking for more help")).to_be_visible()
    more_help = page.get_by_role("button", name="Ask for more help: start a request for service")
    expect(more_help).to_have_class(re.compile(r"govuk-button--warning"))
    page.get_by_role("button", name="Start the Team Around the Child and Family review").click()
    expect(page).to_have_url(re.compile(r"/forms/tacaf-review/meeting$"))

    page.goto("/forms/tacaf-review/safeguarding-check")
    _radio(page, WORRIED, "Yes")
    page.get_by_label("What has made you worried, and what have you done about it?").fill(
        "Kayden told his teacher about shouting at night."
    )
    page.get_by_role("button", name="Continue", exact=True).click()
    _heading(page, "Talk to the Children's Single Point of Contact today")
    expect(page.locator("main")).to_contain_text("01702 215007")
    axe.check(page, "warning page")
    page.get_by_role("button", name="Continue with this form").click()
    _heading(page, "Analysis")

    page.go_back()
    _heading(page, "Talk to the Children's Single Point of Contact today")
    page.get_by_role("button", name="Ask for more help: start a request for service").click()
    expect(page).to_have_url(re.compile(r"/forms/cspoc-request/request-type$"))
    _radio(
        page,
        "What are you asking for?",
        "I am confirming in writing a safeguarding concern I have already phoned through",
    )
    expect(page.get_by_label("Name of the person you spoke to")).to_be_visible()
    axe.check(page, "request type with the call")
    page.goto("/forms/cspoc-request/household")
    for person in family_story_answers()["household"]:
        expect(page.locator("main")).to_contain_text(person["first_name"])
