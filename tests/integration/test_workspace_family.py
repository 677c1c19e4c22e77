"""The family page in the staff workspace, on a real SQLite app: the timeline with
documents and emails (and "Send again"), outcomes and allocations, what is due next,
starting the next form with no reference to type, printing the family's plan (and in
large print), and closing; every new route answers 404 for a family that is not yours."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from typing import Any

import pypdf
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from forms_service.audit import AuditEvent
from forms_service.auth.actor import Actor
from forms_service.documents import bounded
from forms_service.families.models import Family
from forms_service.formats import LONDON, format_date
from forms_service.services import Services
from forms_service.submissions.models import OutboxEvent, OutboxMessage, Submission
from forms_service.workspace.service import allocate, record_outcome
from tests.factories import ehfsa_answers, family_story_answers, tacaf_review_answers
from tests.readback import flat, pdf_text
from tests.staff import StaffUser, family_of, referral_headers, signed_in, staff_user, user_headers
from tests.webuser import csrf_token


@dataclass
class Case:
    """An EHFSA referral with an outcome, allocated to ``lead`` by ``duty``."""

    reference: str
    family_id: str
    duty: StaffUser
    lead: StaffUser
    client: FlaskClient  # signed in as the lead professional
    headers: dict[str, str]  # an API token acting as the lead professional


def _actor(user: StaffUser) -> Actor:
    return Actor("user", user_id=user.id, role=user.role)


def _refer(app: Flask) -> str:
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(3), headers=referral_headers(app)
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _submission_id(services: Services, reference: str) -> str:
    with services.readers() as db:
        return str(db.scalars(select(Submission.id).where(Submission.reference == reference)).one())


@pytest.fixture
def case(app: Flask, services: Services) -> Case:
    reference = _refer(app)
    family_id = family_of(services, reference)
    duty = staff_user(services, "cspoc", name="Dana Duty")
    lead = staff_user(services, "lead-professional", name="Lee Lead")
    record_outcome(services, _actor(duty), reference, "intensive_support", "Needs a plan.")
    allocate(services, _actor(duty), family_id, lead.email)
    client = signed_in(app.test_client(), services, lead)
    return Case(reference, family_id, duty, lead, client, user_headers(services, lead))


def _page(client: FlaskClient, family_id: str) -> str:
    reply = client.get(f"/staff/families/{family_id}")
    assert reply.status_code == 200, reply.status_code
    return reply.text


def _post_form(client: FlaskClient, page: str, action: str, **fields: str) -> Any:
    """Press the button whose form posts to ``action`` on ``page`` (its CSRF token)."""
    assert f'action="{action}"' in page, action
    return client.post(action, data={"csrf_token": csrf_token(page), **fields})


def _story(app: Flask, case: Case) -> str:
    """The lead professional's Family Story, joined to the family from the referral."""
    reply = app.test_client().post(
        "/api/v1/forms/family-story/submissions",
        json={**family_story_answers(), "prefill_from": case.reference},
        headers=case.headers,
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _font_sizes(pdf: bytes) -> list[float]:
    """The size every piece of text is drawn at, in points (font size × text matrix)."""
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            sizes.append(size * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]))

    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


# --------------------------------------------------------------------------- timeline


def test_the_timeline_lists_each_form_with_working_documents_outcomes_and_allocations(
    app: Flask, services: Services, case: Case
) -> None:
    story = _story(app, case)
    page = _page(case.client, case.family_id)
    # Newest first: the Family Story above the referral.
    assert page.index(story) < page.index(case.reference)
    assert "Early Help Family Support Assessment" in page
    assert "Family Story Assessment" in page
    # The outcome with its label from the form file, the reason, who and when.
    assert "Early Help Family Support (intensive support)" in page
    assert "Needs a plan." in page and "Dana Duty" in page
    # The allocation history: who, by whom, still current.
    assert "Lee Lead" in page and re.search(r"by Dana Duty</td>\s*<td[^>]*>Now<", page)
    assert "No lead professional has been allocated." not in page
    for reference in (case.reference, story):
        submission_id = _submission_id(services, reference)
        for document, kind in (("record.pdf", "application/pdf"), ("record.docx", "officedoc")):
            link = f"/staff/submissions/{submission_id}/{document}"
            assert f'href="{link}"' in page
            reply = case.client.get(link)
            assert reply.status_code == 200 and kind in reply.mimetype
        pdf = case.client.get(f"/staff/submissions/{submission_id}/record.pdf").data
        assert reference in flat(pdf_text(pdf))
    # Each email about the referral with its state: the one to the SPOC inbox went (sync
    # delivery), so it cannot be sent again; the outcome was queued but not handed to the
    # task runner by this test, so it is waiting and can be.
    with services.readers() as db:
        by_kind = dict(
            db.execute(
                select(OutboxMessage.kind, OutboxMessage.id).where(
                    OutboxMessage.submission_id == _submission_id(services, case.reference)
                )
            ).all()
        )
    assert "To the Children&#39;s Single Point of Contact: " in page
    assert "Outcome to the referrer: " in page
    assert f"/staff/messages/{by_kind['spoc']}/send-again" not in page
    assert f"/staff/messages/{by_kind['outcome']}/send-again" in page
    assert ">Sent<" in page and ">Waiting<" in page


