"""The EHFSA through the web pages (Flask test client, real SQLite, real rendering)."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from forms_service.services import Services
from forms_service.submissions.models import Draft, OutboxMessage, Submission
from tests.conftest import make_app
from tests.factories import ehfsa_answers
from tests.staff import stored_answers
from tests.webuser import WebUser, csrf_token, formdata

REFERENCE = re.compile(r"EH-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}")


def _user(client: FlaskClient, services: Services) -> WebUser:
    return WebUser(client, services.registry.get("ehfsa"))


def _count(services: Services, model: type) -> int:
    with services.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_whole_form_submits_and_confirms_with_reference(
    client: FlaskClient, services: Services
) -> None:
    user = _user(client, services)
    answers = ehfsa_answers()
    answers["family_contact"]["postcode"] = "nt2 3cd"  # typed in lower case
    user.fill_all(answers)
    check = client.get(user.url("check-answers"))
    assert "Check your answers" in check.text
    assert answers["household"][5]["last_name"] in check.text
    reply = user.send()
    assert reply.status_code == 302 and reply.location.endswith("/confirmation")
    page = client.get(reply.location)
    reference = REFERENCE.search(page.text)
    assert reference, page.text
    with services.sessions() as db:
        stored = db.scalars(select(Submission)).one()
        assert stored.reference == reference.group(0)
        sent = {(m.kind, m.status) for m in db.scalars(select(OutboxMessage))}
        assert sent == {("spoc", "sent"), ("acknowledgement", "sent")}
    saved = stored_answers(services, reference.group(0))
    assert len(saved["household"]) == 6
    assert saved["family_contact"]["postcode"] == "NT2 3CD"
    mail = [
        email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        for eml in services.settings.pickup_dir.glob("*.eml")
    ]
    assert len(mail) == 2 and all(reference.group(0) in m["Subject"] for m in mail)


def test_second_post_of_the_same_draft_is_not_a_second_submission(
    client: FlaskClient, services: Services
) -> None:
    user = _user(client, services)
    user.fill_all(ehfsa_answers())
    token = csrf_token(client.get(user.url("check-answers")).text)
    first = client.post(user.url("check-answers"), data={"csrf_token": token})
    second = client.post(user.url("check-answers"), data={"csrf_token": token})
    assert first.status_code == 302
    assert "already sent" in second.text
    assert _count(services, Submission) == 1


def test_a_family_with_nothing_to_match_on_is_sent(client: FlaskClient, services: Services) -> None:
    """No surname letters and no NHS number make no match keys, so nothing is flushed
    before the draft is marked sent; the submission must still be written first (a
    foreign key refused the draft's update and every such referral got the busy page)."""
    answers = ehfsa_answers()
    for person in answers["household"]:
        person["last_name"] = "-"
        person["nhs_number"] = ""
    user = _user(client, services)
    user.fill_all(answers)
    reply = user.send()
    assert reply.status_code == 302 and reply.location.endswith("/confirmation")
    assert _count(services, Submission) == 1


def test_gate_stop_shows_level4_contact_and_stores_nothing(
    client: FlaskClient, services: Services
) -> None:
    user = _user(client, services)
    reply = user.post(
        user.url("safeguarding"),
        {"immediate_danger": "no", "significant_harm": "yes", "open_to_social_care": "no"},
    )
    assert reply.status_code == 200
    assert "01702 215007" in reply.text and "0345 606 1212" in reply.text
    assert "C-SPOC@southend.gov.uk" in reply.text
    assert _count(services, Draft) == 0 and _count(services, Submission) == 0


def test_level4_contact_comes_from_configuration(tmp_path: Path) -> None:
    app = make_app(tmp_path, level4_phone="01234 567890", level4_email="duty@council.example")
    client = app.test_client()
    user = _user(client, app.extensions["forms"])
    reply = user.post(user.url("safeguarding"), {"immediate_danger": "yes"})
    assert "01234 567890" in reply.text and "01702 215007" not in reply.text


def test_errors_name_each_field_and_link_to_it(client: FlaskClient, services: Services) -> None:
    user = _user(client, services)
    reply = user.post(user.url("referrer"), {"referrer-email": "not-an-email"})
    assert reply.status_code == 200
    assert "There is a problem" in reply.text
    assert 'href="#referrer-full_name"' in reply.text
    assert "Enter your full name" in reply.text
    assert "Enter your work email address in the correct format" in reply.text
    assert 'value="not-an-email"' in reply.text  # what was typed is kept


def test_impossible_and_future_dates_are_refused(client: FlaskClient, services: Services) -> None:
    user = _user(client, services)
    answers = ehfsa_answers()
    data = {
        "consent-parent_aware": "yes",
        "consent-parent_agrees": "yes",
        "consent-given_by": "A",
        "consent-given_by_relationship": "Mum",
        "consent-method": "verbal",
        "consent-privacy_notice_explained": "yes",
        "consent-date_given-day": "31",
        "consent-date_given-month": "2",
        "consent-date_given-year": "2026",
    }
    reply = user.post(user.url("consent"), data)
    assert "The date consent was given must be a real date" in reply.text
    reply = user.post(
        user.url("consent"),
        {**data, "consent-date_given-day": "1", "consent-date_given-year": "2999"},
    )
    assert "must be today or in the past" in reply.text
    assert answers  # factories stay usable


def test_consent_refused_blocks_the_request(client: FlaskClient, services: Services) -> None:
    user = _user(client, services)
    reply = user.post(user.url("consent"), {"consent-parent_agrees": "no"})
    assert "The family must agree before you can send this request" in reply.text


def test_household_needs_exactly_one_lead_child(client: FlaskClient, services: Services) -> None:
    user = _user(client, services)
    answers = ehfsa_answers(2)
    answers["household"][1]["role"] = "lead_child"
    reply = user.fill_page("household", answers)
    assert reply.status_code == 200
    assert "Choose exactly one person as the child this request is mainly about" in reply.text


def test_numbers_read_as_people_write_them_and_go_back_unchanged(
    client: FlaskClient, services: Services
) -> None:
    """Check your answers shows 0113 496 0001, and pages gone back to show it and
    943 476 5919 in their boxes; posting them again as shown stores the same E.164
    and ten digits."""
    user = _user(client, services)
    answers = ehfsa_answers()
    user.fill_all(answers)
    check = client.get(user.url("check-answers")).text
    assert "0113 496 0001" in check and "+441134960001" not in check
    about_you = client.get(user.url("referrer")).text
    assert 'value="0113 496 0001"' in about_you and "+441134960001" not in about_you
    lead_child = client.get(user.url("household", "1")).text
    assert 'value="943 476 5919"' in lead_child
    page = services.registry.get("ehfsa").page("referrer")
    again = {**formdata(page.fields, answers), "referrer-phone": "0113 496 0001"}
    assert user.post(user.url("referrer"), again).status_code == 302
    fields = services.registry.get("ehfsa").field("household").fields
    person = {**formdata(fields, answers["household"][0]), "nhs_number": "943 476 5919"}
    assert user.post(user.url("household", "1"), person).status_code == 302
    reply = user.send()
    assert reply.status_code == 302
    reference = REFERENCE.search(client.get(reply.location).text)
    assert reference
    saved = stored_answers(services, reference.group(0))
    assert saved["referrer"]["phone"] == "+441134960001"
    assert saved["household"][0]["nhs_number"] == "9434765919"


def test_two_family_members_with_one_nhs_number_cannot_continue(
    client: FlaskClient, services: Services
) -> None:
    user = _user(client, services)
    answers = ehfsa_answers(2)
    answers["household"][1]["nhs_number"] = "9434765919"  # the lead child's
    reply = user.fill_page("household", answers)
    assert reply.status_code == 200  # the list again, not the next page
    assert "Family member 2: NHS number" in reply.text
    assert "is the same as family member 1&#39;s. Check both numbers" in reply.text
    assert 'class="govuk-error-summary"' in reply.text


def test_remove_and_change_household_members(client: FlaskClient, services: Services) -> None:
    user = _user(client, services)
    answers = ehfsa_answers(3)
    user.fill_page("household", answers)
    user.post(user.url("household", "2", "remove"), {}, from_page=user.url("household"))
    page = client.get(user.url("household"))
    assert "You have added 2 family members" in page.text
    assert answers["household"][1]["first_name"] not in page.text
    member = answers["household"][2]
    fields = services.registry.get("ehfsa").field("household").fields
    reply = user.post(
        user.url("household", "2"), {**formdata(fields, member), "first_name": "Renamed"}
    )
    assert reply.status_code == 302
    assert "Renamed" in client.get(user.url("household")).text


def test_expired_csrf_token_keeps_what_was_typed(tmp_path: Path) -> None:
    app: Flask = make_app(tmp_path, WTF_CSRF_TIME_LIMIT=1)
    client = app.test_client()
    user = _user(client, app.extensions["forms"])
    page = client.get(user.url("referrer"))
    import time

    time.sleep(2)
    reply = client.post(
        user.url("referrer"),
        data={"csrf_token": csrf_token(page.text), "referrer-full_name": "Typed Before Timeout"},
    )
    assert reply.status_code == 400
    assert "Your session timed out" in reply.text
    assert 'value="Typed Before Timeout"' in reply.text


def test_post_without_csrf_token_is_refused(client: FlaskClient, services: Services) -> None:
    user = _user(client, services)
    for url in (
        user.url("referrer"),
        user.url("household"),
        user.url("household", "add"),
        user.url("check-answers"),
    ):
        assert client.post(url, data={}).status_code == 400, url
    assert _count(services, Submission) == 0


def test_check_answers_change_link_returns_to_check_answers(
    client: FlaskClient, services: Services
) -> None:
    user = _user(client, services)
    user.fill_all(ehfsa_answers())
    check = client.get(user.url("check-answers"))
    assert "/forms/ehfsa/strengths?return=check" in check.text
    token = csrf_token(client.get(user.url("strengths") + "?return=check").text)
    reply = client.post(
        user.url("strengths") + "?return=check",
        data={"csrf_token": token, "working_well": "Changed answer"},
    )
    assert reply.location.endswith("/forms/ehfsa/check-answers")
    assert "Changed answer" in client.get(user.url("check-answers")).text


def test_sending_an_incomplete_draft_lists_what_is_missing(
    client: FlaskClient, services: Services
) -> None:
    user = _user(client, services)
    user.fill_page("safeguarding", ehfsa_answers())
    reply = user.send()
    assert reply.status_code == 200
    assert "Enter your full name" in reply.text
    assert "/forms/ehfsa/referrer?return=check" in reply.text
    assert _count(services, Submission) == 0


def test_unknown_form_and_page_are_404(client: FlaskClient) -> None:
    assert client.get("/forms/nope").status_code == 404
    assert client.get("/forms/ehfsa/nope").status_code == 404
    assert client.get("/forms/ehfsa/household/99").status_code == 404


def test_security_headers_on_pages(client: FlaskClient) -> None:
    reply = client.get("/forms/ehfsa/referrer")
    csp = reply.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_date_error_links_to_the_day_box(client: FlaskClient, services: Services) -> None:
    user = _user(client, services)
    # The date is asked once the person giving consent has agreed.
    reply = user.post(
        user.url("consent"), {"consent-parent_agrees": "yes", "consent-date_given-day": "40"}
    )
    assert 'href="#consent-date_given-day"' in reply.text
    assert 'id="consent-date_given-day"' in reply.text


def test_a_date_of_birth_typed_with_a_month_name_is_taken(
    client: FlaskClient, services: Services
) -> None:
    """GOV.UK date inputs accept "14 May 2016" as typed: the member is added and
    the date reads back in the boxes as numbers."""
    user = _user(client, services)
    member = ehfsa_answers(1)["household"][0]
    fields = services.registry.get("ehfsa").field("household").fields
    typed = {"date_of_birth-day": "14", "date_of_birth-month": "May", "date_of_birth-year": "2016"}
    reply = user.post(user.url("household", "add"), {**formdata(fields, member), **typed})
    assert reply.status_code == 302, reply.text
    item = client.get(user.url("household", "1")).text
    assert 'name="date_of_birth-month" type="text" value="5"' in item
    assert 'name="date_of_birth-day" type="text" value="14"' in item


def test_remove_asks_first_then_says_it_is_done(client: FlaskClient, services: Services) -> None:
    """GOV.UK add-another: Remove is a link to "Are you sure…?"; only its POST
    removes, and the list then shows a success banner."""
    user = _user(client, services)
    answers = ehfsa_answers(3)
    user.fill_page("household", answers)
    second = answers["household"][1]
    listing = client.get(user.url("household")).text
    assert f'href="{user.url("household", "2", "remove")}"' in listing
    ask = client.get(user.url("household", "2", "remove"))
    name = f"Family member 2: {second['first_name']} {second['last_name']}"
    assert f"Are you sure you want to remove {name}?" in ask.text
    assert "You have added 3 family members" in client.get(user.url("household")).text
    assert client.post(user.url("household", "2", "remove")).status_code == 400  # no token
    reply = user.post(user.url("household", "2", "remove"), {})
    assert reply.status_code == 302 and reply.location.endswith(user.url("household"))
    page = client.get(user.url("household")).text
    assert "govuk-notification-banner--success" in page
    assert "Family member 2 has been removed" in page
    assert "You have added 2 family members" in page and second["first_name"] not in page
    assert "has been removed" not in client.get(user.url("household")).text  # said once
