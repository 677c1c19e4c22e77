"""Withdrawal of consent, recorded on a review: from that day no documents about
the family are emailed to partners (only to the SPOC inbox), except the
safeguarding referral to social care; the family page says so plainly; and the
record is kept (withdrawal is not erasure). Mail goes to a real SMTP server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_service import maintenance
from forms_service.audit import AuditEvent
from forms_service.auth.actor import ANONYMOUS, Actor
from forms_service.delivery import messages
from forms_service.families.models import Family
from forms_service.services import Services
from forms_service.submissions.models import OutboxMessage, Submission
from forms_service.submissions.service import Received, submit
from forms_service.workspace.service import allocate, record_outcome
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers, tacaf_closing_answers, tacaf_review_answers
from tests.smtp_server import SmtpTestServer
from tests.staff import StaffUser, signed_in, staff_user

SPOC = "c-spoc@council.example.gov.uk"
PANEL = "tacaf.panel@council.example.gov.uk"
SOCIAL_CARE = "first.contact@council.example.gov.uk"
WITHDRAWN_ON = dt.date.today() - dt.timedelta(days=2)


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpTestServer) -> Iterator[Flask]:
    application = make_app(
        tmp_path,
        smtp_url=smtp.url("smtp"),
        spoc_inbox=SPOC,
        onward_addresses=(("social_care", SOCIAL_CARE), ("panel", PANEL)),
        retry_base_seconds=0.01,
        retry_max_seconds=0.05,
    )
    yield application
    task_runner(application).stop()


def _actor(user: StaffUser) -> Actor:
    return Actor("user", user_id=user.id, role=user.role)


def _withdrawing(answers: dict[str, Any]) -> dict[str, Any]:
    return {
        **answers,
        "consent_reconfirmed": False,
        "consent_withdrawn": True,
        "consent_withdrawn_date": WITHDRAWN_ON.isoformat(),
        "consent_withdrawn_by": "Grace Okonkwo, mother",
    }


def _withdrawn_family(app: Flask, review: dict[str, Any]) -> tuple[Received, Received, StaffUser]:
    """A referral, its family allocated, then a review recording withdrawal of consent."""
    services: Services = app.extensions["forms"]
    referral = submit(
        services,
        services.registry.get("ehfsa"),
        ehfsa_answers(3),
        channel="api",
        actor=ANONYMOUS,
    )
    cspoc = staff_user(services, "cspoc")
    worker = staff_user(services, "lead-professional")
    allocate(services, _actor(cspoc), referral.family_id, worker.email)
    withdrawal = submit(
        services,
        services.registry.get("tacaf-review"),
        _withdrawing(review),
        channel="api",
        actor=_actor(worker),
        family_id=referral.family_id,
    )
    for outbox_id in (*referral.outbox_ids, *withdrawal.outbox_ids):
        task_runner(app).enqueue_delivery(outbox_id)
    return referral, withdrawal, cspoc


def _sent_to(smtp: SmtpTestServer, app: Flask, address: str) -> list[Any]:
    task_runner(app).stop()
    return [m for m in smtp.messages if address in m.rcpt_tos]


def test_withdrawal_is_kept_on_the_family(app: Flask) -> None:
    services: Services = app.extensions["forms"]
    referral, withdrawal, _ = _withdrawn_family(app, tacaf_review_answers())
    with services.readers() as db:
        family = db.get(Family, referral.family_id)
        assert family is not None
        assert family.consent_withdrawn_on == WITHDRAWN_ON
        assert family.consent_withdrawn_in == withdrawal.id
        events = db.scalars(
            select(AuditEvent.action).where(AuditEvent.family_id == referral.family_id)
        ).all()
    assert "family.consent_withdrawn" in events


def test_after_withdrawal_a_partner_gets_no_documents_but_the_spoc_inbox_does(
    app: Flask, smtp: SmtpTestServer
) -> None:
    services: Services = app.extensions["forms"]
    referral, withdrawal, cspoc = _withdrawn_family(app, tacaf_review_answers())
    ids = record_outcome(services, _actor(cspoc), referral.reference, "tacaf_panel", "Panel")
    for outbox_id in ids:
        task_runner(app).enqueue_delivery(outbox_id)
    with services.readers() as db:
        kinds = db.scalars(select(OutboxMessage.kind).where(OutboxMessage.id.in_(ids))).all()
        withheld = db.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "mail.withheld")
        ).all()
    assert messages.ONWARD not in kinds
    assert "onward: consent withdrawn" in withheld
    assert _sent_to(smtp, app, PANEL) == []
    to_spoc = [m.parsed() for m in _sent_to(smtp, app, SPOC)]
    subjects = " ".join(str(m["Subject"]) for m in to_spoc)
    assert referral.reference in subjects and withdrawal.reference in subjects
    for message in to_spoc:  # the inbox still gets every form with its documents
        assert {p.get_filename().rsplit(".", 1)[1] for p in message.iter_attachments()} >= {
            "pdf",
            "docx",
        }
    # Queued directly, an onward message with documents is refused too.
    with pytest.raises(messages.ConsentWithdrawn), services.sessions.begin() as db:
        messages.queue(
            db,
            services.vault,
            kind=messages.ONWARD,
            recipient=PANEL,
            submission_id=referral.id,
            payload={"form_id": "ehfsa", "outcome": "tacaf_panel"},
        )


def test_the_safeguarding_referral_still_goes_after_withdrawal(
    app: Flask, smtp: SmtpTestServer
) -> None:
    services: Services = app.extensions["forms"]
    referral, _, cspoc = _withdrawn_family(app, tacaf_review_answers())
    ids = record_outcome(services, _actor(cspoc), referral.reference, "safeguarding", "Harm")
    for outbox_id in ids:
        task_runner(app).enqueue_delivery(outbox_id)
    [onward] = _sent_to(smtp, app, SOCIAL_CARE)
    names = [p.get_filename() for p in onward.parsed().iter_attachments()]
    assert f"{referral.reference}.pdf" in names


def test_the_family_page_says_consent_was_withdrawn(app: Flask) -> None:
    services: Services = app.extensions["forms"]
    referral, withdrawal, cspoc = _withdrawn_family(app, tacaf_review_answers())
    client = signed_in(app.test_client(), services, cspoc)
    page = client.get(f"/staff/families/{referral.family_id}").text
    day = f"{WITHDRAWN_ON.day} {WITHDRAWN_ON:%B %Y}"
    assert f"The family withdrew consent on {day} (recorded in {withdrawal.reference})" in page
    assert "no documents about them are emailed to partners" in page


def test_withdrawal_is_not_erasure(tmp_path: Path, smtp: SmtpTestServer) -> None:
    app = make_app(tmp_path, smtp_url=smtp.url("smtp"), retention_days=30)
    services: Services = app.extensions["forms"]
    closing = {**tacaf_closing_answers(), "close_reason": "declined"}
    referral, _, _ = _withdrawn_family(app, closing)
    task_runner(app).stop()
    report = maintenance.purge(services, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=29))
    assert report.submissions == 0
    with services.readers() as db:
        assert db.scalar(select(func.count()).select_from(Submission)) == 2
        family = db.get(Family, referral.family_id)
        assert family is not None and family.status == "closed"
        assert family.consent_withdrawn_on == WITHDRAWN_ON
