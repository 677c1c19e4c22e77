"""The C-SPOC inbox, a referral's triage page and "My families", through the real app.

Referrals arrive through the API as a school would send them; a duty worker
signs in and works them: the inbox lists them urgent first with their clocks,
the duplicate check says why a family matched, the outcome is recorded (the
referrer's email queued) and a lead professional allocated, who then finds the
family in "My families" with its Family Story due. A lead professional gets
404 on every triage page and action, and every view and action is audited.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from forms_service.audit import AuditEvent
from forms_service.clock import aware, utcnow
from forms_service.families.models import Family
from forms_service.formats import LONDON, format_datetime
from forms_service.services import Services
from forms_service.submissions.models import OutboxMessage, Submission
from forms_service.workspace.clock import due_after_working_days
from forms_service.workspace.models import DECIDED, Referral
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers, phoned_concern_request
from tests.staff import StaffUser, referral_headers, signed_in, staff_user
from tests.webuser import csrf_token

ROW = re.compile(r'<tr class="govuk-table__row">(.*?)</tr>', re.S)
REFERENCE = re.compile(r"\b(?:EH|RS)-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def _send(app: Flask, form_id: str, answers: dict[str, Any]) -> str:
    reply = app.test_client().post(
        f"/api/v1/forms/{form_id}/submissions", json=answers, headers=referral_headers(app)
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _ehfsa(app: Flask, surname: str = "Okonkwo", **changes: Any) -> str:
    answers = ehfsa_answers(3)
    for member in answers["household"]:
        member["last_name"] = surname
        if changes.get("no_nhs"):
            member.pop("nhs_number", None)
    if changes.get("postcode"):
        answers["family_contact"]["postcode"] = changes["postcode"]
    return _send(app, "ehfsa", answers)


def _urgent_request(app: Flask) -> str:
    return _send(app, "cspoc-request", phoned_concern_request())


def _submission_id(services: Services, reference: str) -> str:
    with services.readers() as db:
        return str(db.scalars(select(Submission.id).where(Submission.reference == reference)).one())


def _family_id(services: Services, reference: str) -> str:
    with services.readers() as db:
        return str(
            db.scalars(select(Submission.family_id).where(Submission.reference == reference)).one()
        )


def _set_received(services: Services, reference: str, received: dt.datetime, **more: Any) -> None:
    with services.sessions.begin() as db:
        db.execute(
            update(Referral)
            .where(Referral.submission_id == _submission_id(services, reference))
            .values(received_at=received, **more)
        )


def _references_in_rows(html: str) -> list[str]:
    return [m.group(0) for row in ROW.findall(html) for m in [REFERENCE.search(row)] if m]


def _rows_by_reference(html: str) -> dict[str, str]:
    """Each body row of a page's table, by the reference it shows (header rows have none)."""
    found = {}
    for row in ROW.findall(html):
        match = REFERENCE.search(row)
        if match:
            found[match.group(0)] = row
    return found


def _audit_count(services: Services, action: str, outcome: str = "ok") -> int:
    with services.readers() as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.outcome == outcome)
            )
            or 0
        )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" ,", ",")


@pytest.fixture
def worker(services: Services) -> StaffUser:
    return staff_user(services, "cspoc", name="Dee Duty")


@pytest.fixture
def duty(app: Flask, services: Services, worker: StaffUser) -> FlaskClient:
    return signed_in(app.test_client(), services, worker)


# --------------------------------------------------------------------------- inbox


