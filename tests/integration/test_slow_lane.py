"""Queue isolation (issue 14): a normal referral is never queued behind large ones.

Ten of the largest EHFSAs the API accepts (every list at its ``max_items``,
every text at its ``max_length``, read from the form's definition), then one
normal EHFSA, all through the API into the embedded delivery threads and a
real SMTP server. The normal one reaches the SPOC inbox before the large ones
are all delivered: it went to the normal lane, they to the slow one.
Order and outcome only; the delay is ``benchmarks/slow_lane.py``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from forms_service.db import transaction
from forms_service.delivery import lanes
from forms_service.documents import bounded
from forms_service.submissions.models import OutboxMessage, Submission
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.largest import largest
from tests.smtp_server import SmtpTestServer
from tests.staff import referral_headers

API = "/api/v1/forms/ehfsa/submissions"
SPOC = "c-spoc@council.example.gov.uk"
LARGE = 10
#: Generous: the normal referral renders in about a second on an idle machine, but
#: the machine may be busy (and the slow lane is rendering beside it).
ARRIVAL_TIMEOUT = 300.0


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def spoc_references(smtp: SmtpTestServer) -> list[str]:
    """References of the forms that reached the SPOC inbox, in order of arrival."""
    return [
        str(m.parsed()["Subject"]).rsplit(" ", 1)[-1]
        for m in list(smtp.messages)
        if m.rcpt_tos == [SPOC]
    ]


def submit(app: Flask, answers: dict[str, object]) -> str:
    reply = app.test_client().post(API, json=answers, headers=referral_headers(app))
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def spoc_lanes(app: Flask) -> dict[str, str]:
    """reference → lane of its form to the SPOC inbox."""
    services = app.extensions["forms"]
    with transaction(services.readers) as session:
        rows = session.execute(
            select(Submission.reference, OutboxMessage.lane)
            .join(OutboxMessage, OutboxMessage.submission_id == Submission.id)
            .where(OutboxMessage.kind == "spoc")
        ).all()
    return {reference: lane for reference, lane in rows}


def test_a_normal_referral_overtakes_ten_of_the_largest(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    _form, biggest = largest("ehfsa")
    # One delivery thread per lane: without lanes the normal referral would be
    # eleventh in one queue.
    app = make_app(
        tmp_path,
        smtp_url=smtp.url("smtp"),
        task_mode="thread",
        delivery_threads=1,
        slow_lane_threads=1,
    )
    try:
        large = [submit(app, biggest) for _ in range(LARGE)]
        normal = submit(app, ehfsa_answers(6))
        wait_for(lambda: normal in spoc_references(smtp), ARRIVAL_TIMEOUT, "the normal referral")
        arrived = spoc_references(smtp)
        assert len(set(large) & set(arrived)) < LARGE, "the normal referral waited for them all"
        assert spoc_lanes(app) == {
            **dict.fromkeys(large, lanes.SLOW),
            normal: lanes.NORMAL,
        }
    finally:
        task_runner(app).stop()
        bounded.close_pools()  # the slow lane's child is still busy with a large one
