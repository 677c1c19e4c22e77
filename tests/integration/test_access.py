"""Who sees what: one access policy, 404 when it says no, an audit event either way.

Two lead professionals each have a family. Whatever A asks for of B's family
(the family page, a form, a download, a start from its reference, on the web or
through the API) or of things that do not exist, A gets the same 404 (or the
same "could not find" message), and the audit log records the attempt.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from forms_service.audit import CLI, AuditEvent
from forms_service.formats import format_nhs_number
from forms_service.services import Services
from forms_service.submissions.models import Submission
from forms_service.submissions.prefill import NOT_FOUND
from forms_service.workspace.service import allocate_by_reference as allocate
from tests.conftest import UNDELIVERED, make_app, task_runner
from tests.factories import ehfsa_answers, family_story_answers
from tests.staff import (
    SECRET,
    StaffUser,
    finish_authenticator,
    referral_headers,
    set_up_link,
    signed_in,
    staff_user,
    user_headers,
)
from tests.webuser import csrf_token


@dataclass
class World:
    app: Flask
    services: Services
    a: StaffUser
    b: StaffUser
    a_family: str
    b_family: str
    a_submissions: list[str]
    b_submissions: list[str]
    a_references: list[str]
    b_references: list[str]


def _referral(app: Flask, surname: str) -> str:
    answers = ehfsa_answers(3)
    for member in answers["household"]:
        member["last_name"] = surname
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=answers, headers=referral_headers(app)
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _family_and_ids(services: Services, reference: str) -> tuple[str, list[str], list[str]]:
    with services.readers() as db:
        family = db.scalars(
            select(Submission.family_id).where(Submission.reference == reference)
        ).one()
        rows = db.execute(
            select(Submission.id, Submission.reference).where(Submission.family_id == family)
        ).all()
    return family, [r.id for r in rows], [r.reference for r in rows]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    # Rate limits are tested on their own below; here every attempt must reach the policy.
    app = make_app(tmp_path, limit_start_from="10000/minute", **UNDELIVERED)
    services: Services = app.extensions["forms"]
    a = staff_user(services, "lead-professional", "a@school.example.sch.uk")
    b = staff_user(services, "lead-professional", "b@health.example.nhs.uk")
    a_ref, b_ref = _referral(app, "Alpha"), _referral(app, "Bravo")
    allocate(services, a_ref, a.email, CLI)
    allocate(services, b_ref, b.email, CLI)
    # B carries on with a Family Story Assessment of their family, through the API.
    story = {**family_story_answers(), "prefill_from": b_ref}
    for key in ("household", "referrer", "consent", "professionals"):
        del story[key]
    for action in story["plan"]:  # the referral's household (all called Bravo) names no one here
        action.update(who="The whole family", member="The whole family")
    reply = app.test_client().post(
        "/api/v1/forms/family-story/submissions", json=story, headers=user_headers(services, b)
    )
    assert reply.status_code == 201, reply.get_json()
    a_family, a_ids, a_refs = _family_and_ids(services, a_ref)
    b_family, b_ids, b_refs = _family_and_ids(services, b_ref)
    assert len(b_ids) == 2
    yield World(app, services, a, b, a_family, b_family, a_ids, b_ids, a_refs, b_refs)
    task_runner(app).stop()


def _denials(services: Services) -> int:
    with services.readers() as db:
        return int(
            db.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "denied")
            )
            or 0
        )


NOT_FOUND_PAGE = "Page not found"
DOCUMENTS = ["record.pdf", "record.docx", "family-plan.pdf", "family-plan.docx"]


def test_a_lead_professional_sees_their_own_family(world: World) -> None:
    client = signed_in(world.app.test_client(), world.services, world.a)
    home = client.get("/staff/")
    assert home.status_code == 200 and "Your families" in home.text
    assert f"/staff/families/{world.a_family}" in home.text
    assert f"/staff/families/{world.b_family}" not in home.text
    page = client.get(f"/staff/families/{world.a_family}")
    assert page.status_code == 200 and world.a_references[0] in page.text
    assert "Start the Family Story Assessment" in page.text
    assert f'action="/staff/families/{world.a_family}/start/family-story"' in page.text
    form = client.get(f"/staff/submissions/{world.a_submissions[0]}")
    school = ehfsa_answers()["referrer"]["organisation"]
    assert form.status_code == 200 and "Alpha" in form.text and school in form.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.one_of(
        st.sampled_from(["b_family", "b_submission", "random_uuid", "junk"]),
    ),
    kind=st.sampled_from(["family", "submission", "document", "plan"]),
    document=st.sampled_from(DOCUMENTS),
    junk=st.text(
        alphabet=st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=40
    ),
)
def test_anything_not_yours_is_the_same_404_and_is_audited(
    world: World, target: str, kind: str, document: str, junk: str
) -> None:
    client = signed_in(world.app.test_client(), world.services, world.a)
    ident = {
        "b_family": world.b_family,
        "b_submission": world.b_submissions[0],
        "random_uuid": str(uuid.uuid4()),
        "junk": junk,
    }[target]
    url = {
        "family": f"/staff/families/{ident}",
        "submission": f"/staff/submissions/{ident}",
        "document": f"/staff/submissions/{ident}/{document}",
        "plan": f"/staff/submissions/{ident}/print/large-print",
    }[kind]
    before = _denials(world.services)
    reply = client.get(url)
    assert reply.status_code == 404, url
    assert NOT_FOUND_PAGE in reply.text
    for secret in ("Bravo", "Alpha", world.b_family):
        assert secret not in reply.text
    # The body does not depend on whether the thing exists.
    baseline = client.get(f"/staff/families/{uuid.uuid4()}").text
    assert _strip_nonce(reply.text) == _strip_nonce(baseline)
    assert _denials(world.services) >= before + 1


def _strip_nonce(html: str) -> str:
    import re

    html = re.sub(r'nonce="[^"]+"', "", html)
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.sampled_from(["b_ehfsa", "b_story", "unknown", "own_wrong_kind"]))
def test_start_from_someone_elses_reference_says_the_same_as_an_unknown_one(
    world: World, which: str
) -> None:
    client = signed_in(world.app.test_client(), world.services, world.a)
    reference, target = {
        "b_ehfsa": (_starting_with(world.b_references, "EH"), "family-story"),
        "b_story": (_starting_with(world.b_references, "FS"), "tacaf-review"),
        "unknown": ("EH-2345-6789", "family-story"),
        "own_wrong_kind": (world.a_references[0], "tacaf-review"),  # an EHFSA starts no review
    }[which]
    start = client.get(f"/forms/{target}")
    before = _denials(world.services)
    started = time.monotonic()
    reply = client.post(
        f"/forms/{target}/start-from",
        data={"reference": reference, "csrf_token": csrf_token(start.text)},
    )
    elapsed = time.monotonic() - started
    assert reply.status_code == 200
    assert NOT_FOUND in reply.text
    assert "Bravo" not in reply.text
    assert elapsed >= world.services.settings.start_from_floor_seconds
    assert _denials(world.services) == before + 1


def _starting_with(references: list[str], prefix: str) -> str:
    return next(r for r in references if r.startswith(prefix))


def test_the_api_refuses_someone_elses_reference_like_an_unknown_one(world: World) -> None:
    headers = user_headers(world.services, world.a)
    client = world.app.test_client()
    bodies = []
    for reference in (world.b_references[0], "EH-2345-6789", world.b_references[1]):
        body = {**family_story_answers(), "prefill_from": reference}
        reply = client.post("/api/v1/forms/family-story/submissions", json=body, headers=headers)
        assert reply.status_code == 422
        bodies.append(reply.get_json())
    assert bodies[0] == bodies[1] == bodies[2] == {"errors": {"prefill_from": [NOT_FOUND]}}


def test_a_reference_alone_opens_nothing_for_someone_not_signed_in(world: World) -> None:
    anonymous = world.app.test_client()
    # No box to type it in, no way to post it, and the page never echoes a reference.
    start = anonymous.get("/forms/family-story")
    assert start.status_code == 302 and "/sign-in" in start.location
    assert anonymous.get("/forms/ehfsa?from=" + world.b_references[0]).status_code == 200
    assert (
        world.b_references[0]
        not in anonymous.get(f"/forms/ehfsa?from={world.b_references[0]}").text
    )
    reply = anonymous.post(
        "/forms/family-story/start-from", data={"reference": world.b_references[0]}
    )
    assert reply.status_code == 302 and "/sign-in" in reply.location
    # The API: no token, a referral token, a revoked or made-up token.
    body = {**family_story_answers(), "prefill_from": world.b_references[0]}
    assert anonymous.post("/api/v1/forms/family-story/submissions", json=body).status_code == 401
    referral = referral_headers(world.app)
    assert (
        anonymous.post(
            "/api/v1/forms/family-story/submissions", json=body, headers=referral
        ).status_code
        == 403
    )
    ehfsa_body = {**ehfsa_answers(2), "prefill_from": world.b_references[0]}
    assert (
        anonymous.post(
            "/api/v1/forms/ehfsa/submissions", json=ehfsa_body, headers=referral
        ).status_code
        == 403
    )
    made_up = {"Authorization": "Bearer fs_" + "x" * 43}
    assert (
        anonymous.post(
            "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=made_up
        ).status_code
        == 401
    )


def test_managers_read_everything_but_fill_in_nothing(world: World) -> None:
    manager = staff_user(world.services, "manager")
    client = signed_in(world.app.test_client(), world.services, manager)
    home = client.get("/staff/")
    assert world.a_family in home.text and world.b_family in home.text
    assert client.get(f"/staff/families/{world.b_family}").status_code == 200
    assert client.get(f"/staff/submissions/{world.b_submissions[0]}").status_code == 200
    refused = client.get("/forms/family-story")
    assert refused.status_code == 403 and "You cannot fill in this form" in refused.text
    assert client.get("/staff/audit").status_code == 200


def test_administrators_manage_accounts_and_see_no_family(world: World) -> None:
    admin = staff_user(world.services, "admin")
    client = signed_in(world.app.test_client(), world.services, admin)
    home = client.get("/staff/")
    assert home.status_code == 200 and world.a_family not in home.text
    assert client.get(f"/staff/families/{world.a_family}").status_code == 404
    assert client.get(f"/staff/submissions/{world.a_submissions[0]}").status_code == 404
    assert client.get("/staff/audit").status_code == 404
    accounts = client.get("/staff/accounts")
    assert accounts.status_code == 200 and world.a.email in accounts.text
    # Disable A: their live session ends at once.
    a_client = signed_in(world.app.test_client(), world.services, world.a)
    assert a_client.get("/staff/").status_code == 200
    reply = client.post(
        f"/staff/accounts/{world.a.id}/disable", data={"csrf_token": csrf_token(accounts.text)}
    )
    assert reply.status_code == 302
    assert a_client.get("/staff/").status_code == 302


def test_only_managers_read_the_audit_log(world: World) -> None:
    for role, status in (
        ("cspoc", 404),
        ("lead-professional", 404),
        ("admin", 404),
        ("manager", 200),
    ):
        client = signed_in(
            world.app.test_client(), world.services, staff_user(world.services, role)
        )
        assert client.get("/staff/audit").status_code == status, role
        assert client.get("/staff/audit.csv").status_code == status, role


def test_the_audit_log_filters_and_exports_without_answers(world: World) -> None:
    manager = staff_user(world.services, "manager")
    client = signed_in(world.app.test_client(), world.services, manager)
    a_client = signed_in(world.app.test_client(), world.services, world.a)
    a_client.get(f"/staff/families/{world.b_family}")  # refused and recorded
    page = client.get("/staff/audit?action=family.viewed&outcome=denied")
    assert page.status_code == 200
    assert (
        "Family viewed" in page.text
        and "Refused" in page.text
        and "Test lead-professional" in page.text
    )
    export = client.get(f"/staff/audit.csv?family={world.b_family}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = export.text.strip().splitlines()
    assert lines[0].startswith("time (UTC),who,who id,action,outcome")
    assert any("family.viewed,denied" in line for line in lines[1:])
    assert all(world.b_family in line for line in lines[1:])
    answers = ehfsa_answers()
    school, nhs_number = answers["referrer"]["organisation"], answers["household"][0]["nhs_number"]
    for answer in ("Bravo", school, nhs_number, format_nhs_number(nhs_number), "Attendance"):
        assert answer not in export.text


def test_every_action_on_a_family_is_in_the_audit_log(world: World) -> None:
    client = signed_in(world.app.test_client(), world.services, world.a)
    client.get(f"/staff/families/{world.a_family}")
    client.get(f"/staff/submissions/{world.a_submissions[0]}")
    download = client.get(f"/staff/submissions/{world.a_submissions[0]}/record.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]
    with world.services.readers() as db:
        events = db.execute(
            select(
                AuditEvent.action, AuditEvent.outcome, AuditEvent.family_id, AuditEvent.detail
            ).where(AuditEvent.actor_id == world.a.id)
        ).all()
    seen = {(e.action, e.outcome) for e in events}
    assert {
        ("family.viewed", "ok"),
        ("submission.viewed", "ok"),
        ("document.downloaded", "ok"),
    } <= seen
    assert all(e.family_id == world.a_family for e in events if e.action != "family.list_viewed")
    with world.services.readers() as db:
        created = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "submission.created")
        ).all()
        allocated = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "family.allocated")
        ).all()
    assert len(created) == 3 and len(allocated) == 2


def test_the_audit_log_cannot_be_changed(world: World) -> None:
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    with pytest.raises(DatabaseError, match="append-only"), world.services.sessions() as db:
        db.execute(update(AuditEvent).values(action="sign_out"))
        db.commit()
    with pytest.raises(DatabaseError, match="append-only"), world.services.sessions() as db:
        db.execute(delete(AuditEvent))
        db.commit()


def test_start_from_is_limited_per_user(tmp_path: Path) -> None:
    app = make_app(tmp_path, start_from_floor_seconds=0.0)
    services: Services = app.extensions["forms"]
    client = signed_in(app.test_client(), services, staff_user(services, "cspoc"))
    token = csrf_token(client.get("/forms/family-story").text)
    codes = [
        client.post(
            "/forms/family-story/start-from",
            data={"reference": "EH-2345-6789", "csrf_token": token},
        ).status_code
        for _ in range(21)
    ]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    task_runner(app).stop()


def test_a_lead_professional_starting_from_nothing_is_allocated_the_new_family(
    client: FlaskClient, services: Services
) -> None:
    user = staff_user(services, "lead-professional")
    reply = client.post(
        "/api/v1/forms/family-story/submissions",
        json=family_story_answers(),
        headers=user_headers(services, user),
    )
    assert reply.status_code == 201, reply.get_json()
    signed_in(client, services, user)
    home = client.get("/staff/")
    assert "1 family" in home.text


def _sign_in_pages(client: FlaskClient, email: str, password: str, code: str) -> Any:
    page = client.get("/sign-in")
    client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    )
    page = client.get("/sign-in/code")
    return client.post("/sign-in/code", data={"code": code, "csrf_token": csrf_token(page.text)})


def test_a_partner_is_invited_and_sets_up_their_own_account(world: World) -> None:
    import datetime as dt

    import pyotp
    import time_machine

    duty = staff_user(world.services, "cspoc")
    client = signed_in(world.app.test_client(), world.services, duty)
    page = client.get("/staff/invite")
    assert page.status_code == 200 and "They will be a lead professional" in page.text
    made = client.post(
        "/staff/invite",
        data={
            "email": "dsl@seaview.sch.uk",
            "role": "lead-professional",
            "csrf_token": csrf_token(page.text),
        },
    )
    link = set_up_link(made.text)
    # Duty workers may not invite managers or administrators.
    forged = client.post(
        "/staff/invite",
        data={"email": "x@seaview.sch.uk", "role": "admin", "csrf_token": csrf_token(page.text)},
    )
    assert "Invitation link made" not in forged.text and "/invitation/" not in forged.text

    partner = world.app.test_client()
    setup = partner.get(link)
    assert setup.status_code == 200 and "dsl@seaview.sch.uk" in setup.text
    weak = partner.post(
        link,
        data={"name": "Dee Lead", "password": "password", "csrf_token": csrf_token(setup.text)},
    )
    assert "must be 12 characters or more" in weak.text
    chosen = partner.post(
        link,
        data={
            "name": "Dee Lead",
            "password": "lighthouse marmalade tuesday",
            "csrf_token": csrf_token(setup.text),
        },
    )
    assert chosen.status_code == 302 and chosen.location.endswith("/authenticator")
    qr_page = partner.get(chosen.location)
    assert "<svg" in qr_page.text
    secret = SECRET.search(qr_page.text)
    assert secret
    done = finish_authenticator(partner, link)
    assert done.status_code == 302 and done.location.endswith("/sign-in")
    # The link works once only.
    assert partner.get(link).status_code == 404
    # They sign in (the next code: each code works once) and see no family until allocated.
    fresh = world.app.test_client()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31), tick=False):
        later = pyotp.TOTP(secret.group(1).replace(" ", "")).now()
        reply = _sign_in_pages(fresh, "dsl@seaview.sch.uk", "lighthouse marmalade tuesday", later)
        assert reply.status_code == 302
        home = fresh.get("/staff/")
    assert "No families are allocated to you yet" in home.text
