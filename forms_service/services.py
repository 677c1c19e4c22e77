"""The engine's wiring: settings, forms, database, vault and task runner in one object.

The web app, the CLI and queue workers each build one ``Services`` and pass it
to plain functions, so nothing in the engine reaches for a Flask global.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import tables  # noqa: F401  (every model mapped, whichever database is used)
from .config import Settings
from .crypto import Vault
from .db import make_engine, make_session_factory
from .definitions import Registry
from .documents.renderer import DocumentRenderer
from .migrate import prepare_embedded

if TYPE_CHECKING:
    from .tasks import TaskRunner

#: Files the service creates (the SQLite database, its WAL, keys, mail) are its own.
PRIVATE_UMASK = 0o077


@dataclass
class Services:
    """Shared, long-lived parts of one process."""

    settings: Settings
    registry: Registry
    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    vault: Vault
    documents: DocumentRenderer
    tasks: TaskRunner = field(init=False)


def build_services(settings: Settings, *, create_tables: bool = True) -> Services:
    """Load forms, open the database and choose the task runner for ``settings``."""
    from .tasks import make_task_runner

    os.umask(PRIVATE_UMASK)
    registry = Registry(settings.schemas_dir, settings.templates_dir)
    vault = Vault(settings.data_keys, settings.index_key)
    engine = make_engine(settings.database_url)
    if create_tables and settings.database_url.startswith("sqlite"):
        prepare_embedded(engine, vault)  # other databases change only by `forms-service db-upgrade`
    services = Services(
        settings,
        registry,
        engine,
        make_session_factory(engine),
        make_session_factory(engine, read_only=True),
        vault,
        DocumentRenderer(settings.templates_dir, settings.contacts),
    )
    services.tasks = make_task_runner(services)
    return services
