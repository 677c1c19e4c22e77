"""The staff JSON API: the C-SPOC inbox, outcomes, allocation, a family's timeline and
its handover document, each with a C-SPOC worker's token, a lead professional's (404 for
a family not theirs), a referral token (404) and none (401); every 200 reply has the
shape the OpenAPI document gives it, and the handover validates against its schema."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from forms_service.api import staff as staff_api
from forms_service.audit import AuditEvent
from forms_service.auth.actor import Actor
from forms_service.services import Services
from forms_service.submissions.models import OutboxMessage, Submission
from forms_service.workspace.models import Referral
from forms_service.workspace.service import settle_family
from tests.factories import (
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    tacaf_review_answers,
)
from tests.staff import StaffUser, family_of, referral_headers, staff_user, user_headers

Headers = dict[str, str]


def _refer(app: Flask, form_id: str = "ehfsa", answers: dict[str, Any] | None = None) -> str:
    body = answers if answers is not None else ehfsa_answers(3)
    reply = app.test_client().post(
        f"/api/v1/forms/{form_id}/submissions", json=body, headers=referral_headers(app)
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _conforms(client: FlaskClient, component: str, body: Any) -> None:
    """``body`` has the shape the OpenAPI document names ``component``."""
    document = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert errors == [], [e.message for e in errors]


def _messages(services: Services, kind: str) -> int:
    with services.readers() as db:
        return int(
            db.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
            )
            or 0
        )


def _denied(services: Services, action: str, actor: StaffUser) -> int:
    with services.readers() as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.action == action,
                    AuditEvent.outcome == "denied",
                    AuditEvent.actor_id == actor.id,
                )
            )
            or 0
        )


@pytest.fixture
def cspoc(services: Services) -> StaffUser:
    return staff_user(services, "cspoc", name="Sam Duty")


@pytest.fixture
def as_cspoc(services: Services, cspoc: StaffUser) -> Headers:
    return user_headers(services, cspoc)


# --------------------------------------------------------------------------- outcomes


def test_outcomes_come_from_the_form_files_and_need_no_token(
    client: FlaskClient, services: Services
) -> None:
    reply = client.get("/api/v1/outcomes")
    assert reply.status_code == 200
    listed = reply.get_json()
    triaged = [f for f in services.registry.all() if f.outcomes]
    assert set(listed) == {f.id for f in triaged} == {"ehfsa", "cspoc-request"}
    for form in triaged:
        assert listed[form.id] == [{"id": o.id, "label": o.label} for o in form.outcomes]
    _conforms(client, "OutcomeList", listed)


# --------------------------------------------------------------------------- referrals


def test_the_inbox_lists_referrals_by_status_a_page_at_a_time(
    app: Flask, client: FlaskClient, as_cspoc: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _refer(app)
    second = _refer(app, "cspoc-request", cspoc_request_answers())
    waiting = client.get("/api/v1/referrals?status=awaiting-outcome", headers=as_cspoc)
    assert waiting.status_code == 200
    body = waiting.get_json()
    _conforms(client, "ReferralList", body)
    assert body["total"] == 2 and body["next"] is None
    rows = {row["reference"]: row for row in body["referrals"]}
    assert set(rows) == {first, second}
    assert rows[first]["form"] == "ehfsa" and rows[second]["form"] == "cspoc-request"
    assert rows[first]["status"] == "awaiting-outcome" and rows[first]["outcome"] is None
    assert rows[first]["received_at"] < rows[first]["outcome_due_at"]
    assert {"family_id", "urgent", "acknowledge_by"} <= set(rows[first])

    decided = client.post(
        f"/api/v1/referrals/{first}/outcome",
        json={"outcome": "universal_help", "reason": "Universal services can help."},
        headers=as_cspoc,
    )
    assert decided.status_code == 200, decided.get_json()
    by_status = {
        status: client.get(f"/api/v1/referrals?status={status}", headers=as_cspoc).get_json()
        for status in ("awaiting-outcome", "decided", "all")
    }
    assert [r["reference"] for r in by_status["awaiting-outcome"]["referrals"]] == [second]
    assert [r["reference"] for r in by_status["decided"]["referrals"]] == [first]
    assert by_status["decided"]["referrals"][0]["outcome"] == "universal_help"
    assert by_status["all"]["total"] == 2
    assert client.get("/api/v1/referrals", headers=as_cspoc).get_json() == by_status["all"]

    monkeypatch.setattr(staff_api, "PAGE_SIZE", 1)
    page_one = client.get("/api/v1/referrals?status=all", headers=as_cspoc).get_json()
    assert len(page_one["referrals"]) == 1 and page_one["next"]
    page_two = client.get(page_one["next"], headers=as_cspoc).get_json()
    assert page_two["next"] is None
    seen = {page_one["referrals"][0]["reference"], page_two["referrals"][0]["reference"]}
    assert seen == {first, second}


def test_the_inbox_names_a_bad_filter_or_page(client: FlaskClient, as_cspoc: Headers) -> None:
    bad_status = client.get("/api/v1/referrals?status=open", headers=as_cspoc)
    assert bad_status.status_code == 400 and "status" in bad_status.get_json()["errors"]
    for page in ("0", "-1", "two", "1e3", "999999"):
        bad_page = client.get(f"/api/v1/referrals?page={page}", headers=as_cspoc)
        assert bad_page.status_code == 400 and "page" in bad_page.get_json()["errors"], page


def test_the_inbox_is_404_for_anyone_who_does_not_triage(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    _refer(app)
    lead = staff_user(services, "lead-professional")
    manager = staff_user(services, "manager")
    for user in (lead, manager):
        reply = client.get("/api/v1/referrals", headers=user_headers(services, user))
        assert reply.status_code == 404 and reply.get_json()["errors"]["_form"]
        assert _denied(services, "inbox.viewed", user) == 1
    assert client.get("/api/v1/referrals", headers=referral_headers(app)).status_code == 404
    anonymous = client.get("/api/v1/referrals")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"]


# --------------------------------------------------------------------------- outcome


def test_recording_an_outcome_queues_the_referrers_email_once(
    app: Flask, client: FlaskClient, services: Services, as_cspoc: Headers
) -> None:
    reference = _refer(app)
    url = f"/api/v1/referrals/{reference}/outcome"
    body = {"outcome": "intensive_support", "reason": "Attendance and rent arrears together."}
    reply = client.post(url, json=body, headers=as_cspoc)
    assert reply.status_code == 200, reply.get_json()
    recorded = reply.get_json()
    _conforms(client, "OutcomeRecorded", recorded)
    assert recorded["reference"] == reference and recorded["outcome"] == "intensive_support"
    with services.readers() as db:
        submission = db.scalars(select(Submission).where(Submission.reference == reference)).one()
        kinds = db.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.submission_id == submission.id)
        ).all()
        referral = db.get(Referral, submission.id)
        assert referral is not None and referral.status == "decided"
    assert "outcome" in kinds

    again = client.post(url, json=body, headers=as_cspoc)
    assert again.status_code == 409
    assert "already been recorded" in again.get_json()["errors"]["_form"][0]
    other = client.post(url, json={**body, "outcome": "universal_help"}, headers=as_cspoc)
    assert other.status_code == 409
    assert _messages(services, "outcome") == 1  # the referrer hears once


def test_a_bad_outcome_body_is_400_naming_the_field(
    app: Flask, client: FlaskClient, services: Services, as_cspoc: Headers
) -> None:
    reference = _refer(app)
    url = f"/api/v1/referrals/{reference}/outcome"
    cases: list[tuple[Any, str]] = [
        ({"outcome": "made_up", "reason": "x"}, "outcome"),
        ({"outcome": "accepted_supporting_families", "reason": "x"}, "outcome"),  # not EHFSA's
        ({"reason": "x"}, "outcome"),
        ({"outcome": 3, "reason": "x"}, "outcome"),
        ({"outcome": "universal_help"}, "reason"),
        ({"outcome": "universal_help", "reason": "   "}, "reason"),
        ({"outcome": "universal_help", "reason": "x" * 2001}, "reason"),
        ({"outcome": "universal_help", "reason": "x", "urgent": True}, "urgent"),
        (["universal_help"], "_form"),
    ]
    for body, field in cases:
        reply = client.post(url, json=body, headers=as_cspoc)
        assert reply.status_code == 400, (body, reply.get_json())
        assert field in reply.get_json()["errors"], (body, reply.get_json())
    not_json = client.post(url, data="outcome=universal_help", headers=as_cspoc)
    assert not_json.status_code == 415
    assert _messages(services, "outcome") == 0


def test_an_outcome_is_404_for_an_unknown_reference_or_anyone_who_does_not_triage(
    app: Flask, client: FlaskClient, services: Services, as_cspoc: Headers
) -> None:
    reference = _refer(app)
    body = {"outcome": "universal_help", "reason": "Universal services can help."}
    unknown = client.post("/api/v1/referrals/EH-2222-2222/outcome", json=body, headers=as_cspoc)
    assert unknown.status_code == 404
    lead = staff_user(services, "lead-professional")
    url = f"/api/v1/referrals/{reference}/outcome"
    assert client.post(url, json=body, headers=user_headers(services, lead)).status_code == 404
    assert _denied(services, "referral.outcome", lead) == 1
    assert client.post(url, json=body, headers=referral_headers(app)).status_code == 404
    assert client.post(url, json=body).status_code == 401
    assert _messages(services, "outcome") == 0


# --------------------------------------------------------------------------- families


def test_allocation_gives_the_lead_professional_the_family_and_only_them(
    app: Flask, client: FlaskClient, services: Services, as_cspoc: Headers
) -> None:
    family_id = family_of(services, _refer(app))
    lead = staff_user(services, "lead-professional", name="Jo Bennett")
    other = staff_user(services, "lead-professional")
    as_lead, as_other = user_headers(services, lead), user_headers(services, other)
    url = f"/api/v1/families/{family_id}"
    assert client.get(url, headers=as_lead).status_code == 404  # not theirs yet

    allocated = client.post(f"{url}/allocation", json={"email": lead.email}, headers=as_cspoc)
    assert allocated.status_code == 200, allocated.get_json()
    timeline = allocated.get_json()
    _conforms(client, "FamilyTimeline", timeline)
    assert timeline["allocations"][0]["lead_professional"] == "Jo Bennett"
    assert timeline["allocations"][0]["allocated_by"] == "Sam Duty"
    assert timeline["family"]["lead_professional"] == "Jo Bennett"
    assert timeline["due"]["form"] == "family-story"
    assert timeline["due"]["due_at"] <= timeline["due"]["due_limit_at"]
    assert _messages(services, "allocation") == 1

    assert (
        client.get(url, headers=as_lead).get_json() == client.get(url, headers=as_cspoc).get_json()
    )
    assert client.get(url, headers=as_other).status_code == 404
    assert _denied(services, "family.viewed", other) == 1
    # A lead professional does not allocate, not even their own family.
    mine = client.post(f"{url}/allocation", json={"email": other.email}, headers=as_lead)
    assert mine.status_code == 404
    assert client.get(url, headers=as_lead).status_code == 200


def test_a_bad_allocation_is_400_naming_the_email(
    app: Flask, client: FlaskClient, services: Services, as_cspoc: Headers
) -> None:
    url = f"/api/v1/families/{family_of(services, _refer(app))}/allocation"
    manager = staff_user(services, "manager")
    for body in (
        {"email": "nobody@council.example.gov.uk"},
        {"email": manager.email},
        {"email": ""},
        {"email": ["x@y.z"]},
        {},
    ):
        reply = client.post(url, json=body, headers=as_cspoc)
        assert reply.status_code == 400 and "email" in reply.get_json()["errors"], body
    assert _messages(services, "allocation") == 0
    missing = client.post(
        "/api/v1/families/no-such-family/allocation",
        json={"email": manager.email},
        headers=as_cspoc,
    )
    assert missing.status_code == 404


def test_the_timeline_shows_submissions_decisions_allocations_and_what_is_due(
    app: Flask, client: FlaskClient, services: Services, as_cspoc: Headers
) -> None:
    reference = _refer(app)
    family_id = family_of(services, reference)
    client.post(
        f"/api/v1/referrals/{reference}/outcome",
        json={"outcome": "intensive_support", "reason": "Needs a lead professional."},
        headers=as_cspoc,
    )
    reply = client.get(f"/api/v1/families/{family_id}", headers=as_cspoc)
    assert reply.status_code == 200
    timeline = reply.get_json()
    _conforms(client, "FamilyTimeline", timeline)
    assert timeline["family"]["id"] == family_id and timeline["family"]["status"] == "open"
    assert [s["reference"] for s in timeline["submissions"]] == [reference]
    assert timeline["submissions"][0]["form"] == "ehfsa"
    assert timeline["submissions"][0]["delivery"]
    decision = timeline["decisions"][0]
    assert decision["outcome"] == "intensive_support" and decision["status"] == "decided"
    assert decision["decided_by"] == "Sam Duty" and "reason" not in decision
    assert timeline["allocations"] == [] and timeline["due"] is None
    answers = ehfsa_answers(3)
    assert answers["household"][0]["last_name"] not in reply.text  # no answers here


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/families/{family}", None),
        ("GET", "/api/v1/families/{family}/handover", None),
        ("POST", "/api/v1/families/{family}/allocation", {"email": "a@council.example.gov.uk"}),
        (
            "POST",
            "/api/v1/referrals/{reference}/outcome",
            {"outcome": "universal_help", "reason": "r"},
        ),
        ("GET", "/api/v1/referrals", None),
    ],
)
def test_a_referral_token_gets_404_and_no_token_401_on_every_staff_route(
    app: Flask, client: FlaskClient, services: Services, method: str, path: str, body: Any
) -> None:
    reference = _refer(app)
    url = path.format(family=family_of(services, reference), reference=reference)
    as_referrer = client.open(url, method=method, json=body, headers=referral_headers(app))
    assert as_referrer.status_code == 404, as_referrer.get_json()
    assert as_referrer.get_json()["errors"]["_form"]
    anonymous = client.open(url, method=method, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.open(url, method=method, json=body, headers={"Authorization": "Bearer fs_no"})
    assert wrong.status_code == 401


# --------------------------------------------------------------------------- handover


def _family_with_all_four_forms(
    app: Flask,
    services: Services,
    cspoc: StaffUser,
    as_cspoc: Headers,
    lead: StaffUser,
    as_lead: Headers,
) -> tuple[str, dict[str, str]]:
    """A family with an EHFSA, a request for service (merged in), a Family Story and a
    review; the EHFSA decided and the family allocated to ``lead``."""
    client = app.test_client()
    references = {"ehfsa": _refer(app)}
    references["cspoc-request"] = _refer(app, "cspoc-request", cspoc_request_answers())
    family_id = family_of(services, references["ehfsa"])
    with services.readers() as db:  # the duty worker links the request to the same family
        request_id = db.scalars(
            select(Submission.id).where(Submission.reference == references["cspoc-request"])
        ).one()
    duty = Actor("user", user_id=cspoc.id, role=cspoc.role)
    assert settle_family(services, duty, request_id, family_id) == family_id
    decided = client.post(
        f"/api/v1/referrals/{references['ehfsa']}/outcome",
        json={"outcome": "intensive_support", "reason": "Attendance and rent together."},
        headers=as_cspoc,
    )
    assert decided.status_code == 200, decided.get_json()
    allocated = client.post(
        f"/api/v1/families/{family_id}/allocation", json={"email": lead.email}, headers=as_cspoc
    )
    assert allocated.status_code == 200, allocated.get_json()
    story = client.post(
        "/api/v1/forms/family-story/submissions",
        json={**family_story_answers(), "prefill_from": references["ehfsa"]},
        headers=as_lead,
    )
    assert story.status_code == 201, story.get_json()
    references["family-story"] = story.get_json()["reference"]
    review = client.post(
        "/api/v1/forms/tacaf-review/submissions",
        json={
            **tacaf_review_answers(),
            "prefill_from": references["family-story"],
            "previous_actions": [],
        },
        headers=as_lead,
    )
    assert review.status_code == 201, review.get_json()
    references["tacaf-review"] = review.get_json()["reference"]
    assert {family_of(services, r) for r in references.values()} == {family_id}
    return family_id, references


def test_the_handover_document_validates_against_its_published_schema(
    app: Flask, client: FlaskClient, services: Services, cspoc: StaffUser, as_cspoc: Headers
) -> None:
    lead = staff_user(services, "lead-professional", name="Jo Bennett")
    as_lead = user_headers(services, lead)
    family_id, references = _family_with_all_four_forms(
        app, services, cspoc, as_cspoc, lead, as_lead
    )
    published = client.get("/api/v1/schemas/handover.json")
    assert published.status_code == 200
    assert published.headers["Content-Type"] == "application/schema+json"
    schema = published.get_json()
    Draft202012Validator.check_schema(schema)
    components = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert components["Handover"] == schema  # the OpenAPI reply schema is the published one

    reply = client.get(f"/api/v1/families/{family_id}/handover", headers=as_lead)
    assert reply.status_code == 200, reply.get_json()
    document = reply.get_json()
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(document)] == []
    assert document["schema"] == schema["$id"]

    submissions = document["submissions"]
    assert {s["form"]: s["reference"] for s in submissions} == references
    assert [s["submitted_at"] for s in submissions] == sorted(
        s["submitted_at"] for s in submissions
    )
    for submission in submissions:  # each answer set in the shape of its form's own schema
        form_schema = client.get(submission["answers_schema"]).get_json()
        errors = list(Draft202012Validator(form_schema).iter_errors(submission["answers"]))
        assert errors == [], (submission["form"], [e.message for e in errors][:3])
    assert submissions[0]["answers"]["referrer"]["email"] == ehfsa_answers()["referrer"]["email"]
    ehfsa_outcome = next(o for o in document["outcomes"] if o["reference"] == references["ehfsa"])
    assert ehfsa_outcome["outcome"] == "intensive_support"
    assert ehfsa_outcome["outcome_label"] == "Early Help Family Support (intensive support)"
    assert ehfsa_outcome["reason"] == "Attendance and rent together."
    by_reference = {o["reference"]: o["status"] for o in document["outcomes"]}
    assert by_reference == {
        references["ehfsa"]: "decided",
        references["cspoc-request"]: "awaiting-outcome",
    }
    assert [a["lead_professional"] for a in document["allocations"]] == ["Jo Bennett"]
    assert document["family"]["lead_professional"] == "Jo Bennett"
    assert document["due"]["form"] == "tacaf-review"  # a review after the latest plan
    with services.readers() as db:
        handed = db.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "family.handover", AuditEvent.outcome == "ok"
            )
        ).all()
    assert len(handed) == 4


def test_the_handover_is_404_for_a_family_that_is_not_yours(
    app: Flask, client: FlaskClient, services: Services, as_cspoc: Headers
) -> None:
    family_id = family_of(services, _refer(app))
    other = staff_user(services, "lead-professional")
    reply = client.get(
        f"/api/v1/families/{family_id}/handover", headers=user_headers(services, other)
    )
    assert reply.status_code == 404
    assert _denied(services, "family.viewed", other) == 1
    assert client.get(f"/api/v1/families/{family_id}/handover", headers=as_cspoc).status_code == 200
    unknown = client.get(
        "/api/v1/families/00000000-0000-4000-8000-000000000000/handover", headers=as_cspoc
    )
    assert unknown.status_code == 404
