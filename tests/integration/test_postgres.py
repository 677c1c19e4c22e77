"""The scale-out database: migrations, the API and concurrent delivery on a real
PostgreSQL (started by ``tests/servers.py``), and the same delivery race on SQLite."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_service.auth.actor import ANONYMOUS
from forms_service.config import settings_from_env
from forms_service.db import transaction
from forms_service.delivery import compose
from forms_service.delivery.outbox import deliver
from forms_service.migrate import check, upgrade
from forms_service.services import Services, build_services
from forms_service.submissions.models import OutboxMessage, Submission
from forms_service.submissions.service import submit
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.smtp_server import SmtpTestServer
from tests.staff import referral_headers, stored_answers
from tests.webuser import WebUser

API = "/api/v1/forms/ehfsa/submissions"
ROWS = 50
MESSAGES = 2 * ROWS  # each referral's form, and its acknowledgement
THREADS = 4


@pytest.fixture
def pg_app(tmp_path: Path, fresh_postgres_url: str) -> Iterator[Flask]:
    upgrade(fresh_postgres_url)
    app = make_app(tmp_path, database_url=fresh_postgres_url)
    yield app
    services: Services = app.extensions["forms"]
    task_runner(app).stop()
    services.engine.dispose()


def test_migrations_match_the_models(fresh_postgres_url: str) -> None:
    assert check(fresh_postgres_url) != []  # an empty database differs from the models
    upgrade(fresh_postgres_url)
    assert check(fresh_postgres_url) == []
    upgrade(fresh_postgres_url)  # running it again changes nothing
    assert check(fresh_postgres_url) == []


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    upgrade(url)
    assert check(url) == []


def test_the_app_does_not_create_tables_on_postgres(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    overrides = {"instance_path": tmp_path, "database_url": fresh_postgres_url, "task_mode": "sync"}
    settings = settings_from_env(overrides=overrides)
    services = build_services(settings)
    try:
        assert len(check(fresh_postgres_url)) > 0  # still empty: only db-upgrade makes tables
    finally:
        services.engine.dispose()


def test_api_submission_is_stored_and_mailed_on_postgres(pg_app: Flask) -> None:
    services: Services = pg_app.extensions["forms"]
    sent = ehfsa_answers(6)
    reply = pg_app.test_client().post(API, json=sent, headers=referral_headers(pg_app))
    assert reply.status_code == 201, reply.get_data(as_text=True)
    reference = reply.get_json()["reference"]
    with transaction(services.sessions) as session:
        submission = session.scalars(
            select(Submission).where(Submission.reference == reference)
        ).one()
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.submission_id == submission.id)
        ).all()
        answers = services.vault.open(submission.answers_sealed)
        assert answers["referrer"] == sent["referrer"]
        assert submission.submitted_at.tzinfo is not None
        # task_mode sync: the form and the referrer's acknowledgement, delivered at once
        assert sorted((row.kind, row.status) for row in rows) == [
            ("acknowledgement", "sent"),
            ("spoc", "sent"),
        ]
    mails = [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in services.settings.pickup_dir.glob("*.eml")
    ]
    assert len(mails) == 2
    [message] = [m for m in mails if m["To"] == services.settings.spoc_inbox]
    names = {part.get_filename() for part in message.iter_attachments()}
    assert names == {f"{reference}.pdf", f"{reference}.docx"}


def test_nul_character_is_stripped_not_a_500_on_postgres(pg_app: Flask) -> None:
    services: Services = pg_app.extensions["forms"]
    answers = ehfsa_answers(2)
    answers["presenting_issues"] = "a\x00b"
    answers["referrer"]["full_name"] = "Sam\x00 Referrer"
    reply = pg_app.test_client().post(API, json=answers, headers=referral_headers(pg_app))
    assert reply.status_code == 201, reply.get_data(as_text=True)
    reference = reply.get_json()["reference"]
    stored = stored_answers(services, reference)
    assert stored["presenting_issues"] == "ab"
    assert "\x00" not in stored["referrer"]["full_name"]
    for url in ("/api/v1/forms/eh%00fsa/submissions", "/forms/eh%00fsa", "/forms/ehfsa/a%00b"):
        assert pg_app.test_client().get(url).status_code < 500, url
    nul_form = pg_app.test_client().post(
        API.replace("ehfsa", "eh%00fsa"), json={}, headers=referral_headers(pg_app)
    )
    assert nul_form.status_code < 500


def test_nul_character_in_the_web_flow_on_postgres(pg_app: Flask) -> None:
    """Drafts are saved page by page: a NUL typed into a page must not reach PostgreSQL."""
    services: Services = pg_app.extensions["forms"]
    answers = ehfsa_answers(2)
    answers["presenting_issues"] = "a\x00b"
    answers["referrer"]["full_name"] = "Sam\x00 Referrer"
    user = WebUser(pg_app.test_client(), services.registry.get("ehfsa"))
    user.fill_all(answers)
    reply = user.send()
    assert reply.status_code == 302, reply.text[:2000]
    assert stored_answers(services)["presenting_issues"] == "ab"


# --------------------------------------------------------------------------- the delivery race


def _pending_rows(services: Services, count: int) -> list[str]:
    """Rows left pending: ``submit`` queues nothing (the test delivers them itself).
    Each referral makes two: its form to the SPOC inbox, and the acknowledgement."""
    form = services.registry.get("ehfsa")
    for _ in range(count):
        submit(services, form, ehfsa_answers(1), channel="api", actor=ANONYMOUS)
    with transaction(services.sessions) as session:
        pending = select(OutboxMessage.id).where(OutboxMessage.status == "pending")
        ids = list(session.scalars(pending))
    assert len(ids) == MESSAGES
    return ids


def _race(services: Services, ids: list[str]) -> list[str]:
    """``THREADS`` threads each try to deliver every row, in the same order."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            for outbox_id in ids:
                status = deliver(services, outbox_id).status
                with lock:
                    outcomes.append(status)
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=work, name=f"deliver-{i}") for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return outcomes