def test_the_inbox_lists_urgent_referrals_first_then_newest_and_filters_and_pages(
    app: Flask, services: Services, duty: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = _ehfsa(app, "Older"), _ehfsa(app, "Newer")
    urgent = _urgent_request(app)
    base = utcnow() - dt.timedelta(hours=2)
    _set_received(services, old, base)
    _set_received(services, new, base + dt.timedelta(minutes=30))
    _set_received(services, urgent, base - dt.timedelta(days=3))  # oldest, still on top

    page = duty.get("/staff/inbox")
    assert page.status_code == 200
    assert _references_in_rows(page.text) == [urgent, new, old]
    assert "3 referrals, urgent first" in page.text
    urgent_row = next(r for r in ROW.findall(page.text) if urgent in r)
    assert "govuk-tag--red" in urgent_row and "Urgent" in urgent_row
    assert "Request for service" in urgent_row and "Riverside Primary School" in urgent_row
    assert "Kayden, 10 years old" in _text(urgent_row)

    only_urgent = duty.get("/staff/inbox?urgent=yes")
    assert _references_in_rows(only_urgent.text) == [urgent]
    requests = duty.get("/staff/inbox?form=cspoc-request")
    assert _references_in_rows(requests.text) == [urgent]
    early_help = duty.get("/staff/inbox?form=ehfsa")
    assert _references_in_rows(early_help.text) == [new, old]

    _set_received(services, old, base, status=DECIDED, decided_at=utcnow())
    assert _references_in_rows(duty.get("/staff/inbox").text) == [urgent, new]
    assert _references_in_rows(duty.get("/staff/inbox?status=decided").text) == [old]
    assert _references_in_rows(duty.get("/staff/inbox?status=all").text) == [urgent, new, old]
    assert _references_in_rows(duty.get("/staff/inbox?status=nonsense").text) == [urgent, new]

    monkeypatch.setattr("forms_service.staff.triage.PAGE_SIZE", 2)
    first = duty.get("/staff/inbox?status=all")
    assert _references_in_rows(first.text) == [urgent, new]
    assert "Page 1 of 2" in first.text
    assert "status=all" in first.text and "page=2" in first.text  # the pager keeps the filter
    second = duty.get("/staff/inbox?status=all&page=2")
    assert _references_in_rows(second.text) == [old]
    assert "3 referrals" in second.text
    assert _audit_count(services, "inbox.viewed") == 10


def test_the_outcome_clock_reads_as_words_and_a_coloured_tag(
    app: Flask, services: Services, duty: FlaskClient
) -> None:
    late, later = _ehfsa(app, "Late"), _ehfsa(app, "Later")
    now = utcnow()
    _set_received(
        services,
        late,
        now - dt.timedelta(days=3),
        outcome_due_at=now - dt.timedelta(hours=3, minutes=10),
    )
    tomorrow = now.astimezone(LONDON).date() + dt.timedelta(days=1)
    two_pm = dt.datetime.combine(tomorrow, dt.time(14), tzinfo=LONDON).astimezone(dt.UTC)
    _set_received(services, later, now, outcome_due_at=two_pm)
    rows = _rows_by_reference(duty.get("/staff/inbox").text)
    assert "Overdue by 3 hours" in rows[late] and "govuk-tag--red" in rows[late]
    assert "Due by 2pm tomorrow" in rows[later]
    page = duty.get(f"/staff/referrals/{_submission_id(services, late)}")
    assert "Overdue by 3 hours" in page.text


def test_families_whose_lead_is_disabled_are_listed_for_reallocation(
    app: Flask, services: Services, duty: FlaskClient
) -> None:
    from forms_service.audit import CLI
    from forms_service.auth import accounts
    from forms_service.workspace.service import allocate_by_reference

    reference = _ehfsa(app)
    leaver = staff_user(services, "lead-professional", name="Lee Leaver")
    allocate_by_reference(services, reference, leaver.email, CLI)
    assert "Families to reallocate" not in duty.get("/staff/inbox").text
    accounts.set_disabled(services, leaver.email, True, CLI)
    page = duty.get("/staff/inbox")
    assert "Families to reallocate" in page.text
    assert f"/staff/families/{_family_id(services, reference)}" in page.text
    assert "Lee Leaver" in page.text


# --------------------------------------------------------------------------- access


def test_a_lead_professional_gets_404_on_every_triage_page_and_action(
    app: Flask, services: Services
) -> None:
    from forms_service.audit import CLI
    from forms_service.workspace.service import allocate_by_reference

    reference = _ehfsa(app)
    lead = staff_user(services, "lead-professional")
    allocate_by_reference(services, reference, lead.email, CLI)  # even their own family
    client = signed_in(app.test_client(), services, lead)
    submission_id = _submission_id(services, reference)
    token = csrf_token(client.get("/staff/my-families").text)
    assert client.get("/staff/inbox").status_code == 404
    assert client.get(f"/staff/referrals/{submission_id}").status_code == 404
    for action, data in (
        ("outcome", {"outcome": "intensive_support", "reason": "Sure."}),
        ("allocation", {"email": lead.email}),
        ("family", {}),
    ):
        reply = client.post(
            f"/staff/referrals/{submission_id}/{action}", data={**data, "csrf_token": token}
        )
        assert reply.status_code == 404, action
    with services.readers() as db:
        referral = db.get(Referral, submission_id)
        assert referral is not None and referral.status != DECIDED
        assert (
            db.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "outcome")
            )
            == 0
        )
    assert _audit_count(services, "referral.viewed", "denied") == 4
    assert _audit_count(services, "inbox.viewed", "denied") == 1
    # the family page itself stays theirs: only triage is refused
    assert client.get(f"/staff/families/{_family_id(services, reference)}").status_code == 200