def test_send_again_makes_a_failed_email_due_and_delivers_it(
    app: Flask, services: Services, case: Case
) -> None:
    submission_id = _submission_id(services, case.reference)
    with services.sessions.begin() as db:
        message_id = db.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.submission_id == submission_id, OutboxMessage.kind == "spoc"
            )
        ).one()
        db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="failed", last_error="550 mailbox unavailable")
        )
    page = _page(case.client, case.family_id)
    assert "Failed" in page
    action = f"/staff/messages/{message_id}/send-again"
    # Another lead professional gets the same 404 as for an unknown message.
    other = signed_in(app.test_client(), services, staff_user(services, "lead-professional"))
    other_page = other.get("/staff/")
    assert other.post(action, data={"csrf_token": csrf_token(other_page.text)}).status_code == 404
    unknown = "/staff/messages/00000000-0000-0000-0000-000000000000/send-again"
    assert other.post(unknown, data={"csrf_token": csrf_token(other_page.text)}).status_code == 404
    with services.readers() as db:
        assert db.get(OutboxMessage, message_id).status == "failed"
    reply = _post_form(case.client, page, action)
    assert reply.status_code == 302
    assert reply.location.endswith(f"/staff/families/{case.family_id}#forms")
    with services.readers() as db:
        row = db.get(OutboxMessage, message_id)
        history = db.execute(
            select(OutboxEvent.status, OutboxEvent.detail)
            .where(OutboxEvent.outbox_id == message_id)
            .order_by(OutboxEvent.id)
        ).all()
        retried = db.scalars(
            select(AuditEvent.outcome).where(AuditEvent.action == "message.retried")
        ).all()
    # Made due by staff ("retrying"), then delivered by the (sync) task runner.
    assert ("retrying", "retried by staff") in [tuple(h) for h in history]
    assert row.status == "sent"
    assert sorted(retried) == ["denied", "denied", "ok"]
    assert "are being sent again" in case.client.get(reply.location).text


def test_send_again_without_a_csrf_token_is_refused(
    app: Flask, services: Services, case: Case
) -> None:
    with services.readers() as db:
        message_id = db.scalars(select(OutboxMessage.id)).first()
    reply = case.client.post(f"/staff/messages/{message_id}/send-again")
    assert reply.status_code == 400


# --------------------------------------------------------------------------- due next


def _day(moment: dt.datetime, *, weekday: bool = False) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return format_date(aware.astimezone(LONDON).date(), weekday=weekday)


def test_what_is_due_next_follows_allocation_then_the_family_story(
    app: Flask, services: Services, case: Case
) -> None:
    with services.readers() as db:
        family = db.get(Family, case.family_id)
        due_at, limit = family.due_at, family.due_limit_at
    page = _page(case.client, case.family_id)
    assert (
        f"Family Story Assessment due by {_day(due_at, weekday=True)} "
        f"(15 working days at the latest: {_day(limit)})"
    ) in page
    assert "govuk-tag--blue" in page.split('id="due"')[1].split("</p>")[0]
    story = _story(app, case)
    with services.readers() as db:
        sent = db.scalars(
            select(Submission.submitted_at).where(Submission.reference == story)
        ).one()
    page = _page(case.client, case.family_id)
    review_due = sent + dt.timedelta(weeks=6)
    assert (
        f"Team Around the Child and Family review due by {_day(review_due, weekday=True)} "
        f"(8 weeks at the latest: {_day(sent + dt.timedelta(weeks=8))})"
    ) in page
    # Past the 6 weeks the tag warns; past the 8 it is overdue (red).
    with services.sessions.begin() as db:
        db.execute(
            update(Family)
            .where(Family.id == case.family_id)
            .values(
                due_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
                due_limit_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=13),
            )
        )
    due_section = _page(case.client, case.family_id).split('id="due"')[1].split("</p>")[0]
    assert "govuk-tag--orange" in due_section and "Past the target date" in due_section
    with services.sessions.begin() as db:
        db.execute(
            update(Family)
            .where(Family.id == case.family_id)
            .values(due_limit_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3))
        )
    due_section = _page(case.client, case.family_id).split('id="due"')[1].split("</p>")[0]
    assert "govuk-tag--red" in due_section and "Overdue by 3 hours" in due_section


