"""Drafts are never lost by a mis-click (issue 12): a safeguarding answer changed to
"Yes" keeps the draft until the user chooses to leave, a page with errors keeps its
right answers, Back after sending shows what was sent, and starting from a
reference asks before it replaces a draft."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from forms_service.fieldtypes import type_of
from forms_service.services import Services
from tests.factories import ehfsa_answers
from tests.staff import referral_headers, signed_in, staff_user, stored_answers
from tests.webuser import WebUser, answers_as_shown, csrf_token, formdata


def _ehfsa(client: FlaskClient, services: Services) -> tuple[WebUser, dict[str, Any]]:
    """A school's EHFSA filled in to Check your answers, not yet sent."""
    user = WebUser(client, services.registry.get("ehfsa"))
    answers = ehfsa_answers(2)
    user.fill_all(answers)
    return user, answers


def test_changing_a_gate_answer_to_yes_keeps_the_draft_until_the_user_leaves(
    client: FlaskClient, services: Services
) -> None:
    user, answers = _ehfsa(client, services)
    child = answers["household"][0]["first_name"]
    gate = services.registry.get("ehfsa").page("safeguarding")
    changed = formdata(gate.fields, {**answers, "immediate_danger": "yes"})
    stop = user.post(user.url("safeguarding") + "?return=check", changed)

    assert stop.status_code == 200 and "Call 999 now" in stop.text
    assert "Your other answers have been kept" in stop.text
    assert 'href="/forms/ehfsa/safeguarding?return=check"' in stop.text  # go back and change
    check = client.get(user.url("check-answers")).text
    assert child in check, "the draft was thrown away"
    # The "Yes" is not kept, and neither is the earlier "No": it must be answered again.
    refused = user.send()
    assert refused.status_code == 200 and "whether a child is in immediate danger" in refused.text

    left = client.post(user.url("leave"), data={"csrf_token": csrf_token(stop.text)})
    assert left.status_code == 200 and "Your answers have been deleted" in left.text
    assert child not in client.get(user.url("check-answers")).text


def test_a_page_with_an_error_keeps_its_right_answers(
    client: FlaskClient, services: Services
) -> None:
    user = WebUser(client, services.registry.get("ehfsa"))
    answers = ehfsa_answers(2)
    user.fill_page("safeguarding", answers)
    referrer = services.registry.get("ehfsa").page("referrer")
    typed = formdata(referrer.fields, answers)
    typed["referrer-phone"] = "not a number"
    reply = user.post(user.url("referrer"), typed)
    assert reply.status_code == 200 and "govuk-error-summary" in reply.text

    client.get(user.url("family-contact"))  # the user wanders off, then comes back
    again = client.get(user.url("referrer")).text
    assert answers["referrer"]["organisation"] in again
    assert answers["referrer"]["full_name"] in again
    assert "not a number" not in again  # the wrong answer is not in the draft


def test_back_after_sending_shows_the_confirmation(client: FlaskClient, services: Services) -> None:
    user, _ = _ehfsa(client, services)
    assert user.send().status_code == 302
    back = client.get(user.url("check-answers"))
    assert back.status_code == 302 and back.location.endswith("/forms/ehfsa/confirmation")


def test_starting_from_a_reference_asks_before_it_replaces_a_draft(
    app: Flask, services: Services
) -> None:
    worker = staff_user(services, "cspoc")
    client = signed_in(app.test_client(), services, worker)
    api = app.test_client()
    ehfsa = ehfsa_answers(2)
    reply = api.post("/api/v1/forms/ehfsa/submissions", json=ehfsa, headers=referral_headers(app))
    reference = reply.get_json()["reference"]
    story = WebUser(client, services.registry.get("family-story"))
    start = client.get(story.url())
    assert "Does this follow an earlier form for this family?" in start.text
    token = csrf_token(start.text)

    neither = client.post(story.url("start-from"), data={"csrf_token": token})
    assert "Select yes if this follows an earlier form for this family" in neither.text
    blank = client.post(story.url("start-from"), data={"csrf_token": token, "follows": "no"})
    assert blank.status_code == 302 and blank.location.endswith("/forms/family-story/case")

    # A page sent with an error still makes the draft, with its right answer.
    client.post(story.url("case"), data={"csrf_token": token, "case-family_id": "ZEBEDEE-1"})
    asked = client.post(
        story.url("start-from"),
        data={"csrf_token": token, "follows": "yes", "reference": reference},
    )
    assert asked.status_code == 200 and "You have already started this form" in asked.text
    assert reference in asked.text and reference not in (asked.request.url or "")
    assert "ZEBEDEE-1" in client.get(story.url("case")).text, "the draft was replaced unasked"

    replaced = client.post(
        story.url("start-from"),
        data={"csrf_token": token, "follows": "yes", "reference": reference, "replace": "yes"},
    )
    assert replaced.status_code == 302
    assert "ZEBEDEE-1" not in client.get(story.url("case")).text
    assert ehfsa["household"][0]["last_name"] in client.get(story.url("household")).text