def _assert_each_sent_once(services: Services, smtp: SmtpTestServer, outcomes: list[str]) -> None:
    assert outcomes.count("sent") == MESSAGES
    assert outcomes.count("skipped") == MESSAGES * (THREADS - 1)
    assert len(smtp.messages) == MESSAGES
    message_ids = [m.parsed()["Message-ID"] for m in smtp.messages]
    assert len(set(message_ids)) == MESSAGES
    with transaction(services.sessions) as session:
        statuses = dict(
            session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        attempts = set(session.scalars(select(OutboxMessage.attempts)))
        submission_ids = set(session.scalars(select(Submission.id)))
        acknowledgement_ids = set(
            session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "acknowledgement"))
        )
    assert statuses == {"sent": MESSAGES}
    assert attempts == {1}
    left_parts = {mid.strip("<>").split("@")[0] for mid in message_ids}
    assert left_parts == submission_ids | acknowledgement_ids


@pytest.fixture
def render_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render the documents for real once, then reuse them: the race is about claiming
    rows, and 50 WeasyPrint renders would only add ~20 s per database."""
    real = compose.render_bounded
    cache: list[Any] = []
    lock = threading.Lock()

    def cached(*args: Any, **kwargs: Any) -> Any:
        with lock:
            if not cache:
                cache.append(real(*args, **kwargs))
            return cache[0]

    monkeypatch.setattr(compose, "render_bounded", cached)


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
@pytest.mark.usefixtures("render_once")
def test_concurrent_workers_deliver_each_row_exactly_once(
    request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpTestServer, database: str
) -> None:
    if database == "postgresql":
        url = request.getfixturevalue("fresh_postgres_url")
        upgrade(url)
    else:
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    settings = settings_from_env(
        overrides={
            "instance_path": tmp_path,
            "database_url": url,
            "task_mode": "sync",
            "smtp_url": smtp.url("smtp"),
            "spoc_inbox": "c-spoc@council.example.gov.uk",
            "secret_key": "x" * 40,
        }
    )
    services = build_services(settings)
    try:
        ids = _pending_rows(services, ROWS)
        outcomes = _race(services, ids)
        _assert_each_sent_once(services, smtp, outcomes)
    finally:
        services.engine.dispose()


def test_db_upgrade_command_migrates_the_configured_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_postgres_url: str
) -> None:
    from forms_service.cli import main

    monkeypatch.setenv("FORMS_DATABASE_URL", fresh_postgres_url)
    monkeypatch.setenv("FORMS_INSTANCE_PATH", str(tmp_path))
    assert main(["db-upgrade"]) == 0
    assert check(fresh_postgres_url) == []
