"""Save and come back later (issue 12), through the real SMTP server: the emailed
single-use link, then the 6-digit code sent to the same address, opens the draft
in another browser; the emails hold no answers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from forms_service.clock import utcnow
from forms_service.flow import resume
from forms_service.submissions.models import Draft, DraftLink
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.smtp_server import SmtpTestServer
from tests.webuser import WebUser, csrf_token, formdata

SCHOOL = "sam.referrer@seaview.example.sch.uk"


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpTestServer) -> Iterator[Flask]:
    application = make_app(
        tmp_path, smtp_url=smtp.url("smtp"), trusted_email_domains=("sch.uk", "nhs.net")
    )
    yield application
    task_runner(application).stop()


def _text(smtp: SmtpTestServer, index: int) -> str:
    part = smtp.messages[index].parsed().get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _started(app: Flask) -> tuple[FlaskClient, WebUser, dict[str, object]]:
    """A school's referral begun: the gate answered, "About you" saved for later."""
    client = app.test_client()
    user = WebUser(client, app.extensions["forms"].registry.get("ehfsa"))
    answers = ehfsa_answers(2)
    user.fill_page("safeguarding", answers)
    referrer = user.form.page("referrer")
    saved = user.post(
        user.url("referrer"), {**formdata(referrer.fields, answers), "save_later": "yes"}
    )
    assert saved.status_code == 302 and saved.location.endswith("/forms/ehfsa/save")
    return client, user, answers


def test_a_draft_comes_back_in_another_browser_through_the_link_and_the_code(
    app: Flask, smtp: SmtpTestServer
) -> None:
    _, user, answers = _started(app)
    sent = user.post(user.url("save"), {"email": SCHOOL})
    assert sent.status_code == 200 and "Your form has been saved" in sent.text

    assert len(smtp.messages) == 1 and smtp.messages[0].rcpt_tos == [SCHOOL]
    email = _text(smtp, 0)
    referrer = answers["referrer"]
    assert isinstance(referrer, dict)
    for private in (referrer["full_name"], referrer["organisation"], referrer["phone"]):
        assert str(private) not in smtp.messages[0].data.decode(errors="replace")
    found = re.search(r"http://\S+/resume/(\S+)", email)
    assert found, email
    assert "Early Help Family Support Assessment" in email

    elsewhere = app.test_client()  # another computer, the next day
    opened = elsewhere.get(f"/resume/{found.group(1)}")
    assert opened.status_code == 302 and opened.location.endswith("/resume")
    assert len(smtp.messages) == 2 and smtp.messages[1].rcpt_tos == [SCHOOL]
    code = re.search(r"^(\d{6})\s*$", _text(smtp, 1), re.MULTILINE)
    assert code, _text(smtp, 1)
    page = elsewhere.get("/resume")
    assert "Check your email" in page.text and found.group(1) not in page.text

    wrong = "000000" if code.group(1) != "000000" else "111111"
    refused = elsewhere.post("/resume", data={"code": wrong, "csrf_token": csrf_token(page.text)})
    assert refused.status_code == 200 and "The code is not right" in refused.text
    right = elsewhere.post(
        "/resume", data={"code": code.group(1), "csrf_token": csrf_token(page.text)}
    )
    assert right.status_code == 302 and right.location.endswith("/forms/ehfsa/check-answers")
    check = elsewhere.get("/forms/ehfsa/check-answers").text
    assert str(referrer["organisation"]) in check and str(referrer["full_name"]) in check

    again = app.test_client().get(f"/resume/{found.group(1)}")
    assert again.status_code == 410 and "Links work only once" in again.text


def test_only_trusted_domains_get_a_link(app: Flask, smtp: SmtpTestServer) -> None:
    _, user, _ = _started(app)
    refused = user.post(user.url("save"), {"email": "someone@gmail.example.com"})
    assert refused.status_code == 200 and "There is a problem" in refused.text
    assert "Enter a work email address ending in sch.uk or nhs.net" in refused.text
    assert smtp.messages == []


def test_too_many_wrong_codes_use_the_link_up(app: Flask, smtp: SmtpTestServer) -> None:
    _, user, _ = _started(app)
    user.post(user.url("save"), {"email": SCHOOL})
    token = re.search(r"/resume/(\S+)", _text(smtp, 0))
    assert token
    guesser = app.test_client()
    guesser.get(f"/resume/{token.group(1)}")
    real = re.search(r"^(\d{6})\s*$", _text(smtp, 1), re.MULTILINE)
    assert real
    page = guesser.get("/resume")
    wrong = [f"{n:06d}" for n in range(10) if f"{n:06d}" != real.group(1)]
    replies = [
        guesser.post("/resume", data={"code": w, "csrf_token": csrf_token(page.text)})
        for w in wrong[: resume.CODE_TRIES]
    ]
    assert [r.status_code for r in replies] == [200] * (resume.CODE_TRIES - 1) + [410]
    late = guesser.post(
        "/resume", data={"code": real.group(1), "csrf_token": csrf_token(page.text)}
    )
    assert late.status_code == 410  # even the right code, now


def test_nothing_to_save_says_so(app: Flask, smtp: SmtpTestServer) -> None:
    client = app.test_client()
    page = client.get("/forms/ehfsa/save")
    reply = client.post(
        "/forms/ehfsa/save", data={"email": SCHOOL, "csrf_token": csrf_token(page.text)}
    )
    assert reply.status_code == 200 and "There is nothing to save yet" in reply.text
    assert smtp.messages == []


def test_a_gate_answer_of_yes_is_never_saved_for_later(app: Flask, smtp: SmtpTestServer) -> None:
    """ "Save and come back later" pressed on the gate with "Yes": the stop page, and
    neither the "Yes" nor the earlier "No" is kept to be sent later."""
    _, user, answers = _started(app)
    gate = user.form.page("safeguarding")
    reply = user.post(
        user.url("safeguarding"),
        {**formdata(gate.fields, {**answers, "immediate_danger": "yes"}), "save_later": "yes"},
    )
    assert reply.status_code == 200 and "Call 999 now" in reply.text
    services = app.extensions["forms"]
    with services.readers() as db:
        kept = services.vault.open(db.scalars(select(Draft)).one().answers_sealed)
    assert "immediate_danger" not in kept and kept["referrer"]


def test_reopening_the_link_buys_no_more_guesses(app: Flask, smtp: SmtpTestServer) -> None:
    _, user, _ = _started(app)
    user.post(user.url("save"), {"email": SCHOOL})
    token = re.search(r"/resume/(\S+)", _text(smtp, 0))
    assert token
    guesser = app.test_client()
    services = app.extensions["forms"]
    replies = []
    for _ in range(resume.CODE_TRIES):
        guesser.get(f"/resume/{token.group(1)}")
        page = guesser.get("/resume")
        replies.append(
            guesser.post("/resume", data={"code": "abcdef", "csrf_token": csrf_token(page.text)})
        )
        with services.sessions.begin() as db:  # as if a minute had passed: a new code is sent
            db.execute(update(DraftLink).values(code_sent_at=utcnow() - dt.timedelta(minutes=2)))
    assert [r.status_code for r in replies] == [200] * (resume.CODE_TRIES - 1) + [410]
    codes = [m for m in smtp.messages if "code" in str(m.parsed()["Subject"])]
    assert len(codes) == resume.CODES_PER_LINK
