"""The render pool: one render past its time limit never takes a neighbour down.

Real child processes (spawned, as in production). The slow render is a
stand-in that sleeps: what is under test is the pool, not WeasyPrint.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from forms_service.documents.bounded import RenderPool, RenderTimeout


def sleep_then(seconds: float, value: str, started: str = "") -> str:
    """In the child: say it has started (a file), sleep, answer ``value``."""
    if started:
        Path(started).write_text("started")
    time.sleep(seconds)
    return value


def _wait_for(path: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, "the render child never started"
        time.sleep(0.05)


def test_a_timeout_kills_only_its_own_render(tmp_path: Path) -> None:
    """Two renders at once: the one forced past its limit times out, the other is delivered."""
    pool = RenderPool(2)
    marker = tmp_path / "neighbour-started"
    results: dict[str, object] = {}

    def neighbour() -> None:
        try:
            results["neighbour"] = pool.run(
                sleep_then, 4.0, "delivered", str(marker), timeout=120.0
            )
        except RenderTimeout as exc:  # what the hand-made pool did
            results["neighbour"] = exc

    thread = threading.Thread(target=neighbour)
    try:
        thread.start()
        _wait_for(marker)  # the neighbour is mid-render when the other overruns
        with pytest.raises(RenderTimeout):
            pool.run(sleep_then, 120.0, "never", timeout=0.5)
        thread.join(timeout=120)
        assert results["neighbour"] == "delivered"
        # and the pool is whole again: the killed child was replaced
        assert pool.run(sleep_then, 0.0, "again", timeout=60.0) == "again"
    finally:
        pool.close()


def test_a_child_that_dies_is_a_render_timeout_and_is_replaced() -> None:
    pool = RenderPool(1)
    try:
        with pytest.raises(RenderTimeout, match="stopped unexpectedly"):
            pool.run(_die, timeout=60.0)
        assert pool.run(sleep_then, 0.0, "after", timeout=60.0) == "after"
    finally:
        pool.close()


def _die() -> None:
    import os

    os._exit(3)
