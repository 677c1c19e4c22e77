"""Carry-forward at every joint: each ``prefill:`` map, started from a real submission.

Every test sends the earlier form for real (the JSON API, a signed-in member of
staff), starts the later one from its reference on the web (or the API) and
reads back what the server kept in the draft or stored, item by item:

- EHFSA → Family Story, request for service → Family Story (web, API; the
  browser test is in tests/browser/test_other_forms_browser.py);
- EHFSA → request for service (a step up);
- Family Story → first review (attendance from the household and professionals);
- review → review (measure and the family's words carried, done actions not
  carried and shown as done on the family's plan, past due dates flagged).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from forms_service.documents import DocumentRenderer, SubmissionRecord
from forms_service.flow.drafts import draft_id_for
from forms_service.services import Services
from forms_service.submissions.models import Draft, Submission
from tests import factories as fx
from tests.factories import (
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    tacaf_review_answers,
)
from tests.readback import flat, pdf_text
from tests.staff import StaffUser, signed_in, staff_user, stored_answers, user_headers
from tests.webuser import WebUser, csrf_token

#: How the request for service's support tried is written into the Family Story's text.
SUPPORT_FORMAT = (
    "{service} ({dates}). Offered: {offered} What happened: {outcome} "
    "Why it was not enough: {why_not_enough}"
)

#: About what carries from one form into the next, not delivery:
#: messages are queued, not sent (UNDELIVERED in tests/conftest.py).
pytestmark = pytest.mark.undelivered


@pytest.fixture
def duty_worker(services: Services) -> StaffUser:
    return staff_user(services, "cspoc")


@pytest.fixture
def client(app: Flask, services: Services, duty_worker: StaffUser) -> FlaskClient:
    """A C-SPOC duty worker: signed in on the web, and their own API token."""
    signed = signed_in(app.test_client(), services, duty_worker)
    signed.environ_base["HTTP_AUTHORIZATION"] = user_headers(services, duty_worker)["Authorization"]
    return signed


def _submit(client: FlaskClient, form_id: str, body: Any) -> str:
    reply = client.post(f"/api/v1/forms/{form_id}/submissions", json=body)
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _start_from(
    client: FlaskClient,
    services: Services,
    form_id: str,
    reference: str,
    *,
    replacing: bool = False,
) -> WebUser:
    """Start ``form_id`` on the web from ``reference``, as a worker would; ``replacing``:
    a draft of it is open, and the worker says yes when asked to replace it."""
    user = WebUser(client, services.registry.get(form_id))
    start = client.get(user.url())
    assert "Does this follow an earlier form for this family?" in start.text
    reply = client.post(
        user.url("start-from"),
        data={
            "reference": reference,
            "csrf_token": csrf_token(start.text),
            **({"replace": "yes"} if replacing else {}),
        },
    )
    assert reply.status_code == 302, reply.text
    return user


def _draft(client: FlaskClient, services: Services, form_id: str) -> dict[str, Any]:
    """The answers the server keeps in this browser's draft of ``form_id``."""
    with client.session_transaction() as session:
        draft_id = draft_id_for(session, form_id)
    assert draft_id is not None
    with services.readers() as db:
        draft = db.get(Draft, draft_id)
        assert draft is not None
        answers: dict[str, Any] = services.vault.open(draft.answers_sealed)
    return answers


def _support_text(request: dict[str, Any]) -> str:
    return "\n\n".join(SUPPORT_FORMAT.format(**item) for item in request["support_tried"])


def _needs_as_domains(needs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "headline": n["headline"],
            "who": n["who"],
            "worries": n["evidence"],
            "evidence_source": n["source"],
            "applies": True,
        }
        for n in needs
    ]


# --- EHFSA → Family Story --------------------------------------------------------------


