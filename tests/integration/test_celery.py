"""Scale-out for real: the web app queues ids in a real Redis, a real Celery worker
subprocess (``forms-service worker``) renders and sends them to a real SMTP server,
against a real PostgreSQL. Then the worker is SIGKILLed mid-work and a new one
finishes the job: every message arrives, and any duplicate has the same Message-ID.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import func, select

from forms_service.broker import QUEUES
from forms_service.db import transaction
from forms_service.delivery import compose, lanes, outbox
from forms_service.documents.renderer import DocumentRenderer
from forms_service.migrate import upgrade
from forms_service.services import Services
from forms_service.submissions.models import OutboxMessage, Submission
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.largest import largest
from tests.smtp_server import ReceivedMessage, SmtpTestServer
from tests.staff import referral_headers

API = "/api/v1/forms/ehfsa/submissions"
SHARED_KEYS: dict[str, Any] = {
    "data_keys": (Fernet.generate_key().decode(),),
    "index_key": "celery-test-index-key-" + "k" * 20,
}
SPOC = "c-spoc@council.example.gov.uk"
REFERRER = "p.raman@riverside.example.sch.uk"  # the factory's referrer: acknowledged
BATCH = 10
ARRIVAL_TIMEOUT = 60.0
LEASE_SECONDS = 10  # also Redis's visibility timeout: a killed worker's rows come back fast
SWEEP_SECONDS = 2


def _forms_service_command() -> str:
    beside_python = Path(sys.executable).parent / "forms-service"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("forms-service")
    if found is None:
        pytest.fail("the forms-service command is not installed (pip install -e .)")
    return found


class Worker:
    """``forms-service worker`` in its own process group, so it can be killed whole."""

    def __init__(self, env: dict[str, str], log_path: Path, *options: str) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [_forms_service_command(), "worker", "--concurrency", "2", *options],
            env=env,
            cwd=env["FORMS_INSTANCE_PATH"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool and beat processes, as a crash would."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        else:  # the main process is gone; make sure no pool process outlives it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]


@pytest.fixture
def broker(redis_url: str) -> Iterator[str]:
    """The session's Redis, emptied before and after the test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()
    client.close()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


