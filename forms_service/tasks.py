"""The one seam for background work (rendering and sending).

Only this module knows where work runs: ``sync`` (in the caller, for tests and
the CLI), ``thread`` (in-process worker threads, the embedded default),
``deliver`` (web processes only signal, and a ``forms-service deliver``
process delivers: the embedded production set-up, so no delivery thread dies
with a web worker) or ``celery`` (scale-out workers, see ``worker.py``). Each
has two lanes (``delivery/lanes.py``): large renders never hold up a normal one.
Tasks take ids and reload rows, and ``deliver`` is idempotent, so any runner
may run a task twice.

Callers compose, as Notify's ``persist_notification`` then
``send_notification_to_queue`` do: a service function commits its rows and
returns their ids, and the caller (a web view, the API, the CLI) hands the
ids to the runner its composition root built (``create_app`` with
:func:`make_task_runner`, the CLI a :class:`SyncRunner`; a Celery worker runs
the task bodies itself). The engine never enqueues anything.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol

from celery import Celery
from sqlalchemy import text

from .broker import DAILY_CHECK_SECONDS, DELIVER, QUEUES, SWEEP, make_celery
from .clock import utcnow
from .delivery import daily, outbox
from .delivery.lanes import LANES, NORMAL, SLOW
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


def sweep_task(services: Services, lane: str | None = None) -> int:
    """Deliver every due row (new, retry time reached, or left by a dead worker),
    only ``lane``'s when given."""
    ids = outbox.due_ids(services, lane=lane)
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
    """Daemon threads per lane, each lane fed by its own queue.

    The normal lane has ``threads`` threads, the slow lane ``slow_threads``
    (``delivery/lanes.py``): a large submission's render waits only for other
    large ones, and a normal referral never waits behind it. Each lane renders
    in its own render processes (``documents/bounded.py``), so they use more
    than one core. The first thread of each lane sweeps that lane's due rows
    when idle; the first normal one also runs the daily jobs. Claims are
    atomic, so two threads never deliver the same row, and an id already
    waiting in a queue is not queued twice.
    """

    def __init__(
        self,
        services: Services,
        sweep_seconds: float = SWEEP_SECONDS,
        threads: int = 1,
        slow_threads: int = 1,
    ) -> None:
        self.services = services
        self.sweep_seconds = sweep_seconds
        self._queues: dict[str, queue.Queue[str | None]] = {lane: queue.Queue() for lane in LANES}
        self._waiting: set[str] = set()
        self._waiting_lock = threading.Lock()
        self._stopped = threading.Event()
        self._daily_checked_at: float | None = None
        counts = {NORMAL: threads, SLOW: slow_threads}
        self._counts = {lane: max(1, counts[lane]) for lane in LANES}
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(lane, i == 0),
                name=f"forms-delivery-{lane}-{i}",
                daemon=True,
            )
            for lane in LANES
            for i in range(self._counts[lane])
        ]
        for thread in self._threads:
            thread.start()

    def enqueue_delivery(self, outbox_id: str) -> None:
        try:
            lane = outbox.lane_of(self.services, outbox_id)
        except Exception:  # the row is committed; its lane's sweep will find it
            log.exception("could not read a message's lane; the sweeper will deliver it")
            return
        self.put(outbox_id, lane)

    def put(self, outbox_id: str, lane: str) -> None:
        """Queue ``outbox_id`` in ``lane`` unless it is already waiting there."""
        with self._waiting_lock:
            if outbox_id in self._waiting:
                return
            self._waiting.add(outbox_id)
        self._queues[lane if lane in self._queues else NORMAL].put(outbox_id)

    def sweep(self) -> int:
        return sweep_task(self.services)

    def stop(self) -> None:
        self._stopped.set()
        for lane, count in self._counts.items():
            for _ in range(count):
                self._queues[lane].put(None)
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, lane: str, sweeps: bool) -> None:
        jobs = self._queues[lane]
        while not self._stopped.is_set():
            try:
                outbox_id = jobs.get(timeout=self.sweep_seconds)
            except queue.Empty:
                if sweeps:
                    self._safely(functools.partial(sweep_task, self.services, lane))
                    if lane == NORMAL:
                        self._safely(self._daily)
                continue
            if outbox_id is not None:
                with self._waiting_lock:
                    self._waiting.discard(outbox_id)
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
    """The web side of scale-out: publish ids to the broker, never render or send.

    Each id goes to its lane's queue (``broker.QUEUES``), so a worker on the
    normal queue never takes a large render.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self.app: Celery = make_celery(services.settings)

    def enqueue_delivery(self, outbox_id: str) -> None:
        try:
            lane = outbox.lane_of(self.services, outbox_id)
            self.app.send_task(DELIVER, args=[outbox_id], queue=QUEUES[lane])
        except Exception:  # the row is committed; the sweeper will queue it later
            log.exception("could not queue delivery; the sweeper will retry")

    def sweep(self) -> int:
        self.app.send_task(SWEEP)
        return 0

    def stop(self) -> None:
        return None


#: The PostgreSQL channel on which web processes tell ``forms-service deliver`` that
#: a message is waiting (``NOTIFY``; the payload is empty: no id leaves the database).
CHANNEL = "forms_outbox"
#: How often ``forms-service deliver`` looks for new messages on SQLite, which has
#: no notifications: a referral waits at most this long before its delivery starts.
POLL_SECONDS = 1.0


class SignalRunner:
    """The web side of ``FORMS_TASK_MODE=deliver``: tell the ``deliver`` process, never
    render or send, so no delivery thread lives in a web worker.

    On PostgreSQL each new message is a ``NOTIFY`` on :data:`CHANNEL`, which wakes
    the ``deliver`` process at once. On SQLite there is nothing to send: that
    process looks for new rows every :data:`POLL_SECONDS`.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._notifies = services.engine.dialect.name == "postgresql"

    def enqueue_delivery(self, outbox_id: str) -> None:
        if not self._notifies:
            return
        try:
            with self.services.engine.connect() as connection:
                connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
                connection.commit()
        except Exception:  # the row is committed; the deliver process's poll finds it
            log.exception("could not notify the deliver process; it will find the message")

    def sweep(self) -> int:
        return 0  # the deliver process sweeps

    def stop(self) -> None:
        return None


