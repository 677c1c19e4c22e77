"""Crash consistency of the embedded service: SIGKILL the process (web server and
its delivery thread together) at random moments during 200 submissions.

After restarts, every acknowledged reference is in the database, SQLite's
integrity check passes, and every message is delivered (or visibly failed).
A message may arrive twice only across the documented crash window (killed
between SMTP's 250 and the commit), and then with the same Message-ID."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from tests.factories import ehfsa_answers
from tests.smtp_server import SmtpTestServer, free_port

SUBMISSIONS = 200
SPOC = "c-spoc@council.example.gov.uk"
KILLS = 4
#: Delivery threads sending at once: one kill can land inside each one's crash window.
SENDERS = 2


class Service:
    """``forms-service run`` as a child process that can be killed and restarted."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.process: subprocess.Popen[bytes] | None = None
        self.token = self._referral_token()

    def _referral_token(self) -> str:
        """A referral API token, made with the CLI as an administrator would."""
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "forms_service.cli",
                "api-tokens",
                "create",
                "--name",
                "crash test",
                "--forms",
                "ehfsa",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return made.stdout.strip().splitlines()[-1]

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "forms_service.cli", "run", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/forms", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise AssertionError("the service did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def submit(self, body: bytes) -> str | None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/forms/ehfsa/submissions",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return str(json.load(reply)["reference"]) if reply.status == 201 else None
        except (urllib.error.URLError, ConnectionError, OSError):
            return None  # not acknowledged: the client sends it again


def test_sigkill_during_200_submissions_loses_nothing(tmp_path: Path) -> None:
    smtp = SmtpTestServer().start()
    instance = tmp_path / "instance"
    env = {
        **os.environ,
        "FORMS_INSTANCE_PATH": str(instance),
        "FORMS_SMTP_URL": smtp.url("smtp"),
        "FORMS_SPOC_INBOX": SPOC,
        "FORMS_DAILY_MAIL": "false",  # no digest in the SPOC inbox if run on a working morning
        "FORMS_SECRET_KEY": "k" * 40,
        "FORMS_SWEEP_SECONDS": "0.5",
        "FORMS_LEASE_SECONDS": "2",
        "FORMS_RETRY_BASE_SECONDS": "0.2",
        "FORMS_DELIVERY_THREADS": str(SENDERS),
    }
    service = Service(env, free_port())
    service.start()
    rng = random.Random(20261124)
    kill_points = sorted(rng.sample(range(20, SUBMISSIONS), KILLS))
    body = json.dumps(ehfsa_answers(1)).encode()
    acknowledged: list[str] = []
    kills = 0
    try:
        while len(acknowledged) < SUBMISSIONS:
            reference = service.submit(body)
            if reference is not None:
                acknowledged.append(reference)
            if kill_points and len(acknowledged) >= kill_points[0]:
                kill_points.pop(0)
                time.sleep(rng.uniform(0, 0.3))  # land somewhere inside a render or send
                service.kill()
                kills += 1
                service.start()
        database = instance / "forms.sqlite3"
        deadline = time.monotonic() + 240
        statuses: Counter[str] = Counter()
        while time.monotonic() < deadline:
            with sqlite3.connect(database) as db:
                statuses = Counter(s for (s,) in db.execute("SELECT status FROM outbox"))
            if set(statuses) <= {"sent", "failed"}:
                break
            time.sleep(0.5)
    finally:
        service.kill()
        smtp.stop()
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {r for (r,) in db.execute("SELECT reference FROM submissions")}
        ids = dict(db.execute("SELECT reference, id FROM submissions").fetchall())
        sent = Counter(k for (k,) in db.execute("SELECT kind FROM outbox WHERE status = 'sent'"))
        acknowledgement_ids = dict(
            db.execute(
                "SELECT s.reference, o.message_id FROM outbox o "
                "JOIN submissions s ON s.id = o.submission_id WHERE o.kind = 'acknowledgement'"
            ).fetchall()
        )
    assert kills == KILLS
    assert set(acknowledged) <= stored, "an acknowledged referral was lost"
    # Each referral is a form to the SPOC inbox and an acknowledgement to its referrer.
    assert sent == {"spoc": len(stored), "acknowledgement": len(stored)}, statuses
    per_reference = Counter(
        (m.rcpt_tos[0], m.parsed()["Subject"].split("– ")[1]) for m in smtp.messages
    )
    assert {ref for to, ref in per_reference if to == SPOC} == stored, (
        "a stored referral was never delivered"
    )
    assert {ref for to, ref in per_reference if to != SPOC} == stored
    for message in smtp.messages:
        reference = message.parsed()["Subject"].split("– ")[1]
        expected = ids[reference] if message.rcpt_tos == [SPOC] else acknowledgement_ids[reference]
        assert message.parsed()["Message-ID"].startswith(f"<{expected}@")
    duplicates = sum(count - 1 for count in per_reference.values())
    assert duplicates <= KILLS * SENDERS, per_reference.most_common(5)
    print(
        f"\n{SUBMISSIONS} acknowledged, {len(stored)} stored, {kills} kills, "
        f"{len(smtp.messages)} messages, {duplicates} duplicate(s) with the same Message-ID"
    )
