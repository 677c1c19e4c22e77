"""Data at rest: a canary sent through the API never appears in the raw SQLite
file, its WAL or a pg_dump; old data still reads after a key rotation; no
reference travels in a cookie or an anonymous URL."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select

from forms_service.auth.models import User
from forms_service.migrate import upgrade
from forms_service.services import Services
from forms_service.submissions.models import Draft, Submission
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.servers import PostgresServer
from tests.staff import referral_headers, signed_in, staff_user
from tests.webuser import WebUser

CANARY = "CANARY-7f3a-Zebedee"
SCHOOL = ehfsa_answers()["referrer"]["organisation"]  # an answer left as it is


def _canary_answers() -> dict[str, object]:
    answers = ehfsa_answers(3)
    answers["presenting_issues"] = f"{CANARY} says the family needs help."
    answers["household"][0]["first_name"] = CANARY
    answers["household"][0]["last_name"] = CANARY
    answers["referrer"]["full_name"] = CANARY
    return answers


def _send_canary(app: Flask) -> str:
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=_canary_answers(), headers=referral_headers(app)
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _raw_files(services: Services) -> list[Path]:
    database = Path(services.settings.database_url.removeprefix("sqlite:///"))
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def test_a_canary_never_reaches_the_sqlite_file_or_its_wal(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    services: Services = app.extensions["forms"]
    try:
        _send_canary(app)
        # A draft in progress on the web too, with the canary typed in.
        user = WebUser(app.test_client(), services.registry.get("ehfsa"))
        answers = _canary_answers()
        user.fill_page("referrer", {"referrer": answers["referrer"]})
        files = _raw_files(services)
        assert any(p.name.endswith("-wal") for p in files)  # the WAL is searched too
        for path in files:
            raw = path.read_bytes()
            for needle in (CANARY, CANARY.lower(), SCHOOL):
                assert needle.encode() not in raw, path
                assert needle.encode("utf-16-le") not in raw, path
        with services.readers() as db:
            assert db.scalars(select(Draft)).first() is not None
    finally:
        task_runner(app).stop()


def test_a_canary_never_reaches_a_pg_dump(
    tmp_path: Path, postgres_server: PostgresServer, fresh_postgres_url: str
) -> None:
    upgrade(fresh_postgres_url)
    app = make_app(tmp_path, database_url=fresh_postgres_url)
    services: Services = app.extensions["forms"]
    try:
        reference = _send_canary(app)
        database = fresh_postgres_url.rsplit("/", 1)[1]
        dump = subprocess.run(
            [
                str(postgres_server.bin_dir / "pg_dump"),
                "-h",
                "127.0.0.1",
                "-p",
                str(postgres_server.port),
                "-U",
                "postgres",
                "--data-only",
                "--inserts",
                database,
            ],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        assert reference.encode() in dump  # the dump really holds the submission
        for needle in (CANARY, SCHOOL, "9434765919", "943 476 5919"):
            assert needle.encode() not in dump
    finally:
        task_runner(app).stop()
        services.engine.dispose()


def test_after_rotation_old_data_reads_with_the_new_key_alone(tmp_path: Path) -> None:
    from forms_service.audit import CLI
    from forms_service.maintenance import rotate_data_key
    from forms_service.services import build_services

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = make_app(tmp_path, data_keys=(old,))
    services: Services = app.extensions["forms"]
    reference = _send_canary(app)
    user = staff_user(services, "cspoc")
    WebUser(signed_in(app.test_client(), services, user), services.registry.get("ehfsa")).fill_page(
        "referrer", {"referrer": _canary_answers()["referrer"]}
    )
    task_runner(app).stop()
    both = build_services(services.settings.with_overrides({"data_keys": (new, old)}))
    assert rotate_data_key(both, CLI) >= 4  # answers, summary, draft, authenticator secret
    only_new = build_services(services.settings.with_overrides({"data_keys": (new,)}))
    with only_new.readers() as db:
        stored = db.scalars(select(Submission).where(Submission.reference == reference)).one()
        assert only_new.vault.open(stored.answers_sealed)["presenting_issues"].startswith(CANARY)
        assert only_new.vault.open(stored.summary_sealed)["first_name"] == CANARY
        for draft in db.scalars(select(Draft)):
            only_new.vault.open(draft.answers_sealed)
        for person in db.scalars(select(User)):
            assert len(only_new.vault.open(person.totp_sealed)) >= 16
    for svc in (both, only_new):
        svc.engine.dispose()


def test_the_rotate_command_reseals_with_the_newest_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from forms_service.cli import main

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = make_app(tmp_path, data_keys=(old,))
    services: Services = app.extensions["forms"]
    reference = _send_canary(app)
    task_runner(app).stop()
    monkeypatch.setenv("FORMS_INSTANCE_PATH", str(services.settings.instance_path))
    monkeypatch.setenv("FORMS_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("FORMS_DATA_KEYS", f"{new},{old}")
    assert main(["rotate-data-key"]) == 0
    assert "Re-encrypted" in capsys.readouterr().out
    with services.readers() as db:
        sealed = db.scalars(
            select(Submission.answers_sealed).where(Submission.reference == reference)
        ).one()
    assert Fernet(new.encode()).decrypt(sealed)  # opens with the new key alone


def test_no_reference_in_cookies_or_anonymous_urls(client: object, services: Services) -> None:
    from flask.testing import FlaskClient

    assert isinstance(client, FlaskClient)
    user = WebUser(client, services.registry.get("ehfsa"))
    user.fill_all(_canary_answers())
    reply = user.send()
    assert reply.status_code == 302 and reply.location == "/forms/ehfsa/confirmation"
    page = client.get(reply.location)
    with services.readers() as db:
        reference = db.scalars(select(Submission.reference)).one()
    assert reference in page.text
    cookie = client.get_cookie("session")
    assert cookie is not None
    payload = cookie.value.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):  # compressed
        import zlib

        decoded = zlib.decompress(base64.urlsafe_b64decode(cookie.value.split(".")[1] + "=="))
    text = decoded.decode("utf-8", errors="replace")
    assert reference not in text and CANARY not in text
    assert len(cookie.value) < 4096
    json.loads(text)  # it is the signed session: only draft tokens and the CSRF token