def test_an_unallocated_family_has_nothing_due(app: Flask, services: Services) -> None:
    reference = _refer(app)
    duty = signed_in(app.test_client(), services, staff_user(services, "cspoc"))
    page = _page(duty, family_of(services, reference))
    assert "Nothing yet: the family's forms fall due once a lead professional" in page
    assert "No lead professional has been allocated." in page
    assert "Lead professionals over time" not in page  # no table of nobody


# --------------------------------------------------------------------------- starting


def test_start_buttons_open_the_next_form_prefilled_with_no_reference_typed(
    app: Flask, services: Services, case: Case
) -> None:
    page = _page(case.client, case.family_id)
    assert "Start the Family Story Assessment" in page
    assert "Start the Team Around" not in page  # no review before there is a plan
    action = f"/staff/families/{case.family_id}/start/family-story"
    assert _starts_from(services) == []
    reply = _post_form(case.client, page, action)
    assert _starts_from(services) == ["into family-story"]
    assert reply.status_code == 302 and reply.location.endswith("/forms/family-story/case")
    # Pressed again with that draft under way: asked first, and nothing replaced yet.
    again = _post_form(case.client, page, action)
    assert again.status_code == 200 and "You have already started this form" in again.text
    assert _starts_from(services) == ["into family-story"]
    assert _post_form(case.client, again.text, action, replace="yes").status_code == 302
    assert _starts_from(services) == ["into family-story"] * 2
    first = case.client.get(reply.location).text
    assert re.search(rf'name="case-ehfsa_reference"[^>]*value="{case.reference}"', first)
    household = case.client.get("/forms/family-story/household").text
    assert ehfsa_answers(3)["household"][0]["first_name"] in household
    story = _story(app, case)
    page = _page(case.client, case.family_id)
    assert "Start the Family Story Assessment" not in page  # done since the referral
    assert "Start the Team Around the Child and Family review" in page
    before = len(_starts_from(services))
    reply = _post_form(case.client, page, f"/staff/families/{case.family_id}/start/tacaf-review")
    assert reply.location.endswith("/forms/tacaf-review/meeting")
    first = case.client.get(reply.location).text
    assert re.search(rf'name="previous_reference"[^>]*value="{story}"', first)
    # The button went through the same audited check as a typed reference.
    assert _starts_from(services)[before:] == ["into tacaf-review"]


def _starts_from(services: Services) -> list[str]:
    """The details of the allowed starts from an earlier form, in order."""
    with services.readers() as db:
        return [
            str(d)
            for d in db.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "submission.start_from", AuditEvent.outcome == "ok")
                .order_by(AuditEvent.id)
            )
        ]


def test_start_buttons_refuse_a_family_that_is_not_yours(
    app: Flask, services: Services, case: Case
) -> None:
    page = _page(case.client, case.family_id)
    for role in ("lead-professional", "manager"):
        other = signed_in(app.test_client(), services, staff_user(services, role))
        token = csrf_token(other.get("/staff/").text)
        reply = other.post(
            f"/staff/families/{case.family_id}/start/family-story", data={"csrf_token": token}
        )
        assert reply.status_code == 404, role
    manager = signed_in(app.test_client(), services, staff_user(services, "manager"))
    assert "Start the" not in _page(manager, case.family_id)  # managers fill in nothing
    # A form that cannot start from any of the family's forms, and an unknown form.
    for form_id in ("ehfsa", "no-such-form"):
        reply = case.client.post(
            f"/staff/families/{case.family_id}/start/{form_id}",
            data={"csrf_token": csrf_token(page)},
        )
        assert reply.status_code == 404, form_id


# --------------------------------------------------------------------------- the plan


def test_print_the_family_plan_as_a_pdf_and_in_large_print(
    app: Flask, services: Services, case: Case
) -> None:
    page = _page(case.client, case.family_id)
    assert "There is no plan yet" in page
    story = _story(app, case)
    story_id = _submission_id(services, story)
    page = _page(case.client, case.family_id)
    links = {}
    for size in ("standard", "large-print"):
        links[size] = f"/staff/submissions/{story_id}/print/{size}"
        assert f'href="{links[size]}"' in page
    standard = case.client.get(links["standard"])
    large = case.client.get(links["large-print"])
    assert standard.status_code == large.status_code == 200
    assert standard.headers["Content-Disposition"].endswith(f'"{story}-family-plan.pdf"')
    assert large.headers["Content-Disposition"].endswith(f'"{story}-family-plan-large-print.pdf"')
    first_name = family_story_answers()["household"][0]["first_name"]
    for reply in (standard, large):
        text = flat(pdf_text(reply.data))
        assert "Our Family Plan" in text and first_name in text
        assert family_story_answers()["household"][0]["last_name"] not in text
    # Large print: every piece of text 16pt or more; the standard plan has smaller text.
    assert min(_font_sizes(large.data)) >= 15.99  # 16pt, less float error
    assert min(_font_sizes(standard.data)) < 15
    with services.readers() as db:
        details = db.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "document.downloaded", AuditEvent.object_id == story_id
            )
        ).all()
    assert sorted(details) == ["family-plan", "family-plan-large-print"]


