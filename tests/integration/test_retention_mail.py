"""The purge and every kind of email: a closed family's forms go with all their mail,
its allocation notices and allocations, and a referrer's failed acknowledgement
does not keep a delivered form; an undelivered onward referral does. Old sent
digests and reminders go after 30 days; payloads are re-sealed with a new key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import time_machine
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import func, select, update

from forms_service.audit import SYSTEM, AuditEvent
from forms_service.clock import utcnow
from forms_service.delivery import messages
from forms_service.families.models import Family
from forms_service.maintenance import purge, rotate_data_key
from forms_service.services import Services, build_services
from forms_service.submissions.models import OutboxEvent, OutboxMessage, Submission
from forms_service.workspace.models import Allocation, Referral
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.staff import referral_headers, staff_user

DAY0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
REFERRER = "p.raman@riverside.example.sch.uk"


def _count(services: Services, model: type, *where: Any) -> int:
    with services.readers() as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _closed_referral(app: Flask, services: Services) -> tuple[str, str]:
    """A referral (form and acknowledgement sent), its family allocated, told and closed."""
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=referral_headers(app)
    )
    assert reply.status_code == 201
    with services.readers() as db:
        submission = db.scalars(
            select(Submission).where(Submission.reference == reply.get_json()["reference"])
        ).one()
    lead = staff_user(services, "lead-professional")
    with services.sessions.begin() as db:
        assert db.get(Referral, submission.id) is not None  # its clock, set on receipt
        db.add(Allocation(family_id=submission.family_id, user_id=lead.id, allocated_at=DAY0))
        notice = messages.queue(
            db,
            services.vault,
            kind=messages.ALLOCATION,
            recipient=lead.email,
            family_id=submission.family_id,
            payload={"family_id": submission.family_id},
        )
        db.execute(
            update(Family)
            .where(Family.id == submission.family_id)
            .values(status="closed", closed_at=DAY0)
        )
    task_runner(app).enqueue_delivery(notice)
    return submission.id, submission.family_id


def _set_status(services: Services, submission_id: str, kind: str, status: str) -> None:
    with services.sessions.begin() as db:
        db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.submission_id == submission_id, OutboxMessage.kind == kind)
            .values(status=status)
        )


def test_a_closed_family_goes_with_all_its_mail_unless_a_document_is_undelivered(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, retention_days=30)
    services: Services = app.extensions["forms"]
    with time_machine.travel(DAY0, tick=False) as clock:
        refused, refused_family = _closed_referral(app, services)
        _set_status(services, refused, messages.ACKNOWLEDGEMENT, "failed")  # referrer refused
        stuck, stuck_family = _closed_referral(app, services)
        with services.sessions.begin() as db:
            messages.queue(
                db,
                services.vault,
                kind=messages.ONWARD,
                recipient="first.contact@council.example.gov.uk",
                submission_id=stuck,
                payload={"form_id": "ehfsa", "outcome": "safeguarding"},
            )
        _set_status(services, stuck, messages.ONWARD, "failed")
        assert _count(services, OutboxMessage) == 7  # 2 × (form, ack, notice) + onward
        clock.shift(dt.timedelta(days=31))
        report = purge(services)
    task_runner(app).stop()
    assert report.submissions == 1 and report.families == 1 and report.kept_undelivered == 1
    with services.readers() as db:
        assert db.get(Submission, refused) is None and db.get(Family, refused_family) is None
        assert db.get(Submission, stuck) is not None and db.get(Family, stuck_family) is not None
        left = sorted(db.scalars(select(OutboxMessage.kind)))
        [event] = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.submission_deleted")
        )
    assert left == ["acknowledgement", "allocation", "onward", "spoc"]  # the kept family's
    assert event.object_id == refused and event.detail == "delivery: failed, sent"
    kept_ids = select(OutboxMessage.id)
    assert _count(services, OutboxEvent, OutboxEvent.outbox_id.not_in(kept_ids)) == 0
    assert _count(services, Referral) == 1 and _count(services, Allocation) == 1
    assert _count(services, Allocation, Allocation.family_id == stuck_family) == 1


def test_old_sent_digests_and_reminders_go_and_payloads_are_resealed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    services: Services = app.extensions["forms"]

    def digest(status: str) -> str:
        with services.sessions.begin() as db:
            outbox_id = messages.queue(
                db,
                services.vault,
                kind=messages.DIGEST,
                recipient=services.settings.spoc_inbox,
                payload={"day": "2026-03-01", "references": ["EH-2026-7Q4K9"]},
            )
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id)
                .values(status=status, sent_at=utcnow() if status == "sent" else None)
            )
        return outbox_id

    with time_machine.travel(DAY0, tick=False) as clock:
        old, failed = digest("sent"), digest("failed")
        clock.shift(dt.timedelta(days=29))
        recent = digest("sent")
        purge(services)
        assert _count(services, OutboxMessage) == 3
        clock.shift(dt.timedelta(days=2))
        purge(services)
    with services.readers() as db:
        assert sorted(db.scalars(select(OutboxMessage.id))) == sorted([failed, recent])
    assert _count(services, OutboxEvent, OutboxEvent.outbox_id == old) == 0
    task_runner(app).stop()

    newest = Fernet.generate_key().decode()
    rotated = build_services(
        services.settings.with_overrides({"data_keys": (newest, *services.settings.data_keys)})
    )
    assert rotate_data_key(rotated, SYSTEM) >= 2  # both payloads, besides anything else
    only_new = build_services(services.settings.with_overrides({"data_keys": (newest,)}))
    with only_new.readers() as db:
        payloads = [
            only_new.vault.open(p) for p in db.scalars(select(OutboxMessage.payload_sealed))
        ]
    assert payloads == [{"day": "2026-03-01", "references": ["EH-2026-7Q4K9"]}] * 2
    rotated.engine.dispose()
    only_new.engine.dispose()