def test_check_your_answers_shows_every_answer_given(
    client: FlaskClient, services: Services
) -> None:
    """Every answer of a fully filled EHFSA, read from what was then sent, including
    each family member's, need's and professional's answers."""
    user, _ = _ehfsa(client, services)
    page = client.get(user.url("check-answers")).text
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert user.send().status_code == 302
    sent = stored_answers(services)
    form = services.registry.get("ehfsa")
    missing = [
        (label, value)
        for label, value in answers_as_shown(tuple(form.fields), sent)
        if " ".join(value.split()) not in text
    ]
    assert not missing, missing
    assert page.count('class="govuk-summary-card"') == sum(
        len(sent[f.name]) for f in form.fields if type_of(f).repeats and sent.get(f.name)
    )


def test_staff_find_their_drafts_on_another_computer_and_no_one_elses(
    app: Flask, services: Services
) -> None:
    worker = staff_user(services, "lead-professional")
    office = signed_in(app.test_client(), services, worker)
    story = WebUser(office, services.registry.get("family-story"))
    start = office.get(story.url())
    office.post(
        story.url("start-from"), data={"csrf_token": csrf_token(start.text), "follows": "no"}
    )
    office.post(
        story.url("case"),
        data={"csrf_token": csrf_token(start.text), "case-family_id": "FAM-778"},
    )

    home = signed_in(app.test_client(), services, worker)  # the laptop at home
    assert "Your drafts" in home.get("/staff/").text
    listed = home.get("/staff/drafts")
    assert listed.status_code == 200 and "Family Story Assessment" in listed.text
    assert "<table" in listed.text and "You have no drafts." not in listed.text
    draft = re.search(r'name="draft" type="hidden" value="([^"]+)"', listed.text)
    assert draft
    opened = home.post(
        "/staff/drafts/continue",
        data={"csrf_token": csrf_token(listed.text), "draft": draft.group(1)},
    )
    assert opened.status_code == 302 and opened.location.endswith(
        "/forms/family-story/check-answers"
    )
    assert "FAM-778" in home.get(story.url("case")).text

    colleague = signed_in(app.test_client(), services, staff_user(services, "lead-professional"))
    theirs = colleague.get("/staff/drafts")
    assert "Family Story Assessment" not in theirs.text
    assert "You have no drafts." in theirs.text and "<table" not in theirs.text
    refused = colleague.post(
        "/staff/drafts/continue",
        data={"csrf_token": csrf_token(theirs.text), "draft": draft.group(1)},
    )
    assert refused.status_code == 404
    assert "FAM-778" not in colleague.get(story.url("case")).text


def test_an_incomplete_prefilled_item_names_each_missing_answer_and_links_to_it(
    app: Flask, services: Services
) -> None:
    """Needs carried from the referral lack the assessment's own answers: the list page
    says which ("Need 1: enter …"), marks the row, and links to the answer."""
    worker = staff_user(services, "cspoc")
    client = signed_in(app.test_client(), services, worker)
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=referral_headers(app)
    )
    story = WebUser(client, services.registry.get("family-story"))
    start = client.get(story.url())
    client.post(
        story.url("start-from"),
        data={"csrf_token": csrf_token(start.text), "reference": reply.get_json()["reference"]},
    )
    page = story.post(story.url("needs-assessment"), {})
    assert page.status_code == 200 and "problem with this" not in page.text
    summary = page.text[page.text.index("govuk-error-summary") :]
    links = re.findall(r'<a href="([^"]+)">(Need \d+: [^<]+)</a>', summary)
    assert links, summary[:2000]
    assert "app-summary-list__row--error" in page.text
    href, text = links[0]
    assert text.split(": ", 1)[1][:1].islower()  # "Need 1: enter …", one sentence
    path, anchor = unescape(href).split("#")
    assert "show=errors" in path
    item = client.get(path)
    assert f'id="{anchor}"' in item.text and "govuk-error-summary" in item.text
    assert text.split(": ", 1)[1][1:] in item.text  # the same message, at the answer
