"""Database migrations (Alembic), configured in code.

``forms-service db-upgrade`` runs :func:`upgrade` on ``FORMS_DATABASE_URL``.
PostgreSQL is only ever changed by migrations; the embedded SQLite database is
still created from the models at start-up (and may be upgraded too).
:func:`check` lists differences between the models and a migrated database, so
a test can prove the two agree.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from .crypto import Vault
from .db import Base, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str, vault: Vault | None = None) -> Config:
    """An Alembic config without an ini file; the URL (and the vault, for migrations
    that seal data) travel as attributes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    if vault is not None:
        config.attributes["vault"] = vault
    return config


def upgrade(database_url: str, revision: str = "head", vault: Vault | None = None) -> None:
    """Bring the database at ``database_url`` up to ``revision`` (default: the latest).

    Without ``vault``, a migration that seals data reads the keys from the
    environment as the service does (``FORMS_DATA_KEYS``, or instance/).
    """
    command.upgrade(alembic_config(database_url, vault), revision)


#: The newest revision in ``migrations/versions`` (a test keeps the two in step).
HEAD = "0008"
#: The last revision whose tables the embedded mode made without recording a version.
UNRECORDED = "0002"


def prepare_embedded(engine: Engine, vault: Vault) -> None:
    """Make the embedded SQLite database ready, whatever version made it.

    A new database gets every table at once and is marked as at ``HEAD``; one
    made by an earlier version is brought up to date by the migrations, so an
    upgrade never loses what was stored.
    """
    from .tables import create_schema

    names = set(inspect(engine).get_table_names())
    if "submissions" not in names:
        create_schema(engine)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS alembic_version "
                    "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
                )
            )
            connection.execute(text("DELETE FROM alembic_version"))
            connection.execute(text("INSERT INTO alembic_version VALUES (:head)"), {"head": HEAD})
        return
    url = engine.url.render_as_string(hide_password=False)
    if "alembic_version" not in names:
        command.stamp(alembic_config(url), UNRECORDED)
    with engine.connect() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if current != HEAD:
        upgrade(url, vault=vault)
    create_schema(engine)  # file permissions; no table is missing now


def check(database_url: str) -> list[str]:
    """Differences between the models and the database, one line each ([] = they agree)."""
    from . import tables  # noqa: F401  (registers every table)

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
            )
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    return [_describe(diff) for diff in diffs]


def _describe(diff: object) -> str:
    if isinstance(diff, list):  # column modifications come grouped
        return "; ".join(_describe(item) for item in diff)
    if isinstance(diff, tuple) and diff:
        action, *rest = diff
        return f"{action}: " + ", ".join(_name(item) for item in rest)
    return repr(diff)


def _name(item: object) -> str:
    name = getattr(item, "name", None)
    table = getattr(getattr(item, "table", None), "name", None)
    if name is not None:
        return f"{table}.{name}" if table and table != name else str(name)
    return repr(item)
