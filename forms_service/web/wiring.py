"""Where a request finds the task runner ``create_app`` built.

The app is the web side's composition root: it keeps its ``Services`` in
``app.extensions["forms"]`` and its task runner under :data:`TASKS`. Views
hand the outbox ids a service function returns to :func:`enqueue_delivery`.
"""

from __future__ import annotations

from flask import current_app

from ..tasks import TaskRunner

TASKS = "forms.tasks"


def tasks() -> TaskRunner:
    """This app's task runner (thread, Celery or sync, from ``FORMS_TASK_MODE``)."""
    runner: TaskRunner = current_app.extensions[TASKS]
    return runner


def enqueue_delivery(outbox_ids: tuple[str, ...]) -> None:
    """Queue delivery of rows a service function has committed."""
    runner = tasks()
    for outbox_id in outbox_ids:
        runner.enqueue_delivery(outbox_id)