def test_ehfsa_to_family_story_carries_contact_strengths_support_and_both_views(
    client: FlaskClient, services: Services
) -> None:
    ehfsa = ehfsa_answers()
    reference = _submit(client, "ehfsa", ehfsa)
    story = _start_from(client, services, "family-story", reference)

    draft = _draft(client, services, "family-story")
    for key in ("household", "referrer", "consent", "professionals", "family_contact"):
        assert draft[key] == ehfsa[key], key
    assert draft["domains"] == _needs_as_domains(ehfsa["needs"])
    assert draft["analysis"] == {"working_well": ehfsa["working_well"]}
    assert draft["support_tried"] == ehfsa["support_so_far"]
    assert draft["child_views_at_request"] == ehfsa["child_views"]
    assert draft["child_views_how"] == ehfsa["how_views_obtained"]
    assert draft["family_views_at_request"] == ehfsa["family_views"]
    assert draft["case"] == {"ehfsa_reference": reference}

    # And the worker sees them on the pages.
    address = client.get(story.url("family-contact")).text
    assert 'value="12 Orchard Close"' in address and 'value="NT2 3CD"' in address
    views = client.get(story.url("views-at-request")).text
    assert str(escape(ehfsa["child_views"])) in views
    assert str(escape(ehfsa["family_views"])) in views
    history = client.get(story.url("agency-history")).text
    assert str(escape(ehfsa["support_so_far"])) in history


# --- request for service → Family Story (the Level 3 route) ----------------------------


def test_request_for_service_starts_a_family_story_on_the_web(
    client: FlaskClient, services: Services
) -> None:
    request = cspoc_request_answers()
    reference = _submit(client, "cspoc-request", request)
    story = _start_from(client, services, "family-story", reference)

    draft = _draft(client, services, "family-story")
    for key in ("household", "referrer", "consent", "professionals", "family_contact"):
        assert draft[key] == request[key], key
    assert draft["domains"] == _needs_as_domains(request["needs"])
    assert draft["analysis"] == {"working_well": request["going_well"]}
    assert draft["support_tried"] == _support_text(request)
    assert (
        "Breakfast club (October 2026 to now). Offered: A free breakfast"
        in (draft["support_tried"])
    )
    assert draft["child_views_at_request"] == request["child_thinks"]
    assert "family_views_at_request" not in draft  # a request for service asks none
    assert draft["case"] == {"ehfsa_reference": reference}
    case_page = client.get(story.url("case")).text
    assert f'value="{reference}"' in case_page


def test_request_for_service_starts_a_family_story_through_the_api(
    client: FlaskClient, services: Services
) -> None:
    request = cspoc_request_answers()
    reference = _submit(client, "cspoc-request", request)
    body = family_story_answers()
    carried = ("household", "referrer", "consent", "professionals", "family_contact")
    for key in (*carried, "support_tried"):
        del body[key]
    story_ref = _submit(client, "family-story", {**body, "prefill_from": reference})

    stored = stored_answers(services, story_ref)
    for key in carried:
        assert stored[key] == request[key], key
    assert stored["support_tried"] == _support_text(request)
    assert stored["child_views_at_request"] == request["child_thinks"]
    # Both belong to one family: the assessment joined the request's family.
    with services.readers() as db:
        rows = {r.reference: r.family_id for r in db.scalars(select(Submission)).all()}
    assert rows[story_ref] == rows[reference] is not None


# --- EHFSA → request for service (a step up) --------------------------------------------


def test_ehfsa_steps_up_to_a_request_for_service_without_retyping(
    client: FlaskClient, services: Services
) -> None:
    ehfsa = ehfsa_answers()
    reference = _submit(client, "ehfsa", ehfsa)
    request = _start_from(client, services, "cspoc-request", reference)

    draft = _draft(client, services, "cspoc-request")
    for key in ("referrer", "household", "family_contact", "consent", "needs", "professionals"):
        assert draft[key] == ehfsa[key], key
    assert draft["worries"] == ehfsa["presenting_issues"]
    assert draft["needs_to_change"] == ehfsa["what_needs_to_change"]
    assert draft["going_well"] == ehfsa["working_well"]
    assert draft["support_tried"] == [{"offered": ehfsa["support_so_far"]}]
    assert draft["child_thinks"] == ehfsa["child_views"]
    assert draft["early_help_in_place"] is True
    assert draft["early_help_reference"] == reference
    page = client.get(request.url("early-help")).text
    assert f'value="{reference}"' in page


