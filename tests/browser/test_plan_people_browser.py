"""In Chromium: a worker gives a Family Story action to a professional chosen from
the answers, and check answers shows that choice.

The pages before and after the plan are posted through the browser context's
own request client (same cookies, a CSRF token read from each page), so the
test spends its time on the one page it is about; axe checks the add-an-action
page and check answers.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from forms_service.definitions.model import FormDefinition
from forms_service.flow.navigation import visible_pages
from tests.browser.filling import CHECK_ANSWERS, expect_heading, fill_fields
from tests.browser.signing import sign_in
from tests.factories import family_story_answers
from tests.webuser import csrf_token, formdata

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

NURSE = "Hannah Lee (School nurse)"


def _post(page: Any, url: str, data: dict[str, Any]) -> None:
    """POST ``data`` as the page at ``url`` would, in the browser's own session."""
    shown = page.request.get(url)
    assert shown.ok, (url, shown.status)
    reply = page.request.post(
        url, form={**data, "csrf_token": csrf_token(shown.text())}, max_redirects=0
    )
    assert reply.status == 302, (url, reply.status, reply.text()[:2000])


def _post_page(page: Any, form: FormDefinition, page_id: str, answers: dict[str, Any]) -> None:
    """Fill one page (a list item by item) without drawing it."""
    url = f"/forms/{form.id}/{page_id}"
    group = form.page(page_id).repeating
    if group is None:
        _post(page, url, formdata(form.page(page_id).fields, answers))
        return
    for item in answers.get(group.name) or []:
        _post(page, f"{url}/add", formdata(group.fields, item))
    _post(page, url, {})


def test_a_chosen_professional_is_shown_on_check_answers(
    page: Any, live_server: Any, axe: Any
) -> None:
    services = live_server.app.extensions["forms"]
    form: FormDefinition = services.registry.get("family-story")
    answers = family_story_answers()
    first, *others = answers["plan"]
    sign_in(page, services, "lead-professional")
    for pg in visible_pages(form, answers):
        if pg.id != "plan":
            _post_page(page, form, pg.id, answers)

    # The first action, in the browser: the nurse is one of the radios offered.
    page.goto(f"/forms/{form.id}/plan/add")
    expect_heading(page, "Add an action")
    who = page.get_by_role("group", name="Who will do it?")
    expect(who.get_by_role("radio")).to_have_count(11)  # household, worker, 3 others
    axe.check(page, "add an action, people offered")
    fill_fields(page, form.field("plan").fields, {**first, "who": None})
    who.get_by_label(NURSE, exact=True).check()
    page.get_by_role("button", name="Save action", exact=True).click()
    expect(page.locator("#items")).to_contain_text(NURSE)
    for action in others:
        _post(page, f"/forms/{form.id}/plan/add", formdata(form.field("plan").fields, action))

    page.goto(f"/forms/{form.id}/check-answers")
    expect_heading(page, CHECK_ANSWERS)
    axe.check(page, "check answers")
    # Each action in its own summary card, every answer in it.
    cards = page.locator("main .govuk-summary-card").filter(
        has=page.locator(".govuk-summary-card__title", has_text=re.compile(r"^\s*Action \d"))
    )
    expect(cards).to_have_count(len(answers["plan"]))
    expect(cards.first).to_contain_text(NURSE)  # the action chosen in the browser
    expect(cards.nth(1)).not_to_contain_text(NURSE)
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
