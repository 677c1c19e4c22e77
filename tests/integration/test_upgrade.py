"""Upgrading a database made by the previous version: nothing is lost, and what
was stored in clear is sealed (SQLite made at start-up, and PostgreSQL by
``db-upgrade``); the audit log refuses changes on both."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.exc import DatabaseError

from forms_service.audit import CLI, AuditEvent, record
from forms_service.config import settings_from_env
from forms_service.migrate import HEAD, alembic_config, check, upgrade
from forms_service.services import build_services
from forms_service.submissions.models import Draft, Submission
from tests.factories import ehfsa_answers

OLD_ANSWERS = ehfsa_answers(2)


def test_head_is_the_newest_migration() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_current_head() == HEAD


def _old_rows(url: str) -> None:
    """What version 0002 stored: answers and a draft as readable JSON."""
    engine = create_engine(url)
    now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO submissions (id, reference, form_id, form_version, answers, channel,"
                " submitted_at) VALUES ('s-1', 'EH-2345-6789', 'ehfsa', 1, :answers, 'api', :now)"
            ),
            {"answers": json.dumps(OLD_ANSWERS), "now": now},
        )
        db.execute(
            text(
                "INSERT INTO drafts (id, form_id, answers, created_at, updated_at)"
                " VALUES ('d-1', 'ehfsa', :answers, :now, :now)"
            ),
            {"answers": json.dumps({"referrer": OLD_ANSWERS["referrer"]}), "now": now},
        )
    engine.dispose()


def _assert_carried_over(url: str, instance: Path) -> None:
    services = build_services(
        settings_from_env(
            overrides={"instance_path": instance, "database_url": url, "task_mode": "sync"}
        )
    )
    try:
        with services.readers() as db:
            stored = db.scalars(select(Submission)).one()
            draft = db.scalars(select(Draft)).one()
            assert services.vault.open(stored.answers_sealed) == OLD_ANSWERS
            assert stored.family_id
            assert services.vault.open(draft.answers_sealed)["referrer"] == OLD_ANSWERS["referrer"]
        with services.sessions() as db:
            record(db, CLI, "keys.rotated")
            db.commit()
        with pytest.raises(DatabaseError, match="append-only"), services.sessions() as db:
            db.execute(update(AuditEvent).values(detail="changed"))
            db.commit()
        with pytest.raises(DatabaseError, match="append-only"), services.sessions() as db:
            db.execute(delete(AuditEvent))
            db.commit()
    finally:
        services.engine.dispose()


def test_an_embedded_database_from_the_last_version_is_upgraded_at_start(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    url = f"sqlite:///{instance / 'forms.sqlite3'}"
    instance.mkdir()
    # The last version made its tables without recording an Alembic version.
    upgrade(url, "0002")
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    _old_rows(url)
    _assert_carried_over(url, instance)
    assert check(url) == []
    raw = (instance / "forms.sqlite3").read_bytes()
    assert OLD_ANSWERS["referrer"]["organisation"].encode() not in raw


def test_postgres_upgrade_seals_what_was_in_clear(tmp_path: Path, fresh_postgres_url: str) -> None:
    upgrade(fresh_postgres_url, "0002")
    _old_rows(fresh_postgres_url)
    monkey = pytest.MonkeyPatch()
    monkey.setenv(
        "FORMS_INSTANCE_PATH", str(tmp_path)
    )  # the migration reads keys as the service does
    try:
        upgrade(fresh_postgres_url)
    finally:
        monkey.undo()
    assert check(fresh_postgres_url) == []
    _assert_carried_over(fresh_postgres_url, tmp_path)
