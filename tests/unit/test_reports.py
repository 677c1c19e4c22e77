"""The manager's figures, counted exactly: a handful of referrals, allocations, assessments
and reviews made through the API and the workspace service, with their times then set in
the database, so each numerator and denominator (one late case each) is known in advance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from forms_service.auth.actor import ANONYMOUS, Actor
from forms_service.auth.models import User
from forms_service.clock import aware
from forms_service.db import transaction
from forms_service.definitions.registry import Registry
from forms_service.families.models import Family
from forms_service.formats import csv_cell
from forms_service.migrate import upgrade
from forms_service.services import Services
from forms_service.submissions.models import Submission
from forms_service.submissions.service import submit
from forms_service.workspace import reports
from forms_service.workspace.clock import due_after_weeks, due_after_working_days
from forms_service.workspace.models import Allocation, FamilyNeed, Referral, ReviewTiming
from forms_service.workspace.service import (
    allocate,
    record_outcome,
    referral_clocks,
    story_limit,
)
from tests.conftest import make_app, task_runner
from tests.factories import (
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    form,
    tacaf_closing_answers,
    tacaf_review_answers,
)
from tests.staff import StaffUser, staff_user

#: The first quarter of 2025 (all GMT), and "now" the morning after it.
QUARTER = reports.Period(dt.date(2025, 1, 1), dt.date(2025, 3, 31))
NOW = dt.datetime(2025, 4, 1, 9, 30, tzinfo=dt.UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- pure parts


def test_a_period_counts_london_days_and_goes_to_the_database_as_utc() -> None:
    summer = reports.Period(dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    assert summer.start == at("2025-06-30T23:00:00")
    assert summer.end == at("2025-07-31T23:00:00")
    winter = reports.Period(dt.date(2025, 1, 1), dt.date(2025, 1, 1))
    assert (winter.start, winter.end) == (at("2025-01-01T00:00:00"), at("2025-01-02T00:00:00"))


def test_the_default_period_is_the_last_three_months() -> None:
    assert reports.default_period(dt.date(2025, 5, 31)) == reports.Period(
        dt.date(2025, 2, 28), dt.date(2025, 5, 31)
    )
    assert reports.months_before(dt.date(2025, 2, 15), 3) == dt.date(2024, 11, 15)
    assert reports.months_before(dt.date(2024, 5, 31), 3) == dt.date(2024, 2, 29)


def test_a_ratio_shows_both_numbers() -> None:
    assert reports.Ratio("k", "x", 41, 50).text == "41 of 50 (82%)"
    assert reports.Ratio("k", "x", 1, 3).text == "1 of 3 (33%)"
    assert reports.Ratio("k", "x", 2, 3).text == "2 of 3 (67%)"
    assert reports.Ratio("k", "x", 1, 8).percent == 13  # 12.5 rounds half up
    assert reports.Ratio("k", "x", 0, 0).text == "None in this period"


def test_needs_are_read_from_each_forms_headline_lists() -> None:
    assert reports.needs_in(form("ehfsa"), ehfsa_answers()) == {"EDU", "FIN"}
    assert reports.needs_in(form("cspoc-request"), cspoc_request_answers()) == {
        "EDU",
        "FIN",
        "HSG",
    }
    # The Family Story also assesses health, and finds it does not apply.
    assert reports.needs_in(form("family-story"), family_story_answers()) == {"EDU", "FIN"}
    assert reports.needs_in(form("tacaf-review"), tacaf_review_answers()) == {"EDU", "FIN", "REL"}
    closing = tacaf_closing_answers()
    assert reports.outcomes_met_in(form("tacaf-review"), closing) == set()  # EDU: not met
    closing["progress"][1]["indicator_met"] = True
    assert reports.outcomes_met_in(form("tacaf-review"), closing) == {"FIN"}


def test_spreadsheet_cells_never_start_a_formula() -> None:
    for hostile in ("=1+1", "+1", "-1", "@SUM(A1)", "  =HYPERLINK(x)", "\t=1", "\r=1"):
        assert csv_cell(hostile) == "'" + hostile
    assert csv_cell("Getting a good education") == "Getting a good education"
    assert csv_cell(None) == "" and csv_cell(3) == "3"


# --------------------------------------------------------------------------- a quarter's work


@dataclass
class Quarter:
    """What the scenario made: references and family ids by name."""

    refs: dict[str, str]
    families: dict[str, str]
    worker: StaffUser
    other: StaffUser


def _refer(services: Services, form_id: str, answers: dict[str, Any]) -> str:
    """A referral stored by the submit service (delivery is not this test's business)."""
    form = services.registry.get(form_id)
    return submit(services, form, answers, channel="web", actor=ANONYMOUS).reference


def _send(
    services: Services, worker: Actor, form_id: str, answers: dict[str, Any], family_id: str
) -> str:
    """A staff form for ``family_id``, sent by ``worker``."""
    form = services.registry.get(form_id)
    return submit(
        services, form, answers, channel="web", actor=worker, family_id=family_id
    ).reference


def _submission(session: Any, reference: str) -> Submission:
    return session.scalars(select(Submission).where(Submission.reference == reference)).one()


def _moved(session: Any, registry: Registry, reference: str, when: dt.datetime) -> Submission:
    """The submission sent at ``when``, with what was recorded when it was sent moved too:
    the needs it named, the Family Story clocks it stopped, its own time as a review, and
    the due time of each review measured from it (as a plan)."""
    found = _submission(session, reference)
    was = found.submitted_at
    found.submitted_at = when
    session.execute(
        update(FamilyNeed).where(FamilyNeed.submission_id == found.id).values(recorded_at=when)
    )
    FamilyNeed.relink(session, found.family_id)
    session.execute(
        update(Allocation)
        .where(Allocation.family_id == found.family_id, Allocation.story_done_at == was)
        .values(story_done_at=when)
    )
    session.execute(
        update(ReviewTiming).where(ReviewTiming.submission_id == found.id).values(sent_at=when)
    )
    for later in session.scalars(
        select(ReviewTiming).where(ReviewTiming.measured_from == found.id)
    ):
        weeks = registry.get(later.form_id).due.weeks
        later.due_at = due_after_weeks(when, weeks)
    return found


def _sent_at(services: Services, reference: str, when: dt.datetime) -> None:
    with transaction(services.sessions) as session:
        _moved(session, services.registry, reference, when)


def _received(services: Services, reference: str, when: dt.datetime) -> None:
    """The referral came in at ``when``: its clocks as they would have started then."""
    with transaction(services.sessions) as session:
        found = _moved(session, services.registry, reference, when)
        session.get(Family, found.family_id).opened_at = when
        referral = session.get(Referral, found.id)
        referral.received_at = when
        referral.acknowledge_by, referral.outcome_due_at = referral_clocks(
            when, False, services.settings.clock_rules
        )


def _decided(
    services: Services, duty: Actor, reference: str, outcome: str, when: dt.datetime
) -> None:
    record_outcome(services, duty, reference, outcome, "Seen at triage.")
    with transaction(services.sessions) as session:
        session.get(Referral, _submission(session, reference).id).decided_at = when


def _allocated(
    services: Services, duty: Actor, family_id: str, worker: StaffUser, when: dt.datetime
) -> None:
    allocate(services, duty, family_id, worker.email)
    with transaction(services.sessions) as session:
        latest = session.scalars(
            select(Allocation)
            .where(Allocation.family_id == family_id)
            .order_by(Allocation.id.desc())
        ).first()
        latest.allocated_at = when
        latest.story_limit_at = story_limit(
            session, services.registry, services.settings.clock_rules, family_id, when
        )


def _quarter(services: Services) -> Quarter:
    """Q1 2025. Referrals R1 (outcome in time), R2 (late), R3 (a request for service, no
    outcome, overdue), R4 (no outcome, still in time), R5 (December, late: outside).
    Families F1..F4 are R1..R4's. Allocations: F1 and F2 on 7 January (Family Story in time,
    and late), F3 on 4 February (none sent, past 15 working days), F4 on 31 March (none,
    still in time), and F1 again on 10 February, after its plan (not a first assessment).
    Reviews: F1 on 1 March (within 6 weeks of its story) and 25 March (within 6 weeks of
    that review); F2 on 20 March (late: its story was on 29 January)."""
    duty_user = staff_user(services, "cspoc")
    duty = Actor("user", user_id=duty_user.id, role="cspoc")
    worker = staff_user(services, "lead-professional", name="Jo Bennett")
    other = staff_user(services, "lead-professional", name="Alex Other")
    refs = {
        "R1": _refer(services, "ehfsa", ehfsa_answers(3)),
        "R2": _refer(services, "ehfsa", ehfsa_answers(3)),
        "R3": _refer(services, "cspoc-request", cspoc_request_answers()),
        "R4": _refer(services, "ehfsa", ehfsa_answers(3)),
        "R5": _refer(services, "ehfsa", ehfsa_answers(3)),
    }
    with services.readers() as session:
        families = {
            f"F{name[1]}": _submission(session, ref).family_id for name, ref in refs.items()
        }
    _received(services, refs["R1"], at("2025-01-06T10:00:00"))  # due 8 January, 10am
    _received(services, refs["R2"], at("2025-01-06T10:00:00"))
    _received(services, refs["R3"], at("2025-02-03T11:00:00"))  # due 5 February
    _received(services, refs["R4"], at("2025-03-31T10:00:00"))  # due 2 April
    _received(services, refs["R5"], at("2024-12-20T10:00:00"))
    _decided(services, duty, refs["R1"], "universal_help", at("2025-01-07T16:00:00"))
    _decided(services, duty, refs["R2"], "tacaf_panel", at("2025-01-08T10:01:00"))
    _decided(services, duty, refs["R5"], "tacaf_panel", at("2025-01-10T10:00:00"))

    _allocated(services, duty, families["F1"], worker, at("2025-01-07T10:00:00"))
    _allocated(services, duty, families["F2"], worker, at("2025-01-07T10:00:00"))
    _allocated(services, duty, families["F3"], worker, at("2025-02-04T10:00:00"))
    _allocated(services, duty, families["F4"], worker, at("2025-03-31T10:00:00"))
    jo = Actor("user", user_id=worker.id, role="lead-professional")
    story, review = family_story_answers(), tacaf_review_answers()
    refs["S1"] = _send(services, jo, "family-story", story, families["F1"])
    refs["S2"] = _send(services, jo, "family-story", story, families["F2"])
    _sent_at(services, refs["S1"], at("2025-01-20T12:00:00"))  # limit 28 January, 10am
    _sent_at(services, refs["S2"], at("2025-01-28T10:01:00"))  # a minute late
    refs["V1"] = _send(services, jo, "tacaf-review", review, families["F1"])
    refs["V2"] = _send(services, jo, "tacaf-review", review, families["F1"])
    refs["V3"] = _send(services, jo, "tacaf-review", review, families["F2"])
    _sent_at(services, refs["V1"], at("2025-03-01T10:00:00"))  # story + 6 weeks: 3 March
    _sent_at(services, refs["V2"], at("2025-03-25T10:00:00"))
    _sent_at(services, refs["V3"], at("2025-03-20T10:00:00"))  # story + 6 weeks: 11 March
    _allocated(services, duty, families["F1"], other, at("2025-02-10T10:00:00"))
    return Quarter(refs, families, worker, other)


@pytest.fixture
def quarter(services: Services) -> Quarter:
    return _quarter(services)


def test_each_timeliness_figure_counts_exactly(services: Services, quarter: Quarter) -> None:
    with services.readers() as session:
        referrals = reports.referral_timeliness(session, QUARTER, NOW)
        stories = reports.story_timeliness(session, services.registry, QUARTER, NOW)
        reviews = reports.review_timeliness(session, services.registry, QUARTER)
    assert (referrals.met, referrals.total) == (1, 3)
    assert (stories.met, stories.total) == (1, 3)
    assert (reviews.met, reviews.total) == (2, 3)
    assert stories.label == "Family Story Assessments within 15 working days of allocation"
    assert reviews.label == (
        "Team Around the Child and Family reviews within 6 weeks of the previous plan"
    )


def test_a_clock_still_running_is_counted_once_it_runs_out(
    services: Services, quarter: Quarter
) -> None:
    later = at("2025-04-30T12:00:00")  # R4's outcome and F4's assessment are now late too
    with services.readers() as session:
        referrals = reports.referral_timeliness(session, QUARTER, later)
        stories = reports.story_timeliness(session, services.registry, QUARTER, later)
    assert (referrals.met, referrals.total) == (1, 4)
    assert (stories.met, stories.total) == (1, 4)


def test_volumes_by_outcome_and_by_need(services: Services, quarter: Quarter) -> None:
    with services.readers() as session:
        outcomes = {
            c.label: c.value for c in reports.outcome_volumes(session, services.registry, QUARTER)
        }
        needs, read = reports.needs_by_headline(session, services, QUARTER)
    ehfsa = form("ehfsa")
    assert outcomes[f"Early Help request: {ehfsa.outcome('universal_help').label}"] == 1
    assert outcomes[f"Early Help request: {ehfsa.outcome('tacaf_panel').label}"] == 1  # not R5
    assert outcomes[reports.AWAITING_LABEL] == 2
    assert sum(outcomes.values()) == 4
    assert len(outcomes) == len(ehfsa.outcomes) + len(form("cspoc-request").outcomes) + 1
    by_label = {c.label: c.value for c in needs}
    assert by_label["Getting a good education"] == 4  # F1-F4, not R5's family
    assert by_label["Financial stability"] == 4
    assert by_label["Secure housing"] == 1  # the request for service
    assert by_label["Improved family relationships"] == 2  # the reviews' new actions
    assert by_label["Improved mental and physical health"] == 0  # assessed: does not apply
    assert len(needs) == 10
    assert read == 9  # four referrals, two assessments, three reviews


def test_caseloads_count_open_families_and_overdue_ones(
    services: Services, quarter: Quarter
) -> None:
    f = quarter.families
    with transaction(services.sessions) as session:
        session.get(Family, f["F2"]).due_limit_at = at("2025-03-01T10:00:00")
        session.get(Family, f["F3"]).due_limit_at = at("2025-03-31T10:00:00")
        session.get(Family, f["F4"]).status = "closed"
        session.get(Family, f["F1"]).due_limit_at = at("2025-05-01T10:00:00")
    gone = staff_user(services, "lead-professional", name="Gone Away")
    staff_user(services, "lead-professional", name="Idle Person")
    with transaction(services.sessions) as session:
        session.get(User, gone.id).disabled_at = NOW
    with services.readers() as session:
        loads = reports.caseloads(session, NOW)
    assert [(c.name, c.families, c.overdue) for c in loads] == [
        ("Alex Other", 1, 0),
        ("Idle Person", 0, 0),
        ("Jo Bennett", 2, 2),
    ]


def test_the_same_figures_on_postgresql(tmp_path: Path, fresh_postgres_url: str) -> None:
    """The same quarter on PostgreSQL (sums come back as Decimal, times with their zone)."""
    upgrade(fresh_postgres_url)
    app = make_app(tmp_path, database_url=fresh_postgres_url)
    try:
        services: Services = app.extensions["forms"]
        q = _quarter(services)
        manager = staff_user(services, "manager")
        found = reports.dashboard(
            services, Actor("user", user_id=manager.id, role="manager"), QUARTER, NOW
        )
        assert found is not None
        assert [(r.met, r.total) for r in found.timeliness] == [(1, 3), (1, 3), (2, 3)]
        assert sum(c.value for c in found.by_outcome) == 4 and found.forms_read == 9
        assert {c.label: c.value for c in found.by_need}["Secure housing"] == 1
        rows = reports.claim_rows(
            services, Actor("user", user_id=manager.id, role="manager"), QUARTER
        )
        assert rows is not None
        # Oldest first; F1 and F2 opened at the same moment, so by id (random) between them.
        same_time = sorted(q.families[f] for f in ("F1", "F2"))
        assert [r.family_id for r in rows] == [
            q.families["F5"],
            *same_time,
            q.families["F3"],
            q.families["F4"],
        ]
        assert [label for label, _ in rows[3].needs] == [  # in the need list's order
            "Getting a good education",
            "Secure housing",
            "Financial stability",
        ]
        assert rows[1].lead_assigned_on == dt.date(2025, 1, 7)
    finally:
        task_runner(app).stop()


def test_only_managers_get_the_dashboard_and_a_refusal_is_audited(
    services: Services, quarter: Quarter
) -> None:
    from forms_service.audit import AuditEvent

    manager = staff_user(services, "manager")
    found = reports.dashboard(
        services, Actor("user", user_id=manager.id, role="manager"), QUARTER, NOW
    )
    assert found is not None
    assert [(r.met, r.total) for r in found.timeliness] == [(1, 3), (1, 3), (2, 3)]
    worker = Actor("user", user_id=quarter.worker.id, role="lead-professional")
    assert reports.dashboard(services, worker, QUARTER, NOW) is None
    assert reports.claim_rows(services, worker, QUARTER) is None
    with services.readers() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.outcome, AuditEvent.actor_id).where(
                AuditEvent.action.in_(("dashboard.viewed", "claim.exported"))
            )
        ).all()
    assert sorted(events) == [
        ("claim.exported", "denied", quarter.worker.id),
        ("dashboard.viewed", "denied", quarter.worker.id),
        ("dashboard.viewed", "ok", manager.id),
    ]