def test_a_page_that_is_not_a_referral_or_does_not_exist_is_404(
    app: Flask, services: Services, duty: FlaskClient
) -> None:
    assert duty.get("/staff/referrals/not-a-submission").status_code == 404
    from tests.factories import family_story_answers
    from tests.staff import user_headers

    lead = staff_user(services, "lead-professional")
    story = app.test_client().post(
        "/api/v1/forms/family-story/submissions",
        json=family_story_answers(),
        headers=user_headers(services, lead),
    )
    assert story.status_code == 201
    story_id = _submission_id(services, story.get_json()["reference"])
    assert duty.get(f"/staff/referrals/{story_id}").status_code == 404


# --------------------------------------------------------------------------- outcome + allocation


def test_a_duty_worker_records_an_outcome_and_allocates_a_lead_professional(
    app: Flask, services: Services, duty: FlaskClient, worker: StaffUser
) -> None:
    reference = _ehfsa(app)
    lead = staff_user(services, "lead-professional", name="Lou Lead")
    staff_user(services, "manager", name="Max Manager")  # not someone a family is given to
    submission_id = _submission_id(services, reference)
    url = f"/staff/referrals/{submission_id}"
    page = duty.get(url)
    assert page.status_code == 200
    assert "Due by" in page.text and "Read the full Early Help Family Support" in page.text
    assert f"/staff/submissions/{submission_id}/record.pdf" in page.text
    assert "Lou Lead" not in page.text  # no allocation before an outcome that allocates

    reply = duty.post(
        f"{url}/outcome",
        data={
            "outcome": "intensive_support",
            "reason": "Three needs; family agrees.",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert reply.status_code == 302 and reply.headers["Location"].endswith(url)
    with services.readers() as db:
        referral = db.get(Referral, submission_id)
        assert referral is not None
        assert (referral.status, referral.outcome, referral.decided_by) == (
            DECIDED,
            "intensive_support",
            worker.id,
        )
        kinds = db.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.submission_id == submission_id)
        ).all()
    assert "outcome" in kinds
    decided = duty.get(url)
    assert "Outcome recorded. The referrer has been emailed." in decided.text
    text = _text(decided.text)
    assert "Early Help Family Support (intensive support)" in text
    assert "Three needs; family agrees." in text and "Dee Duty" in text
    assert 'name="reason"' not in decided.text  # the form gives way to the decision
    assert "Lou Lead" in decided.text and "Max Manager" not in decided.text

    allocated = duty.post(
        f"{url}/allocation", data={"email": lead.email, "csrf_token": csrf_token(decided.text)}
    )
    assert allocated.status_code == 302
    with services.readers() as db:
        family = db.get(Family, _family_id(services, reference))
        assert family is not None and family.lead_professional_id == lead.id
        assert family.allocated_at is not None and family.due_at is not None
        expected = due_after_working_days(
            aware(family.allocated_at), 10, services.settings.clock_rules
        )
        assert aware(family.due_at) == expected
        assert (
            db.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "allocation", OutboxMessage.recipient == lead.email)
            )
            == 1
        )
    after = duty.get(url)
    assert "Lead professional allocated" in after.text
    assert "Allocated to Lou Lead" in after.text

    mine = signed_in(app.test_client(), services, lead).get("/staff/my-families")
    assert mine.status_code == 200
    row = _text(_rows_by_reference(mine.text)[reference])
    assert reference in row and "Kayden, 10 years old" in row
    assert "Family Story Assessment" in row
    assert format_datetime(expected, date_only=True) in row

    for action in ("referral.viewed", "referral.outcome", "family.allocated", "caseload.viewed"):
        assert _audit_count(services, action) >= 1, action


