"""SQLite writers queue on an in-process lock: none is lost, and a failure never keeps it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from forms_service import db


@pytest.fixture
def factory(tmp_path: Path) -> db.sessionmaker[db.Session]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER NOT NULL)"))
    return db.make_session_factory(engine)


def _count(factory: db.sessionmaker[db.Session]) -> int:
    with db.transaction(factory) as session:
        return int(session.execute(text("SELECT count(*) FROM t")).scalar_one())


def test_many_threads_write_and_every_row_lands(factory: db.sessionmaker[db.Session]) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                with db.transaction(factory) as session:
                    session.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n * 100 + i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _count(factory) == 16 * 20


def test_a_failed_transaction_releases_the_writer_lock(
    factory: db.sessionmaker[db.Session],
) -> None:
    with pytest.raises(RuntimeError):
        with db.transaction(factory) as session:
            session.execute(text("INSERT INTO t (n) VALUES (1)"))
            raise RuntimeError("boom")
    with pytest.raises(OperationalError):
        with db.transaction(factory) as session:
            session.execute(text("INSERT INTO missing (n) VALUES (1)"))

    done = threading.Event()

    def write() -> None:
        with db.transaction(factory) as session:
            session.execute(text("INSERT INTO t (n) VALUES (2)"))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert done.wait(2), "a writer waited: the lock was kept after a rollback"
    thread.join()
    assert _count(factory) == 1


def test_readers_do_not_take_the_writer_lock(factory: db.sessionmaker[db.Session]) -> None:
    readers = db.make_session_factory(factory.kw["bind"], read_only=True)
    with db.transaction(factory) as writer:
        writer.execute(text("INSERT INTO t (n) VALUES (3)"))
        with db.transaction(readers) as reader:  # same thread, writer still open
            assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
