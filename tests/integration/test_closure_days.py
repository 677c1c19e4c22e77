"""Closure days set in FORMS_CLOSURE_DAYS reach every working-day count: the
dates and warnings on the check-answers page and in the delivered documents."""

from __future__ import annotations

import datetime as dt
import email
import io
import pickle
from collections.abc import Iterator
from email import policy
from pathlib import Path

import docx
import pytest
from flask import Flask

from forms_service.documents.context import format_date
from forms_service.services import Services
from forms_service.workdays import WorkingCalendar
from tests.conftest import make_app, task_runner
from tests.factories import family_story_answers
from tests.staff import signed_in, staff_user
from tests.webuser import WebUser

BANK_HOLIDAYS_ONLY = WorkingCalendar()
ALLOCATED = dt.date.today() - dt.timedelta(days=60)
#: The first working day after allocation: a closure inside every count below.
CLOSED = BANK_HOLIDAYS_ONLY.add_working_days(ALLOCATED, 1)
CALENDAR = WorkingCalendar(frozenset({CLOSED}))
WARNING = "completed more than 15 working days after allocation"


@pytest.fixture
def closed_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("FORMS_CLOSURE_DAYS", f"{CLOSED.isoformat()},2031-12-24")
    application = make_app(tmp_path)
    yield application
    task_runner(application).stop()


def _docx_paragraphs(services: Services) -> list[str]:
    eml = next(services.settings.pickup_dir.glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    return [
        paragraph.text
        for part in message.iter_attachments()
        if str(part.get_filename()).endswith(".docx")
        for paragraph in docx.Document(io.BytesIO(part.get_content())).paragraphs
    ]


def test_closure_days_count_in_dates_warnings_and_documents(closed_app: Flask) -> None:
    services: Services = closed_app.extensions["forms"]
    form = services.registry.get("family-story")
    assert form.calendar.closures == {CLOSED, dt.date(2031, 12, 24)}
    assert pickle.loads(pickle.dumps(form)).calendar == form.calendar  # into the render process
    due = CALENDAR.add_working_days(ALLOCATED, 10)
    assert due != BANK_HOLIDAYS_ONLY.add_working_days(ALLOCATED, 10)
    answers = family_story_answers()
    # 16 working days after allocation by bank holidays alone, 15 with the closure: on time.
    completed = BANK_HOLIDAYS_ONLY.add_working_days(ALLOCATED, 16)
    answers["case"] = {
        "allocation_date": ALLOCATED.isoformat(),
        "completion_date": completed.isoformat(),
    }
    client = signed_in(closed_app.test_client(), services, staff_user(services, "cspoc"))
    user = WebUser(client, form)
    user.fill_all(answers)
    check = client.get(user.url("check-answers")).text
    assert format_date(due) in check
    assert WARNING not in check
    assert user.send().status_code == 302
    label = "Assessment due (10 working days after allocation)"
    assert f"{label}: {format_date(due)}" in _docx_paragraphs(services)
