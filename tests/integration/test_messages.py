"""Every kind of email through the outbox, received by a real SMTP server (aiosmtpd):
the referrer's acknowledgement and outcome, an onward referral with the referrer
copied, an allocation notice; trusted domains; a refused referrer's address;
sending one message again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from forms_service.audit import AuditEvent
from forms_service.delivery import messages, status
from forms_service.delivery.outbox import retry_now
from forms_service.formats import format_datetime
from forms_service.services import Services
from forms_service.submissions.models import OutboxEvent, OutboxMessage, Submission
from forms_service.workspace.models import Referral
from tests.conftest import make_app, task_runner
from tests.factories import cspoc_request_answers, ehfsa_answers
from tests.readback import flat, pdf_text
from tests.smtp_server import ReceivedMessage, SmtpTestServer
from tests.staff import referral_headers

SPOC = "c-spoc@council.example.gov.uk"
REFERRER = "p.raman@riverside.example.sch.uk"
SOCIAL_CARE = "first.contact@council.example.gov.uk"
BASE_URL = "https://forms.council.example.gov.uk"
TRUSTED = ("gov.uk", "nhs.net", "nhs.uk", "sch.uk")
DOMAIN = "forms.example.gov.uk"


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpTestServer) -> Iterator[Flask]:
    application = _app(tmp_path, smtp)
    yield application
    task_runner(application).stop()


def _app(tmp_path: Path, smtp: SmtpTestServer, **overrides: Any) -> Flask:
    settings: dict[str, Any] = {
        "smtp_url": smtp.url("smtp"),
        "trusted_email_domains": TRUSTED,
        "base_url": BASE_URL,
        "onward_addresses": (("social_care", SOCIAL_CARE),),
        "retry_base_seconds": 0.01,
        "retry_max_seconds": 0.05,
    }
    return make_app(tmp_path, **{**settings, **overrides})


def _services(app: Flask) -> Services:
    services: Services = app.extensions["forms"]
    return services


def _refer(app: Flask, form_id: str = "ehfsa", answers: dict[str, Any] | None = None) -> str:
    answers = answers if answers is not None else ehfsa_answers(6)
    reply = app.test_client().post(
        f"/api/v1/forms/{form_id}/submissions", json=answers, headers=referral_headers(app)
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _submission(services: Services, reference: str) -> Submission:
    with services.readers() as db:
        return db.scalars(select(Submission).where(Submission.reference == reference)).one()


def _rows(services: Services, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.created_at)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    with services.readers() as db:
        return list(db.scalars(query))


def _to(smtp: SmtpTestServer, address: str) -> list[ReceivedMessage]:
    return [m for m in smtp.messages if address in m.rcpt_tos]


def _queue(app: Flask, **kwargs: Any) -> str:
    """Queue one message as the workspace does, then hand it to the task runner."""
    services = _services(app)
    with services.sessions.begin() as db:
        outbox_id = messages.queue(db, services.vault, **kwargs)
    task_runner(app).enqueue_delivery(outbox_id)
    return outbox_id


def _text(message: EmailMessage) -> str:
    """Every header and the plain-text body, decoded, as a reader would see them."""
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return headers + "\n" + message.get_body(("plain",)).get_content()


def _family_words(answers: dict[str, Any]) -> list[str]:
    """Who the family are: every name in the household, their address and postcode."""
    words = [p[key] for p in answers["household"] for key in ("first_name", "last_name")]
    contact = answers.get("family_contact") or {}
    words += [contact[k] for k in ("address_line_1", "postcode") if contact.get(k)]
    return words


def _no_family_in(message: EmailMessage, answers: dict[str, Any]) -> None:
    text = _text(message)
    for word in _family_words(answers):
        assert word not in text, f"{word!r} is in a message that must not name the family"


# --------------------------------------------------------------------------- acknowledgement


@pytest.mark.parametrize(
    ("form_id", "build"), [("ehfsa", ehfsa_answers), ("cspoc-request", cspoc_request_answers)]
)
def test_a_referral_is_acknowledged_to_the_referrer_without_the_family(
    app: Flask, smtp: SmtpTestServer, form_id: str, build: Any
) -> None:
    answers = build()
    reference = _refer(app, form_id, answers)
    services = _services(app)
    submission = _submission(services, reference)
    [to_spoc], [ack] = _to(smtp, SPOC), _to(smtp, REFERRER)
    assert ack.rcpt_tos == [REFERRER] and to_spoc.rcpt_tos == [SPOC]
    message = ack.parsed()
    assert message["To"] == REFERRER
    assert message["Subject"] == f"Referral received – {reference}"
    [row] = _rows(services, messages.ACKNOWLEDGEMENT)
    assert row.status == "sent" and row.submission_id == submission.id
    assert message["Message-ID"] == f"<{row.id}@{DOMAIN}>"
    assert to_spoc.parsed()["Message-ID"] == f"<{submission.id}@{DOMAIN}>"  # as it always was
    text = flat(message.get_body(("plain",)).get_content())
    assert reference in text
    assert services.registry.get(form_id).title in text
    with services.readers() as db:  # the outcome clock started when the referral was stored
        due = db.get(Referral, submission.id).outcome_due_at  # type: ignore[union-attr]
    assert f"by {format_datetime(due)}" in text
    assert services.settings.level4_phone in text  # the C-SPOC, unless another is configured
    assert list(message.iter_attachments()) == []
    _no_family_in(message, answers)


def test_the_acknowledgement_gives_the_outcome_clock_and_the_configured_number(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    app = _app(tmp_path, smtp, cspoc_phone="01702 212345")
    services = _services(app)
    reference = _refer(app)
    submission = _submission(services, reference)
    due = dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.UTC)
    # From the payload, when the caller knows it ...
    _queue(
        app,
        kind=messages.ACKNOWLEDGEMENT,
        recipient=REFERRER,
        submission_id=submission.id,
        payload={"form_id": "ehfsa", "outcome_due_at": due.isoformat()},
    )
    # ... or from the referral's clock, which the workspace set on receipt.
    later = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
    with services.sessions.begin() as db:
        referral = db.get(Referral, submission.id)
        assert referral is not None
        first_due = referral.outcome_due_at
        referral.outcome_due_at = later
    _queue(
        app,
        kind=messages.ACKNOWLEDGEMENT,
        recipient=REFERRER,
        submission_id=submission.id,
        payload={"form_id": "ehfsa"},
    )
    task_runner(app).stop()
    bodies = [flat(m.parsed().get_body(("plain",)).get_content()) for m in _to(smtp, REFERRER)]
    assert len(bodies) == 3
    assert f"by {format_datetime(first_due)}" in bodies[0]  # at submission, from its clock
    assert f"by {format_datetime(due)}" in bodies[1]
    assert f"by {format_datetime(later)}" in bodies[2]
    assert all("01702 212345" in body for body in bodies)


def test_an_untrusted_referrer_address_gets_no_acknowledgement(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    app = _app(tmp_path, smtp, trusted_email_domains=("gov.uk", "nhs.net"))
    services = _services(app)
    reference = _refer(app)
    task_runner(app).stop()
    assert [m.rcpt_tos for m in smtp.messages] == [[SPOC]]
    assert [r.kind for r in _rows(services)] == [messages.SPOC]
    with services.readers() as db:
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "mail.withheld"))
    assert event.object_id == _submission(services, reference).id
    assert "raman" not in (event.detail or "").lower() and "sch.uk" not in (event.detail or "")


def test_a_refused_referrer_fails_only_their_message_and_health_stays_ok(
    app: Flask, smtp: SmtpTestServer
) -> None:
    services = _services(app)
    smtp.refuse(REFERRER)
    reference = _refer(app)
    submission = _submission(services, reference)
    [ack] = _rows(services, messages.ACKNOWLEDGEMENT)
    [form] = _rows(services, messages.SPOC)
    assert ack.status == "failed" and "550" in (ack.last_error or "") and ack.attempts == 1
    assert form.status == "sent" and len(_to(smtp, SPOC)) == 1
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.get_json()["other_failed"] == 1 and health.get_json()["failed"] == 0
    assert status.refused_referrer(services, [submission.id]) == {submission.id}
    listed = {(r.kind, r.reference, r.status) for r in status.undelivered(services)}
    assert listed == {(messages.ACKNOWLEDGEMENT, reference, "failed")}

    smtp.stop_refusing(REFERRER)
    smtp.refuse(SPOC)  # now the SPOC inbox itself refuses: that is an alert
    other = _submission(services, _refer(app))
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["failed"] == 1
    assert status.refused_referrer(services, [submission.id, other.id]) == {submission.id}


# --------------------------------------------------------------------------- outcome, onward


def test_the_outcome_reaches_the_referrer_in_the_forms_own_words(
    app: Flask, smtp: SmtpTestServer
) -> None:
    answers = ehfsa_answers(6)
    reference = _refer(app, answers=answers)
    services = _services(app)
    submission = _submission(services, reference)
    with services.sessions.begin() as db:
        outcome_id = messages.queue_for_referrer(
            db,
            services.vault,
            services.settings,
            kind=messages.OUTCOME,
            address=REFERRER,
            submission_id=submission.id,
            payload={"form_id": "ehfsa", "outcome": "intensive_support"},
        )
    assert outcome_id is not None
    task_runner(app).enqueue_delivery(outcome_id)
    received = [m.parsed() for m in _to(smtp, REFERRER)]
    [message] = [m for m in received if m["Subject"].startswith("Outcome")]
    assert message["Subject"] == f"Outcome of your referral – {reference}"
    assert message["Message-ID"] == f"<{outcome_id}@{DOMAIN}>"
    outcome = services.registry.get("ehfsa").outcome("intensive_support")
    assert outcome is not None
    text = flat(message.get_body(("plain",)).get_content())
    assert reference in text and flat(outcome.referrer_text) in text and outcome.label in text
    _no_family_in(message, answers)


def test_an_unknown_outcome_fails_at_once_with_a_reason(app: Flask) -> None:
    services = _services(app)
    submission = _submission(services, _refer(app))
    outbox_id = _queue(
        app,
        kind=messages.OUTCOME,
        recipient=REFERRER,
        submission_id=submission.id,
        payload={"form_id": "ehfsa", "outcome": "no_such_outcome"},
    )
    with services.readers() as db:
        row = db.get(OutboxMessage, outbox_id)
        assert row is not None
        assert row.status == "failed" and row.attempts == 1
        assert "no_such_outcome" in (row.last_error or "")


def _onward(app: Flask, submission: Submission, referrer: str) -> str:
    services = _services(app)
    with services.sessions.begin() as db:
        outbox_id = messages.queue_onward(
            db,
            services.vault,
            services.settings,
            address=SOCIAL_CARE,
            submission_id=submission.id,
            form_id=submission.form_id,
            outcome="safeguarding",
            referrer=referrer,
        )
    task_runner(app).enqueue_delivery(outbox_id)
    return outbox_id


def test_an_onward_referral_carries_the_documents_with_the_referrer_copied(
    app: Flask, smtp: SmtpTestServer
) -> None:
    answers = ehfsa_answers(6)
    reference = _refer(app, answers=answers)
    services = _services(app)
    outbox_id = _onward(app, _submission(services, reference), REFERRER)
    [received] = _to(smtp, SOCIAL_CARE)
    assert received.rcpt_tos == [SOCIAL_CARE, REFERRER]  # To and Cc, nobody else
    message = received.parsed()
    assert message["To"] == SOCIAL_CARE and message["Cc"] == REFERRER
    assert message["Message-ID"] == f"<{outbox_id}@{DOMAIN}>"
    assert reference in message["Subject"]
    assert not any(word in message["Subject"] for word in _family_words(answers))
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {f"{reference}.pdf", f"{reference}.docx"}
    pdf = flat(pdf_text(files[f"{reference}.pdf"]))
    assert reference in pdf
    assert all(m["first_name"] in pdf and m["last_name"] in pdf for m in answers["household"])
    outcome = services.registry.get("ehfsa").outcome("safeguarding")
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert outcome is not None and outcome.label in body
    assert f"Files attached:\n- {reference}.pdf\n- {reference}.docx\n" in body


def test_an_onward_referral_goes_without_a_copy_the_referrer_cannot_have(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    app = _app(tmp_path, smtp)
    services = _services(app)
    reference = _refer(app)
    submission = _submission(services, reference)
    # Untrusted: never copied. Refused by their server: the onward referral still counts.
    _onward(app, submission, "someone@gmail.example.com")
    smtp.refuse(REFERRER)
    refused_id = _onward(app, submission, REFERRER)
    task_runner(app).stop()
    first, second = _to(smtp, SOCIAL_CARE)
    assert first.rcpt_tos == [SOCIAL_CARE] and first.parsed()["Cc"] is None
    assert second.rcpt_tos == [SOCIAL_CARE]  # the server took it for the onward service only
    assert [r.status for r in _rows(services, messages.ONWARD)] == ["sent", "sent"]
    [sent] = [s for s in status.message_history(services, refused_id) if s.status == "sent"]
    assert "copy refused: smtp 550" in (sent.detail or "")
    assert "raman" not in (sent.detail or "")


# --------------------------------------------------------------------------- allocation


def test_an_allocation_notice_is_a_link_and_nothing_about_the_family(
    app: Flask, smtp: SmtpTestServer
) -> None:
    answers = ehfsa_answers(6)
    reference = _refer(app, answers=answers)
    services = _services(app)
    family_id = _submission(services, reference).family_id
    lead = "jo.bennett@northtown.example.gov.uk"
    outbox_id = _queue(
        app,
        kind=messages.ALLOCATION,
        recipient=lead,
        family_id=family_id,
        payload={"family_id": family_id},
    )
    [received] = _to(smtp, lead)
    message = received.parsed()
    assert received.rcpt_tos == [lead]
    assert message["Subject"] == "You have been allocated a family"
    assert message["Message-ID"] == f"<{outbox_id}@{DOMAIN}>"
    body = message.get_body(("plain",)).get_content()
    assert f"{BASE_URL}/staff/families/{family_id}" in body
    assert reference not in _text(message)
    _no_family_in(message, answers)


# --------------------------------------------------------------------------- one message again


def test_send_again_retries_one_message_or_every_message_of_a_reference(
    app: Flask, smtp: SmtpTestServer
) -> None:
    services = _services(app)
    smtp.refuse(REFERRER)
    smtp.refuse(SPOC)
    reference = _refer(app)
    [form] = _rows(services, messages.SPOC)
    [ack] = _rows(services, messages.ACKNOWLEDGEMENT)
    assert (form.status, ack.status) == ("failed", "failed")
    smtp.stop_refusing()  # both mailboxes accept mail again

    assert retry_now(services, message_id=ack.id) == [ack.id]
    task_runner(app).enqueue_delivery(ack.id)
    assert [r.status for r in _rows(services)] == ["failed", "sent"]
    assert [m.rcpt_tos for m in smtp.messages] == [[REFERRER]]
    steps = [s.status for s in status.message_history(services, ack.id)]
    assert steps == ["pending", "sending", "failed", "retrying", "sending", "sent"]
    assert retry_now(services, message_id=ack.id) == []  # sent: nothing to send again

    assert retry_now(services, reference) == [form.id]
    task_runner(app).enqueue_delivery(form.id)
    assert [r.status for r in _rows(services)] == ["sent", "sent"]
    assert [m.rcpt_tos for m in smtp.messages] == [[REFERRER], [SPOC]]
    with services.readers() as db:
        retried = db.scalars(
            select(OutboxEvent.outbox_id).where(OutboxEvent.detail == "retried by staff")
        ).all()
    assert sorted(retried) == sorted([ack.id, form.id])
    with pytest.raises(ValueError):
        retry_now(services)
