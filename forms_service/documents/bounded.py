"""Rendering with a time limit, in a separate process that can be killed.

WeasyPrint documents that pathological input can make a render slow or loop,
and a thread cannot be stopped. So the worker hands each render to a
long-lived child process (started with ``spawn``, safe beside threads; its
caches stay warm between renders) and waits at most ``timeout`` seconds. On
timeout the child is killed and replaced, and :class:`RenderTimeout` tells
the outbox to retry later; the submission itself is untouched.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

from .renderer import DocumentRenderer, RenderedDocuments, SubmissionRecord


class RenderTimeout(Exception):
    """The render took longer than allowed and was stopped."""


_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _exit_with_parent(parent: int) -> None:
    """In the render process: run at a lower priority than the web threads (a
    page a user is waiting for comes before an email), and leave when the
    parent dies (even by SIGKILL)."""
    os.nice(10)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _executor(processes: int) -> ProcessPoolExecutor:
    """The render pool (made with ``processes`` children the first time it is needed)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=max(1, processes),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    """Kill a pool whose render overran, so the next render gets a fresh child."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def render_bounded(
    renderer: DocumentRenderer, record: SubmissionRecord, *, timeout: float, processes: int = 1
) -> RenderedDocuments:
    """``renderer.render(record)`` in the render process, or ``RenderTimeout``.

    Inside a Celery worker (a daemonic process, which may not start children)
    the render runs in place: there Celery's hard task time limit kills and
    replaces the worker process instead, and ``acks_late`` redelivers the task.
    """
    rendered: RenderedDocuments = _bounded(
        renderer.render, record, {}, timeout=timeout, processes=processes
    )
    return rendered


def render_family_plan_bounded(
    renderer: DocumentRenderer,
    record: SubmissionRecord,
    *,
    large_print: bool,
    timeout: float,
    processes: int = 1,
) -> bytes:
    """Only the family's plan as a PDF (``renderer.family_plan_pdf``), bounded the same way:
    staff print it from the family page, so it should not cost the other three documents."""
    pdf: bytes = _bounded(
        renderer.family_plan_pdf,
        record,
        {"large_print": large_print},
        timeout=timeout,
        processes=processes,
    )
    return pdf


def _bounded(
    call: Callable[..., Any],
    record: SubmissionRecord,
    options: dict[str, Any],
    *,
    timeout: float,
    processes: int,
) -> Any:
    """``call(record, **options)`` in the render process (in place in a daemonic one)."""
    if multiprocessing.current_process().daemon:
        return call(record, **options)
    pool = _executor(processes)
    # The renderer and the record are pickled to the child: answers as a plain dict.
    future = pool.submit(call, replace(record, answers=dict(record.answers)), **options)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        _discard(pool)
        raise RenderTimeout(f"rendering took longer than {timeout:g} s") from None
    except BrokenProcessPool:
        _discard(pool)
        raise RenderTimeout("the render process stopped unexpectedly") from None
