"""Shared fixtures: an app on a temporary SQLite database, mail to a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from forms_service import create_app
from forms_service.services import Services
from forms_service.tasks import TaskRunner
from forms_service.web.wiring import TASKS
from tests.smtp_server import SmtpTestServer

pytest_plugins = ["tests.servers"]

#: For tests of what comes before delivery (who may see what, the workspace, the
#: forms): the app queues each message as a production web process in ``deliver``
#: mode does, and no deliver process runs, so no test pays for documents it never
#: reads. Delivery itself is tested with ``sync``, threads, Celery and a real
#: deliver process elsewhere.
UNDELIVERED: dict[str, Any] = {"task_mode": "deliver"}


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    """An app on its own instance folder; task mode ``sync`` unless overridden."""
    config: dict[str, Any] = {
        "TESTING": True,
        "instance_path": tmp_path / "instance",
        "database_url": f"sqlite:///{tmp_path / 'instance' / 'test.sqlite3'}",
        "task_mode": "sync",
        "spoc_inbox": "c-spoc@council.example.gov.uk",
        "secret_key": "x" * 40,
        # No digest or reminders from a delivery thread when a test runs on a working
        # morning: tests of the daily mail turn it on.
        "daily_mail": False,
    }
    config.update(overrides)
    return create_app(config)


def task_runner(app: Flask) -> TaskRunner:
    """The task runner ``create_app`` built for ``app`` (stop it when done)."""
    runner: TaskRunner = app.extensions[TASKS]
    return runner


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    """A real SMTP server (aiosmtpd) on loopback, for a test that reads what was sent."""
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app; a module marked ``undelivered`` gets :data:`UNDELIVERED`."""
    undelivered = request.node.get_closest_marker("undelivered") is not None
    application = make_app(tmp_path, **(UNDELIVERED if undelivered else {}))
    yield application
    task_runner(application).stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def services(app: Flask) -> Services:
    svc: Services = app.extensions["forms"]
    return svc


@pytest.fixture
def api_client(app: Flask) -> FlaskClient:
    """A client whose requests carry a referral API token (every referral form)."""
    from tests.staff import referral_headers

    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = referral_headers(app)["Authorization"]
    return client
