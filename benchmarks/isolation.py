"""Issue 14's figures for the slow lane and slow clients (``BENCH_ONLY=lane,slowloris``).

* ``lane``: 10 of the largest EHFSAs (``tests/largest.py``, from the form's
  ``max_length``/``max_items``), then 1 normal one, through the API into the
  embedded delivery threads and a real SMTP server: how long the normal one
  takes from its submission to the SMTP server (goal: under 5 s), and how many
  large ones had arrived by then; beside it, a normal one alone (after a first
  one has started the render processes).
* ``slowloris``: 100 connections sending one header line every 2 s, held while
  normal GETs of ``/forms/`` are timed, through the shipped ``deploy/nginx.conf``
  in front of gunicorn (``gunicorn.conf.py``, 2 workers x 4 threads) and straight
  to the same gunicorn. A request that gets no answer in 30 s counts as 30 s.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forms_service.delivery.lanes import answer_size
from forms_service.documents import bounded
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.largest import largest
from tests.proxied import Slowloris, get, gunicorn, nginx
from tests.smtp_server import SmtpTestServer
from tests.staff import referral_headers

from .stats import percentile

API = "/api/v1/forms/ehfsa/submissions"
SPOC = "c-spoc@council.example.gov.uk"
GIVE_UP_SECONDS = 30.0


def _spoc_references(smtp: SmtpTestServer) -> list[str]:
    return [
        str(m.parsed()["Subject"]).rsplit(" ", 1)[-1]
        for m in list(smtp.messages)
        if m.rcpt_tos == [SPOC]
    ]


def lane(large: int, log: Callable[[str], None]) -> dict[str, Any]:
    """The normal referral's delay behind ``large`` of the largest, and alone."""
    _form, biggest = largest("ehfsa")
    with tempfile.TemporaryDirectory() as tmp, SmtpTestServer() as smtp:
        app = make_app(Path(tmp), smtp_url=smtp.url("smtp"), task_mode="thread", delivery_threads=2)
        client = app.test_client()

        def normal_delay() -> float:
            started = time.monotonic()
            reply = client.post(API, json=ehfsa_answers(6), headers=referral_headers(app))
            normal = reply.get_json()["reference"]
            while normal not in _spoc_references(smtp):
                if time.monotonic() - started > 600:
                    raise RuntimeError("the normal referral did not arrive in 10 minutes")
                time.sleep(0.05)
            return time.monotonic() - started

        try:
            cold = normal_delay()  # starts the normal lane's render processes
            alone = normal_delay()
            log(f"  normal referral alone: {alone:.2f} s (the first: {cold:.2f} s)")
            for _ in range(large):
                reply = client.post(API, json=biggest, headers=referral_headers(app))
                assert reply.status_code == 201, reply.get_json()
            delay = normal_delay()
            before = len(_spoc_references(smtp)) - 3
        finally:
            task_runner(app).stop()
            bounded.close_pools()
    log(f"  normal referral behind {large} largest: {delay:.2f} s ({before} large arrived first)")
    return {
        "large": large,
        "large_answer_size": answer_size(biggest),
        "normal_delay_s": round(delay, 3),
        "normal_alone_s": round(alone, 3),
        "normal_first_s": round(cold, 3),
        "large_arrived_first": before,
    }


def _timed_gets(port: int, count: int) -> dict[str, Any]:
    times, failures = [], 0
    for _ in range(count):
        started = time.monotonic()
        try:
            ok = get(port, "/forms/", timeout=GIVE_UP_SECONDS) == 200
        except OSError:
            ok = False
        failures += not ok
        times.append(time.monotonic() - started if ok else GIVE_UP_SECONDS)
    return {
        "requests": count,
        "failed": failures,
        "p50_s": round(percentile(times, 50), 3),
        "p95_s": round(percentile(times, 95), 3),
    }


def slowloris(requests: int, connections: int, log: Callable[[str], None]) -> dict[str, Any]:
    """p95 of normal requests under ``connections`` slow ones, with nginx and without."""
    found: dict[str, Any] = {"slow_connections": connections}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with gunicorn(folder / "gunicorn") as upstream:
            with nginx(folder / "nginx", upstream) as proxy, Slowloris(proxy, connections) as slow:
                slow.wait_until_held()
                found["nginx"] = _timed_gets(proxy, requests)
            with Slowloris(upstream, connections) as slow:
                slow.wait_until_held()
                # Most of these wait the full 30 s: a quarter as many tell the story.
                found["direct"] = _timed_gets(upstream, max(requests // 4, 5))
    for name in ("nginx", "direct"):
        r = found[name]
        log(f"  {name}: p95 {r['p95_s']} s, {r['failed']} of {r['requests']} unanswered")
    return found