def test_a_document_too_slow_to_make_is_a_503_page_not_a_stuck_worker(
    app: Flask, services: Services, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    story_id = _submission_id(services, _story(app, case))

    def too_slow(*args: object, **kwargs: object) -> bytes:
        raise bounded.RenderTimeout("too slow")

    monkeypatch.setattr(bounded, "_bounded", too_slow)
    for url, what in (
        (f"/staff/submissions/{story_id}/record.pdf", "document"),
        (f"/staff/submissions/{story_id}/print/large-print", "plan"),
    ):
        reply = case.client.get(url)
        assert reply.status_code == 503, url
        assert f"Sorry, the {what} is taking too long to make" in reply.text
        assert "The form itself is safe." in reply.text


def test_the_plan_comes_from_the_latest_review(app: Flask, services: Services, case: Case) -> None:
    story = _story(app, case)
    review = app.test_client().post(
        "/api/v1/forms/tacaf-review/submissions",
        json={**tacaf_review_answers(), "prefill_from": story, "previous_actions": []},
        headers=case.headers,
    )
    assert review.status_code == 201, review.get_json()
    review_id = _submission_id(services, review.get_json()["reference"])
    page = _page(case.client, case.family_id)
    assert f"/staff/submissions/{review_id}/print/large-print" in page
    assert "Start the next Team Around the Child and Family review" in page


def test_every_new_route_is_404_for_someone_elses_family(
    app: Flask, services: Services, case: Case
) -> None:
    story_id = _submission_id(services, _story(app, case))
    with services.readers() as db:
        message_id = db.scalars(select(OutboxMessage.id)).first()
    other = signed_in(app.test_client(), services, staff_user(services, "lead-professional"))
    token = csrf_token(other.get("/staff/").text)
    gets = [
        f"/staff/families/{case.family_id}",
        f"/staff/submissions/{story_id}/print/standard",
        f"/staff/submissions/{story_id}/print/large-print",
    ]
    for url in gets:
        assert other.get(url).status_code == 404, url
        assert case.client.get(url).status_code == 200, url
    posts = [
        f"/staff/families/{case.family_id}/start/tacaf-review",
        f"/staff/messages/{message_id}/send-again",
    ]
    for url in posts:
        assert other.post(url, data={"csrf_token": token}).status_code == 404, url
    # A referral has no plan, and a print size that does not exist: 404 for its owner too.
    referral_id = _submission_id(services, case.reference)
    assert case.client.get(f"/staff/submissions/{referral_id}/print/standard").status_code == 404
    assert case.client.get(f"/staff/submissions/{story_id}/print/huge").status_code == 404
    with services.readers() as db:
        denied = db.scalars(
            select(AuditEvent.action).where(
                AuditEvent.outcome == "denied", AuditEvent.actor_id != case.lead.id
            )
        ).all()
    assert {"family.viewed", "document.downloaded", "message.retried"} <= set(denied)


# --------------------------------------------------------------------------- closing


def test_an_open_family_says_how_to_close_and_a_closed_one_says_when_and_why(
    app: Flask, services: Services, case: Case
) -> None:
    story = _story(app, case)
    page = _page(case.client, case.family_id)
    closing = page.split("Closing the family")[1]
    assert "To close the family, record the decision in a Team Around the Child and Family" in (
        closing
    )
    assert f'action="/staff/families/{case.family_id}/start/tacaf-review"' in closing
    review = {**tacaf_review_answers(), "decision": "close", "close_reason": "declined"}
    review.pop("next_meeting", None)
    review.update({"what_helped": "Talking.", "who_to_contact": "The school office."})
    made = app.test_client().post(
        "/api/v1/forms/tacaf-review/submissions",
        json={**review, "prefill_from": story, "previous_actions": []},
        headers=case.headers,
    )
    assert made.status_code == 201, made.get_json()
    with services.readers() as db:
        closed_at = db.get(Family, case.family_id).closed_at
    page = _page(case.client, case.family_id)
    assert f"Closed on {_day(closed_at)}: " in page
    assert "To close the family" not in page
    assert "Nothing: the family's record is closed." in page
