"""Database engine and sessions, without Flask.

SQLite (the embedded default) is opened in WAL mode with a busy timeout and
``synchronous=FULL`` so an acknowledged submission survives a power cut, and
writers take the lock up front (``BEGIN IMMEDIATE``) so a busy database fails
fast with a clear error instead of half-way through a transaction.

Within one process, SQLite writers also queue on a plain lock before
``BEGIN IMMEDIATE``. SQLite's own busy handler polls with sleeps of up to
100 ms, so threads racing for the write lock waited far longer than the
lock was held (under 50 concurrent submitters most of their time was spent
asleep); a threading lock hands over the moment it is free.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
READ_ONLY = "forms_read_only"
_HOLDS_WRITE_LOCK = "forms_holds_write_lock"


class WriterBusy(Exception):
    """Another writer in this process held the database for the whole busy timeout."""


class Base(DeclarativeBase):
    """Declarative base of every table."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``, with SQLite made safe for concurrent use.

    ``postgresql://`` and ``postgres://`` mean psycopg 3, the driver we ship.
    """
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url.removeprefix(plain)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    writers = threading.Lock()

    def _release(info: Any) -> None:
        if info.pop(_HOLDS_WRITE_LOCK, False):
            writers.release()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the lock up front; readers (WAL) never block anyone.
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        # Held until the connection goes back to the pool (right after COMMIT or
        # ROLLBACK: sessions hand their connection back when a transaction ends).
        # record_info lives as long as the pool's record, even if the DBAPI
        # connection is invalidated, so the checkin below always finds the flag.
        info = connection.connection.record_info
        if info is None:  # a detached connection: no pool checkin to release it
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        if not info.get(_HOLDS_WRITE_LOCK):
            if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
                raise OperationalError("BEGIN IMMEDIATE", None, WriterBusy("database is locked"))
            info[_HOLDS_WRITE_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(info)
            raise

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.record_info is not None:
            _release(record.record_info)


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (handy for plain functions).

    ``read_only`` sessions start a plain (deferred) transaction on SQLite, so
    looking up a draft never queues behind a submission being written.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        with session.begin():
            yield session
    finally:
        session.close()
