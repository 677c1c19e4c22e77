"""The EHFSA in a real browser: gate, full journey, back link; axe on every page."""

from __future__ import annotations

import datetime as dt
import email
import io
import re
from email import policy
from typing import Any

import pytest
from pypdf import PdfWriter
from sqlalchemy import func, select

from forms_service.submissions.models import Draft, Submission

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def _count(live_server: Any, model: Any) -> int:
    with live_server.app.extensions["forms"].sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _radio(scope: Any, question: str, answer: str) -> None:
    scope.get_by_role("group", name=question, exact=True).get_by_label(answer, exact=True).check()


def _continue(page: Any) -> None:
    page.get_by_role("button", name="Continue", exact=True).click()


@pytest.mark.parametrize(
    ("app_config", "phone"),
    [({}, "01702 215007"), ({"level4_phone": "01632 960123"}, "01632 960123")],
    ids=["default-phone", "configured-phone"],
)
def test_gate_stop(page: Any, live_server: Any, axe: Any, phone: str) -> None:
    page.goto("/forms/ehfsa")
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Before you start")
    axe.check(page, "safeguarding")
    _radio(page, "Is a child in immediate danger?", "Yes")
    _radio(page, "Is a child suffering, or likely to suffer, significant harm?", "No")
    _radio(page, "Is the child already open to children's social care?", "No")
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Call 999 now")
    main = page.locator("main")
    expect(main).to_contain_text("call the police on 999 now")
    expect(main).to_contain_text(f"tell the Children's Single Point of Contact on {phone}.")
    expect(main).to_contain_text("Nothing you entered has been saved")
    axe.check(page, "stop")
    assert _count(live_server, Draft) == 0
    assert _count(live_server, Submission) == 0


def _fill(scope: Any, label: str, value: str) -> None:
    scope.get_by_label(label, exact=True).fill(value)


def _date(scope: Any, legend: str, when: dt.date, *, as_written: bool = False) -> None:
    """Type a date; ``as_written``: as people write it, "05", "Mar" (GOV.UK accepts both)."""
    group = scope.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day", exact=True).fill(f"{when.day:02d}" if as_written else str(when.day))
    group.get_by_label("Month", exact=True).fill(
        when.strftime("%b") if as_written else str(when.month)
    )
    group.get_by_label("Year", exact=True).fill(str(when.year))