def test_an_incomplete_outcome_is_shown_again_with_every_problem_and_nothing_lost(
    app: Flask, services: Services, duty: FlaskClient
) -> None:
    reference = _ehfsa(app)
    url = f"/staff/referrals/{_submission_id(services, reference)}"
    token = csrf_token(duty.get(url).text)
    empty = duty.post(f"{url}/outcome", data={"csrf_token": token})
    assert empty.status_code == 200
    assert "govuk-error-summary" in empty.text and "<title>Error:" in empty.text
    assert 'href="#outcome">Select the outcome of this referral' in empty.text
    assert 'href="#reason">Enter the reason for this outcome' in empty.text

    no_reason = duty.post(
        f"{url}/outcome", data={"outcome": "universal_help", "reason": "  ", "csrf_token": token}
    )
    assert "Enter the reason for this outcome" in no_reason.text
    assert "Select the outcome of this referral" not in no_reason.text
    assert re.search(r'value="universal_help" checked', no_reason.text)

    typed = "Typed before the mistake <b>kept</b>"
    no_outcome = duty.post(
        f"{url}/outcome", data={"outcome": "made_up", "reason": typed, "csrf_token": token}
    )
    assert "Select the outcome of this referral" in no_outcome.text
    assert "Typed before the mistake &lt;b&gt;kept&lt;/b&gt;" in no_outcome.text
    with services.readers() as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "outcome")
            )
            == 0
        )
        assert db.scalar(select(Referral.status)) != DECIDED

    allocation = duty.post(f"{url}/allocation", data={"email": "", "csrf_token": token})
    assert allocation.status_code == 200 and 'href="#email">Select the lead professional' in (
        allocation.text
    )
    stranger = duty.post(
        f"{url}/allocation", data={"email": "nobody@example.gov.uk", "csrf_token": token}
    )
    assert "active lead professional" in stranger.text


# --------------------------------------------------------------------------- duplicates


def test_the_duplicate_check_says_why_and_links_to_the_family_already_known(
    app: Flask, services: Services, duty: FlaskClient
) -> None:
    known = _ehfsa(app, "Okonkwo")
    by_nhs = _ehfsa(app, "Renamed")  # same NHS numbers, different surname
    by_name = _ehfsa(app, "Okonkwo", no_nhs=True, postcode="SS0 0AA")
    stranger = _ehfsa(app, "Nobodyelse", no_nhs=True, postcode="SS9 9ZZ")
    known_url = f"/staff/referrals/{_submission_id(services, known)}"
    token = csrf_token(duty.get(known_url).text)
    assert duty.post(f"{known_url}/family", data={"csrf_token": token}).status_code == 302

    nhs_page = duty.get(f"/staff/referrals/{_submission_id(services, by_nhs)}")
    nhs_rows = [_text(r) for r in ROW.findall(nhs_page.text)]
    known_row = next(r for r in nhs_rows if known in r)
    assert "Same NHS number" in known_row and "surname" not in known_row
    assert "Kayden, 10 years old" in known_row
    assert by_name not in nhs_page.text  # shares no key with this one

    name_page = duty.get(f"/staff/referrals/{_submission_id(services, by_name)}")
    row = next(_text(r) for r in ROW.findall(name_page.text) if known in r)
    assert "Same surname and date of birth" in row and "NHS" not in row

    alone = duty.get(f"/staff/referrals/{_submission_id(services, stranger)}")
    assert "No family already known" in alone.text

    url = f"/staff/referrals/{_submission_id(services, by_name)}"
    merged = duty.post(
        f"{url}/family",
        data={"same_as": _family_id(services, known), "csrf_token": csrf_token(name_page.text)},
    )
    assert merged.status_code == 302
    with services.readers() as db:
        assert db.scalar(
            select(Referral.family_id).where(
                Referral.submission_id == _submission_id(services, by_name)
            )
        ) == _family_id(services, known)
    linked = duty.get(url)
    assert "linked to the family already known" in linked.text
    assert "Is this a family already known?" not in linked.text  # asked and answered
    again = duty.post(
        f"{url}/family",
        data={"same_as": _family_id(services, known), "csrf_token": csrf_token(linked.text)},
    )
    assert again.status_code == 200 and "already been checked" in again.text

    stranger_url = f"/staff/referrals/{_submission_id(services, stranger)}"
    confirmed = duty.post(f"{stranger_url}/family", data={"csrf_token": csrf_token(alone.text)})
    assert confirmed.status_code == 302
    with services.readers() as db:
        assert db.get(Family, _family_id(services, stranger)).status == "open"  # type: ignore[union-attr]
    assert _audit_count(services, "family.merged") == 1
    assert _audit_count(services, "family.confirmed") == 2