def test_a_referral_after_midnight_in_summer_counts_on_the_london_day(
    services: Services,
) -> None:
    reference = _refer(services, "ehfsa", ehfsa_answers(3))
    _received(services, reference, at("2025-06-30T23:30:00"))  # 00:30 on 1 July, London
    july = reports.Period(dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    june = reports.Period(dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    with services.readers() as session:
        waiting = {
            period.first_day.month: [
                c.value
                for c in reports.outcome_volumes(session, services.registry, period)
                if c.label == reports.AWAITING_LABEL
            ]
            for period in (june, july)
        }
    assert waiting == {6: [0], 7: [1]}


def test_the_clocks_are_recorded_as_the_work_happens(services: Services) -> None:
    """Unmoved: allocation records the Family Story's latest time (15 working days), the story
    stops it, a review records 6 weeks after the plan before it, and an allocation after a
    plan owes no first assessment."""
    duty_user = staff_user(services, "cspoc")
    duty = Actor("user", user_id=duty_user.id, role="cspoc")
    worker = staff_user(services, "lead-professional")
    jo = Actor("user", user_id=worker.id, role="lead-professional")
    with services.readers() as session:
        family_id = _submission(session, _refer(services, "ehfsa", ehfsa_answers(3))).family_id
    allocate(services, duty, family_id, worker.email)
    story = _send(services, jo, "family-story", family_story_answers(), family_id)
    review = _send(services, jo, "tacaf-review", tacaf_review_answers(), family_id)
    allocate(services, duty, family_id, worker.email)  # again, after the plan
    rules = services.settings.clock_rules
    with services.readers() as session:
        first, again = session.scalars(
            select(Allocation).where(Allocation.family_id == family_id).order_by(Allocation.id)
        ).all()
        story_sent = _submission(session, story).submitted_at
        timing = session.get(ReviewTiming, _submission(session, review).id)
    assert first.story_limit_at is not None
    assert aware(first.story_limit_at) == due_after_working_days(
        aware(first.allocated_at), 15, rules
    )
    assert first.story_done_at is not None and aware(first.story_done_at) == aware(story_sent)
    assert (again.story_limit_at, again.story_done_at) == (None, None)
    assert timing is not None
    assert aware(timing.due_at) == due_after_weeks(aware(story_sent), 6)
    assert timing.measured_from == _submission(session, story).id
    with services.readers() as session:
        needs = session.execute(
            select(Submission.reference, FamilyNeed.headline, FamilyNeed.previous_at)
            .join(Submission, Submission.id == FamilyNeed.submission_id)
            .where(FamilyNeed.family_id == family_id)
        ).all()
        firsts = session.scalars(
            select(FamilyNeed.submission_id).where(FamilyNeed.first_of_form.is_(True))
        ).all()
    # The story names education and money again: each row runs on from the referral's.
    assert {(h, p is None) for ref, h, p in needs if ref == story} == {
        ("EDU", False),
        ("FIN", False),
    }
    assert {h for ref, h, p in needs if ref != story and p is None} == {"EDU", "FIN", "REL"}
    assert len(firsts) == len(set(firsts)) == 3  # one row per form that named a need


def test_a_first_review_with_no_plan_before_it_records_no_due_time(services: Services) -> None:
    worker = staff_user(services, "lead-professional")
    jo = Actor("user", user_id=worker.id, role="lead-professional")
    with services.readers() as session:
        family_id = _submission(session, _refer(services, "ehfsa", ehfsa_answers(3))).family_id
    duty_user = staff_user(services, "cspoc")
    allocate(services, Actor("user", user_id=duty_user.id, role="cspoc"), family_id, worker.email)
    review = _send(services, jo, "tacaf-review", tacaf_review_answers(), family_id)
    with services.readers() as session:
        assert session.get(ReviewTiming, _submission(session, review).id) is None
        assert session.scalars(select(ReviewTiming)).all() == []
