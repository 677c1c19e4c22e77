"""The family record: referrals open provisional families, forms started from a
reference join them, a closing review closes them, duplicates are found by blind
index, merging is audited, and a reallocated family leaves the old worker's drafts."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from forms_service.audit import CLI, AuditEvent
from forms_service.families.models import Family, MatchKey
from forms_service.families.service import confirm, merge, possible_matches
from forms_service.jobs import JobRun
from forms_service.services import Services
from forms_service.submissions.models import Submission
from forms_service.workspace.service import allocate_by_reference as allocate
from tests.conftest import make_app, task_runner
from tests.factories import SURNAMES, ehfsa_answers, family_story_answers, tacaf_review_answers
from tests.staff import family_of, referral_headers, signed_in, staff_user
from tests.webuser import csrf_token


def _refer(app: Flask, answers: dict[str, object]) -> str:
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=answers, headers=referral_headers(app)
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def test_a_second_referral_for_the_same_children_is_found_and_can_be_merged(
    app: Flask, services: Services
) -> None:
    first = _refer(app, ehfsa_answers(3))
    again = ehfsa_answers(3)
    for member in again["household"]:
        member.pop("nhs_number", None)  # typed differently: no NHS numbers this time
    again["family_contact"]["postcode"] = "SS0 0AA"  # and they have moved
    second = _refer(app, again)
    unrelated = ehfsa_answers(2)
    for member in unrelated["household"]:
        member["last_name"] = "Nobodyelse"
    _refer(app, unrelated)
    one, two = family_of(services, first), family_of(services, second)
    assert one != two
    assert possible_matches(services, two) == [one]  # by surname and date of birth
    with services.readers() as db:
        digests = db.scalars(select(MatchKey.digest)).all()
    assert all(len(d) == 64 and not any(s in d for s in SURNAMES) for d in digests)
    merge(services, two, one, CLI)
    with services.readers() as db:
        assert (
            db.scalar(
                select(func.count()).select_from(Submission).where(Submission.family_id == one)
            )
            == 2
        )
        assert db.get(Family, two).merged_into_id == one
        merged = db.scalars(select(AuditEvent).where(AuditEvent.action == "family.merged")).one()
    assert merged.object_id == two and merged.family_id == one
    confirm(services, one, CLI)
    with services.readers() as db:
        assert db.get(Family, one).status == "open"


def test_a_form_started_from_a_reference_joins_that_family(app: Flask, services: Services) -> None:
    reference = _refer(app, ehfsa_answers(3))
    worker = staff_user(services, "lead-professional")
    allocate(services, reference, worker.email, CLI)
    client = signed_in(app.test_client(), services, worker)
    start = client.get("/forms/family-story")
    reply = client.post(
        "/forms/family-story/start-from",
        data={"reference": reference, "csrf_token": csrf_token(start.text)},
    )
    assert reply.status_code == 302
    # The family is given to someone else: the draft is no longer this worker's to open.
    other = staff_user(services, "lead-professional")
    allocate(services, reference, other.email, CLI)
    household = client.get("/forms/family-story/household")
    assert ehfsa_answers(3)["household"][0]["last_name"] not in household.text
    with services.readers() as db:
        refused = db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "family.viewed",
                AuditEvent.outcome == "denied",
                AuditEvent.object_type == "draft",
            )
        ).all()
    assert refused and refused[0].actor_id == worker.id


def test_a_closing_review_closes_the_family_and_a_new_form_reopens_it(
    app: Flask, services: Services
) -> None:
    from tests.staff import user_headers

    worker = staff_user(services, "lead-professional")
    headers = user_headers(services, worker)
    client = app.test_client()
    story = client.post(
        "/api/v1/forms/family-story/submissions", json=family_story_answers(), headers=headers
    )
    fs_ref = story.get_json()["reference"]
    family = family_of(services, fs_ref)
    review = {**tacaf_review_answers(), "decision": "close", "close_reason": "declined"}
    review.pop("next_meeting", None)
    review.update({"what_helped": "Talking.", "who_to_contact": "The school office."})
    made = client.post(
        "/api/v1/forms/tacaf-review/submissions",
        json={**review, "prefill_from": fs_ref, "previous_actions": []},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    with services.readers() as db:
        closed = db.get(Family, family)
        assert closed.status == "closed" and closed.closed_reason == "tacaf-review: close"
    again = client.post(
        "/api/v1/forms/tacaf-review/submissions",
        json={**tacaf_review_answers(), "prefill_from": fs_ref, "previous_actions": []},
        headers=headers,
    )
    assert again.status_code == 201, again.get_json()
    with services.readers() as db:
        assert db.get(Family, family).status == "open"
        actions = set(db.scalars(select(AuditEvent.action)))
    assert {"family.closed", "family.reopened"} <= actions


def test_the_embedded_service_runs_the_daily_purge_itself(tmp_path: Path) -> None:
    app = make_app(tmp_path, task_mode="thread", sweep_seconds=0.2)
    services: Services = app.extensions["forms"]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with services.readers() as db:
                run = db.scalars(select(JobRun).where(JobRun.job == "purge")).first()
            if run is not None and run.finished_at is not None:
                break
            time.sleep(0.2)
        assert run is not None and run.finished_at is not None
        assert "draft(s)" in (run.result or "")
    finally:
        task_runner(app).stop()
