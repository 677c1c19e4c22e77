"""Submission throughput and submission → SMTP latency against the real service.

The service runs under gunicorn on loopback with SQLite (a fresh
``FORMS_INSTANCE_PATH``, on the same disk as the repository, so
``synchronous=FULL`` really waits for the disk), ``FORMS_TASK_MODE=thread``
(each worker has its own delivery thread) and ``FORMS_SMTP_URL`` pointing at
an aiosmtpd server in this process, so every message is really sent.

Phases (each on a fresh service and database):

1. throughput: ``clients`` concurrent clients (half API, half web form) POST
   valid EHFSAs for ``seconds``; submissions/s, p50/p95/p99, errors. The web
   clients post "Send" on the check-answers page of a draft prepared in the
   database beforehand (one draft per submission), with a real signed session
   cookie and CSRF token.
2. steady rate: ``rate`` submissions/s (API, open loop) for ``seconds``; time
   from the POST to the message (with the PDF and DOCX attached) accepted by
   the SMTP server, p50/p95.
3. capacity: a burst of submissions queued at once; the rate at which they
   leave as email is the most this machine can sustain.

Worker peak RSS is each gunicorn worker's ``VmHWM`` at the end of a phase.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.factories import ROOT

from .fixtures import Fixture
from .stats import summary

SECRET = "benchmark-secret-key-0123456789-abcdefghijklmnop"
REFERENCE_RE = re.compile(rb"EH-[0-9A-Z-]{6,}")


def _free_port() -> int:
    from tests.smtp_server import free_port

    return free_port()


class SmtpClock:
    """The aiosmtpd test server, with the time each message was accepted."""

    def __init__(self) -> None:
        from tests.smtp_server import SmtpTestServer

        self.server = SmtpTestServer(size_limit=None)
        self.arrivals: dict[str, tuple[float, bool]] = {}
        self._seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> SmtpClock:
        self.server.start()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.server.stop()

    def url(self) -> str:
        return self.server.url()

    def _watch(self) -> None:
        while not self._stop.is_set():
            messages = self.server.messages
            now = time.time()
            while self._seen < len(messages):
                data = messages[self._seen].data
                self._seen += 1
                reference = self._reference(data)
                self.arrivals[reference] = (now, self._both_attached(data))
            time.sleep(0.005)

    @staticmethod
    def _reference(data: bytes) -> str:
        msg = email.message_from_bytes(data)
        subject = str(msg.get("Subject", ""))
        match = re.search(r"EH-[0-9A-Z-]+", subject)
        return match.group(0) if match else ""

    @staticmethod
    def _both_attached(data: bytes) -> bool:
        msg = email.message_from_bytes(data)
        types = {part.get_content_type() for part in msg.walk() if part.get_filename()}
        return "application/pdf" in types and any("wordprocessingml" in t for t in types)


class Service:
    """gunicorn serving ``forms_service:create_app()`` on a fresh instance directory."""

    def __init__(self, smtp_url: str, workers: int, threads: int) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-forms-", dir=ROOT / "benchmarks")
        self.instance = Path(self.tmp.name)
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "FORMS_INSTANCE_PATH": str(self.instance),
            "FORMS_SMTP_URL": smtp_url,
            "FORMS_SECRET_KEY": SECRET,
            "FORMS_TASK_MODE": "thread",
            "FORMS_SWEEP_SECONDS": "1",
            # One client machine sends thousands of submissions a minute from one
            # address and one token: a load test, not a rate-limit test.
            "FORMS_LIMIT_API_SUBMISSIONS": "1000000/minute",
            "FORMS_LIMIT_PUBLIC_POSTS": "1000000/minute",
        }
        self.token = ""
        self.workers, self.threads = workers, threads
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        self._create_schema()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.proc = subprocess.Popen(
            [
                str(gunicorn),
                "-w",
                str(self.workers),
                "--threads",
                str(self.threads),
                "-b",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                "--timeout",
                "120",
                "forms_service:create_app()",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.instance / "gunicorn.log", "wb"),
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/v1/forms", timeout=2):
                    pass
                if len(self.worker_pids()) >= self.workers:
                    # every worker must have booted (each makes its own delivery thread)
                    time.sleep(1.0)
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {self.instance / 'gunicorn.log'}")

    def _create_schema(self) -> None:
        """Tables made once, before the workers race to make them; a referral API token."""
        from forms_service.audit import CLI
        from forms_service.auth import tokens

        app = self.app()
        services = app.extensions["forms"]
        forms = tuple(f.id for f in services.registry.all() if f.open_to_anyone)
        self.token = tokens.create(services, "benchmark", CLI, forms=forms)
        del app

    def app(self) -> Any:
        """A Flask app on the same database (sync tasks: it never delivers anything)."""
        saved = dict(os.environ)
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("FORMS_")})
        try:
            from forms_service import create_app

            return create_app({"task_mode": "sync"})
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    @staticmethod
    def _children(pid: int) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def peak_rss_mb(self) -> dict[str, float]:
        """VmHWM (peak resident set) of the master, each worker and each render process, in MB.

        A worker's render processes (``documents/bounded.py``) are its children.
        """
        result = {}
        named = [("master", self.proc.pid)] if self.proc else []
        for pid in self.worker_pids():
            named.append((f"worker-{pid}", pid))
            named += [(f"render-{child}", child) for child in self._children(pid)]
        for name, pid in named:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        result[name] = round(int(line.split()[1]) / 1024, 1)
        return result

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        self.tmp.cleanup()

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def prepare_web_drafts(service: Service, fx: Fixture, count: int) -> list[dict[str, str]]:
    """``count`` complete drafts of ``fx`` in the database, each with its session cookie."""
    import secrets

    from flask import session
    from flask_wtf.csrf import generate_csrf

    from forms_service.crypto import token_digest
    from forms_service.db import transaction
    from forms_service.flow.drafts import SESSION_KEY
    from forms_service.submissions.models import Draft

    app = service.app()
    services = app.extensions["forms"]
    ids = [secrets.token_urlsafe(32) for _ in range(count)]  # the cookie's tokens
    with transaction(services.sessions) as db:
        db.add_all(
            Draft(
                id=token_digest(i),
                form_id=fx.form.id,
                answers_sealed=services.vault.seal(fx.answers),
            )
            for i in ids
        )
    serializer = app.session_interface.get_signing_serializer(app)
    drafts = []
    for draft_id in ids:
        with app.test_request_context():
            session[SESSION_KEY] = {fx.form.id: draft_id}
            csrf = generate_csrf()
            drafts.append({"cookie": serializer.dumps(dict(session)), "csrf": csrf})
    return drafts


def run_client(spec: dict[str, Any]) -> list[list[Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
        path = handle.name
    try:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.client", path],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=spec["seconds"] + 180,
        )
    finally:
        os.unlink(path)
    samples: list[list[Any]] = json.loads(out.stdout)["samples"]
    return samples


def _latency(samples: list[list[Any]], ok: Callable[[Any], bool]) -> dict[str, Any]:
    good = [s for s in samples if ok(s[3])]
    errors: dict[str, int] = {}
    for s in samples:
        if not ok(s[3]):
            errors[str(s[3])] = errors.get(str(s[3]), 0) + 1
    if samples:
        span = max(s[1] + s[2] / 1000 for s in samples) - min(s[1] for s in samples)
    else:
        span = 0.0
    return {
        "requests": len(samples),
        "ok": len(good),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "per_second": round(len(good) / span, 1) if span else 0.0,
        **{k: v for k, v in summary([s[2] for s in good]).items() if k != "n"},
    }


def throughput(
    fx: Fixture,
    smtp_url: str,
    *,
    clients: int,
    seconds: float,
    workers: int,
    threads: int,
    log: Callable[[str], None],
    paced_rate: float = 100,
) -> dict[str, Any]:
    """Closed loop (``clients`` posting back to back: the saturation rate), then an
    open loop at ``paced_rate``/s (the latency a steady load below saturation sees).

    With zero think time, Little's law ties the two closed-loop targets together:
    mean latency = clients / throughput, so 50 clients at 200/s wait 250 ms on
    average however fast each request is served; the paced run shows the
    latency of the request itself.
    """
    web_clients = clients // 2
    api_clients = clients - web_clients
    with Service(smtp_url, workers, threads) as service:
        drafts = prepare_web_drafts(service, fx, int(seconds * 300) if web_clients else 0)
        log(f"  throughput: {len(drafts)} web drafts ready; {clients} clients for {seconds:.0f} s")
        spec = {
            "base_url": service.base_url,
            "token": service.token,
            "api_path": f"/api/v1/forms/{fx.form.id}/submissions",
            "web_path": f"/forms/{fx.form.id}/check-answers",
            "body": fx.body,
            "drafts": drafts,
            "api_clients": api_clients,
            "web_clients": web_clients,
            "seconds": seconds,
            "max_requests": int(seconds * 2000),
        }
        samples = run_client(spec)
        log(f"  paced: {paced_rate:g} submissions/s (API, open loop) for {seconds:.0f} s")
        paced = run_client({**spec, "rate": paced_rate, "drafts": []})
        rss = service.peak_rss_mb()
    api = [s for s in samples if s[0] == "api"]
    web = [s for s in samples if s[0] == "web"]
    return {
        "fixture": fx.name,
        "clients": {"api": api_clients, "web": web_clients},
        "seconds": seconds,
        "gunicorn": {"workers": workers, "threads": threads},
        "all": _latency(samples, lambda st: st in (201, 302)),
        "api": _latency(api, lambda st: st == 201),
        "web": _latency(web, lambda st: st == 302),
        "paced": {"rate": paced_rate, **_latency(paced, lambda st: st == 201)},
        "peak_rss_mb": rss,
    }


def _delivery(samples: list[list[Any]], smtp: SmtpClock, drain_seconds: float) -> dict[str, Any]:
    references = {s[4]: s[1] for s in samples if s[3] == 201}
    deadline = time.time() + drain_seconds
    while time.time() < deadline and not set(references) <= set(smtp.arrivals):
        time.sleep(0.1)
    latencies = [
        (smtp.arrivals[ref][0] - start) * 1000
        for ref, start in references.items()
        if ref in smtp.arrivals
    ]
    incomplete = sum(1 for ref in references if ref in smtp.arrivals and not smtp.arrivals[ref][1])
    arrivals = sorted(smtp.arrivals[ref][0] for ref in references if ref in smtp.arrivals)
    return {
        "submitted": len(references),
        "delivered": len(latencies),
        "missing_attachment": incomplete,
        "not_delivered": len(references) - len(latencies),
        "submit_errors": sum(1 for s in samples if s[3] != 201),
        "latency": summary(latencies),
        "arrivals": arrivals,
    }


def end_to_end(
    fx: Fixture,
    *,
    rate: float,
    seconds: float,
    burst: int,
    workers: int,
    threads: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "fixture": fx.name,
        "gunicorn": {"workers": workers, "threads": threads},
    }
    base_spec = {"api_path": f"/api/v1/forms/{fx.form.id}/submissions", "body": fx.body}
    with SmtpClock() as smtp, Service(smtp.url(), workers, threads) as service:
        log(f"  end to end: {rate}/s for {seconds:.0f} s")
        samples = run_client(
            {
                **base_spec,
                "base_url": service.base_url,
                "rate": rate,
                "seconds": seconds,
                "token": service.token,
            }
        )
        steady = _delivery(samples, smtp, drain_seconds=60)
        steady.pop("arrivals")
        steady["rate"] = rate
        steady["submit_latency"] = _latency(samples, lambda st: st == 201)
        result["steady"] = steady
        result["peak_rss_mb_steady"] = service.peak_rss_mb()
    with SmtpClock() as smtp, Service(smtp.url(), workers, threads) as service:
        log(f"  capacity: a burst of {burst} submissions")
        samples = run_client(
            {
                **base_spec,
                "base_url": service.base_url,
                "rate": 200,
                "seconds": burst / 200,
                "token": service.token,
            }
        )
        drained = _delivery(samples, smtp, drain_seconds=240)
        arrivals = drained.pop("arrivals")
        # Sustained rate: messages per second once the queue is full (first to last arrival).
        sustained = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 2 else 0
        drained["max_sustained_per_second"] = round(sustained, 2)
        result["capacity"] = drained
        result["peak_rss_mb_capacity"] = service.peak_rss_mb()
    return result


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpClock]:
    with SmtpClock() as smtp:
        yield smtp
