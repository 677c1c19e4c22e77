"""Celery for scale-out: a worker runs the same task functions as the embedded mode.

``FORMS_TASK_MODE=celery`` with ``FORMS_BROKER_URL=redis://…`` makes web
processes queue delivery ids instead of running them; ``forms-service
worker`` (:func:`run_worker`) runs workers (and the periodic sweeper)
against the same database. Tasks carry ids only, are acknowledged late (a
killed worker's task is redelivered) and are idempotent, because ``deliver``
claims its row first.

Importing this module builds nothing: :func:`make_worker_app` makes the
Celery app from settings and registers the task bodies on it.

Recovery after a worker is killed mid-task has two paths: Redis hands an
unacknowledged task to another worker once its visibility timeout (the outbox
lease, ``FORMS_LEASE_SECONDS``) has passed, and the sweeper releases rows left
``sending`` past the lease and queues them again. A resend carries the same
Message-ID.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from .broker import DAILY, DELIVER, QUEUES, SWEEP, make_celery
from .config import ConfigError, Settings, settings_from_env
from .delivery.lanes import LANES
from .delivery.outbox import due_ids
from .services import Services, build_services
from .tasks import daily_jobs_task, deliver_task

log = logging.getLogger(__name__)


class WorkerServices:
    """A worker's engine: built once in the main process, shared by its forked pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: Services | None = None

    def get(self) -> Services:
        if self._services is None:
            self._services = build_services(self.settings)
        return self._services

    def after_fork(self, **_kwargs: Any) -> None:
        """A forked pool process must not reuse the parent's database connections."""
        if self._services is not None:
            self._services.engine.dispose(close=False)


def make_worker_app(settings: Settings, shared: WorkerServices | None = None) -> Celery:
    """The Celery app of a worker: the broker settings, and the three task bodies.

    Each task reloads rows by id and runs the same function the embedded mode
    runs; a worker's own tasks run inline (there is no runner inside a worker).
    """
    worker = shared or WorkerServices(settings)
    app = make_celery(settings)
    worker_process_init.connect(worker.after_fork, weak=False)

    @app.task(name=DELIVER)
    def deliver(outbox_id: str) -> str:
        """Render and send one outbox row (idempotent)."""
        return deliver_task(worker.get(), outbox_id)

    @app.task(name=SWEEP)
    def sweep() -> int:
        """Queue every due row (new ones whose task was lost, retries, dead workers'
        rows) on its lane's queue, so a large render never lands on the normal one."""
        count = 0
        for lane in LANES:
            ids = due_ids(worker.get(), lane=lane)
            for outbox_id in ids:
                deliver.apply_async(args=[outbox_id], queue=QUEUES[lane])
            count += len(ids)
        return count

    @app.task(name=DAILY)
    def daily() -> list[str]:
        """The daily jobs (purge, digest, reminders), run by whichever worker takes the lease."""
        return daily_jobs_task(worker.get())

    return app


def run_worker(argv: list[str] | None = None) -> None:
    """``forms-service worker``: a Celery worker with the sweeper (beat) embedded."""
    settings = settings_from_env()
    if not settings.broker_url:
        raise ConfigError("FORMS_BROKER_URL must be set to run a worker")
    shared = WorkerServices(settings)
    services = shared.get()  # fails fast on a bad database URL or form file
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page
    services.engine.dispose()  # pool processes open their own connections
    app = make_worker_app(settings, shared)
    app.worker_main(argv or ["worker", "--beat", "--loglevel=INFO", "--concurrency=2"])