# --- Family Story → first review ----------------------------------------------------------


def test_family_story_to_review_builds_attendance_and_keeps_measures(
    client: FlaskClient, services: Services
) -> None:
    story = family_story_answers()
    reference = _submit(client, "family-story", story)
    review = _start_from(client, services, "tacaf-review", reference)

    draft = _draft(client, services, "tacaf-review")
    household = [
        {
            "name": f"{p['first_name']} {p['last_name']}",
            "relationship_or_agency": p["relationship"],
        }
        for p in story["household"]
    ]
    professionals = [
        {"name": p["name"], "relationship_or_agency": p["role"]}
        for p in story["professionals"]
        if p["currently_involved"]
    ]
    # Attendance is left for the worker to choose: no status is carried.
    assert draft["attendance"] == household + professionals
    assert draft["previous_actions"] == [
        {
            "action": a["what"],
            "headline": a["headline"],
            "who": a["who"],
            "by_when": a["by_when"],
            "measure": a["measure"],
            "outcome": a["outcome"],
            "last_status": "new",
        }
        for a in story["plan"]
    ]
    attendance = client.get(review.url("attendance")).text
    assert "Kayden Okonkwo-Smith" in attendance and "Hannah Lee" in attendance
    assert "Oluwaseun Adeyemi" not in attendance  # no longer involved


def test_someone_left_out_of_the_familys_copy_is_not_invited_to_the_review(
    client: FlaskClient, services: Services
) -> None:
    """A father under a non-molestation order is not put on the meeting's invitation list."""
    story = family_story_answers()
    father = next(p for p in story["household"] if p["role"] == "absent_parent")
    father.update(leave_out_of_plan=True, leave_out_reason="Non-molestation order")
    story["plan"] = [a for a in story["plan"] if father["first_name"] not in str(a)]
    reference = _submit(client, "family-story", story)
    _start_from(client, services, "tacaf-review", reference)
    invited = [a["name"] for a in _draft(client, services, "tacaf-review")["attendance"]]
    assert f"{father['first_name']} {father['last_name']}" not in invited
    assert len(
        [p for p in story["household"] if f"{p['first_name']} {p['last_name']}" in invited]
    ) == (len(story["household"]) - 1)


# --- review → review -----------------------------------------------------------------------


def _first_review(client: FlaskClient, services: Services, story_ref: str) -> tuple[str, Any]:
    """A first review from the Family Story: action 0 done, 1 on track, 2 amber, 3 closed.

    The on-track action keeps a due date that has passed (the worker forgot it).
    """
    today = dt.date.today()
    body = tacaf_review_answers()
    for key in ("previous_actions", "household", "worker", "attendance"):
        del body[key]
    carried = _prefilled(client, services, story_ref)
    decided = [
        {**carried[0], "status": "done"},
        {
            **carried[1],
            "status": "green",
            "carry_forward": True,
            "by_when": (today - dt.timedelta(days=10)).isoformat(),
        },
        {**carried[2], "status": "amber", "carry_forward": True, "comment": "Half done."},
        {**carried[3], "status": "closed"},
    ]
    attendance = [
        {**a, "status": "attended"} for a in _draft(client, services, "tacaf-review")["attendance"]
    ]
    meeting = {**body["meeting"], "date": today.isoformat()}
    payload = {
        **body,
        "prefill_from": story_ref,
        "previous_actions": decided,
        "attendance": attendance,
        "meeting": meeting,
    }
    return _submit(client, "tacaf-review", payload), decided


def _prefilled(client: FlaskClient, services: Services, reference: str) -> list[dict[str, Any]]:
    _start_from(client, services, "tacaf-review", reference)
    actions: list[dict[str, Any]] = _draft(client, services, "tacaf-review")["previous_actions"]
    return actions


