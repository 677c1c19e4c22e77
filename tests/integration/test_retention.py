"""The daily purge, with a frozen clock: old drafts go, closed families' forms go
after the retention period, nothing undelivered is ever deleted, every deletion
is audited; and a daily job runs once across processes."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from forms_service.audit import AuditEvent
from forms_service.families.models import Family
from forms_service.jobs import JobRun, run_once_today
from forms_service.maintenance import purge
from forms_service.services import Services, build_services
from forms_service.submissions.models import Draft, OutboxMessage, Submission
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers, tacaf_review_answers
from tests.staff import referral_headers, staff_user, user_headers
from tests.webuser import WebUser

DAY0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _count(services: Services, model: type) -> int:
    with services.readers() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _audited(services: Services, action: str) -> int:
    with services.readers() as db:
        return int(
            db.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            )
            or 0
        )


def test_drafts_go_after_28_days_without_a_change(client: FlaskClient, services: Services) -> None:
    with time_machine.travel(DAY0, tick=False) as clock:
        old = WebUser(client, services.registry.get("ehfsa"))
        old.fill_page("referrer", {"referrer": ehfsa_answers()["referrer"]})
        clock.shift(dt.timedelta(days=20))
        fresh = WebUser(client.application.test_client(), services.registry.get("ehfsa"))
        fresh.fill_page("referrer", {"referrer": ehfsa_answers()["referrer"]})
        clock.shift(dt.timedelta(days=8, minutes=1))  # the first is 28 days old, the second 8
        report = purge(services)
    assert report.drafts == 1 and _count(services, Draft) == 1
    assert _audited(services, "retention.draft_deleted") == 1


def _closed_family(app: Flask, services: Services) -> tuple[str, str]:
    """A referral, then a review that closes the family; their references."""
    referral = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=referral_headers(app)
    )
    reference = referral.get_json()["reference"]
    worker = staff_user(services, "cspoc")
    review = {**tacaf_review_answers(), "decision": "close", "close_reason": "outcomes_met"}
    for key in ("next_meeting",):
        review.pop(key, None)
    review.update({"what_helped": "Routines.", "who_to_contact": "The school office."})
    made = app.test_client().post(
        "/api/v1/forms/tacaf-review/submissions",
        json=review,
        headers=user_headers(services, worker),
    )
    assert made.status_code == 201, made.get_json()
    return reference, made.get_json()["reference"]


def test_closed_families_go_after_the_retention_period_but_undelivered_mail_stays(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, retention_days=30)
    services: Services = app.extensions["forms"]
    with time_machine.travel(DAY0, tick=False) as clock:
        _, review_ref = _closed_family(app, services)
        with services.readers() as db:
            closed = db.scalars(select(Family).where(Family.status == "closed")).one()
        # A second closed family whose email never went: it must never be deleted.
        _, stuck_ref = _closed_family(app, services)
        with services.sessions() as db:
            db.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.submission_id.in_(
                        select(Submission.id).where(Submission.reference == stuck_ref)
                    )
                )
                .values(status="failed")
            )
            db.commit()
        open_referral = app.test_client().post(
            "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=referral_headers(app)
        )
        assert open_referral.status_code == 201
        before = _count(services, Submission)
        clock.shift(dt.timedelta(days=29))
        assert purge(services).submissions == 0  # not yet
        clock.shift(dt.timedelta(days=2))
        report = purge(services)
    assert report.submissions == 1 and report.families == 1 and report.kept_undelivered == 1
    assert _count(services, Submission) == before - 1
    with services.readers() as db:
        assert db.get(Family, closed.id) is None
        assert (
            db.scalars(select(Submission).where(Submission.reference == review_ref)).first() is None
        )
        assert db.scalars(select(Submission).where(Submission.reference == stuck_ref)).one()
        assert (
            db.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "failed")
            )
            == 1
        )
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.submission_deleted")
        ).all()
    assert len(events) == 1 and events[0].detail == "delivery: sent"
    assert _audited(services, "retention.family_deleted") == 1
    task_runner(app).stop()


def test_without_a_retention_period_closed_families_are_kept(app: Flask) -> None:
    services: Services = app.extensions["forms"]
    with time_machine.travel(DAY0, tick=False) as clock:
        _closed_family(app, services)
        clock.shift(dt.timedelta(days=3650))
        report = purge(services)
    assert report.submissions == 0 and not report.retention_set
    assert "FORMS_RETENTION_DAYS is not set" in str(report)


def test_a_daily_job_runs_once_across_processes(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    first: Services = app.extensions["forms"]
    second = build_services(first.settings)  # another process on the same database
    runs: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> str:
        with lock:
            runs.append(name)
        return "done"

    with time_machine.travel(DAY0, tick=False) as clock:
        threads = [
            threading.Thread(
                target=run_once_today, args=(svc.sessions, "purge", lambda n=n: work(n))
            )
            for n, svc in enumerate((first, second, first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(runs) == 1
        assert run_once_today(second.sessions, "purge", lambda: work("again")) is None
        clock.shift(dt.timedelta(days=1))
        assert run_once_today(second.sessions, "purge", lambda: work("tomorrow")) == "done"
    assert len(runs) == 2
    with first.readers() as db:
        assert db.scalar(select(func.count()).select_from(JobRun)) == 2
    task_runner(app).stop()
    second.engine.dispose()


def test_an_abandoned_lease_is_taken_over_after_an_hour(tmp_path: Path) -> None:
    from forms_service.jobs import take_lease

    app = make_app(tmp_path)
    services: Services = app.extensions["forms"]
    with time_machine.travel(DAY0, tick=False) as clock:
        assert take_lease(services.sessions, "purge", DAY0.date())  # then the holder dies
        assert not take_lease(services.sessions, "purge", DAY0.date())
        clock.shift(dt.timedelta(minutes=61))
        assert take_lease(services.sessions, "purge", DAY0.date())
    task_runner(app).stop()


def test_the_purge_command_reports_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from forms_service.cli import main

    app = make_app(tmp_path)
    services: Services = app.extensions["forms"]
    monkeypatch.setenv("FORMS_INSTANCE_PATH", str(services.settings.instance_path))
    monkeypatch.setenv("FORMS_DATABASE_URL", services.settings.database_url)
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "0 draft(s)" in out and "FORMS_RETENTION_DAYS is not set" in out
    task_runner(app).stop()
