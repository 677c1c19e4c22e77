"""The whole path in Chromium: a school's referral to an outcome, an allocation and a
printed family plan, with real mail on a loopback SMTP server.

A referrer sends an EHFSA through the public form and takes their one copy;
their acknowledgement arrives. A C-SPOC duty worker signs in, finds it in the
inbox with its clock, confirms it as a new family, records an outcome (the
referrer's outcome email arrives) and allocates a lead professional (their
notice arrives). The lead professional finds the family in My families,
starts the Family Story from the family page (no reference typed), sends it,
prints the family's plan and starts the first review. axe runs on every
staff page on the way.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from forms_service.flow.navigation import visible_pages
from tests.browser.filling import (
    CHECK_ANSWERS,
    click_and_arrive,
    expect_heading,
    fill_fields,
    fill_form,
    fill_list_page,
)
from tests.browser.signing import sign_in, sign_in_as
from tests.factories import ehfsa_answers, family_story_answers
from tests.smtp_server import SmtpTestServer
from tests.staff import staff_user, stored_answers
from tests.webuser import answers_as_shown

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def app_config(smtp: SmtpTestServer) -> dict[str, Any]:
    return {"smtp_url": smtp.url(), "spoc_inbox": "c-spoc@council.example.gov.uk"}


def _mail_to(smtp: SmtpTestServer, address: str, containing: str) -> list[Any]:
    return [
        m.parsed()
        for m in smtp.messages
        if address in m.rcpt_tos and containing in m.parsed().get_body().get_content()  # type: ignore[union-attr]
    ]


def _new_page(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", accept_downloads=True)
    context.set_default_timeout(15_000)
    return context.new_page()


def _pdf_text(download: Any) -> str:
    with open(download.path(), "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(p.extract_text() or "" for p in reader.pages)


def test_a_referral_reaches_an_outcome_an_allocation_and_a_printed_plan(
    page: Any, browser: Any, live_server: Any, axe: Any, smtp: SmtpTestServer
) -> None:
    services = live_server.app.extensions["forms"]
    registry = services.registry
    ehfsa = registry.get("ehfsa")
    # Kayden, Amara, the baby and Grace: the Family Story keeps this household as it
    # came, and its plan gives actions to Grace (chosen from the household, not typed).
    answers = ehfsa_answers(4)
    referrer = answers["referrer"]["email"]
    child = answers["household"][0]["first_name"]
    surname = answers["household"][0]["last_name"]

    # 1. The school sends the referral and keeps its one copy.
    page.goto("/forms/ehfsa")
    page.get_by_role("button", name="Start now", exact=True).click()
    fill_form(page, ehfsa, answers, lambda _pg, _kind: None)
    expect_heading(page, CHECK_ANSWERS)
    checked = " ".join(page.locator("main").inner_text().split())
    page.get_by_role("button", name="Accept and send", exact=True).click()
    reference = page.locator(".govuk-panel strong").inner_text()
    assert re.fullmatch(r"EH-\w{4}-\w{4}", reference)
    # Check your answers showed every answer that was then sent, items' answers too.
    sent = stored_answers(services, reference)
    unshown = [
        (label, value)
        for label, value in answers_as_shown(tuple(ehfsa.fields), sent)
        if " ".join(value.split()) not in checked
    ]
    assert not unshown, unshown
    with page.expect_download() as copy:
        page.get_by_role("link", name="Download a copy of what you sent (PDF)").click()
    assert reference in _pdf_text(copy.value)

    # The acknowledgement: the reference, and nothing that names the family.
    (ack,) = _mail_to(smtp, referrer, reference)
    text = ack.get_body().get_content()
    assert child not in text and surname not in text and child not in str(ack["Subject"])

    # 2. The duty worker triages it.
    lead = staff_user(services, "lead-professional", name="Lee Lead")
    duty = _new_page(browser, live_server)
    sign_in(duty, services, "cspoc", axe)
    duty.goto("/staff/inbox")
    expect_heading(duty, "Inbox")
    row = duty.locator("tr", has_text=reference)
    expect(row).to_contain_text(re.compile(r"Due by|Overdue by"))
    axe.check(duty, "inbox")
    row.get_by_role("link", name=reference).click()
    axe.check(duty, "referral")
    duty.get_by_role("button", name="This is a new family").click()
    duty.get_by_label("Early Help Family Support (intensive support)").check()
    duty.get_by_label("Reason for this outcome").fill("Several needs; the family agrees to help.")
    duty.get_by_role("button", name="Record the outcome").click()
    expect(duty.locator("main")).to_contain_text("Outcome recorded")
    axe.check(duty, "referral decided")
    outcome_mail = _mail_to(smtp, referrer, "intensive support")
    assert len(outcome_mail) == 1
    assert child not in outcome_mail[0].get_body().get_content()
    duty.get_by_label("Who will be the family's lead professional?").select_option(lead.email)
    duty.get_by_role("button", name="Allocate").click()
    expect(duty.locator("main")).to_contain_text("Lee Lead")
    assert [m for m in smtp.messages if lead.email in m.rcpt_tos]
    duty.context.close()

    # 3. The lead professional: My families, the family page, the Family Story.
    lp = _new_page(browser, live_server)
    sign_in_as(lp, services, lead, axe)
    lp.goto("/staff/my-families")
    axe.check(lp, "my families")
    lp.get_by_role("link", name=reference).click()
    expect(lp.locator("main")).to_contain_text("Family Story Assessment due by")
    axe.check(lp, "family page")
    lp.get_by_role("button", name="Start the Family Story Assessment").click()
    story = registry.get("family-story")
    story_answers = family_story_answers()
    story_answers["case"]["ehfsa_reference"] = reference
    _finish_prefilled(lp, story, story_answers)
    lp.get_by_role("button", name="Accept and send", exact=True).click()
    expect_heading(lp, f"{story.short_title} sent")

    # 4. Print the plan, then start the first review.
    lp.goto("/staff/my-families")
    lp.get_by_role("link", name=re.compile(r"^FS-")).first.click()
    axe.check(lp, "family page with a plan")
    with lp.expect_download() as plan:
        lp.get_by_role("link", name="Download Our Family Plan in large print (PDF)").click()
    assert "Our Family Plan" in _pdf_text(plan.value)
    review = registry.get("tacaf-review")
    lp.get_by_role("button", name=f"Start the {review.title}").click()
    expect_heading(lp, review.pages[0].title)
    axe.check(lp, "first review, prefilled")


def _finish_prefilled(page: Any, form: Any, answers: dict[str, Any]) -> None:
    """Every page of a form started prefilled: lists that came filled are kept as they are."""
    pages = visible_pages(form, answers)
    for index, pg in enumerate(pages):
        expect_heading(page, pg.title)
        following = pages[index + 1] if index + 1 < len(pages) else None
        path = f"/forms/{form.id}/" + (following.id if following else "check-answers")
        title = following.title if following else CHECK_ANSWERS
        if pg.repeating is None:
            fill_fields(page, pg.fields, answers)
        elif page.locator("#items .govuk-summary-list__row").count():
            page.get_by_role("button", name="Continue", exact=True).click()
            arrived = page.get_by_role("heading", level=1, name=title, exact=True)
            refused = page.locator(".govuk-error-summary")
            expect(arrived.or_(refused)).to_be_visible()  # whichever page the POST led to
            if arrived.count():
                continue
            # Carried-forward items this form asks more of: start the list afresh.
            while page.locator("#items").get_by_role("link", name=re.compile("^Remove")).count():
                page.locator("#items").get_by_role("link", name=re.compile("^Remove")).first.click()
                page.get_by_role("button", name="Yes, remove it").click()
                expect(page.locator(".govuk-notification-banner")).to_contain_text("removed")
        if pg.repeating is not None:
            fill_list_page(page, form, pg, answers, lambda _pg, _kind: None)
        click_and_arrive(page, "Continue", path, title)
