"""Nothing lost: SMTP outages, temporary and permanent refusals, a locked
database. Real aiosmtpd on loopback and real SQLite throughout; retries are
made fast by configuration (the backoff shape is the production one)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from forms_service.cli import main
from forms_service.delivery import outbox
from forms_service.delivery.outbox import backoff
from forms_service.services import Services
from forms_service.submissions.models import OutboxMessage, Submission
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.smtp_server import ReceivedMessage, SmtpTestServer, free_port
from tests.staff import referral_headers
from tests.webuser import WebUser, csrf_token

FAST_RETRIES = {"retry_base_seconds": 0.01, "retry_max_seconds": 0.05}
SPOC = "c-spoc@council.example.gov.uk"


def _app(tmp_path: Path, smtp_url: str, **overrides: Any) -> Flask:
    return make_app(tmp_path, smtp_url=smtp_url, **{**FAST_RETRIES, **overrides})


def _rows(services: Services, kind: str | None = "spoc") -> list[OutboxMessage]:
    """The outbox rows of ``kind`` (the forms to the SPOC inbox unless told; None: all)."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    with services.sessions() as db:
        return list(db.scalars(query))


def _to_spoc(smtp: SmtpTestServer) -> list[ReceivedMessage]:
    """The messages the SPOC inbox received (each referral also acknowledges its referrer)."""
    return [m for m in smtp.messages if m.rcpt_tos == [SPOC]]


