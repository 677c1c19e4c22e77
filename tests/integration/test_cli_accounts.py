"""The CLI an administrator uses: users, API tokens and allocation, run as
``forms-service`` is (a real subprocess for the first, ``main`` for the rest)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from forms_service.audit import AuditEvent
from forms_service.cli import main
from forms_service.config import settings_from_env
from forms_service.families.models import Family
from forms_service.services import Services, build_services
from tests.conftest import make_app, task_runner
from tests.factories import ehfsa_answers
from tests.staff import bearer, referral_headers
from tests.webuser import csrf_token


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"FORMS_INSTANCE_PATH": str(tmp_path / "instance")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_users_add_reads_the_password_from_stdin_and_prints_the_authenticator_link(
    env: dict[str, str],
) -> None:
    command = [
        sys.executable,
        "-m",
        "forms_service.cli",
        "users",
        "add",
        "--email",
        "Duty.Worker@Southend.gov.uk",
        "--name",
        "Dana Duty",
        "--role",
        "cspoc",
        "--password-stdin",
    ]
    done = subprocess.run(
        command,
        input="quiet meadow lantern river\n",
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    uri = done.stdout.strip().splitlines()[-1]
    assert uri.startswith("otpauth://totp/") and "quiet meadow" not in done.stdout
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    # The person can now sign in with the password and their app.
    app = make_app(
        Path(env["FORMS_INSTANCE_PATH"]).parent,
        instance_path=Path(env["FORMS_INSTANCE_PATH"]),
        database_url=f"sqlite:///{env['FORMS_INSTANCE_PATH']}/forms.sqlite3",
    )
    client = app.test_client()
    page = client.get("/sign-in")
    client.post(
        "/sign-in",
        data={
            "email": "duty.worker@southend.gov.uk",
            "password": "quiet meadow lantern river",
            "csrf_token": csrf_token(page.text),
        },
    )
    page = client.get("/sign-in/code")
    reply = client.post(
        "/sign-in/code",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(page.text)},
    )
    assert reply.status_code == 302 and reply.location == "/staff/"
    weak = subprocess.run(
        [*command[:6], "second@southend.gov.uk", *command[7:]],
        input="password\n",
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert weak.returncode == 2 and "12 characters or more" in weak.stderr
    task_runner(app).stop()


def test_users_list_disable_enable_and_reset_mfa(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("pebble orchard violin\n"))
    assert (
        main(
            [
                "users",
                "add",
                "--email",
                "lp@school.sch.uk",
                "--name",
                "Lee Pro",
                "--role",
                "lead-professional",
                "--password-stdin",
            ]
        )
        == 0
    )
    first_uri = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert "lp@school.sch.uk" in listed and "lead-professional" in listed and "active" in listed
    assert main(["users", "disable", "lp@school.sch.uk"]) == 0
    assert main(["users", "list"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert main(["users", "enable", "lp@school.sch.uk"]) == 0
    assert main(["users", "reset-mfa", "lp@school.sch.uk"]) == 0
    new_uri = capsys.readouterr().out.strip().splitlines()[-1]
    assert new_uri.startswith("otpauth://") and new_uri != first_uri
    assert main(["users", "disable", "nobody@school.sch.uk"]) == 2
    assert "there is no account" in capsys.readouterr().err
    services = build_services(settings_from_env().with_overrides({"task_mode": "sync"}))
    with services.readers() as db:
        actions = [
            e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.actor_kind == "cli"))
        ]
    assert actions == [
        "account.created",
        "mfa.enrolled",
        "account.disabled",
        "account.enabled",
        "mfa.reset",
    ]
    services.engine.dispose()


def test_api_tokens_are_printed_once_stored_as_hashes_and_revocable(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["api-tokens", "create", "--name", "school MIS", "--forms", "ehfsa,cspoc-request"])
        == 0
    )
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("fs_")
    assert main(["api-tokens", "create", "--name", "bad", "--forms", "family-story"]) == 2
    assert "staff form" in capsys.readouterr().err
    assert main(["api-tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "school MIS" in listed and token not in listed
    database = Path(env["FORMS_INSTANCE_PATH"]) / "forms.sqlite3"
    for path in (database, Path(f"{database}-wal")):
        if path.exists():
            assert token.encode() not in path.read_bytes()
    app = make_app(
        Path(env["FORMS_INSTANCE_PATH"]).parent,
        instance_path=Path(env["FORMS_INSTANCE_PATH"]),
        database_url=f"sqlite:///{database}",
    )
    client = app.test_client()
    assert (
        client.post(
            "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=bearer(token)
        ).status_code
        == 201
    )
    assert main(["api-tokens", "revoke", "school MIS"]) == 0
    assert (
        client.post(
            "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=bearer(token)
        ).status_code
        == 401
    )
    task_runner(app).stop()


def test_families_allocate_gives_a_lead_professional_the_family(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    app = make_app(tmp_path)
    services: Services = app.extensions["forms"]
    monkeypatch.setenv("FORMS_INSTANCE_PATH", str(services.settings.instance_path))
    monkeypatch.setenv("FORMS_DATABASE_URL", services.settings.database_url)
    reply = app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=ehfsa_answers(2), headers=referral_headers(app)
    )
    reference = reply.get_json()["reference"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("walnut canyon whistle\n"))
    assert (
        main(
            [
                "users",
                "add",
                "--email",
                "fsp@southend.gov.uk",
                "--name",
                "Fay Support",
                "--role",
                "lead-professional",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert main(["families", "allocate", reference.lower(), "fsp@southend.gov.uk"]) == 0
    assert "Allocated family" in capsys.readouterr().out
    with services.readers() as db:
        family = db.scalars(select(Family)).one()
        assert family.lead_professional_id is not None
    assert main(["families", "allocate", "EH-2222-2222", "fsp@southend.gov.uk"]) == 2
    task_runner(app).stop()
