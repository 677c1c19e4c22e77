"""Every query behind the staff workspace's lists uses an index, and paging counts once.

Each page is asked for over a seeded database (``benchmarks.workspace.seed``,
small), every SELECT it sent is recorded, and the database is asked how it
would run each one: on SQLite ``EXPLAIN QUERY PLAN`` must not ``SCAN`` a
family-data table without an index; on PostgreSQL, with sequential scans
priced out (``enable_seqscan = off``, so an index is used whenever one can
be), no plan may still read such a table sequentially. The timings
themselves are in ``benchmarks/`` (``make bench``), not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text

from benchmarks.workspace import measure_paths, seed
from tests.conftest import make_app, task_runner

#: Tables that grow with the number of families: never read whole.
BIG_TABLES = (
    "families",
    "submissions",
    "referrals",
    "allocations",
    "outbox",
    "match_keys",
    "audit_events",
)


def _statements(app: Flask, seeded: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    """The SELECTs each workspace page sends, by page."""
    engine = app.extensions["forms"].engine
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not many:
            sent.append((statement, params))

    found: dict[str, list[tuple[str, Any]]] = {}
    event.listen(engine, "before_cursor_execute", keep)
    try:
        for page, ask in measure_paths(seeded).items():
            sent.clear()
            reply = ask(app)
            assert reply.status_code == 200, page
            found[page] = list(sent)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return found


def _sqlite_full_scans(app: Flask, statements: list[tuple[str, Any]]) -> list[str]:
    engine = app.extensions["forms"].engine
    problems = []
    with engine.connect() as connection:
        for statement, params in statements:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            for row in plan:
                detail = str(row[-1])
                scanned = re.match(r"SCAN (\w+)", detail)
                if scanned and scanned.group(1) in BIG_TABLES and "INDEX" not in detail:
                    problems.append(f"{detail}  <-  {statement[:160]}")
    return problems


def _postgres_full_scans(app: Flask, statements: list[tuple[str, Any]]) -> list[str]:
    engine = app.extensions["forms"].engine
    problems = []
    with engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        for statement, params in statements:
            cursor = connection.connection.cursor()
            cursor.execute("EXPLAIN " + statement, params)
            for (line,) in cursor.fetchall():
                scanned = re.search(r"Seq Scan on (\w+)", line)
                if scanned and scanned.group(1) in BIG_TABLES:
                    problems.append(f"{line.strip()}  <-  {statement[:160]}")
    return problems


def _seeded_app(tmp_path: Path, **overrides: Any) -> Iterator[tuple[Flask, dict[str, Any]]]:
    app = make_app(tmp_path, **overrides)
    try:
        yield app, seed(app.extensions["forms"], families=300, submissions=1500)
    finally:
        task_runner(app).stop()


@pytest.fixture
def sqlite_seeded(tmp_path: Path) -> Iterator[tuple[Flask, dict[str, Any]]]:
    yield from _seeded_app(tmp_path)


def test_every_workspace_list_query_uses_an_index_on_sqlite(
    sqlite_seeded: tuple[Flask, dict[str, Any]],
) -> None:
    app, seeded = sqlite_seeded
    for page, statements in _statements(app, seeded).items():
        assert statements, page
        assert _sqlite_full_scans(app, statements) == [], page


#: The lists shown a page at a time (the dashboard's counts are its figures, not paging).
PAGED = ("inbox", "my-families")


def test_paging_counts_the_table_once(sqlite_seeded: tuple[Flask, dict[str, Any]]) -> None:
    app, seeded = sqlite_seeded
    for page, statements in _statements(app, seeded).items():
        if page not in PAGED:
            continue
        counts = [s for s, _ in statements if re.search(r"\bcount\(", s, re.IGNORECASE)]
        assert len(counts) == 1, (page, counts)


def test_every_workspace_list_query_uses_an_index_on_postgresql(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    from forms_service.migrate import upgrade

    upgrade(fresh_postgres_url)
    for app, seeded in _seeded_app(tmp_path, database_url=fresh_postgres_url):
        with app.extensions["forms"].engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        for page, statements in _statements(app, seeded).items():
            assert statements, page
            assert _postgres_full_scans(app, statements) == [], page
