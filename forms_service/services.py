"""The engine's wiring: settings, forms, database, vault and document renderer in one object.

The web app, the CLI and queue workers each build one ``Services`` and pass it
to plain functions, so nothing in the engine reaches for a Flask global. Where
background work runs is not in here: each of them also builds its own task
runner (``tasks.py``) and hands it the ids a service function returns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import tables  # noqa: F401  (every model mapped, whichever database is used)
from .config import Settings
from .crypto import Vault
from .db import make_engine, make_session_factory
from .definitions.registry import Registry
from .documents.renderer import DocumentRenderer
from .migrate import prepare_embedded

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


def build_services(settings: Settings, *, create_tables: bool = True) -> Services:
    """Load forms, open the database and make the document renderer for ``settings``."""
    os.umask(PRIVATE_UMASK)
    registry = Registry(settings.schemas_dir, settings.templates_dir, settings.calendar)
    vault = Vault(settings.data_keys, settings.index_key)
    engine = make_engine(settings.database_url)
    if create_tables and settings.database_url.startswith("sqlite"):
        prepare_embedded(engine, vault)  # other databases change only by `forms-service db-upgrade`
    return Services(
        settings,
        registry,
        engine,
        make_session_factory(engine),
        make_session_factory(engine, read_only=True),
        vault,
        DocumentRenderer(settings.templates_dir, settings.contacts),
    )
