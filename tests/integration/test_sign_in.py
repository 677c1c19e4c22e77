"""Staff sign-in through the real pages (Flask test client, real SQLite): password,
then an authenticator code; server-side sessions that rotate, time out and can be
revoked; lockout and rate limits; and no password in any log."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms_service.audit import AuditEvent
from forms_service.auth.models import StaffSession
from forms_service.auth.web import DEVELOPMENT_COOKIE, LOCKED, WRONG
from forms_service.crypto import token_digest
from forms_service.services import Services
from tests.conftest import make_app, task_runner
from tests.staff import StaffUser, staff_user
from tests.webuser import csrf_token

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def _cookie(client: FlaskClient) -> str | None:
    found = client.get_cookie(DEVELOPMENT_COOKIE)
    return found.value if found is not None else None


def _password_step(client: FlaskClient, email: str, password: str) -> object:
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


def _code_step(client: FlaskClient, code: str) -> object:
    page = client.get("/sign-in/code")
    return client.post("/sign-in/code", data={"code": code, "csrf_token": csrf_token(page.text)})


def _sign_in(client: FlaskClient, user: StaffUser) -> None:
    reply = _password_step(client, user.email, user.password)
    assert reply.status_code == 302 and reply.location.endswith("/sign-in/code")  # type: ignore[attr-defined]
    reply = _code_step(client, user.code())
    assert reply.status_code == 302 and reply.location.endswith("/staff/")  # type: ignore[attr-defined]


def _actions(services: Services) -> list[str]:
    with services.readers() as db:
        return [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_password_then_code_signs_in_with_a_new_session_id(
    client: FlaskClient, services: Services
) -> None:
    user = staff_user(services, "cspoc")
    assert client.get("/staff/").status_code == 302  # not signed in yet
    reply = _password_step(client, user.email, user.password)
    assert reply.status_code == 302
    pending = _cookie(client)
    assert pending
    # Password alone gives no session: staff pages still send you to sign in.
    assert client.get("/staff/").location.startswith("/sign-in")
    reply = _code_step(client, user.code())
    assert reply.status_code == 302
    signed = _cookie(client)
    assert signed and signed != pending  # the session id changes at sign-in
    home = client.get("/staff/")
    assert home.status_code == 200 and "Test cspoc" in home.text
    with services.readers() as db:
        old = db.get(StaffSession, token_digest(pending))
        assert old is not None and old.revoked_at is not None
    assert _actions(services)[-3:] == ["sign_in.password", "sign_in.success", "family.list_viewed"]


def test_without_the_code_there_is_no_session(client: FlaskClient, services: Services) -> None:
    user = staff_user(services, "cspoc")
    _password_step(client, user.email, user.password)
    wrong = _code_step(client, "000000" if user.code() != "000000" else "111111")
    assert wrong.status_code == 200
    assert "The code is not right" in wrong.text
    assert client.get("/staff/").status_code == 302
    assert client.get("/staff/audit").status_code == 302


def test_sign_out_revokes_the_session_so_a_copied_cookie_is_useless(
    app: Flask, services: Services
) -> None:
    user = staff_user(services, "manager")
    browser = app.test_client()
    _sign_in(browser, user)
    stolen = _cookie(browser)
    home = browser.get("/staff/")
    reply = browser.post("/sign-out", data={"csrf_token": csrf_token(home.text)})
    assert reply.status_code == 302 and reply.location.endswith("/sign-in")
    thief = app.test_client()
    thief.set_cookie(DEVELOPMENT_COOKIE, stolen or "", path="/")
    replay = thief.get("/staff/audit")
    assert replay.status_code == 302 and replay.location.startswith("/sign-in")
    assert "sign_out" in _actions(services)


def test_sessions_end_after_30_idle_minutes_and_after_10_hours(
    app: Flask, services: Services
) -> None:
    user = staff_user(services, "cspoc")
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, user)
        # Busy all day, one request every 20 minutes: fine until the 10-hour limit.
        for _ in range(29):
            clock.shift(dt.timedelta(minutes=20))
            assert client.get("/staff/").status_code == 200
        clock.shift(dt.timedelta(minutes=20))  # 10 h 0 m after signing in
        assert client.get("/staff/").status_code == 200
        clock.shift(dt.timedelta(minutes=1))
        expired = client.get("/staff/")
        assert expired.status_code == 302 and expired.location.startswith("/sign-in")
        assert "You have been signed out" in client.get(expired.location).text
    other = app.test_client()
    with time_machine.travel(START + dt.timedelta(days=1), tick=False) as clock:
        _sign_in(other, staff_user(services, "cspoc"))
        clock.shift(dt.timedelta(minutes=29))
        assert other.get("/staff/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))  # idle for 31 minutes
        assert other.get("/staff/").status_code == 302
    assert "session.expired" in _actions(services)


def test_ten_failures_lock_the_account_for_15_minutes(tmp_path: Path) -> None:
    # The per-account rate limit (10 a minute) is raised here so the lockout itself is seen.
    app = make_app(tmp_path, limit_sign_in="100/minute")
    services: Services = app.extensions["forms"]
    user = staff_user(services, "cspoc")
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        for attempt in range(10):
            reply = _password_step(client, user.email, f"wrong password {attempt}")
            assert reply.status_code == 200
            assert (LOCKED if attempt == 9 else WRONG) in reply.text  # the 10th locks it
        locked = _password_step(client, user.email, user.password)
        assert locked.status_code == 200 and LOCKED in locked.text
        assert client.get("/sign-in/code").status_code == 302  # no password stage either
        clock.shift(dt.timedelta(minutes=16))
        _sign_in(client, user)
    actions = _actions(services)
    assert actions.count("sign_in.failure") == 11 and "sign_in.locked" in actions
    task_runner(app).stop()


def test_wrong_codes_count_towards_the_lockout(tmp_path: Path) -> None:
    app = make_app(tmp_path, limit_sign_in="100/minute")
    services: Services = app.extensions["forms"]
    user = staff_user(services, "cspoc")
    client = app.test_client()
    _password_step(client, user.email, user.password)
    bad = "000000" if user.code() != "000000" else "111111"
    for _ in range(10):
        _code_step(client, bad)
    assert _code_step(client, user.code()).status_code == 200  # locked: even a good code fails
    assert "sign_in.locked" in _actions(services)
    task_runner(app).stop()


def test_failed_sign_ins_are_limited_per_address_with_retry_after(
    client: FlaskClient, services: Services
) -> None:
    users = [staff_user(services, "cspoc") for _ in range(3)]
    replies = [
        _password_step(client, users[i % 3].email, "not the password at all") for i in range(11)
    ]
    assert [r.status_code for r in replies[:10]] == [200] * 10  # type: ignore[attr-defined]
    limited = replies[10]
    assert limited.status_code == 429  # type: ignore[attr-defined]
    assert int(limited.headers["Retry-After"]) > 0  # type: ignore[attr-defined]
    assert "You have made too many requests" in limited.text  # type: ignore[attr-defined]


def test_successful_sign_ins_from_one_office_are_not_limited(
    app: Flask, services: Services
) -> None:
    for _ in range(12):  # colleagues behind one address, each signing in correctly
        _sign_in(app.test_client(), staff_user(services, "lead-professional"))


def test_the_password_never_reaches_a_log_or_the_database(
    app: Flask, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = staff_user(services, "cspoc")
    client = app.test_client()
    secret_typo = "correct horse battery stapleX"
    _password_step(client, user.email, secret_typo)
    _sign_in(client, user)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert user.password not in logged and secret_typo not in logged
    database = Path(services.settings.database_url.removeprefix("sqlite:///"))
    for path in (database, Path(f"{database}-wal")):
        if path.exists():
            raw = path.read_bytes()
            assert user.password.encode() not in raw and secret_typo.encode() not in raw


def test_next_only_ever_leads_back_to_this_site(client: FlaskClient, services: Services) -> None:
    user = staff_user(services, "cspoc")
    client.get("/sign-in?next=https://evil.example/steal")
    _sign_in(client, user)  # lands on /staff/, not the other site
    other = client.application.test_client()
    other.get("/sign-in?next=//evil.example")
    reply = _password_step(other, user.email, user.password)
    assert reply.status_code == 302
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31), tick=False):
        reply = _code_step(other, user.code())
    assert reply.location == "/staff/"  # type: ignore[attr-defined]


def test_staff_pages_send_people_back_where_they_were_after_sign_in(
    client: FlaskClient, services: Services
) -> None:
    user = staff_user(services, "manager")
    reply = client.get("/staff/audit")
    assert reply.status_code == 302 and re.search(r"next=/staff/audit", reply.location)
    client.get(reply.location)
    _password_step(client, user.email, user.password)
    done = _code_step(client, user.code())
    assert done.location == "/staff/audit"  # type: ignore[attr-defined]
