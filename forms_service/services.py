"""The engine's wiring: settings, forms, database and task runner in one object.

The web app, the CLI and queue workers each build one ``Services`` and pass it
to plain functions, so nothing in the engine reaches for a Flask global.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .db import create_schema, make_engine, make_session_factory
from .definitions import Registry

if TYPE_CHECKING:
    from .tasks import TaskRunner


@dataclass
class Services:
    """Shared, long-lived parts of one process."""

    settings: Settings
    registry: Registry
    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    tasks: TaskRunner = field(init=False)


def build_services(settings: Settings, *, create_tables: bool = True) -> Services:
    """Load forms, open the database and choose the task runner for ``settings``."""
    from .tasks import make_task_runner

    registry = Registry(settings.schemas_dir, settings.templates_dir)
    engine = make_engine(settings.database_url)
    if create_tables and settings.database_url.startswith("sqlite"):
        create_schema(engine)  # other databases are changed only by `forms-service db-upgrade`
    services = Services(
        settings,
        registry,
        engine,
        make_session_factory(engine),
        make_session_factory(engine, read_only=True),
    )
    services.tasks = make_task_runner(services)
    return services
