"""The one seam for background work (rendering and sending).

Only this module knows where work runs: ``sync`` (in the caller, for tests and
the CLI), ``thread`` (an in-process worker thread, the embedded default) or
``celery`` (scale-out workers, see ``worker.py``). Tasks take ids and reload
rows, and ``deliver`` is idempotent, so any runner may run a task twice.

Callers compose, as Notify's ``persist_notification`` then
``send_notification_to_queue`` do: a service function commits its rows and
returns their ids, and the caller (a web view, the API, the CLI) hands the
ids to the runner its composition root built (``create_app`` with
:func:`make_task_runner`, the CLI a :class:`SyncRunner`; a Celery worker runs
the task bodies itself). The engine never enqueues anything.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from celery import Celery

from .broker import DAILY_CHECK_SECONDS, DELIVER, SWEEP, make_celery
from .clock import utcnow
from .delivery import daily, outbox
from .jobs import run_once_today
from .maintenance import purge
from .services import Services

log = logging.getLogger(__name__)
SWEEP_SECONDS = 5.0


class TaskRunner(Protocol):
    """Where delivery work goes."""

    def enqueue_delivery(self, outbox_id: str) -> None: ...

    def sweep(self) -> int: ...

    def stop(self) -> None: ...


def deliver_task(services: Services, outbox_id: str) -> str:
    """The task body every runner calls."""
    return outbox.deliver(services, outbox_id).status


def sweep_task(services: Services) -> int:
    """Deliver every due row (new, retry time reached, or left by a dead worker)."""
    ids = outbox.due_ids(services)
    for outbox_id in ids:
        deliver_task(services, outbox_id)
    return len(ids)


def daily_jobs_task(services: Services) -> list[str]:
    """Run each daily job that no process has run today (a database lease per job and day):
    the purge, and on a working morning the SPOC digest and the reminders (their emails
    are outbox rows, which the sweeper delivers)."""
    jobs: list[tuple[str, Callable[[], str]]] = [("purge", lambda: str(purge(services)))]
    if daily.is_mail_morning(services.settings, utcnow()):
        jobs.append(("digest", lambda: daily.queue_digest(services)))
        jobs.append(("reminders", lambda: daily.queue_reminders(services)))
    done = (run_once_today(services.sessions, job, work) for job, work in jobs)
    return [summary for summary in done if summary]


class SyncRunner:
    """Runs each task at once in the calling thread."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def enqueue_delivery(self, outbox_id: str) -> None:
        try:
            deliver_task(self.services, outbox_id)
        except Exception:  # the row stays pending; the sweeper will retry it
            log.exception("delivery task failed")

    def sweep(self) -> int:
        return sweep_task(self.services)

    def stop(self) -> None:
        return None


class ThreadRunner:
    """Daemon threads fed by one queue; the first also sweeps for due rows when idle.

    ``threads`` > 1 renders several submissions at once (each render runs in
    the render process pool, so they use more than one core); claims are
    atomic, so two threads never deliver the same row.
    """

    def __init__(
        self, services: Services, sweep_seconds: float = SWEEP_SECONDS, threads: int = 1
    ) -> None:
        self.services = services
        self.sweep_seconds = sweep_seconds
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stopped = threading.Event()
        self._daily_checked_at: float | None = None
        self._threads = [
            threading.Thread(
                target=self._run, args=(i == 0,), name=f"forms-delivery-{i}", daemon=True
            )
            for i in range(max(1, threads))
        ]
        for thread in self._threads:
            thread.start()

    def enqueue_delivery(self, outbox_id: str) -> None:
        self._queue.put(outbox_id)

    def sweep(self) -> int:
        return sweep_task(self.services)

    def stop(self) -> None:
        self._stopped.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, sweeps: bool) -> None:
        while not self._stopped.is_set():
            try:
                outbox_id = self._queue.get(timeout=self.sweep_seconds)
            except queue.Empty:
                if sweeps:
                    self._safely(self.sweep)
                    self._safely(self._daily)
                continue
            if outbox_id is not None:
                self._safely(functools.partial(deliver_task, self.services, outbox_id))

    def _daily(self) -> None:
        """Every few minutes, try the daily jobs: each runs once a day (the morning mail
        from its hour on working days); the lease makes one process run each."""
        now = time.monotonic()
        if self._daily_checked_at is None or now - self._daily_checked_at >= DAILY_CHECK_SECONDS:
            self._daily_checked_at = now
            daily_jobs_task(self.services)

    @staticmethod
    def _safely(work: object) -> None:
        try:
            work()  # type: ignore[operator]
        except Exception:
            log.exception("background delivery work failed; it will be swept again")


class CeleryRunner:
    """The web side of scale-out: publish ids to the broker, never render or send."""

    def __init__(self, services: Services) -> None:
        self.app: Celery = make_celery(services.settings)

    def enqueue_delivery(self, outbox_id: str) -> None:
        try:
            self.app.send_task(DELIVER, args=[outbox_id])
        except Exception:  # the row is committed; the sweeper will queue it later
            log.exception("could not queue delivery; the sweeper will retry")

    def sweep(self) -> int:
        self.app.send_task(SWEEP)
        return 0

    def stop(self) -> None:
        return None


def make_task_runner(services: Services) -> TaskRunner:
    """The runner named by ``settings.task_mode`` (``create_app`` builds one per app)."""
    mode = services.settings.task_mode
    if mode == "sync":
        return SyncRunner(services)
    if mode == "celery":
        return CeleryRunner(services)
    return ThreadRunner(
        services, services.settings.sweep_seconds, services.settings.delivery_threads
    )
