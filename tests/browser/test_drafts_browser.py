"""Save and come back later in Chromium (issue 12): a school's safeguarding lead saves
a half-finished referral, and opens it the next day on another computer through
the emailed link and the emailed code, with real mail on a loopback SMTP server.
axe runs on every new page."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.filling import CHECK_ANSWERS, expect_heading, fill_fields
from tests.browser.signing import sign_in
from tests.factories import ehfsa_answers
from tests.smtp_server import SmtpTestServer
from tests.staff import referral_headers

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

SCHOOL = "sam.referrer@seaview.example.sch.uk"


@pytest.fixture
def app_config(smtp: SmtpTestServer) -> dict[str, Any]:
    return {"smtp_url": smtp.url(), "trusted_email_domains": ("sch.uk",)}


def _body(smtp: SmtpTestServer, index: int) -> str:
    part = smtp.messages[index].parsed().get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_saved_referral_opens_on_another_computer_with_the_link_and_the_code(
    page: Any, browser: Any, live_server: Any, axe: Any, smtp: SmtpTestServer
) -> None:
    ehfsa = live_server.app.extensions["forms"].registry.get("ehfsa")
    answers = ehfsa_answers(2)
    page.goto("/forms/ehfsa")
    page.get_by_role("button", name="Start now", exact=True).click()
    fill_fields(page, ehfsa.page("safeguarding").fields, answers)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect_heading(page, "About you")
    fill_fields(page, ehfsa.page("referrer").fields, answers)
    axe.check(page, "a page with save and come back later")
    page.get_by_role("button", name="Save and come back later", exact=True).click()

    expect_heading(page, "Save your form and come back later")
    page.get_by_label("Your work email address", exact=True).fill("sam@gmail.example.com")
    page.get_by_role("button", name="Send me a link", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a work email address ending in sch.uk"
    )
    axe.check(page, "save for later (error)")
    page.get_by_label("Your work email address", exact=True).fill(SCHOOL)
    page.get_by_role("button", name="Send me a link", exact=True).click()
    expect(page.locator(".govuk-panel")).to_contain_text("Your form has been saved")
    axe.check(page, "saved")

    link = re.search(r"https?://\S+/resume/\S+", _body(smtp, 0))
    assert link, _body(smtp, 0)
    assert answers["referrer"]["organisation"] not in smtp.messages[0].data.decode()

    # The next day, on another computer: its own browser, no cookies from the first.
    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        elsewhere = other.new_page()
        elsewhere.goto(urlsplit(link.group(0)).path)
        expect_heading(elsewhere, "Check your email")
        assert "/resume/" not in elsewhere.url  # the token has left the address bar
        axe.check(elsewhere, "enter the code")
        code = re.search(r"^(\d{6})\s*$", _body(smtp, 1), re.MULTILINE)
        assert code and smtp.messages[1].rcpt_tos == [SCHOOL]
        elsewhere.get_by_label("Code", exact=True).fill(code.group(1))
        elsewhere.get_by_role("button", name="Continue", exact=True).click()
        expect_heading(elsewhere, CHECK_ANSWERS)
        expect(elsewhere.locator("main")).to_contain_text(answers["referrer"]["organisation"])
        expect(elsewhere.locator("main")).to_contain_text(answers["referrer"]["full_name"])
    finally:
        other.close()


def test_staff_drafts_replacing_a_draft_and_leaving_a_form(
    page: Any, live_server: Any, axe: Any
) -> None:
    """A duty worker's own drafts page, the question before a draft is replaced, and the
    page after leaving a stopped form: each read by axe."""
    services = live_server.app.extensions["forms"]
    ehfsa = live_server.app.test_client().post(
        "/api/v1/forms/ehfsa/submissions",
        json=ehfsa_answers(2),
        headers=referral_headers(live_server.app),
    )
    reference = ehfsa.get_json()["reference"]
    sign_in(page, services, "cspoc")

    # A Family Story begun from nothing: one answer saved, the page's errors aside.
    page.goto("/forms/family-story")
    page.get_by_label("No, start a new form", exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Family ID (optional)", exact=True).fill("FAM-778")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()

    page.goto("/staff/drafts")
    expect_heading(page, "Your drafts")
    expect(page.locator("main")).to_contain_text("Family Story Assessment")
    axe.check(page, "your drafts")

    # Starting from the referral now asks first, and names what would be replaced.
    page.goto("/forms/family-story")
    page.get_by_label("Yes, start from the earlier form", exact=True).check()
    page.get_by_label("Reference of the earlier form", exact=True).fill(reference)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect_heading(page, "You have already started this form")
    axe.check(page, "replace a draft")
    page.get_by_role("link", name="Keep my answers", exact=True).click()
    expect_heading(page, CHECK_ANSWERS)

    # A referral stopped at the gate, then left on purpose.
    page.goto("/forms/ehfsa")
    page.get_by_role("button", name="Start now", exact=True).click()
    for question in (
        "Is a child in immediate danger?",
        "Is a child suffering, or likely to suffer, significant harm?",
        "Is the child already open to children's social care?",
    ):
        page.get_by_role("group", name=question, exact=True).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.goto("/forms/ehfsa/safeguarding")
    page.get_by_role("group", name="Is a child in immediate danger?", exact=True).get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect_heading(page, "Call 999 now")
    page.get_by_role("button", name="Leave this form and delete my answers", exact=True).click()
    expect_heading(page, "Your answers have been deleted")
    axe.check(page, "left the form")
