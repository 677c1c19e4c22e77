"""The JSON API's tokens: 401 without one, 403 outside its forms, a user's token with
exactly that user's access, Idempotency-Key, the per-token rate limit, public reads."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from forms_service.audit import CLI
from forms_service.auth import accounts, tokens
from forms_service.services import Services
from forms_service.submissions.models import Submission
from tests.conftest import make_app, task_runner
from tests.factories import cspoc_request_answers, ehfsa_answers, family_story_answers
from tests.staff import bearer, staff_user, user_headers

EHFSA = "/api/v1/forms/ehfsa/submissions"


def _count(services: Services) -> int:
    with services.readers() as db:
        return int(db.scalar(select(func.count()).select_from(Submission)) or 0)


def test_reading_forms_and_schemas_needs_no_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/forms").status_code == 200
    assert client.get("/api/v1/forms/family-story/schema").status_code == 200


def test_submitting_without_a_usable_token_is_401(client: FlaskClient, services: Services) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, bearer("fs_made-up"), bearer("")):
        reply = client.post(EHFSA, json=ehfsa_answers(2), headers=headers)
        assert reply.status_code == 401
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert reply.get_json()["errors"]["_form"]
    assert _count(services) == 0


def test_a_referral_token_sends_only_its_own_forms(client: FlaskClient, services: Services) -> None:
    token = tokens.create(services, "school system", CLI, forms=("ehfsa",))
    assert client.post(EHFSA, json=ehfsa_answers(2), headers=bearer(token)).status_code == 201
    other = client.post(
        "/api/v1/forms/cspoc-request/submissions",
        json=cspoc_request_answers(),
        headers=bearer(token),
    )
    assert other.status_code == 403
    staff = client.post(
        "/api/v1/forms/family-story/submissions",
        json=family_story_answers(),
        headers=bearer(token),
    )
    assert staff.status_code == 403
    tokens.revoke(services, "school system", CLI)
    assert client.post(EHFSA, json=ehfsa_answers(2), headers=bearer(token)).status_code == 401


def test_a_user_token_has_exactly_its_users_access(client: FlaskClient, services: Services) -> None:
    manager = staff_user(services, "manager")
    worker = staff_user(services, "lead-professional")
    story = family_story_answers()
    as_manager = client.post(
        "/api/v1/forms/family-story/submissions",
        json=story,
        headers=user_headers(services, manager),
    )
    assert as_manager.status_code == 403  # managers read; they do not fill in forms
    headers = user_headers(services, worker)
    assert (
        client.post(
            "/api/v1/forms/family-story/submissions", json=story, headers=headers
        ).status_code
        == 201
    )
    accounts.set_disabled(services, worker.email, True, CLI)
    assert (
        client.post(
            "/api/v1/forms/family-story/submissions", json=story, headers=headers
        ).status_code
        == 401
    )


def test_a_repeated_idempotency_key_returns_the_first_reference(
    api_client: FlaskClient, services: Services
) -> None:
    answers = ehfsa_answers(2)
    first = api_client.post(EHFSA, json=answers, headers={"Idempotency-Key": "school-42"})
    again = api_client.post(EHFSA, json=answers, headers={"Idempotency-Key": "school-42"})
    assert first.status_code == again.status_code == 201
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(services) == 1
    changed = {**answers, "presenting_issues": "Something else entirely."}
    conflict = api_client.post(EHFSA, json=changed, headers={"Idempotency-Key": "school-42"})
    assert conflict.status_code == 422
    assert "Idempotency-Key" in conflict.get_json()["errors"]
    other = api_client.post(EHFSA, json=answers, headers={"Idempotency-Key": "school-43"})
    assert other.get_json()["reference"] != first.get_json()["reference"]
    assert (
        api_client.post(EHFSA, json=answers, headers={"Idempotency-Key": "x" * 300}).status_code
        == 400
    )
    assert _count(services) == 2


def test_an_idempotency_key_works_when_nobody_can_be_matched(
    api_client: FlaskClient, services: Services
) -> None:
    """No surname letters and no NHS number: no match keys, so nothing is flushed early,
    and the key's row must still be written after its submission (schemathesis found
    every such request answered 503)."""
    answers = ehfsa_answers(2)
    for person in answers["household"]:
        person["last_name"] = "-"
        person.pop("nhs_number", None)
    first = api_client.post(EHFSA, json=answers, headers={"Idempotency-Key": "no-match"})
    assert first.status_code == 201, first.get_json()
    again = api_client.post(EHFSA, json=answers, headers={"Idempotency-Key": "no-match"})
    assert again.status_code == 201
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert _count(services) == 1


def test_api_submissions_are_limited_per_token(tmp_path: Path) -> None:
    app: Flask = make_app(tmp_path, limit_api_submissions="3/minute")
    services: Services = app.extensions["forms"]
    first = tokens.create(services, "first", CLI, forms=("ehfsa",))
    second = tokens.create(services, "second", CLI, forms=("ehfsa",))
    client = app.test_client()
    codes = [
        client.post(EHFSA, json={"bad": 1}, headers=bearer(first)).status_code for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    limited = client.post(EHFSA, json={"bad": 1}, headers=bearer(first))
    assert int(limited.headers["Retry-After"]) > 0 and limited.get_json()["errors"]["_form"]
    assert client.post(EHFSA, json={"bad": 1}, headers=bearer(second)).status_code == 422
    task_runner(app).stop()


def test_public_form_posts_are_limited_per_address_generously(tmp_path: Path) -> None:
    app: Flask = make_app(tmp_path, limit_public_posts="5/minute")
    client = app.test_client()
    codes = [client.post("/forms/ehfsa/safeguarding", data={}).status_code for _ in range(6)]
    assert codes[:5] == [400] * 5 and codes[5] == 429
    page = client.post("/forms/ehfsa/safeguarding", data={})
    assert "You have made too many requests" in page.text and "go back and try again" in page.text
    other = app.test_client()
    elsewhere = other.post(
        "/forms/ehfsa/safeguarding", data={}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert elsewhere.status_code == 400
    task_runner(app).stop()


def test_the_default_limits_are_those_the_service_promises() -> None:
    from forms_service.config import Settings

    defaults = Settings()
    assert defaults.limit_public_posts == "300/minute"  # schools and surgeries share an address
    assert defaults.limit_sign_in == "10/minute"
    assert defaults.limit_start_from == "20/minute"
    assert defaults.limit_api_submissions == "600/minute"


def _failed_sign_in_ip(app: Flask, headers: dict[str, str]) -> str | None:
    """Fail one sign-in and return the address the audit log recorded for it."""
    from forms_service.audit import AuditEvent
    from tests.webuser import csrf_token

    client = app.test_client()
    page = client.get("/sign-in", headers=headers)
    client.post(
        "/sign-in",
        data={
            "email": "nobody@council.gov.uk",
            "password": "x",
            "csrf_token": csrf_token(page.text),
        },
        headers=headers,
    )
    services: Services = app.extensions["forms"]
    with services.readers() as db:
        return db.scalars(select(AuditEvent.ip).where(AuditEvent.action == "sign_in.failure")).one()


def test_client_addresses_come_from_trusted_proxies_only(tmp_path: Path) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    behind_proxy = make_app(tmp_path / "proxied", trusted_proxies=1)
    direct = make_app(tmp_path / "direct")
    try:
        assert _failed_sign_in_ip(behind_proxy, forwarded) == "203.0.113.9"
        assert _failed_sign_in_ip(direct, forwarded) == "127.0.0.1"  # a spoofed header is ignored
    finally:
        task_runner(behind_proxy).stop()
        task_runner(direct).stop()