@pytest.fixture
def no_rendering_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any attempt to render or send in this (the web) process."""
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


def _worker_env(
    instance: Path, database_url: str, broker_url: str, smtp_url: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORMS_", "CELERY_"))}
    instance.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "FORMS_TASK_MODE": "celery",
            "FORMS_BROKER_URL": broker_url,
            "FORMS_DATABASE_URL": database_url,
            "FORMS_SMTP_URL": smtp_url,
            "FORMS_SPOC_INBOX": SPOC,
            "FORMS_DAILY_MAIL": "false",  # beat's daily check must not add a digest
            "FORMS_INSTANCE_PATH": str(instance),
            "FORMS_SECRET_KEY": "w" * 40,
            # Every machine of a scale-out set-up shares the data and index keys.
            "FORMS_DATA_KEYS": SHARED_KEYS["data_keys"][0],
            "FORMS_INDEX_KEY": SHARED_KEYS["index_key"],
            "FORMS_LEASE_SECONDS": str(LEASE_SECONDS),
            "FORMS_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str, worker: Worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.log()}")
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; worker log:\n{worker.log()}")


def _submit(app: Flask, count: int) -> list[str]:
    client = app.test_client()
    references = []
    for _ in range(count):
        # That the web app only queues (never renders) is asserted by what follows: the
        # broker holds the tasks and every row is still pending, with nothing sent.
        reply = client.post(API, json=ehfsa_answers(3), headers=referral_headers(app))
        assert reply.status_code == 201, reply.get_data(as_text=True)
        references.append(reply.get_json()["reference"])
    return references


def _statuses(services: Services) -> dict[str, int]:
    with transaction(services.sessions) as session:
        return dict(
            session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )


def _subject_reference(message: ReceivedMessage) -> str:
    return str(message.parsed()["Subject"]).rsplit(" ", 1)[-1]


def _received_references(smtp: SmtpTestServer, to: str = SPOC) -> set[str]:
    return {_subject_reference(m) for m in list(smtp.messages) if m.rcpt_tos == [to]}


def test_celery_worker_delivers_queued_work_and_survives_sigkill(
    tmp_path: Path,
    fresh_postgres_url: str,
    broker: str,
    smtp: SmtpTestServer,
    workers: list[Worker],
    no_rendering_here: list[str],
) -> None:
    upgrade(fresh_postgres_url)
    app = make_app(
        tmp_path / "web",
        task_mode="celery",
        broker_url=broker,
        database_url=fresh_postgres_url,
        smtp_url=smtp.url("smtp"),
        **SHARED_KEYS,
    )
    services: Services = app.extensions["forms"]
    env = _worker_env(tmp_path / "worker", fresh_postgres_url, broker, smtp.url("smtp"))
    queue = redis.Redis.from_url(broker)
    try:
        # 1. No worker yet: the web app commits and queues; nothing is rendered or sent.
        first = _submit(app, BATCH)
        # The broker holds one task per message: each form and its acknowledgement.
        assert queue.llen("celery") == 2 * BATCH
        time.sleep(0.5)
        assert smtp.messages == []
        assert _statuses(services) == {"pending": 2 * BATCH}

        # 2. A worker started afterwards delivers every queued submission.
        workers.append(Worker(env, tmp_path / "worker-1.log"))
        _wait_for(
            lambda: (
                _received_references(smtp) >= set(first)
                and _received_references(smtp, REFERRER) >= set(first)
            ),
            ARRIVAL_TIMEOUT,
            f"{2 * BATCH} messages",
            workers[-1],
        )
        assert len(smtp.messages) == 2 * BATCH
        for received in smtp.messages:
            reference = _subject_reference(received)
            names = {part.get_filename() for part in received.parsed().iter_attachments()}
            if received.rcpt_tos == [SPOC]:
                assert names == {f"{reference}.pdf", f"{reference}.docx"}
            else:
                assert received.rcpt_tos == [REFERRER] and names == set()

        # 3. SIGKILL the worker while it has work; a new worker finishes everything.
        second = _submit(app, BATCH)
        _wait_for(
            lambda: _statuses(services).get("sending", 0) > 0,
            ARRIVAL_TIMEOUT,
            "the worker to claim a row",
            workers[-1],
        )
        workers[-1].kill()
        unfinished = set(second) - _received_references(smtp)
        assert unfinished, "the worker finished before it could be killed"

        workers.append(Worker(env, tmp_path / "worker-2.log"))
        _wait_for(
            lambda: (
                _received_references(smtp) >= set(first) | set(second)
                and _statuses(services) == {"sent": 4 * BATCH}
            ),
            ARRIVAL_TIMEOUT,
            "every message after the kill",
            workers[-1],
        )
    finally:
        queue.close()
        task_runner(app).stop()
        services.engine.dispose()

    # Each submission arrived; a resend after the crash may duplicate, with one Message-ID.
    ids_by_reference: dict[str, set[str]] = defaultdict(set)
    for received in smtp.messages:
        if received.rcpt_tos == [SPOC]:
            reference = _subject_reference(received)
            ids_by_reference[reference].add(str(received.parsed()["Message-ID"]))
    assert set(ids_by_reference) == set(first) | set(second)
    assert _received_references(smtp, REFERRER) == set(first) | set(second)
    assert all(len(ids) == 1 for ids in ids_by_reference.values()), ids_by_reference
    with transaction(services.sessions) as session:
        submission_ids = set(session.scalars(select(Submission.id)))
    message_ids = {next(iter(ids)) for ids in ids_by_reference.values()}
    assert {mid.strip("<>").split("@")[0] for mid in message_ids} == submission_ids
    assert no_rendering_here == []


def test_large_renders_have_their_own_queue_and_worker(
    tmp_path: Path,
    fresh_postgres_url: str,
    broker: str,
    smtp: SmtpTestServer,
    workers: list[Worker],
    no_rendering_here: list[str],
) -> None:
    """10 of the largest EHFSAs, then a normal one: the large forms go to the slow
    queue, and with a worker on each queue the normal one reaches SMTP before the
    large ones are all delivered (issue 14)."""
    upgrade(fresh_postgres_url)
    app = make_app(
        tmp_path / "web",
        task_mode="celery",
        broker_url=broker,
        database_url=fresh_postgres_url,
        smtp_url=smtp.url("smtp"),
        **SHARED_KEYS,
    )
    services: Services = app.extensions["forms"]
    env = _worker_env(tmp_path / "worker", fresh_postgres_url, broker, smtp.url("smtp"))
    queue = redis.Redis.from_url(broker)
    _form, biggest = largest("ehfsa")
    client = app.test_client()
    try:
        large = []
        for _ in range(BATCH):
            reply = client.post(API, json=biggest, headers=referral_headers(app))
            assert reply.status_code == 201, reply.get_data(as_text=True)
            large.append(reply.get_json()["reference"])
        reply = client.post(API, json=ehfsa_answers(3), headers=referral_headers(app))
        normal = reply.get_json()["reference"]
        # The large forms wait on their own queue; the normal form and every
        # acknowledgement (no documents) on the normal one.
        assert queue.llen(QUEUES[lanes.SLOW]) == BATCH
        assert queue.llen(QUEUES[lanes.NORMAL]) == BATCH + 2

        workers.append(Worker(env, tmp_path / "slow.log", "--queues", "slow", "--no-beat"))
        workers.append(Worker(env, tmp_path / "normal.log", "--queues", "normal"))
        _wait_for(
            lambda: normal in _received_references(smtp),
            ARRIVAL_TIMEOUT * 3,
            "the normal referral",
            workers[-1],
        )
        arrived = _received_references(smtp)
        assert len(set(large) & arrived) < BATCH, "the normal referral waited for them all"
    finally:
        queue.close()
        task_runner(app).stop()
        services.engine.dispose()
    assert no_rendering_here == []
