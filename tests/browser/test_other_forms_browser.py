"""The other three forms in a real browser, driven from their definitions.

Each run opens the start page, fills every visible page from the factory
answers (repeating groups item by item through their add pages), sends it from
check answers and checks what was stored and mailed. axe runs on the start
page, the first page of each kind, check answers and the confirmation page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from forms_service.definitions.model import FormDefinition
from forms_service.flow.navigation import visible_pages
from forms_service.submissions.models import Submission
from forms_service.submissions.service import validate_submission
from tests.browser.filling import CHECK_ANSWERS, expect_heading, fill_form
from tests.browser.signing import sign_in
from tests.factories import (
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    tacaf_review_answers,
)
from tests.staff import referral_headers

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

CODE = "[2-9A-HJ-NP-TW-Z]{4}"
JOURNEYS: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("cspoc-request", cspoc_request_answers, "RS"),
    ("family-story", family_story_answers, "FS"),
    ("tacaf-review", tacaf_review_answers, "TR"),
]
#: Every kind of page a journey must have had axe run on.
KINDS = {
    "start",
    "question",
    "list (empty)",
    "add item",
    "list (with items)",
    "check answers",
    "confirmation",
}


def _form(live_server: Any, form_id: str) -> FormDefinition:
    form: FormDefinition = live_server.app.extensions["forms"].registry.get(form_id)
    return form


def _without_blanks(value: Any) -> Any:
    """Answers with unanswered (None) keys dropped, for comparing web and API shapes."""
    if isinstance(value, dict):
        return {k: _without_blanks(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_blanks(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("form_id", "make_answers", "prefix"), JOURNEYS, ids=[j[0] for j in JOURNEYS]
)
def test_full_journey(
    page: Any,
    live_server: Any,
    axe: Any,
    form_id: str,
    make_answers: Callable[[], dict[str, Any]],
    prefix: str,
) -> None:
    services = live_server.app.extensions["forms"]
    form = _form(live_server, form_id)
    answers = make_answers()
    kinds: set[str] = set()
    if not form.open_to_anyone:
        sign_in(page, services, "lead-professional", axe)

    def on_page(pg: Any, kind: str) -> None:
        if kind not in kinds:
            kinds.add(kind)
            axe.check(pg, f"{kind} {pg.url}")

    # Start page.
    page.goto(f"/forms/{form_id}")
    expect_heading(page, form.title)
    on_page(page, "start")
    if form.prefill and not form.open_to_anyone:  # staff are asked first about an earlier form
        page.get_by_label("No, start a new form", exact=True).check()
        page.get_by_role("button", name="Continue", exact=True).click()
    else:
        page.get_by_role("button", name="Start now", exact=True).click()

    # Every visible page, in order, to check answers.
    fill_form(page, form, answers, on_page)
    expect_heading(page, CHECK_ANSWERS)
    main = page.locator("main")
    for pg in visible_pages(form, answers):
        expect(main.get_by_role("heading", level=2, name=pg.title, exact=True)).to_have_count(1)
    on_page(page, "check answers")

    # Send.
    page.get_by_role("button", name="Accept and send", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/forms/{re.escape(form_id)}/confirmation$"))
    expect_heading(page, f"{form.short_title} sent")
    shown = page.locator(".govuk-panel strong")
    expect(shown).to_have_text(re.compile(rf"^{prefix}-{CODE}-{CODE}$"))
    reference = shown.inner_text()
    on_page(page, "confirmation")
    assert kinds == KINDS, kinds

    # Stored: exactly what the API would have stored for the same answers.
    with services.sessions() as db:
        stored = db.scalars(select(Submission)).all()
        assert [(s.reference, s.form_id, s.channel) for s in stored] == [
            (reference, form_id, "web")
        ]
        stored_answers = services.vault.open(stored[0].answers_sealed)
    expected = validate_submission(form, make_answers(), services.settings.contacts)
    assert _without_blanks(stored_answers) == _without_blanks(expected)

    # Mailed: one message to the SPOC inbox, naming the reference (and, for a form that
    # names its referrer's email, their acknowledgement).
    mails = [
        m.read_text(encoding="utf-8", errors="replace")
        for m in live_server.pickup_dir.glob("*.eml")
    ]
    spoc = services.settings.spoc_inbox
    assert sum(f"To: {spoc}" in mail for mail in mails) == 1, mails
    assert len(mails) == (2 if form.record.referrer_email else 1)
    assert all(reference in mail for mail in mails)


def test_family_story_starts_from_an_ehfsa_reference(page: Any, live_server: Any, axe: Any) -> None:
    ehfsa = ehfsa_answers()
    client = live_server.app.test_client()
    reply = client.post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa, headers=referral_headers(live_server.app)
    )
    assert reply.status_code == 201, reply.get_json()
    reference = reply.get_json()["reference"]

    # A duty worker (who may see every referral) starts the assessment from it.
    sign_in(page, live_server.app.extensions["forms"], "cspoc")
    page.goto("/forms/family-story")
    expect_heading(page, "Family Story Assessment")
    page.get_by_label("Yes, start from the earlier form", exact=True).check()
    page.get_by_label("Reference of the earlier form", exact=True).fill(reference)
    axe.check(page, "start with a reference")
    page.get_by_role("button", name="Continue", exact=True).click()

    expect(page).to_have_url(re.compile(r"/forms/family-story/case$"))
    expect_heading(page, "Case details")
    expect(page.locator('input[name="case-ehfsa_reference"]')).to_have_value(reference)

    page.goto("/forms/family-story/household")
    expect_heading(page, "Our family")
    items = page.locator("#items")
    members = ehfsa["household"]
    expect(items.get_by_role("heading", level=2)).to_have_text(
        f"You have added {len(members)} family members"
    )
    rows = items.locator(".govuk-summary-list__row")
    expect(rows).to_have_count(len(members))
    for row, member in zip(rows.all(), members, strict=True):
        expect(row).to_contain_text(member["first_name"])
        expect(row).to_contain_text(member["last_name"])
    axe.check(page, "household (prefilled)")


def test_family_story_starts_from_a_request_for_service(
    page: Any, live_server: Any, axe: Any
) -> None:
    """The Level 3 route: an RS- reference fills in the address, support tried and views."""
    request = cspoc_request_answers()
    client = live_server.app.test_client()
    reply = client.post(
        "/api/v1/forms/cspoc-request/submissions",
        json=request,
        headers=referral_headers(live_server.app),
    )
    assert reply.status_code == 201, reply.get_json()
    reference = reply.get_json()["reference"]

    sign_in(page, live_server.app.extensions["forms"], "cspoc")
    page.goto("/forms/family-story")
    page.get_by_label("Yes, start from the earlier form", exact=True).check()
    page.get_by_label("Reference of the earlier form", exact=True).fill(reference)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page).to_have_url(re.compile(r"/forms/family-story/case$"))
    expect(page.locator('input[name="case-ehfsa_reference"]')).to_have_value(reference)

    page.goto("/forms/family-story/family-contact")
    expect_heading(page, "The family's address and contact details")
    contact = request["family_contact"]
    expect(page.get_by_label("Building and street", exact=True)).to_have_value(
        contact["address_line_1"]
    )
    expect(page.get_by_label("Postcode", exact=True)).to_have_value(contact["postcode"])
    axe.check(page, "family contact (prefilled from a request for service)")

    page.goto("/forms/family-story/views-at-request")
    expect(page.get_by_label("What did the child say? (optional)")).to_have_value(
        request["child_thinks"]
    )
    page.goto("/forms/family-story/agency-history")
    tried = page.get_by_label("What support has been tried, and what happened?")
    expect(tried).to_have_value(re.compile(r"^Breakfast club \(October 2026 to now\)\. Offered: "))
    axe.check(page, "support tried (prefilled from a request for service)")