def _years_ago(years: int) -> dt.date:
    today = dt.date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def _heading(page: Any, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


REFERENCE = re.compile(r"EH-[2-9A-HJ-NP-TW-Z]{4}-[2-9A-HJ-NP-TW-Z]{4}")
PAGES_CHECKED = {
    "start",
    "stop (draft kept)",
    "remove family member 3",
    "safeguarding",
    "referrer (errors)",
    "referrer",
    "household (empty)",
    "add family member",
    "household (3)",
    "household (2)",
    "change family member",
    "family-contact",
    "consent",
    "reason",
    "service-wanted",
    "existing-assessment",
    "needs (empty)",
    "add need",
    "needs (1)",
    "strengths",
    "support-so-far",
    "professionals (empty)",
    "add professional",
    "professionals (1)",
    "lead-professional",
    "views",
    "attachments (wrong kind)",
    "attachments (1 file)",
    "declaration",
    "check answers",
    "referrer (return to check)",
    "confirmation",
}


def _add_member(page: Any, axe: Any, member: dict[str, Any], *, first: bool = False) -> None:
    link = "Add a family member" if first else "Add another family member"
    page.get_by_role("link", name=link, exact=True).click()
    _heading(page, "Add a family member")
    if first:
        axe.check(page, "add family member")
    _radio(page, "Who is this person in the family?", member["role"])
    _fill(page, "First name", member["first_name"])
    _fill(page, "Last name", member["last_name"])
    _date(page, "Date of birth", member["date_of_birth"], as_written=True)
    _radio(page, "Sex", member["sex"])
    _fill(page, "Relationship to the main child", member["relationship"])
    _radio(page, "Do they live in the household?", "Yes")
    _radio(page, "Do they need an interpreter?", "No")
    page.get_by_role("button", name="Save family member", exact=True).click()
    _heading(page, "Everyone in the family")


def test_full_ehfsa_journey(page: Any, live_server: Any, axe: Any) -> None:
    today = dt.date.today()

    # Start page and the safeguarding gate.
    page.goto("/forms/ehfsa")
    _heading(page, "Early Help Family Support Assessment")
    axe.check(page, "start")
    page.get_by_role("button", name="Start now").click()
    _heading(page, "Before you start")
    axe.check(page, "safeguarding")
    _radio(page, "Is a child in immediate danger?", "No")
    _radio(page, "Is a child suffering, or likely to suffer, significant harm?", "No")
    _radio(page, "Is the child already open to children's social care?", "No")
    _continue(page)

    # About you: submit empty first, then use the error summary.
    _heading(page, "About you")
    _continue(page)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: About you"))
    expect(summary).to_be_focused()  # GOV.UK Frontend's JS ran despite the strict CSP
    messages = ("Enter your full name", "Enter your job title", "Enter your work email address")
    for message in messages:
        expect(summary.get_by_role("link", name=message, exact=True)).to_be_visible()
    expect(page.locator("#referrer-full_name-error")).to_contain_text("Enter your full name")
    axe.check(page, "referrer (errors)")
    summary.get_by_role("link", name="Enter your work email address", exact=True).click()
    expect(page.locator("#referrer-email")).to_be_focused()
    summary.get_by_role("link", name="Enter your full name", exact=True).click()
    full_name = page.get_by_label("Full name", exact=True)
    expect(full_name).to_be_focused()
    full_name.fill("Sam Referrer")
    _fill(page, "Job title", "Designated safeguarding lead")
    _fill(page, "Organisation", "Seaview Primary School")
    _radio(page, "Type of organisation", "School or college")
    _fill(page, "Work address", "1 School Lane\nSouthend-on-Sea\nSS1 1AA")
    _fill(page, "Work phone number", "01702 215000")
    _fill(page, "Work email address", "sam.referrer@seaview.example.sch.uk")
    axe.check(page, "referrer")
    _continue(page)

    # Household: add three, remove one, change one.
    _heading(page, "Everyone in the family")
    axe.check(page, "household (empty)")
    _add_member(
        page,
        axe,
        {
            "role": "The child this form is mainly about",
            "first_name": "Amelia",
            "last_name": "Testfamily",
            "date_of_birth": _years_ago(9),
            "sex": "Female",
            "relationship": "self",
        },
        first=True,
    )
    _add_member(
        page,
        axe,
        {
            "role": "Parent or carer",
            "first_name": "Priya",
            "last_name": "Testfamily",
            "date_of_birth": _years_ago(34),
            "sex": "Female",
            "relationship": "Mother",
        },
    )
    _add_member(
        page,
        axe,
        {
            "role": "Another child",
            "first_name": "Jayden",
            "last_name": "Testfamily",
            "date_of_birth": _years_ago(6),
            "sex": "Male",
            "relationship": "Brother",
        },
    )
    expect(page.get_by_role("heading", level=2)).to_have_text("You have added 3 family members")
    axe.check(page, "household (3)")
    page.get_by_role("link", name="Remove Family member 3: Jayden Testfamily").click()
    _heading(page, "Are you sure you want to remove Family member 3: Jayden Testfamily?")
    axe.check(page, "remove family member 3")
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Family member 3 has been removed"
    )
    items = page.locator("#items")  # the banner has a heading of its own
    expect(items.get_by_role("heading", level=2)).to_have_text("You have added 2 family members")
    expect(items).not_to_contain_text("Jayden")
    axe.check(page, "household (2)")
    page.get_by_role("link", name="Change Family member 2: Priya Testfamily").click()
    _heading(page, "Change family member 2")
    expect(page.get_by_label("First name", exact=True)).to_have_value("Priya")
    axe.check(page, "change family member")
    _fill(page, "Relationship to the main child", "Mum")
    page.get_by_role("button", name="Save family member", exact=True).click()
    _heading(page, "Everyone in the family")
    expect(page.locator("#items")).to_contain_text("Mum")
    _continue(page)

    # The family's address.
    _heading(page, "The family's address and contact details")
    axe.check(page, "family-contact")
    _fill(page, "Building and street", "12 Harbour View")
    _fill(page, "Town or city", "Southend-on-Sea")
    _fill(page, "Postcode", "ss2 6er")
    _fill(page, "Family phone number", "07911 123456")
    _radio(page, "How does the family prefer to be contacted?", "Phone call")
    _radio(page, "Is it safe to contact the family at this address and number?", "Yes")
    _continue(page)

    # Consent.
    _heading(page, "Consent and information sharing")
    axe.check(page, "consent")
    _radio(page, "Who is giving consent?", "A parent or carer")
    _radio(page, "Does the parent or carer know about this request?", "Yes")
    _radio(
        page,
        "Does the person giving consent agree to early help and to information being shared?",
        "Yes",
    )
    _fill(page, "Name of the person who gave consent", "Priya Testfamily")
    _fill(page, "Their relationship to the child", "Mother")
    _date(page, "Date consent was given", today)
    _radio(page, "How was consent given?", "In writing")
    _radio(page, "Has the privacy notice been explained to the family?", "Yes")
    _continue(page)

    # Why early help.
    _heading(page, "Why you are asking for early help")
    axe.check(page, "reason")
    _fill(page, "What are the current worries for this family?", "Attendance has dropped.")
    _fill(page, "What needs to change?", "Regular attendance.")
    _fill(
        page,
        "What do you hope will happen as a result of this request?",
        "A family support worker for six weeks.",
    )
    _continue(page)

    # The help asked for (from Southend's EHFSA guidance), and any assessment already made.
    _heading(page, "The help you are asking for")
    axe.check(page, "service-wanted")
    page.get_by_role(
        "group", name="Which services do you think would help?", exact=True
    ).get_by_label("Family support", exact=True).check()
    _continue(page)
    _heading(page, "Early help already in place")
    axe.check(page, "existing-assessment")
    _radio(page, "Is there already an early help assessment for this family?", "No")
    _continue(page)

    # Needs (repeating): add one.
    _heading(page, "The family's needs")
    axe.check(page, "needs (empty)")
    page.get_by_role("link", name="Add a need", exact=True).click()
    _heading(page, "Add a need")
    axe.check(page, "add need")
    _radio(page, "Need", "Getting a good education")
    _fill(page, "Who does this affect?", "Amelia")
    _fill(page, "What have you seen or been told?", "Attendance 82%.")
    _fill(page, "Where does this information come from?", "School records")
    page.get_by_role("button", name="Save need", exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_have_text("You have added 1 need")
    axe.check(page, "needs (1)")
    _continue(page)

    _heading(page, "What is working well")
    axe.check(page, "strengths")
    _fill(page, "What is working well for this family?", "Close to their grandmother.")
    _continue(page)

    _heading(page, "Support so far")
    axe.check(page, "support-so-far")
    _fill(
        page,
        "What support has the family had, when, and what happened?",
        "School pastoral support since September.",
    )
    _continue(page)

    # Professionals (repeating): add one.
    _heading(page, "Professionals involved")
    axe.check(page, "professionals (empty)")
    page.get_by_role("link", name="Add a professional", exact=True).click()
    _heading(page, "Add a professional")
    axe.check(page, "add professional")
    _radio(page, "Agency", "Health visitor")
    _fill(page, "Name", "Jo Visitor")
    _fill(page, "Role", "Health visitor")
    _radio(page, "Are they involved with the family now?", "Yes")
    page.get_by_role("button", name="Save professional", exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_have_text("You have added 1 professional")
    axe.check(page, "professionals (1)")
    _continue(page)

    _heading(page, "Who could lead")
    axe.check(page, "lead-professional")
    _fill(page, "Who could be the lead professional for this family?", "Jo Visitor, health visitor")
    _continue(page)

    _heading(page, "The child's and family's views")
    axe.check(page, "views")
    _fill(
        page,
        "What does the child say about their life and this request?",
        "Amelia says she misses school.",
    )
    _fill(page, "How did you find out the child's views?", "Conversation at school")
    _fill(
        page,
        "What does the family say about their situation and this request?",
        "Mum would like help with routines.",
    )
    _continue(page)

    # Attachments: an HTML page called .pdf is refused (what was typed stays), a real PDF
    # is uploaded, listed, and later attached to the email to the SPOC inbox.
    _heading(page, "Attachments (optional)")
    chooser = page.get_by_label("Upload a file", exact=True)
    _fill(page, "What are the files? (optional)", "Graded Care Profile 2")
    chooser.set_input_files(
        files=[{"name": "gcp2.pdf", "mimeType": "application/pdf", "buffer": b"<html></html>"}]
    )
    page.get_by_role("button", name="Upload file", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The selected file must be a PDF, Word document, JPEG or PNG"
    )
    expect(page.get_by_label("What are the files? (optional)", exact=True)).to_have_value(
        "Graded Care Profile 2"
    )
    axe.check(page, "attachments (wrong kind)")
    pdf = _real_pdf()
    page.get_by_label("Upload a file", exact=True).set_input_files(
        files=[{"name": "gcp2.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    page.get_by_role("button", name="Upload file", exact=True).click()
    expect(page.locator(".govuk-summary-list")).to_contain_text("gcp2.pdf")
    expect(page.get_by_role("button", name="Remove gcp2.pdf", exact=True)).to_be_visible()
    expect(page.get_by_label("What are the files? (optional)", exact=True)).to_have_value(
        "Graded Care Profile 2"
    )
    axe.check(page, "attachments (1 file)")
    _continue(page)

    _heading(page, "Declaration")
    axe.check(page, "declaration")
    page.get_by_label(
        "I confirm that the information in this request is accurate to the best of my knowledge",
        exact=True,
    ).check()
    _continue(page)

    # Check answers: change a simple answer and come back.
    _heading(page, "Check your answers before sending")
    axe.check(page, "check answers")
    job_row = page.locator(".govuk-summary-list__row").filter(
        has=page.locator("dt", has_text=re.compile(r"^\s*Job title\s*$"))
    )
    expect(job_row.locator("dd").first).to_have_text("Designated safeguarding lead")
    expect(page.locator("main")).to_contain_text("Mum")
    expect(page.locator("main")).not_to_contain_text("Jayden")
    job_row.get_by_role("link", name="Change job title").click()
    _heading(page, "About you")
    assert page.url.endswith("/forms/ehfsa/referrer?return=check")
    expect(page.get_by_role("link", name="Back", exact=True)).to_have_attribute(
        "href", "/forms/ehfsa/check-answers"
    )
    job_title = page.get_by_label("Job title", exact=True)
    expect(job_title).to_have_value("Designated safeguarding lead")
    axe.check(page, "referrer (return to check)")
    job_title.fill("Head of pastoral care")
    _continue(page)
    _heading(page, "Check your answers before sending")
    assert page.url.endswith("/forms/ehfsa/check-answers")
    expect(job_row.locator("dd").first).to_have_text("Head of pastoral care")

    # A mis-click: "Yes" to immediate danger shows where to go, and keeps the draft.
    page.get_by_role("link", name="Change is a child in immediate danger?").click()
    _radio(page, "Is a child in immediate danger?", "Yes")
    _continue(page)
    _heading(page, "Call 999 now")
    expect(page.locator("main")).to_contain_text("Your other answers have been kept")
    axe.check(page, "stop (draft kept)")
    page.get_by_role("button", name="Go back and change your answer", exact=True).click()
    _heading(page, "Before you start")
    _radio(page, "Is a child in immediate danger?", "No")
    _continue(page)
    _heading(page, "Check your answers before sending")
    expect(job_row.locator("dd").first).to_have_text("Head of pastoral care")
    expect(page.locator("main")).to_contain_text("Mum")

    page.get_by_role("button", name="Accept and send", exact=True).click()

    # Confirmation.
    _heading(page, "Early Help request sent")
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text(REFERENCE)
    reference = REFERENCE.search(panel.inner_text())
    assert reference is not None
    axe.check(page, "confirmation")
    assert set(axe.checked) == PAGES_CHECKED
    page.go_back()  # Back after sending: what was sent, not a form to send again
    _heading(page, "Early Help request sent")

    # What was stored and sent.
    with live_server.app.extensions["forms"].sessions() as db:
        submissions = db.scalars(select(Submission)).all()
        assert len(submissions) == 1
        stored = submissions[0]
        assert stored.reference == reference.group(0)
        answers = live_server.app.extensions["forms"].vault.open(stored.answers_sealed)
    assert answers["referrer"]["job_title"] == "Head of pastoral care"
    household = answers["household"]
    assert [m["first_name"] for m in household] == ["Amelia", "Priya"]
    assert [m["role"] for m in household] == ["lead_child", "parent_carer"]
    assert household[1]["relationship"] == "Mum"
    # Dates of birth typed with the month's name ("Mar") are stored as dates.
    assert [m["date_of_birth"] for m in household] == [
        _years_ago(9).isoformat(),
        _years_ago(34).isoformat(),
    ]
    assert [n["headline"] for n in answers["needs"]] == ["EDU"]
    assert [p["name"] for p in answers["professionals"]] == ["Jo Visitor"]
    # The form to the SPOC inbox, and the referrer's acknowledgement: both name the reference.
    mails = [
        m.read_text(encoding="utf-8", errors="replace")
        for m in live_server.pickup_dir.glob("*.eml")
    ]
    spoc = live_server.app.extensions["forms"].settings.spoc_inbox
    assert sorted(f"To: {spoc}" in mail for mail in mails) == [False, True], mails
    assert all(reference.group(0) in mail for mail in mails)
    [to_spoc] = [
        email.message_from_bytes(m.read_bytes(), policy=policy.default)
        for m in live_server.pickup_dir.glob("*.eml")
        if f"To: {spoc}" in m.read_text(encoding="utf-8", errors="replace")
    ]
    files = {p.get_filename(): p.get_content() for p in to_spoc.iter_attachments()}
    assert files[f"{reference.group(0)}-attachment-1.pdf"] == pdf
    assert answers["attachments_note"] == "Graded Care Profile 2"


def _real_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_back_link(page: Any, live_server: Any, axe: Any) -> None:
    back = page.get_by_role("link", name="Back", exact=True)
    page.goto("/forms/ehfsa")
    expect(back).to_have_count(0)
    page.get_by_role("button", name="Start now").click()
    _heading(page, "Before you start")
    back.click()
    _heading(page, "Early Help Family Support Assessment")
    assert page.url == f"{live_server.url}/forms/ehfsa"

    page.get_by_role("button", name="Start now").click()
    for question in (
        "Is a child in immediate danger?",
        "Is a child suffering, or likely to suffer, significant harm?",
        "Is the child already open to children's social care?",
    ):
        _radio(page, question, "No")
    _continue(page)
    _heading(page, "About you")
    _fill(page, "Full name", "Sam Referrer")
    _fill(page, "Job title", "Designated safeguarding lead")
    _fill(page, "Organisation", "Seaview Primary School")
    _radio(page, "Type of organisation", "Police")
    _fill(page, "Work address", "Police Station\nSouthend-on-Sea")
    _fill(page, "Work phone number", "01702 215000")
    _fill(page, "Work email address", "sam.referrer@police.example.gov.uk")
    _continue(page)
    _heading(page, "Everyone in the family")

    # An item page goes back to its list; a page goes back to the one before it.
    page.get_by_role("link", name="Add a family member", exact=True).click()
    _heading(page, "Add a family member")
    back.click()
    _heading(page, "Everyone in the family")
    assert page.url == f"{live_server.url}/forms/ehfsa/household"
    back.click()
    _heading(page, "About you")
    assert page.url == f"{live_server.url}/forms/ehfsa/referrer"
    expect(page.get_by_label("Full name", exact=True)).to_have_value("Sam Referrer")
    expect(page.get_by_label("Police", exact=True)).to_be_checked()
    back.click()
    _heading(page, "Before you start")
    assert page.url == f"{live_server.url}/forms/ehfsa/safeguarding"