class Deliverer:
    """``forms-service deliver``: the embedded mode's delivery, in a process of its own.

    Its lanes are a :class:`ThreadRunner`'s; what feeds them is a loop that asks
    the database for waiting rows (:func:`outbox.waiting`, a read) each time it
    is woken: by a ``NOTIFY`` from a web process on PostgreSQL (or after
    ``sweep_seconds`` without one), every :data:`POLL_SECONDS` on SQLite.
    """

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.services = services
        self.runner = ThreadRunner(
            services, settings.sweep_seconds, settings.delivery_threads, settings.slow_lane_threads
        )
        self._stopped = threading.Event()

    def run(self) -> None:
        """Deliver until :meth:`stop`; a lost database connection is retried."""
        try:
            while not self._stopped.is_set():
                try:
                    with self._woken() as wait:
                        while not self._stopped.is_set():
                            for outbox_id, lane in outbox.waiting(self.services):
                                self.runner.put(outbox_id, lane)
                            wait()
                except Exception:
                    log.exception("the deliver loop failed; starting again")
                    self._stopped.wait(POLL_SECONDS)
        finally:
            self.runner.stop()

    def stop(self) -> None:
        self._stopped.set()

    @contextlib.contextmanager
    def _woken(self) -> Iterator[Callable[[], None]]:
        """A function that returns when there may be new work: a notification
        (PostgreSQL, at most ``sweep_seconds`` apart) or a second passing (SQLite)."""
        engine = self.services.engine
        if engine.dialect.name != "postgresql":

            def poll() -> None:
                self._stopped.wait(POLL_SECONDS)

            yield poll
            return
        with engine.connect() as connection:
            listener = connection.execution_options(isolation_level="AUTOCOMMIT")
            listener.execute(text(f"LISTEN {CHANNEL}"))
            driver = listener.connection.driver_connection
            seconds = min(self.services.settings.sweep_seconds, 5.0)

            def wait() -> None:
                for _ in driver.notifies(timeout=seconds, stop_after=1):  # type: ignore[union-attr]
                    pass

            yield wait


def make_task_runner(services: Services) -> TaskRunner:
    """The runner named by ``settings.task_mode`` (``create_app`` builds one per app)."""
    mode = services.settings.task_mode
    if mode == "sync":
        return SyncRunner(services)
    if mode == "celery":
        return CeleryRunner(services)
    if mode == "deliver":
        return SignalRunner(services)
    settings = services.settings
    return ThreadRunner(
        services, settings.sweep_seconds, settings.delivery_threads, settings.slow_lane_threads
    )
