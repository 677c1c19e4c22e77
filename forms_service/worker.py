"""Celery for scale-out: the same task functions as the embedded mode.

``FORMS_TASK_MODE=celery`` with ``FORMS_BROKER_URL=redis://…`` makes web
processes queue delivery ids here instead of running them; ``forms-service
worker`` runs workers (and the periodic sweeper) against the same database.
Tasks carry ids only, are acknowledged late (a killed worker's task is
redelivered) and are idempotent, because ``deliver`` claims its row first.

Recovery after a worker is killed mid-task has two paths: Redis hands an
unacknowledged task to another worker once its visibility timeout (the outbox
lease, ``FORMS_LEASE_SECONDS``) has passed, and the sweeper releases rows left
``sending`` past the lease and queues them again. A resend carries the same
Message-ID.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from .config import ConfigError, Settings, settings_from_env
from .services import Services, build_services

log = logging.getLogger(__name__)
SWEEP_SECONDS = 15.0
#: How often beat asks whether today's daily jobs (the purge) have run; a
#: database lease per job and day makes exactly one worker run each.
DAILY_CHECK_SECONDS = 600.0
# A render or send that takes longer than this is killed; its row stays ``sending``
# and the sweeper retries it after the lease (WeasyPrint documents long renderings).
TASK_TIME_LIMIT_SECONDS = 300
BROKER_CONNECT_TIMEOUT_SECONDS = 5.0

celery_app = Celery("forms_service", broker=os.environ.get("FORMS_BROKER_URL") or None)
celery_app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_time_limit=TASK_TIME_LIMIT_SECONDS,
    broker_connection_retry_on_startup=True,
    broker_connection_timeout=BROKER_CONNECT_TIMEOUT_SECONDS,
    # A web request must not hang on a dead broker: the row is committed and the
    # sweeper queues it later, so give up publishing quickly.
    task_publish_retry_policy={
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    },
    broker_transport_options={"socket_connect_timeout": BROKER_CONNECT_TIMEOUT_SECONDS},
    beat_schedule={
        "sweep-outbox": {"task": "forms.sweep", "schedule": SWEEP_SECONDS},
        "daily-jobs": {"task": "forms.daily", "schedule": DAILY_CHECK_SECONDS},
    },
)

_services: Services | None = None


def configure(settings: Settings) -> None:
    """Point the Celery app at the configured broker, lease and instance folder."""
    if settings.broker_url:
        celery_app.conf.broker_url = settings.broker_url
    options = dict(celery_app.conf.broker_transport_options or {})
    # Redis redelivers an unacknowledged task after this long (the default is an hour).
    options["visibility_timeout"] = max(int(settings.lease_seconds), 1)
    celery_app.conf.broker_transport_options = options
    sweep_seconds = settings.sweep_seconds if os.environ.get("FORMS_SWEEP_SECONDS") else None
    celery_app.conf.beat_schedule = {
        "sweep-outbox": {"task": "forms.sweep", "schedule": sweep_seconds or SWEEP_SECONDS},
        "daily-jobs": {"task": "forms.daily", "schedule": DAILY_CHECK_SECONDS},
    }
    # The embedded beat keeps its state here, not in whatever folder the worker started in.
    celery_app.conf.beat_schedule_filename = str(settings.instance_path / "celerybeat-schedule")


def worker_settings() -> Settings:
    """The worker's settings: the environment's, with its own tasks run inline."""
    return settings_from_env().with_overrides({"task_mode": "sync"})


def worker_services() -> Services:
    """This worker process's engine (built once; its own tasks run inline)."""
    global _services
    if _services is None:
        settings = worker_settings()
        configure(settings)
        _services = build_services(settings)
    return _services


@worker_process_init.connect
def _after_fork(**_kwargs: Any) -> None:
    """A forked pool process must not reuse the parent's database connections."""
    if _services is not None:
        _services.engine.dispose(close=False)


@celery_app.task(name="forms.deliver")
def deliver(outbox_id: str) -> str:
    """Render and send one outbox row (idempotent)."""
    from .tasks import deliver_task

    return deliver_task(worker_services(), outbox_id)


@celery_app.task(name="forms.sweep")
def sweep() -> int:
    """Queue every due row: new ones whose task was lost, retries, dead workers' rows."""
    from .mail.outbox import due_ids

    ids = due_ids(worker_services())
    for outbox_id in ids:
        deliver.delay(outbox_id)
    return len(ids)


@celery_app.task(name="forms.daily")
def daily() -> list[str]:
    """The daily jobs (the purge), run by whichever worker takes today's lease."""
    from .tasks import daily_jobs_task

    return daily_jobs_task(worker_services())


class CeleryRunner:
    """The web side of scale-out: queue ids, never render or send."""

    def __init__(self, services: Services) -> None:
        if not services.settings.broker_url:
            raise ConfigError("FORMS_BROKER_URL must be set when FORMS_TASK_MODE=celery")
        configure(services.settings)

    def enqueue_delivery(self, outbox_id: str) -> None:
        try:
            deliver.delay(outbox_id)
        except Exception:  # the row is committed; the sweeper will queue it later
            log.exception("could not queue delivery; the sweeper will retry")

    def sweep(self) -> int:
        sweep.delay()
        return 0

    def stop(self) -> None:
        return None


def run_worker(argv: list[str] | None = None, **options: Any) -> None:
    """``forms-service worker``: a Celery worker with the sweeper (beat) embedded."""
    settings = worker_settings()
    if not settings.broker_url:
        raise ConfigError("FORMS_BROKER_URL must be set to run a worker")
    services = worker_services()  # fails fast on a bad database URL or form file
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page
    services.engine.dispose()  # pool processes open their own connections
    celery_app.worker_main(argv or ["worker", "--beat", "--loglevel=INFO", "--concurrency=2"])
