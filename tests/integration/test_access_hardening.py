"""What a security probe of the first version found, each now shut: drafts begun
before sign-in, header spellings that dodged a token's rate limit, a copied set-up
link, control characters in ?next=, huge page numbers, and gaps in the audit log.
Also the administrator's fixes for people who are stuck: unlock, a new set-up link."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms_service.audit import CLI, AuditEvent
from forms_service.auth import tokens
from forms_service.services import Services
from forms_service.submissions.models import Submission
from tests.conftest import UNDELIVERED, make_app, task_runner
from tests.factories import ehfsa_answers
from tests.staff import (
    PASSWORD,
    finish_authenticator,
    referral_headers,
    set_up_link,
    signed_in,
    staff_user,
)
from tests.webuser import WebUser, csrf_token

#: About who may do what, not delivery:
#: messages are queued, not sent (UNDELIVERED in tests/conftest.py).
pytestmark = pytest.mark.undelivered


def _events(services: Services, action: str) -> list[AuditEvent]:
    with services.readers() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_draft_begun_before_signing_in_becomes_the_staff_members_own(
    app: Flask, services: Services
) -> None:
    browser = app.test_client()
    form = services.registry.get("ehfsa")
    WebUser(browser, form).fill_page("safeguarding", ehfsa_answers())
    planted = browser.get_cookie("session")
    assert planted is not None
    signed_in(browser, services, staff_user(services, "cspoc"))
    referrer = {**ehfsa_answers()["referrer"], "full_name": "Secret Staffname"}
    WebUser(browser, form).fill_page("referrer", {"referrer": referrer})
    assert "Secret Staffname" in browser.get("/forms/ehfsa/check-answers").text
    attacker = app.test_client()
    attacker.set_cookie("session", planted.value, path="/")
    assert "Secret Staffname" not in attacker.get("/forms/ehfsa/check-answers").text


def test_a_tokens_rate_limit_counts_it_however_the_header_is_spelt(tmp_path: Path) -> None:
    app = make_app(tmp_path, limit_api_submissions="2/minute", **UNDELIVERED)
    services: Services = app.extensions["forms"]
    token = tokens.create(services, "school", CLI, forms=("ehfsa",))
    client = app.test_client()
    spellings = [f"Bearer {token}", f"bearer {token}", f"BEARER  {token}", f"Bearer {token} "]
    codes = [
        client.post(
            "/api/v1/forms/ehfsa/submissions", json={}, headers={"Authorization": h}
        ).status_code
        for h in spellings
    ]
    assert codes == [422, 422, 429, 429]
    task_runner(app).stop()


def _invite(app: Flask, services: Services) -> str:
    admin = signed_in(app.test_client(), services, staff_user(services, "admin"))
    page = admin.get("/staff/invite")
    made = admin.post(
        "/staff/invite",
        data={
            "email": "hv@nhs.example.net",
            "role": "lead-professional",
            "csrf_token": csrf_token(page.text),
        },
    )
    return set_up_link(made.text)


def test_only_the_browser_that_chose_the_password_can_finish_the_set_up(
    app: Flask, services: Services
) -> None:
    link = _invite(app, services)
    invitee = app.test_client()
    page = invitee.get(link)
    invitee.post(
        link,
        data={
            "name": "Hana Visitor",
            "password": "orange tractor midnight sky",
            "csrf_token": csrf_token(page.text),
        },
    )
    # Someone else with a copy of the link sees no authenticator secret and cannot
    # replace the password.
    copier = app.test_client()
    assert "app-secret" not in copier.get(f"{link}/authenticator", follow_redirects=True).text
    page = copier.get(link)
    reply = copier.post(
        link,
        data={
            "name": "Mallory",
            "password": "my own chosen words here",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert "already being used to set up the account in another browser" in reply.text
    # The invitee finishes as normal.
    assert finish_authenticator(invitee, link).status_code == 302
    assert len(_events(services, "account.setup_started")) == 1


def test_an_administrator_gives_a_stuck_person_a_new_set_up_link(
    app: Flask, services: Services
) -> None:
    person = staff_user(services, "lead-professional")
    their_session = signed_in(app.test_client(), services, person)
    admin_user = staff_user(services, "admin")
    admin = signed_in(app.test_client(), services, admin_user)
    accounts_page = admin.get("/staff/accounts")
    made = admin.post(
        f"/staff/accounts/{person.id}/reset", data={"csrf_token": csrf_token(accounts_page.text)}
    )
    assert "New set-up link made" in made.text
    link = set_up_link(made.text)
    browser = app.test_client()
    page = browser.get(link)
    assert "Choose a new password" in page.text and "Test lead-professional" in page.text
    browser.post(
        link,
        data={
            "name": "Test lead-professional",
            "password": "fresh start with new words",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert finish_authenticator(browser, link).status_code == 302
    assert their_session.get("/staff/").status_code == 302  # every old session ended
    fresh = app.test_client()
    page = fresh.get("/sign-in")
    old = fresh.post(
        "/sign-in",
        data={"email": person.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert old.status_code == 200  # the old password no longer works
    new = fresh.post(
        "/sign-in",
        data={
            "email": person.email,
            "password": "fresh start with new words",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert new.status_code == 302
    assert [e.object_id for e in _events(services, "account.reset")] == [person.id]


def test_an_administrator_unlocks_a_locked_account(tmp_path: Path) -> None:
    app = make_app(tmp_path, limit_sign_in="100/minute", **UNDELIVERED)
    services: Services = app.extensions["forms"]
    person = staff_user(services, "cspoc")
    client = app.test_client()
    page = client.get("/sign-in")
    for _ in range(10):
        client.post(
            "/sign-in",
            data={
                "email": person.email,
                "password": "nope nope nope",
                "csrf_token": csrf_token(page.text),
            },
        )
    admin = signed_in(app.test_client(), services, staff_user(services, "admin"))
    listing = admin.get("/staff/accounts")
    assert "Locked until" in listing.text
    admin.post(f"/staff/accounts/{person.id}/unlock", data={"csrf_token": csrf_token(listing.text)})
    assert "Locked until" not in admin.get("/staff/accounts").text
    reply = client.post(
        "/sign-in",
        data={"email": person.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert reply.status_code == 302
    task_runner(app).stop()


def test_control_characters_in_next_lead_home(client: FlaskClient, services: Services) -> None:
    user = staff_user(services, "cspoc")
    client.get("/sign-in?next=/staff/%0D%0ASet-Cookie:x=1")
    page = client.get("/sign-in")
    client.post(
        "/sign-in",
        data={"email": user.email, "password": user.password, "csrf_token": csrf_token(page.text)},
    )
    page = client.get("/sign-in/code")
    done = client.post(
        "/sign-in/code", data={"code": user.code(), "csrf_token": csrf_token(page.text)}
    )
    assert done.status_code == 302 and done.location == "/staff/"


def test_huge_page_numbers_are_not_a_server_error(client: FlaskClient, services: Services) -> None:
    signed_in(client, services, staff_user(services, "manager"))
    for url in ("/staff/?page=99999999999999999999999", "/staff/audit?page=-5&from=2026-13-40"):
        assert client.get(url).status_code == 200, url


def test_refusals_before_any_lookup_are_audited_too(app: Flask, services: Services) -> None:
    anonymous = app.test_client()
    anonymous.post("/forms/family-story/start-from", data={"reference": "EH-2345-6789"})
    manager = signed_in(app.test_client(), services, staff_user(services, "manager"))
    assert manager.get("/forms/tacaf-review").status_code == 403
    body = {"prefill_from": "EH-2345-6789", **ehfsa_answers(2)}
    app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=body, headers=referral_headers(app)
    )
    starts = [(e.outcome, e.detail) for e in _events(services, "submission.start_from")]
    assert ("denied", "not signed in") in starts
    assert ("denied", "a referral token cannot start from a reference") in starts
    refused = _events(services, "form.refused")
    assert [(e.object_id, e.outcome) for e in refused] == [("tacaf-review", "denied")]


def test_a_refused_start_is_filed_under_the_family_it_aimed_at(
    app: Flask, services: Services
) -> None:
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=referral_headers(app)
    )
    reference = reply.get_json()["reference"]
    with services.readers() as db:
        family = db.scalars(select(Submission.family_id)).one()
    stranger = signed_in(app.test_client(), services, staff_user(services, "lead-professional"))
    page = stranger.get("/forms/family-story")
    stranger.post(
        "/forms/family-story/start-from",
        data={"reference": reference, "csrf_token": csrf_token(page.text)},
    )
    manager = signed_in(app.test_client(), services, staff_user(services, "manager"))
    by_reference = manager.get(f"/staff/audit?family={reference}&outcome=denied")
    assert "New form started from an earlier form" in by_reference.text
    short = manager.get(f"/staff/audit?family={family[:8]}&action=submission.start_from")
    assert "Refused" in short.text and "No events match" not in short.text


def test_the_audit_log_counts_days_in_london_time_in_summer(app: Flask, services: Services) -> None:
    """00:30 on 2 July in London is 23:30 UTC on 1 July: it belongs to 2 July's events."""
    with services.sessions.begin() as db:
        db.add(
            AuditEvent(
                at=dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC),
                actor_kind="system",
                action="keys.rotated",
                outcome="ok",
                detail="just after midnight",
            )
        )
    manager = signed_in(app.test_client(), services, staff_user(services, "manager"))
    second = manager.get("/staff/audit?action=keys.rotated&from=2026-07-02&to=2026-07-02")
    assert "just after midnight" in second.text
    first = manager.get("/staff/audit?action=keys.rotated&from=2026-07-01&to=2026-07-01")
    assert "just after midnight" not in first.text


def test_a_family_plan_of_a_form_without_one_is_not_recorded_as_downloaded(
    app: Flask, services: Services
) -> None:
    app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=referral_headers(app)
    )
    with services.readers() as db:
        submission_id = db.scalars(select(Submission.id)).one()
    duty = signed_in(app.test_client(), services, staff_user(services, "cspoc"))
    assert duty.get(f"/staff/submissions/{submission_id}/family-plan.pdf").status_code == 404
    assert [e.outcome for e in _events(services, "document.downloaded")] == ["denied"]


def test_the_timings_of_refusals_do_not_tell_accounts_apart(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every refused password costs one argon2 check: unknown, disabled and locked alike."""
    from forms_service.auth import accounts, passwords

    calls: list[str | None] = []
    real = passwords.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    disabled = staff_user(services, "cspoc")
    accounts.set_disabled(services, disabled.email, True, CLI)
    monkeypatch.setattr(passwords, "verify_password", counting)
    for email in ("nobody@council.gov.uk", disabled.email):
        calls.clear()
        check = accounts.check_password(services, email, PASSWORD, None)
        assert check.user_id is None and len(calls) == 1
