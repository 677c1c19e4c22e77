"""Slow clients (issue 14): behind the shipped nginx, 100 slowloris connections do not
stop normal requests.

Debian's nginx with ``deploy/nginx.conf`` and gunicorn with ``gunicorn.conf.py``,
both on loopback as child processes. 100 connections each send one header line
every 2 s and never finish; meanwhile every normal request is answered.
(Straight to gunicorn, the same 100 connections take every thread: see
``benchmarks/slow_clients.py``, which times both.) Outcomes only.
"""

from __future__ import annotations

from pathlib import Path

from tests.proxied import Slowloris, get, gunicorn, nginx

NORMAL_REQUESTS = 40
SLOW_CONNECTIONS = 100


def test_normal_requests_are_answered_while_100_slow_clients_are_held(tmp_path: Path) -> None:
    with (
        gunicorn(tmp_path / "gunicorn") as upstream,
        nginx(tmp_path / "nginx", upstream) as proxy,
        Slowloris(proxy, SLOW_CONNECTIONS) as slow,
    ):
        slow.wait_until_held()
        statuses = [get(proxy, "/forms/", timeout=60.0) for _ in range(NORMAL_REQUESTS)]
        assert slow.held() == SLOW_CONNECTIONS  # still held while the requests ran
    assert statuses == [200] * NORMAL_REQUESTS
