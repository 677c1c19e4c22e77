"""Production refuses to start on anything unsafe, naming the variable; development
makes its own keys in instance/, readable by the owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from forms_service.config import ConfigError, settings_from_env

GOOD = {
    "FORMS_ENV": "production",
    "FORMS_SECRET_KEY": "Vh3kq9XzP0bWm2Lr7Tc5Ny8Jd4Gs6Fa1Qe0Ui9Ok3Rw",
    "FORMS_INDEX_KEY": "Zp4Lm8Qw2Er6Ty0Ui3Op7As1Df5Gh9Jk2Lz6Xc0Vb4",
    "FORMS_DATA_KEYS": Fernet.generate_key().decode(),
    "FORMS_SMTP_URL": "smtp+starttls://forms:secret@smtp.council.gov.uk:587",
    "FORMS_SPOC_INBOX": "c-spoc@southend.gov.uk",
    "FORMS_MAIL_FROM": "early-help-forms@southend.gov.uk",
    "FORMS_BASE_URL": "https://forms.southend.gov.uk",
    "FORMS_RETENTION_DAYS": "2555",
}


def _start(tmp_path: Path, **changes: str | None) -> None:
    env = {**GOOD, "FORMS_INSTANCE_PATH": str(tmp_path / "instance")}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    settings_from_env(env)


def test_a_complete_production_configuration_starts(tmp_path: Path) -> None:
    _start(tmp_path)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"FORMS_SECRET_KEY": None}, "FORMS_SECRET_KEY"),
        ({"FORMS_SECRET_KEY": "short"}, "FORMS_SECRET_KEY"),
        ({"FORMS_SECRET_KEY": "a" * 32}, "FORMS_SECRET_KEY has too little randomness"),
        ({"FORMS_SECRET_KEY": "ab" * 40}, "FORMS_SECRET_KEY has too little randomness"),
        ({"FORMS_INDEX_KEY": None}, "FORMS_INDEX_KEY"),
        ({"FORMS_INDEX_KEY": "x" * 64}, "FORMS_INDEX_KEY has too little randomness"),
        ({"FORMS_DATA_KEYS": None}, "FORMS_DATA_KEYS"),
        ({"FORMS_SMTP_URL": None}, "FORMS_SMTP_URL must be set"),
        (
            {"FORMS_SMTP_URL": "smtp+starttls://smtp.council.gov.uk:587?verify=false"},
            "verify=false",
        ),
        ({"FORMS_SMTP_URL": "smtp://relay.council.gov.uk:25?insecure=true"}, "insecure=true"),
        ({"FORMS_SPOC_INBOX": "c-spoc@example.gov.uk"}, "FORMS_SPOC_INBOX"),
        ({"FORMS_SPOC_INBOX": None}, "FORMS_SPOC_INBOX"),
        ({"FORMS_MAIL_FROM": "forms@council.example.com"}, "FORMS_MAIL_FROM"),
        ({"FORMS_BASE_URL": None}, "FORMS_BASE_URL must be set"),
        ({"FORMS_BASE_URL": "http://forms.southend.gov.uk"}, "FORMS_BASE_URL must start"),
        ({"FORMS_RETENTION_DAYS": None}, "FORMS_RETENTION_DAYS"),
        ({"FORMS_OIDC_ISSUER": "https://login.example/tenant"}, "FORMS_OIDC_CLIENT_SECRET"),
    ],
)
def test_each_unsafe_setting_refuses_to_start_and_names_it(
    tmp_path: Path, change: dict[str, str | None], named: str
) -> None:
    with pytest.raises(ConfigError, match="refusing to start in production") as refused:
        _start(tmp_path, **change)
    assert named in str(refused.value)


@pytest.mark.parametrize("value", ["prod", "Production", "dev", "staging", "production "])
def test_forms_env_must_be_exactly_one_of_two_words(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="FORMS_ENV must be exactly"):
        _start(tmp_path, FORMS_ENV=value)


def test_the_smtp_url_is_checked_when_the_service_starts(tmp_path: Path) -> None:
    for env in ("production", "development"):
        with pytest.raises(ConfigError, match="FORMS_SMTP_URL is not valid"):
            _start(tmp_path, FORMS_ENV=env, FORMS_SMTP_URL="smpt://typo.council.gov.uk")


def test_bad_data_keys_refuse_to_start(tmp_path: Path) -> None:
    from forms_service.services import build_services

    settings = settings_from_env(
        {"FORMS_INSTANCE_PATH": str(tmp_path), "FORMS_DATA_KEYS": "not-a-fernet-key"}
    )
    with pytest.raises(ConfigError, match="FORMS_DATA_KEYS must be Fernet keys"):
        build_services(settings)


def test_production_never_debugs_and_hides_tracebacks(tmp_path: Path) -> None:
    from forms_service import create_app
    from tests.conftest import task_runner

    env = {**GOOD, "FORMS_INSTANCE_PATH": str(tmp_path / "instance")}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        app = create_app({"task_mode": "sync"})
    try:
        assert app.debug is False
        assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
        assert app.config["SESSION_COOKIE_SECURE"] is True

        @app.route("/boom")
        def boom() -> str:
            raise RuntimeError("secret internals")

        reply = app.test_client().get("/boom", base_url="https://forms.southend.gov.uk")
        assert reply.status_code == 500
        assert "secret internals" not in reply.text and "Traceback" not in reply.text
        assert app.test_client().get("/.git/config").status_code == 404
    finally:
        task_runner(app).stop()


def test_development_makes_private_keys_once(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = settings_from_env({"FORMS_INSTANCE_PATH": str(instance)})
    again = settings_from_env({"FORMS_INSTANCE_PATH": str(instance)})
    assert first.data_keys == again.data_keys and first.index_key == again.index_key
    Fernet(first.data_keys[0].encode())  # a real Fernet key
    for name in ("secret_key", "index_key", "data_keys"):
        mode = stat.S_IMODE((instance / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_the_database_and_instance_files_are_private(tmp_path: Path) -> None:
    from tests.conftest import make_app, task_runner

    app = make_app(tmp_path)
    try:
        app.test_client().get("/forms/")
        instance = tmp_path / "instance"
        files = [p for p in instance.rglob("*") if p.is_file()]
        assert any(p.name == "test.sqlite3" for p in files)
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    finally:
        task_runner(app).stop()