def test_review_to_review_keeps_measure_and_words_and_leaves_done_actions(
    client: FlaskClient, services: Services
) -> None:
    story = family_story_answers()
    story_ref = _submit(client, "family-story", story)
    first_ref, decided = _first_review(client, services, story_ref)
    first = stored_answers(services, first_ref)
    assert "carry_forward" not in first["previous_actions"][0]  # not asked for a done action

    # The first review went through the API, so its web draft is still open.
    _start_from(client, services, "tacaf-review", first_ref, replacing=True)
    draft = _draft(client, services, "tacaf-review")
    plan = story["plan"]
    carried = [
        {
            "action": plan[n]["what"],
            "headline": plan[n]["headline"],
            "who": plan[n]["who"],
            "by_when": decided[n]["by_when"],
            "last_status": decided[n]["status"],
            "measure": plan[n]["measure"],
            "outcome": plan[n]["outcome"],
        }
        for n in (1, 2)
    ]
    agreed = [
        {
            "action": a["what"],
            "headline": a["headline"],
            "who": a["who"],
            "by_when": a["by_when"],
            "measure": a["measure"],
            "outcome": a["outcome"],
            "last_status": "new",
        }
        for a in first["plan"]
    ]
    # The done action (0) and the closed one (3) do not come back as to-dos.
    assert draft["previous_actions"] == carried + agreed
    assert draft["attendance"] == [
        {"name": a["name"], "relationship_or_agency": a["relationship_or_agency"]}
        for a in first["attendance"]
    ]


def test_done_action_is_listed_as_done_not_to_do_on_the_familys_plan(
    client: FlaskClient, services: Services
) -> None:
    story_ref = _submit(client, "family-story", family_story_answers())
    first_ref, decided = _first_review(client, services, story_ref)
    form = services.registry.get("tacaf-review")
    answers = stored_answers(services, first_ref)
    docs = DocumentRenderer(fx.TEMPLATES, fx.CONTACTS).render(
        SubmissionRecord(form, answers, first_ref, fx.SUBMITTED_AT)
    )
    assert docs.family_pdf is not None
    text = flat(pdf_text(docs.family_pdf))
    done, _, rest = text.partition("Who will do what, and by when")
    to_do, _, _ = rest.partition("When we will meet again")
    assert "What we have already done" in done
    assert flat(decided[0]["action"]) in done
    assert flat(decided[0]["action"]) not in to_do
    # The on-track and amber actions are still to do, with how we will know it is working.
    for n in (1, 2):
        assert flat(decided[n]["action"]) in to_do
        assert flat(decided[n]["measure"]) in to_do
    assert flat(decided[3]["action"]) not in text  # closed: gone


def test_a_carried_action_due_before_the_meeting_is_flagged(
    app: Flask, client: FlaskClient, services: Services, duty_worker: StaffUser
) -> None:
    story_ref = _submit(client, "family-story", family_story_answers())
    first_ref, decided = _first_review(client, services, story_ref)

    # The next review, started from the first: what it carried, completed by the
    # worker (every action still on track) and walked through page by page.
    # The first review went through the API, so its web draft is still open.
    _start_from(client, services, "tacaf-review", first_ref, replacing=True)
    draft = _draft(client, services, "tacaf-review")
    answers = tacaf_review_answers()
    today = dt.date.today().isoformat()
    answers["meeting"] = {**answers["meeting"], **draft["meeting"], "date": today}
    answers["attendance"] = [{**a, "status": "attended"} for a in draft["attendance"]]
    answers["previous_actions"] = [
        {**a, "status": "green", "carry_forward": True} for a in draft["previous_actions"]
    ]
    browser = signed_in(app.test_client(), services, duty_worker)
    review = WebUser(browser, services.registry.get("tacaf-review"))
    review.fill_all(answers)
    page = browser.get(review.url("check-answers")).text

    warning = re.search(r"carried forward with a due date before this meeting: (.*?)\. Give", page)
    assert warning is not None, "no warning about the past due date"
    # Only the action whose date has passed is named.
    assert warning.group(1) == str(escape(f"“{decided[1]['action']}”"))