# --------------------------------------------------------------------------- my families


def test_my_families_puts_the_overdue_first_and_tags_what_is_due(
    app: Flask, services: Services
) -> None:
    from forms_service.audit import CLI
    from forms_service.workspace.service import allocate_by_reference

    lead = staff_user(services, "lead-professional")
    other = staff_user(services, "lead-professional")
    later, warned, overdue = _ehfsa(app, "Later"), _ehfsa(app, "Warned"), _ehfsa(app, "Overdue")
    not_mine = _ehfsa(app, "Elsewhere")
    for reference in (later, warned, overdue):
        allocate_by_reference(services, reference, lead.email, CLI)
    allocate_by_reference(services, not_mine, other.email, CLI)
    now = utcnow()
    dues = {
        later: (now + dt.timedelta(days=10), now + dt.timedelta(days=20)),
        warned: (now - dt.timedelta(days=1), now + dt.timedelta(days=13)),  # a review at 6 weeks
        overdue: (now - dt.timedelta(days=15), now - dt.timedelta(days=1)),  # past 8 weeks
    }
    with services.sessions.begin() as db:
        for reference, (due, limit) in dues.items():
            db.execute(
                update(Family)
                .where(Family.id == _family_id(services, reference))
                .values(due_form="tacaf-review", due_at=due, due_limit_at=limit)
            )
    page = signed_in(app.test_client(), services, lead).get("/staff/my-families")
    rows = list(_rows_by_reference(page.text).values())
    assert _references_in_rows(page.text) == [overdue, warned, later]
    assert not_mine not in page.text
    assert "govuk-tag--red" in rows[0] and "Overdue" in rows[0]
    assert "govuk-tag--orange" in rows[1] and "Due now" in rows[1]
    assert "govuk-tag--blue" in rows[2]
    assert "Team Around the Child and Family review" in rows[0]
    assert format_datetime(dues[later][0], date_only=True) in rows[2]


# --------------------------------------------------------------------------- home


@pytest.mark.parametrize(
    ("role", "first", "absent"),
    [
        ("cspoc", "Inbox", None),
        ("lead-professional", "My families", "Inbox"),
        ("manager", None, "Inbox"),
    ],
)
def test_the_staff_home_starts_each_role_where_its_work_is(
    app: Flask, services: Services, role: str, first: str | None, absent: str | None
) -> None:
    if role == "manager" and "staff.dashboard" in app.view_functions:
        first = "Dashboard"  # once the dashboard is built, a manager starts there
    home = signed_in(app.test_client(), services, staff_user(services, role)).get("/staff/")
    nav = re.search(r'<nav aria-label="Where to start">(.*?)</nav>', home.text, re.S)
    if first is None:
        assert nav is None
        return
    assert nav is not None
    links = re.findall(r'class="govuk-link[^"]*" href="[^"]+">([^<]+)</a>', nav.group(1))
    assert links[0] == first
    if absent:
        assert absent not in links


def test_an_outcome_for_a_referrer_outside_the_trusted_domains_says_to_phone(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, trusted_email_domains=("gov.uk",))  # the school is .sch.uk
    try:
        services: Services = app.extensions["forms"]
        reference = _ehfsa(app)
        duty = signed_in(app.test_client(), services, staff_user(services, "cspoc"))
        url = f"/staff/referrals/{_submission_id(services, reference)}"
        reply = duty.post(
            f"{url}/outcome",
            data={
                "outcome": "universal_help",
                "reason": "Universal services fit.",
                "csrf_token": csrf_token(duty.get(url).text),
            },
        )
        assert reply.status_code == 302
        page = duty.get(url)
        assert "The referrer was not emailed: tell them by phone." in page.text
        assert "The referrer has been emailed" not in page.text
    finally:
        task_runner(app).stop()
