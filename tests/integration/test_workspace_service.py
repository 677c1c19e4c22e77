"""The workspace's plain functions: clocks start on receipt, outcomes and allocation
go through the access policy, and what a family needs next moves with its forms."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from forms_service.audit import AuditEvent
from forms_service.auth.actor import ANONYMOUS, Actor
from forms_service.clock import aware
from forms_service.db import transaction
from forms_service.families.models import Family
from forms_service.families.service import FamilyUnavailable
from forms_service.services import Services
from forms_service.submissions.models import OutboxMessage
from forms_service.submissions.service import Received, submit
from forms_service.workspace.clock import due_after_hours, due_after_working_days
from forms_service.workspace.models import AWAITING, DECIDED, Allocation, Referral
from forms_service.workspace.service import (
    WorkspaceError,
    allocate,
    caseload,
    inbox,
    record_outcome,
)
from tests.factories import (
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    phoned_concern_request,
)
from tests.staff import staff_user


def _services(app: Flask) -> Services:
    services: Services = app.extensions["forms"]
    return services


def _send(
    services: Services,
    form_id: str,
    answers: dict,
    actor: Actor = ANONYMOUS,
    family_id: str | None = None,
) -> Received:
    return submit(
        services,
        services.registry.get(form_id),
        answers,
        channel="api",
        actor=actor,
        family_id=family_id,
    )


def _actor(user: object) -> Actor:
    return Actor("user", user_id=user.id, role=user.role)  # type: ignore[attr-defined]


def _referral(services: Services, submission_id: str) -> Referral:
    with transaction(services.readers) as session:
        found = session.get(Referral, submission_id)
        assert found is not None
        session.expunge(found)
        return found


def test_a_referral_starts_its_clocks_on_receipt(app: Flask) -> None:
    services = _services(app)
    received = _send(services, "ehfsa", ehfsa_answers(2))
    referral = _referral(services, received.id)
    start = aware(referral.received_at)
    rules = services.settings.clock_rules
    assert referral.status == AWAITING and not referral.urgent
    assert aware(referral.acknowledge_by) == due_after_working_days(start, 1, rules)
    assert aware(referral.outcome_due_at) == due_after_working_days(start, 2, rules)


def test_a_confirmed_phoned_concern_is_urgent_with_24_clock_hours(app: Flask) -> None:
    services = _services(app)
    answers = phoned_concern_request()
    referral = _referral(services, _send(services, "cspoc-request", answers).id)
    assert referral.urgent
    expected = due_after_hours(aware(referral.received_at), 24, services.settings.clock_rules)
    assert aware(referral.outcome_due_at) == expected
    ordinary = _send(services, "cspoc-request", cspoc_request_answers())
    cspoc = _actor(staff_user(services, "cspoc"))
    rows, total = inbox(services, cspoc)
    assert total == 2
    assert rows[0].submission_id == referral.submission_id  # urgent first
    assert rows[1].submission_id == ordinary.id


def test_outcome_is_recorded_once_and_the_referrer_is_emailed(app: Flask) -> None:
    services = _services(app)
    received = _send(services, "ehfsa", ehfsa_answers(2))
    cspoc = _actor(staff_user(services, "cspoc"))
    with pytest.raises(WorkspaceError, match="Select the outcome"):
        record_outcome(services, cspoc, received.reference, "not-an-outcome", "because")
    with pytest.raises(WorkspaceError, match="Enter the reason"):
        record_outcome(services, cspoc, received.reference, "universal_help", "  ")
    ids = record_outcome(services, cspoc, received.reference, "safeguarding", "Harm disclosed")
    with transaction(services.readers) as session:
        kinds = sorted(session.scalars(select(OutboxMessage.kind).where(OutboxMessage.id.in_(ids))))
        family = session.get(Family, received.family_id)
        assert family is not None and family.status == "open"
    assert kinds == ["onward", "outcome"]
    referral = _referral(services, received.id)
    assert referral.status == DECIDED and referral.outcome == "safeguarding"
    assert services.vault.open(referral.reason_sealed) == "Harm disclosed"
    with pytest.raises(WorkspaceError, match="already been recorded"):
        record_outcome(services, cspoc, received.reference, "universal_help", "again")


def test_only_the_triage_role_may_record_an_outcome_and_a_refusal_is_audited(app: Flask) -> None:
    services = _services(app)
    received = _send(services, "ehfsa", ehfsa_answers(2))
    lead = _actor(staff_user(services, "lead-professional"))
    with pytest.raises(FamilyUnavailable):
        record_outcome(services, lead, received.reference, "universal_help", "no")
    with pytest.raises(FamilyUnavailable):
        record_outcome(services, lead, "EH-0000-0000", "universal_help", "no")
    with transaction(services.readers) as session:
        refused = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "referral.outcome", AuditEvent.outcome == "denied"
            )
        ).all()
    assert len(refused) == 2
    assert _referral(services, received.id).status == AWAITING


def test_allocation_starts_the_family_story_clock_and_a_plan_starts_the_review_clock(
    app: Flask,
) -> None:
    services = _services(app)
    received = _send(services, "ehfsa", ehfsa_answers(2))
    cspoc = _actor(staff_user(services, "cspoc"))
    worker = staff_user(services, "lead-professional")
    (notice,) = allocate(services, cspoc, received.family_id, worker.email)
    rules = services.settings.clock_rules
    with transaction(services.readers) as session:
        family = session.get(Family, received.family_id)
        assert family is not None and family.allocated_at is not None
        allocated = aware(family.allocated_at)
        assert family.due_form == "family-story"
        assert aware(family.due_at) == due_after_working_days(allocated, 10, rules)
        assert aware(family.due_limit_at) == due_after_working_days(allocated, 15, rules)
        assert session.get(OutboxMessage, notice).kind == "allocation"  # type: ignore[union-attr]
        assert len(session.scalars(select(Allocation)).all()) == 1
    rows, total = caseload(services, _actor(worker))
    assert total == 1 and rows[0].due_form == "family-story"
    story = _send(
        services,
        "family-story",
        family_story_answers(),
        actor=_actor(worker),
        family_id=received.family_id,
    )
    with transaction(services.readers) as session:
        family = session.get(Family, received.family_id)
        assert family is not None and family.due_form == "tacaf-review"
        from forms_service.submissions.models import Submission

        planned = session.get(Submission, story.id)
        assert planned is not None
        start = aware(planned.submitted_at)
        assert aware(family.due_at) == start + dt.timedelta(weeks=6)
        assert aware(family.due_limit_at) == start + dt.timedelta(weeks=8)


def test_a_lead_professional_cannot_allocate(app: Flask) -> None:
    services = _services(app)
    received = _send(services, "ehfsa", ehfsa_answers(2))
    worker = staff_user(services, "lead-professional")
    with pytest.raises(FamilyUnavailable):
        allocate(services, _actor(worker), received.family_id, worker.email)
    cspoc = _actor(staff_user(services, "cspoc"))
    with pytest.raises(WorkspaceError, match="active lead professional"):
        allocate(services, cspoc, received.family_id, "nobody@example.gov.uk")
