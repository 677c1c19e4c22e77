"""Rendering with a time limit, in separate processes that can be killed.

WeasyPrint documents that pathological input can make a render slow or loop,
and a thread cannot be stopped. So each render is handed to a long-lived child
process (started with ``spawn``, safe beside threads; its caches stay warm
between renders) and given at most ``timeout`` seconds. On timeout that child,
and only that child, is killed and replaced, and :class:`RenderTimeout` tells
the outbox to retry later; the submission itself is untouched.

The pool is pebble's ``ProcessPool``, which times each task separately and
replaces a worker that dies. The hand-made pool it replaces killed every child
when one render overran, so a neighbouring render died with it (and cleaning
up touched the executor's private ``_processes`` after ``shutdown``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import Any

from pebble import ProcessExpired, ProcessPool

from .renderer import DocumentRenderer, RenderedDocuments, SubmissionRecord


class RenderTimeout(Exception):
    """The render took longer than allowed and was stopped."""


#: The render processes' niceness unless a caller asks for another: below the web
#: threads (a page a user is waiting for comes before an email).
NICENESS = 10


def _exit_with_parent(parent: int, niceness: int = NICENESS) -> None:
    """In the render process: run at a lower priority (``niceness``) than the web
    threads, and leave when the parent dies (even by SIGKILL)."""
    os.nice(niceness)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


class RenderPool:
    """``processes`` render children at ``niceness``, each task with its own time limit."""

    def __init__(self, processes: int, niceness: int = NICENESS) -> None:
        self.processes = max(1, processes)
        self.niceness = niceness
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None

    def _running(self) -> ProcessPool:
        with self._lock:
            if self._pool is None or not self._pool.active:
                self._pool = ProcessPool(
                    max_workers=self.processes,
                    initializer=_exit_with_parent,
                    initargs=(os.getpid(), self.niceness),
                    context=multiprocessing.get_context("spawn"),
                )
            return self._pool

    def run(self, call: Callable[..., Any], *args: Any, timeout: float, **kwargs: Any) -> Any:
        """``call(*args, **kwargs)`` in a child, or ``RenderTimeout`` after ``timeout`` s of work.

        The time counts from when a child starts the task, so a render waiting
        behind others is not charged for their time.
        """
        future = self._running().schedule(call, args=args, kwargs=kwargs, timeout=timeout)
        try:
            return future.result()
        except FutureTimeout:
            raise RenderTimeout(f"rendering took longer than {timeout:g} s") from None
        except ProcessExpired:
            raise RenderTimeout("the render process stopped unexpectedly") from None

    def close(self) -> None:
        """Stop the children (tests and a clean shutdown); the next ``run`` starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=10)


_pools_lock = threading.Lock()
_pools: dict[tuple[int, int], RenderPool] = {}


def _pool_of(processes: int, niceness: int = NICENESS) -> RenderPool:
    """The process-wide pool with ``processes`` children at ``niceness`` (made the first
    time it is needed). Each lane of delivery asks with its own niceness, so each has
    its own pool: a render in the slow lane never occupies a normal lane's child."""
    with _pools_lock:
        key = (processes, niceness)
        if key not in _pools:
            _pools[key] = RenderPool(processes, niceness)
        return _pools[key]


def close_pools() -> None:
    """Stop every pool's children (tests, and a process shutting down mid-render)."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()


def render_bounded(
    renderer: DocumentRenderer,
    record: SubmissionRecord,
    *,
    timeout: float,
    processes: int = 1,
    niceness: int = NICENESS,
) -> RenderedDocuments:
    """``renderer.render(record)`` in the render process, or ``RenderTimeout``.

    Inside a Celery worker (a daemonic process, which may not start children)
    the render runs in place: there Celery's hard task time limit kills and
    replaces the worker process instead, and ``acks_late`` redelivers the task.
    """
    rendered: RenderedDocuments = _bounded(
        renderer.render, record, {}, timeout=timeout, processes=processes, niceness=niceness
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
    niceness: int = NICENESS,
) -> Any:
    """``call(record, **options)`` in the render process (in place in a daemonic one)."""
    if multiprocessing.current_process().daemon:
        return call(record, **options)
    # The renderer and the record are pickled to the child: answers as a plain dict.
    plain = replace(record, answers=dict(record.answers))
    return _pool_of(processes, niceness).run(call, plain, timeout=timeout, **options)
