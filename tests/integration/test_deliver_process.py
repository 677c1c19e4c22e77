"""``FORMS_TASK_MODE=deliver`` (issue 14): web processes only signal new mail, and a
``forms-service deliver`` process delivers it, so no delivery thread lives in a web
worker that gunicorn may kill.

The web app here is the test's Flask app, with rendering and delivery made to
fail loudly in this process; ``forms-service deliver`` is a real subprocess on
the same database (SQLite, polled each second; PostgreSQL, woken by NOTIFY),
sending to a real SMTP server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from forms_service.delivery import compose, outbox
from forms_service.documents.renderer import DocumentRenderer
from forms_service.migrate import upgrade
from forms_service.tasks import SignalRunner
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.integration.test_celery import _forms_service_command
from tests.smtp_server import SmtpTestServer
from tests.staff import referral_headers

API = "/api/v1/forms/ehfsa/submissions"
SPOC = "c-spoc@council.example.gov.uk"
DATA_KEY = Fernet.generate_key().decode()
INDEX_KEY = "deliver-test-index-key-" + "k" * 20
ARRIVAL_TIMEOUT = 120.0


@pytest.fixture
def nothing_delivered_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def forbidden(name: str) -> Callable[..., Any]:
        def record(*_args: Any, **_kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"the web process called {name}")

        return record

    monkeypatch.setattr(DocumentRenderer, "render", forbidden("DocumentRenderer.render"))
    monkeypatch.setattr(compose, "render_bounded", forbidden("render_bounded"))
    monkeypatch.setattr(outbox, "deliver", forbidden("deliver"))
    return calls


@contextlib.contextmanager
def deliver_process(folder: Path, database_url: str, smtp_url: str) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMS_")}
    env.update(
        {
            "FORMS_TASK_MODE": "deliver",
            "FORMS_DATABASE_URL": database_url,
            "FORMS_SMTP_URL": smtp_url,
            "FORMS_SPOC_INBOX": SPOC,
            "FORMS_DAILY_MAIL": "false",
            "FORMS_INSTANCE_PATH": str(folder),
            "FORMS_SECRET_KEY": "d" * 40,
            "FORMS_DATA_KEYS": DATA_KEY,
            "FORMS_INDEX_KEY": INDEX_KEY,
            # Only a wake-up (NOTIFY, or SQLite's one-second poll) delivers quickly.
            "FORMS_SWEEP_SECONDS": "600",
            "PYTHONUNBUFFERED": "1",
        }
    )
    log = folder / "deliver.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [_forms_service_command(), "deliver"],
            env=env,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield log
    finally:
        process.send_signal(signal.SIGTERM)  # a clean stop: the lanes finish and exit
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert process.returncode == 0, log.read_text(errors="replace")[-3000:]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_deliver_process_sends_what_web_processes_store(
    tmp_path: Path,
    smtp: SmtpTestServer,
    nothing_delivered_here: list[str],
    database: str,
    request: pytest.FixtureRequest,
) -> None:
    if database == "postgresql":
        database_url = str(request.getfixturevalue("fresh_postgres_url"))
        upgrade(database_url)
    else:
        database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    app = make_app(
        tmp_path / "web",
        task_mode="deliver",
        database_url=database_url,
        smtp_url=smtp.url("smtp"),
        data_keys=(DATA_KEY,),
        index_key=INDEX_KEY,
    )
    assert isinstance(task_runner(app), SignalRunner)
    try:
        with deliver_process(tmp_path / "deliver", database_url, smtp.url("smtp")) as log:
            reply = app.test_client().post(
                API, json=ehfsa_answers(3), headers=referral_headers(app)
            )
            assert reply.status_code == 201
            reference = reply.get_json()["reference"]
            deadline = time.monotonic() + ARRIVAL_TIMEOUT
            while not any(m.rcpt_tos == [SPOC] for m in list(smtp.messages)):
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                time.sleep(0.1)
    finally:
        task_runner(app).stop()
        app.extensions["forms"].engine.dispose()
    [received] = [m for m in smtp.messages if m.rcpt_tos == [SPOC]]
    assert str(received.parsed()["Subject"]).endswith(reference)
    assert nothing_delivered_here == []
