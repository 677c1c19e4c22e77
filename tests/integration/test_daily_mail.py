"""Each working morning's mail with a frozen clock: the SPOC inbox's digest lists the
last working day's delivered references, reminders list each lead professional's
families due or overdue and each manager's overdue families; references and dates
only, received by a real SMTP server; each job runs once a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update

from forms_service.auth.actor import ANONYMOUS
from forms_service.auth.models import User
from forms_service.config import settings_from_env
from forms_service.delivery import daily, messages, outbox
from forms_service.families.models import Family
from forms_service.jobs import JobRun
from forms_service.services import Services, build_services
from forms_service.submissions.models import OutboxMessage, Submission
from forms_service.submissions.service import submit
from forms_service.tasks import daily_jobs_task
from tests.factories import ehfsa_answers
from tests.readback import flat
from tests.smtp_server import SmtpTestServer
from tests.staff import staff_user

SPOC = "c-spoc@council.example.gov.uk"
BST = dt.timedelta(hours=1)
#: Monday 8 June 2026, 7:30am UK time (British Summer Time).
MONDAY_MORNING = dt.datetime(2026, 6, 8, 7, 30, tzinfo=dt.UTC) - BST


@pytest.fixture
def services(tmp_path: Path, smtp: SmtpTestServer) -> Iterator[Services]:
    """The engine alone, as a worker or the CLI builds it: no Flask app."""
    settings = settings_from_env(
        overrides={
            "instance_path": tmp_path / "instance",
            "database_url": f"sqlite:///{tmp_path / 'daily.sqlite3'}",
            "task_mode": "sync",
            "smtp_url": smtp.url("smtp"),
            "spoc_inbox": SPOC,
            "secret_key": "x" * 40,
            "base_url": "https://forms.council.example.gov.uk",
        }
    )
    built = build_services(settings)
    yield built
    built.engine.dispose()


def _refer(services: Services, answers: dict[str, Any] | None = None) -> tuple[str, str, str]:
    """Submit a referral (nothing delivered yet): its reference, family id and SPOC row id."""
    received = submit(
        services,
        services.registry.get("ehfsa"),
        answers or ehfsa_answers(2),
        channel="web",
        actor=ANONYMOUS,
    )
    return received.reference, received.family_id, received.outbox_ids[0]


def _family_words() -> list[str]:
    answers = ehfsa_answers(6)
    names = [p[key] for p in answers["household"] for key in ("first_name", "last_name")]
    return [*names, answers["family_contact"]["postcode"], answers["family_contact"]["town"]]


def _readable(services: Services, smtp: SmtpTestServer, address: str) -> list[str]:
    """The decoded headers and body of every message ``address`` received."""
    texts = []
    for received in smtp.messages:
        if address in received.rcpt_tos:
            message = received.parsed()
            headers = "\n".join(f"{k}: {v}" for k, v in message.items())
            texts.append(headers + "\n" + message.get_body(("plain",)).get_content())
    return texts


def _deliver_all(services: Services, kind: str) -> list[OutboxMessage]:
    with services.readers() as db:
        rows = list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))
    for row in rows:
        assert outbox.deliver(services, row.id).status == "sent"
    return rows


# --------------------------------------------------------------------------- digest


def test_the_digest_lists_the_last_working_days_deliveries_and_nothing_else(
    services: Services, smtp: SmtpTestServer
) -> None:
    delivered_at = {
        "thursday": dt.datetime(2026, 6, 4, 10, 0, tzinfo=dt.UTC),  # the digest before
        "friday night": dt.datetime(2026, 6, 5, 22, 30, tzinfo=dt.UTC),
        "saturday": dt.datetime(2026, 6, 6, 12, 0, tzinfo=dt.UTC),
        "sunday 11:30pm": dt.datetime(2026, 6, 7, 22, 30, tzinfo=dt.UTC),
        "monday 12:30am": dt.datetime(2026, 6, 7, 23, 30, tzinfo=dt.UTC),  # UK Monday
    }
    references = {}
    for name, moment in delivered_at.items():
        with time_machine.travel(moment, tick=False):
            reference, _, row_id = _refer(services)
            with services.sessions.begin() as db:  # as the outbox records a delivery
                db.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row_id)
                    .values(status="sent", sent_at=moment)
                )
            references[name] = reference
    with time_machine.travel(delivered_at["saturday"], tick=False):
        unsent, _, _ = _refer(services)  # failed or still waiting: not in the digest
    friday, monday = dt.date(2026, 6, 5), dt.date(2026, 6, 8)
    with services.readers() as db:
        listed = daily.digest_references(
            db, daily.local_midnight(friday), daily.local_midnight(monday)
        )
    assert listed == [references[n] for n in ("friday night", "saturday", "sunday 11:30pm")]

    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert daily.queue_digest(services) == "digest of 3 reference(s) queued"
    [row] = _deliver_all(services, messages.DIGEST)
    [received] = [m for m in smtp.messages if m.rcpt_tos == [SPOC]]
    message = received.parsed()
    assert message["Subject"] == "Forms delivered – 5 June 2026 to 7 June 2026"
    assert message["Message-ID"] == f"<{row.id}@{services.settings.message_id_domain}>"
    body = flat(message.get_body(("plain",)).get_content())
    assert "from Friday 5 June 2026 to Sunday 7 June 2026: 3" in body
    for name, reference in references.items():
        assert (reference in body) is (name in ("friday night", "saturday", "sunday 11:30pm"))
    assert unsent not in body
    [text] = _readable(services, smtp, SPOC)
    assert not any(word in text for word in _family_words())


# --------------------------------------------------------------------------- reminders


def _set_due(services: Services, family_id: str, **values: Any) -> None:
    with services.sessions.begin() as db:
        db.execute(update(Family).where(Family.id == family_id).values(**values))


def _at(day: int, hour: int = 12, month: int = 6) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=dt.UTC)


PLAN_NAMES = ("overdue", "soon", "next week", "late but in time", "gone's", "closed", "none")


@pytest.fixture
def caseloads(services: Services) -> dict[str, Any]:
    """Lead professionals, managers and families with forms due at various times."""
    lead = staff_user(services, "lead-professional", "lead@council.example.gov.uk")
    idle = staff_user(services, "lead-professional", "idle@council.example.gov.uk")
    gone = staff_user(services, "lead-professional", "gone@council.example.gov.uk")
    manager = staff_user(services, "manager", "manager@council.example.gov.uk")
    retired = staff_user(services, "manager", "retired@council.example.gov.uk")
    with services.sessions.begin() as db:
        db.execute(
            update(User)
            .where(User.id.in_((gone.id, retired.id)))
            .values(disabled_at=_at(1, month=5))
        )
    references: dict[str, str] = {}
    families: dict[str, str] = {}
    with time_machine.travel(_at(1, month=5), tick=False):
        for name in PLAN_NAMES:
            references[name], families[name], _ = _refer(services)
    with time_machine.travel(_at(2, month=5), tick=False):  # the overdue family's latest form
        references["overdue"], second_family, _ = _refer(services)
    with services.sessions.begin() as db:
        db.execute(
            update(Submission)
            .where(Submission.family_id == second_family)
            .values(family_id=families["overdue"])
        )
    story, review = "family-story", "tacaf-review"
    plan = {
        "overdue": (lead, story, _at(20, month=5), _at(27, month=5), "open"),
        "soon": (lead, story, _at(9, 13), _at(16), "open"),  # Tuesday 2pm UK: tomorrow
        "next week": (lead, story, _at(15), _at(22), "open"),
        "late but in time": (lead, review, _at(5), _at(12), "open"),
        "gone's": (gone, review, _at(1, month=5), _at(10, month=5), "open"),
        "closed": (lead, review, _at(1, month=5), _at(10, month=5), "closed"),
        "none": (None, story, _at(1), None, "open"),
    }
    for name, (who, form_id, due, limit, state) in plan.items():
        _set_due(
            services,
            families[name],
            lead_professional_id=who.id if who else None,
            due_form=form_id,
            due_at=due,
            due_limit_at=limit,
            status=state,
        )
    return {
        "lead": lead,
        "idle": idle,
        "manager": manager,
        "references": references,
        "families": families,
    }


def test_reminders_select_each_caseload_and_every_overdue_family(
    services: Services, caseloads: dict[str, Any]
) -> None:
    families = caseloads["families"]
    now = MONDAY_MORNING
    horizon = daily.reminder_horizon(services.settings.calendar, dt.date(2026, 6, 8))
    with services.readers() as db:
        caseload = daily.caseload_reminders(db, now, horizon)
        late = daily.overdue(db, now)
    assert list(caseload) == ["lead@council.example.gov.uk"]  # not idle, not disabled
    assert [i.family_id for i in caseload["lead@council.example.gov.uk"]] == [
        families["overdue"],  # overdue first
        families["late but in time"],
        families["soon"],
    ]
    latest = caseloads["references"]["overdue"]  # the family's latest form
    assert caseload["lead@council.example.gov.uk"][0].reference == latest
    assert [i.family_id for i in late] == [families[n] for n in ("gone's", "overdue", "none")]


def test_reminders_reach_lead_professionals_and_managers_with_references_and_dates_only(
    services: Services, smtp: SmtpTestServer, caseloads: dict[str, Any]
) -> None:
    references = caseloads["references"]
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert daily.queue_reminders(services) == "2 reminder(s) queued"
    rows = _deliver_all(services, messages.REMINDER)
    assert sorted(r.recipient for r in rows) == [
        "lead@council.example.gov.uk",
        "manager@council.example.gov.uk",
    ]
    [lead_text] = _readable(services, smtp, "lead@council.example.gov.uk")
    [manager_text] = _readable(services, smtp, "manager@council.example.gov.uk")
    assert "Subject: Early Help forms due or overdue – 8 June 2026" in lead_text
    lines = [line for line in lead_text.splitlines() if line.startswith("EH-")]
    assert lines == [
        f"{references['overdue']}  Family Story Assessment  overdue since 27 May 2026 at 1:00pm",
        f"{references['late but in time']}  Team Around the Child and Family review  "
        "due by 5 June 2026 at 1:00pm, at the latest 12 June 2026 at 1:00pm",
        f"{references['soon']}  Family Story Assessment  due by 9 June 2026 at 2:00pm, "
        "at the latest 16 June 2026 at 1:00pm",
    ]
    assert "https://forms.council.example.gov.uk/staff/" in lead_text
    manager_refs = [line.split()[0] for line in manager_text.splitlines() if line.startswith("EH-")]
    assert manager_refs == [references["gone's"], references["overdue"], references["none"]]
    assert "These families have a form overdue" in manager_text
    for text in (lead_text, manager_text):
        assert not any(word in text for word in _family_words())
        assert references["next week"] not in text and references["closed"] not in text


# --------------------------------------------------------------------------- the daily jobs


def test_the_daily_jobs_run_once_and_the_mail_only_on_a_working_morning(
    services: Services, caseloads: dict[str, Any]
) -> None:
    def queued(kind: str) -> int:
        with services.readers() as db:
            return len(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all())

    with time_machine.travel(MONDAY_MORNING - dt.timedelta(minutes=31), tick=False):
        done = daily_jobs_task(services)  # 6:59am: only the purge
    assert len(done) == 1 and "deleted" in done[0]
    assert queued(messages.DIGEST) == queued(messages.REMINDER) == 0
    with time_machine.travel(MONDAY_MORNING, tick=False):
        done = daily_jobs_task(services)
        assert done == ["digest of 0 reference(s) queued", "2 reminder(s) queued"]
        assert daily_jobs_task(services) == []  # each job once a day, whoever asks
    assert queued(messages.DIGEST) == 1 and queued(messages.REMINDER) == 2
    with time_machine.travel(dt.datetime(2026, 6, 13, 9, 0, tzinfo=dt.UTC), tick=False):
        assert len(daily_jobs_task(services)) == 1  # Saturday: the purge, no mail
    with services.readers() as db:
        jobs = sorted((r.day, r.job) for r in db.scalars(select(JobRun)))
    assert jobs == [
        ("2026-06-08", "digest"),
        ("2026-06-08", "purge"),
        ("2026-06-08", "reminders"),
        ("2026-06-13", "purge"),
    ]
