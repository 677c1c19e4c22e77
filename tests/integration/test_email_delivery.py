"""End to end over real SMTP: submit, then a loopback aiosmtpd server receives
the email; the PDF and DOCX attachments are opened and read back."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.conftest import make_app, task_runner
from tests.factories import BUILDERS, ehfsa_answers
from tests.readback import docx_text, flat, pdf_text
from tests.smtp_server import SmtpTestServer
from tests.staff import referral_headers, staff_user, user_headers


def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.mark.parametrize("task_mode", ["sync", "thread"])
def test_spoc_inbox_receives_email_with_both_documents(
    tmp_path: Path, smtp: SmtpTestServer, task_mode: str
) -> None:
    app = make_app(tmp_path, smtp_url=smtp.url("smtp"), task_mode=task_mode)
    answers = ehfsa_answers(6)
    try:
        reply = app.test_client().post(
            "/api/v1/forms/ehfsa/submissions", json=answers, headers=referral_headers(app)
        )
        assert reply.status_code == 201
        reference = reply.get_json()["reference"]
        # The form to the SPOC inbox, and the referrer's acknowledgement.
        _wait_for(lambda: len(smtp.messages) == 2)
    finally:
        task_runner(app).stop()
    [received] = [m for m in smtp.messages if m.rcpt_tos == ["c-spoc@council.example.gov.uk"]]
    message = received.parsed()
    assert message["Subject"] == f"Early Help request – {reference}"
    assert not any(m["last_name"] in str(message["Subject"]) for m in answers["household"])
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert reference in body
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(attachments) == {f"{reference}.pdf", f"{reference}.docx"}
    assert f"Files attached:\n- {reference}.pdf\n- {reference}.docx\n" in body
    assert "twice" not in body
    # UK wall-clock time as everywhere else ("24 November 2026 at 2:05pm"), not "14:05 UTC".
    assert re.search(r"^Received: \d{1,2} [A-Z][a-z]+ \d{4} at \d{1,2}:\d{2}[ap]m$", body, re.M)
    assert "UTC" not in body
    for text in (
        flat(pdf_text(attachments[f"{reference}.pdf"])),
        flat(docx_text(attachments[f"{reference}.docx"])),
    ):
        assert reference in text
        for member in answers["household"]:
            assert member["first_name"] in text and member["last_name"] in text
        assert answers["referrer"]["organisation"] in text
        assert answers["presenting_issues"].splitlines()[0] in text
        assert answers["family_views"] in text


@pytest.mark.parametrize(
    ("form_id", "family_plan"),
    [("cspoc-request", False), ("family-story", True), ("tacaf-review", True)],
)
def test_every_form_is_emailed_with_its_documents(
    tmp_path: Path, smtp: SmtpTestServer, form_id: str, family_plan: bool
) -> None:
    answers = BUILDERS[form_id]()
    app = make_app(tmp_path, smtp_url=smtp.url("smtp"))
    services = app.extensions["forms"]
    form = services.registry.get(form_id)
    # Referrals come with a referral token; staff forms from a lead professional's own token.
    headers = (
        referral_headers(app)
        if form.open_to_anyone
        else user_headers(services, staff_user(services, "lead-professional"))
    )
    reply = app.test_client().post(
        f"/api/v1/forms/{form_id}/submissions", json=answers, headers=headers
    )
    assert reply.status_code == 201, reply.get_json()
    reference = reply.get_json()["reference"]
    message = smtp.messages[0].parsed()
    assert message["Subject"].endswith(f"– {reference}")
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    expected = {f"{reference}.pdf", f"{reference}.docx"}
    if family_plan:
        expected |= {f"{reference}-family-plan.pdf", f"{reference}-family-plan.docx"}
    assert set(files) == expected
    body = message.get_body(("plain",)).get_content()
    listed = [line[2:] for line in body.splitlines() if line.startswith("- ")]
    assert sorted(listed) == sorted(expected)  # every file by name, four with a family plan
    household = answers["household"]
    for text in (pdf_text(files[f"{reference}.pdf"]), docx_text(files[f"{reference}.docx"])):
        assert reference in text
        assert all(m["last_name"] in text for m in household)
    if family_plan:
        plan_text = docx_text(files[f"{reference}-family-plan.docx"])
        assert "Our Family Plan" in plan_text
        assert all(a["what"] in plan_text for a in answers["plan"])
        assert not any(m["last_name"] in plan_text for m in household)
