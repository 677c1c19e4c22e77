"""Where a request finds what ``create_app`` built: the engine's wiring and the task runner.

The app is the web side's composition root: it keeps its ``Services`` under
:data:`SERVICES` and its task runner under :data:`TASKS` in ``app.extensions``.
Views (forms, staff pages, sign-in, the API) ask :func:`services` for the first
and hand the outbox ids a service function returns to :func:`enqueue_delivery`.
"""

from __future__ import annotations

from flask import current_app

from ..services import Services
from ..tasks import TaskRunner

SERVICES = "forms"
TASKS = "forms.tasks"


def services() -> Services:
    """This app's engine wiring, for the request being answered."""
    svc: Services = current_app.extensions[SERVICES]
    return svc


def tasks() -> TaskRunner:
    """This app's task runner (thread, Celery or sync, from ``FORMS_TASK_MODE``)."""
    runner: TaskRunner = current_app.extensions[TASKS]
    return runner


def enqueue_delivery(outbox_ids: tuple[str, ...]) -> None:
    """Queue delivery of rows a service function has committed."""
    runner = tasks()
    for outbox_id in outbox_ids:
        runner.enqueue_delivery(outbox_id)