def _sweep_until_settled(app: Flask, timeout: float = 60.0) -> None:
    services: Services = app.extensions["forms"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task_runner(app).sweep()
        if all(r.status in ("sent", "failed") for r in _rows(services, None)):
            return
        time.sleep(0.02)
    raise AssertionError([(r.kind, r.status, r.last_error) for r in _rows(services, None)])


def _submit(app: Flask, count: int) -> list[str]:
    client = app.test_client()
    references = []
    for _ in range(count):
        reply = client.post(
            "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=referral_headers(app)
        )
        assert reply.status_code == 201
        references.append(reply.get_json()["reference"])
    return references


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    delays = [backoff(n, 30, 3600).total_seconds() for n in range(1, 10)]
    assert 24 <= delays[0] <= 36 and 48 <= delays[1] <= 72
    assert all(d <= 3600 * 1.2 for d in delays)


def test_smtp_down_for_the_whole_burst_then_up_delivers_each_once(tmp_path: Path) -> None:
    port = free_port()
    app = _app(tmp_path, f"smtp://127.0.0.1:{port}")
    services: Services = app.extensions["forms"]
    references = _submit(app, 12)  # SMTP is down: every reference is still acknowledged
    rows = _rows(services, None)  # each form, and each referrer's acknowledgement
    assert len(rows) == 24 and len(_rows(services)) == 12
    assert {r.status for r in rows} == {"retrying"}
    assert all("connect" in (r.last_error or "") or "refused" in (r.last_error or "") for r in rows)
    server = SmtpTestServer().start(port)
    try:
        _sweep_until_settled(app)
    finally:
        server.stop()
    assert {r.status for r in _rows(services, None)} == {"sent"}
    to_spoc = [m for m in server.messages if m.rcpt_tos == [SPOC]]
    subjects = sorted(m.parsed()["Subject"].split("– ")[1] for m in to_spoc)
    assert subjects == sorted(references)
    ids = [m.parsed()["Message-ID"] for m in server.messages]
    assert len(set(ids)) == len(ids) == 24


def test_temporary_refusals_are_retried_then_delivered(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    smtp.fail_next(451, 3)
    # Only the form: the referrer's address is outside the trusted domains, so the
    # three refusals all fall on the one message.
    app = _app(tmp_path, smtp.url("smtp"), trusted_email_domains=("council.example.gov.uk",))
    services: Services = app.extensions["forms"]
    _submit(app, 1)
    seen: list[tuple[str, int]] = []
    for _ in range(200):
        row = _rows(services)[0]
        seen.append((row.status, row.attempts))
        if row.status == "sent":
            break
        task_runner(app).sweep()
        time.sleep(0.02)
    assert seen[-1] == ("sent", 4)
    assert ("retrying", 1) in seen and ("retrying", 3) in seen
    assert len(smtp.messages) == 1


def test_permanent_refusal_fails_visibly_with_the_reason(
    tmp_path: Path,
    smtp: SmtpTestServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp.fail_next(550, 1)
    app = _app(tmp_path, smtp.url("smtp"))
    services: Services = app.extensions["forms"]
    [reference] = _submit(app, 1)
    row = _rows(services)[0]
    assert row.status == "failed" and row.attempts == 1
    assert "550" in (row.last_error or "")
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["failed"] == 1
    for key, value in {
        "FORMS_DATABASE_URL": services.settings.database_url,
        "FORMS_INSTANCE_PATH": str(services.settings.instance_path),
        "FORMS_SMTP_URL": smtp.url("smtp"),
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["outbox"]) == 0
    listing = capsys.readouterr().out
    assert reference in listing and "failed" in listing and "550" in listing
    assert main(["outbox", "--retry", reference]) == 0  # the server now accepts it
    assert _rows(services)[0].status == "sent"
    assert len(_to_spoc(smtp)) == 1


def test_message_over_the_size_cap_fails_as_too_large(tmp_path: Path, smtp: SmtpTestServer) -> None:
    app = _app(tmp_path, smtp.url("smtp"), smtp_size_cap=10_000)
    _submit(app, 1)
    row = _rows(app.extensions["forms"])[0]
    assert row.status == "failed" and "too_large" in (row.last_error or "")
    assert _to_spoc(smtp) == []


def test_a_sent_message_is_never_sent_again(tmp_path: Path, smtp: SmtpTestServer) -> None:
    app = _app(tmp_path, smtp.url("smtp"))
    services: Services = app.extensions["forms"]
    _submit(app, 1)
    row = _rows(services)[0]
    for _ in range(3):
        task_runner(app).enqueue_delivery(row.id)
        task_runner(app).sweep()
    assert len(_to_spoc(smtp)) == 1 and len(smtp.messages) == 2


def test_work_left_by_a_dead_worker_is_picked_up(tmp_path: Path, smtp: SmtpTestServer) -> None:
    app = _app(tmp_path, f"smtp://127.0.0.1:{free_port()}", lease_seconds=0.0)
    services: Services = app.extensions["forms"]
    _submit(app, 1)
    with services.sessions.begin() as db:  # as if a worker claimed it, then died mid-send
        db.execute(OutboxMessage.__table__.update().values(status="sending"))
    services.settings.__dict__["smtp_url"] = smtp.url("smtp")  # frozen dataclass: test only
    _sweep_until_settled(app)
    assert _rows(services)[0].status == "sent" and len(_to_spoc(smtp)) == 1


def test_a_worker_whose_lease_ran_out_while_rendering_does_not_send(
    tmp_path: Path, smtp: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A render slower than the lease: the sweeper hands the row to another worker,
    which sends it; the first worker then finds its claim gone and sends nothing."""
    app = _app(tmp_path, f"smtp://127.0.0.1:{free_port()}", lease_seconds=0.0)
    services: Services = app.extensions["forms"]
    _submit(app, 1)  # SMTP down: the row waits to be retried
    services.settings.__dict__["smtp_url"] = smtp.url("smtp")  # frozen dataclass: test only
    row = _rows(services)[0]
    time.sleep(0.1)  # past the (fast) backoff
    real_compose = outbox.compose
    overtaken: list[str] = []
    renders: list[str] = []

    def slow_compose(svc: Services, pending: Any) -> Any:
        renders.append(pending.message_id)
        if len(renders) == 1:  # the first worker, mid-render, loses its lease to a second
            overtaken.append(outbox.deliver(svc, outbox.due_ids(svc)[0]).status)
        return real_compose(svc, pending)

    monkeypatch.setattr(outbox, "compose", slow_compose)
    first = outbox.deliver(services, row.id)
    assert overtaken == ["sent"] and first.status == "skipped"
    assert len(_to_spoc(smtp)) == 1 and _rows(services)[0].status == "sent"


def test_locked_database_gives_a_clear_error_and_keeps_the_answers(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    services: Services = app.extensions["forms"]
    client = app.test_client()
    user = WebUser(client, services.registry.get("ehfsa"))
    answers = ehfsa_answers(2)
    user.fill_all(answers)
    token = csrf_token(client.get(user.url("check-answers")).text)
    headers = referral_headers(app)
    path = services.settings.database_url.removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        reply = client.post(user.url("check-answers"), data={"csrf_token": token})
        api = client.post("/api/v1/forms/ehfsa/submissions", json=answers, headers=headers)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert reply.status_code == 503 and "Your answers have been kept" in reply.text
    assert "Traceback" not in reply.text
    assert api.status_code == 503 and "Nothing was stored" in str(api.get_json())
    with services.sessions() as db:
        assert db.scalars(select(Submission)).all() == []
        assert db.scalars(select(OutboxMessage)).all() == []
    page = client.get(user.url("check-answers"))
    assert answers["household"][1]["first_name"] in page.text  # the draft survived
    assert user.send().status_code == 302


def test_every_state_change_is_recorded_with_a_time(tmp_path: Path, smtp: SmtpTestServer) -> None:
    from forms_service.delivery.status import history

    smtp.fail_next(451, 1)
    app = _app(tmp_path, smtp.url("smtp"))
    services: Services = app.extensions["forms"]
    [reference] = _submit(app, 1)
    _sweep_until_settled(app)
    steps = history(services, reference)
    assert [status for _, status, _ in steps] == [
        "pending",
        "sending",
        "retrying",
        "sending",
        "sent",
    ]
    assert "451" in (steps[2][2] or "")
    times = [at for at, _, _ in steps]
    assert times == sorted(times)


def test_a_render_that_overruns_is_stopped_retried_and_the_submission_kept(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    app = _app(tmp_path, smtp.url("smtp"), render_timeout_seconds=0.001)
    services: Services = app.extensions["forms"]
    [reference] = _submit(app, 1)
    row = _rows(services)[0]
    assert row.status == "retrying" and "longer than" in (row.last_error or "")
    assert _to_spoc(smtp) == []
    services.settings.__dict__["render_timeout_seconds"] = 60.0  # frozen dataclass: test only
    _sweep_until_settled(app)
    assert _rows(services)[0].status == "sent"
    assert reference in _to_spoc(smtp)[0].parsed()["Subject"]


def test_a_render_that_overruns_twice_fails_visibly_instead_of_retrying_all_day(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    """The second timeout ends the row as ``failed: render_timeout`` and turns /healthz red."""
    app = _app(tmp_path, smtp.url("smtp"), render_timeout_seconds=0.001)
    services: Services = app.extensions["forms"]
    _submit(app, 1)
    assert _rows(services)[0].status == "retrying"
    _sweep_until_settled(app)
    row = _rows(services)[0]
    assert row.status == "failed"
    assert (row.last_error or "").startswith("render_timeout")
    assert row.attempts == 2
    assert _to_spoc(smtp) == []
    assert app.test_client().get("/healthz").status_code == 503
