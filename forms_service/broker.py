"""The Celery app for scale-out, made from settings (never at import time).

Both sides of scale-out make one with :func:`make_celery`: a web process
(``tasks.CeleryRunner``) publishes task names with ids, and a worker
(``worker.py``) registers the task bodies under those names. Both read the
broker, the acknowledgement rules and the schedule from here, so they agree.
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

from .config import ConfigError, Settings
from .delivery.lanes import NORMAL, SLOW

#: Task names: what a web process publishes and a worker registers.
DELIVER = "forms.deliver"
SWEEP = "forms.sweep"
DAILY = "forms.daily"
#: Each render lane's queue (``delivery/lanes.py``). The normal lane keeps Celery's
#: default queue, so tasks queued before lanes existed are still taken; a worker
#: started with ``forms-service worker --queues slow`` takes only large renders.
QUEUES = {NORMAL: "celery", SLOW: "forms.slow"}
SWEEP_SECONDS = 15.0
#: How often beat (and the embedded delivery thread) asks whether today's daily
#: jobs (the purge; on a working morning the digest and reminders) have run; a
#: database lease per job and day makes exactly one worker run each.
DAILY_CHECK_SECONDS = 600.0
# A render or send that takes longer than this is killed; its row stays ``sending``
# and the sweeper retries it after the lease (WeasyPrint documents long renderings).
TASK_TIME_LIMIT_SECONDS = 300
BROKER_CONNECT_TIMEOUT_SECONDS = 5.0


def make_celery(settings: Settings) -> Celery:
    """A Celery app on ``settings.broker_url``: tasks acknowledged late, ids as JSON.

    Raises ``ConfigError`` when no broker is configured.
    """
    if not settings.broker_url:
        raise ConfigError("FORMS_BROKER_URL must be set when FORMS_TASK_MODE=celery")
    app = Celery("forms_service", broker=settings.broker_url)
    # Beat sweeps every 15 s unless FORMS_SWEEP_SECONDS asks for another interval
    # (the embedded default of 5 s is for a thread in the web process).
    sweep_seconds = settings.sweep_seconds if os.environ.get("FORMS_SWEEP_SECONDS") else None
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # A worker takes both lanes unless told otherwise (``--queues``).
        task_default_queue=QUEUES[NORMAL],
        task_queues=[Queue(name) for name in QUEUES.values()],
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
        broker_transport_options={
            "socket_connect_timeout": BROKER_CONNECT_TIMEOUT_SECONDS,
            # Redis redelivers an unacknowledged task after this long (the default is an hour).
            "visibility_timeout": max(int(settings.lease_seconds), 1),
        },
        beat_schedule={
            "sweep-outbox": {"task": SWEEP, "schedule": sweep_seconds or SWEEP_SECONDS},
            "daily-jobs": {"task": DAILY, "schedule": DAILY_CHECK_SECONDS},
        },
        # The embedded beat keeps its state here, not in whatever folder the worker started in.
        beat_schedule_filename=str(settings.instance_path / "celerybeat-schedule"),
    )
    return app
