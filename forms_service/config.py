"""Configuration: defaults for the embedded mode, overridden by environment.

Council contact details, the SPOC inbox and every secret come from the
environment (``FORMS_*``), never from code. Production refuses to start
without a strong secret key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the service must not start."""


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs; plain data so workers and CLIs share it."""

    environment: str = "development"
    instance_path: Path = PROJECT_ROOT / "instance"
    database_url: str = ""
    smtp_url: str | None = None
    spoc_inbox: str = "c-spoc@example.gov.uk"
    mail_from: str = "early-help-forms@example.gov.uk"
    message_id_domain: str = "forms.example.gov.uk"
    secret_key: str = ""
    level4_phone: str = "01702 215007"
    level4_out_of_hours_phone: str = "0345 606 1212"
    level4_email: str = "C-SPOC@southend.gov.uk"
    schemas_dir: Path = PROJECT_ROOT / "form_schemas"
    templates_dir: Path = PROJECT_ROOT / "doc_templates"
    task_mode: str = "thread"  # thread | sync | celery
    broker_url: str | None = None
    max_content_length: int = 2 * 1024 * 1024
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    retry_window_seconds: float = 24 * 3600.0
    lease_seconds: float = 15 * 60.0
    sweep_seconds: float = 5.0
    smtp_size_cap: int = 20 * 1024 * 1024
    render_timeout_seconds: float = 60.0
    #: Delivery threads in the embedded mode, each with its own render process:
    #: one per core renders on both cores of a small machine.
    delivery_threads: int = 2
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pickup_dir(self) -> Path:
        """Where mail goes when no SMTP server is configured."""
        return self.instance_path / "outbox"

    @property
    def contacts(self) -> dict[str, str]:
        """Contact details that schema text may name as ``{level4_phone}`` etc."""
        return {
            "level4_phone": self.level4_phone,
            "level4_out_of_hours_phone": self.level4_out_of_hours_phone,
            "level4_email": self.level4_email,
        }

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with some values replaced (tests and the CLI use this)."""
        known = {k: v for k, v in overrides.items() if k in self.__dataclass_fields__}
        settings = replace(self, **known)
        if not settings.database_url:
            settings = replace(settings, database_url=_sqlite_url(settings.instance_path))
        return settings


def _sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'forms.sqlite3'}"


ENV_KEYS = {
    "FORMS_ENV": "environment",
    "FORMS_INSTANCE_PATH": "instance_path",
    "FORMS_DATABASE_URL": "database_url",
    "FORMS_SMTP_URL": "smtp_url",
    "FORMS_SPOC_INBOX": "spoc_inbox",
    "FORMS_MAIL_FROM": "mail_from",
    "FORMS_MESSAGE_ID_DOMAIN": "message_id_domain",
    "FORMS_SECRET_KEY": "secret_key",
    "FORMS_LEVEL4_PHONE": "level4_phone",
    "FORMS_LEVEL4_OUT_OF_HOURS_PHONE": "level4_out_of_hours_phone",
    "FORMS_LEVEL4_EMAIL": "level4_email",
    "FORMS_TASK_MODE": "task_mode",
    "FORMS_BROKER_URL": "broker_url",
    "FORMS_RETRY_BASE_SECONDS": "retry_base_seconds",
    "FORMS_RETRY_WINDOW_SECONDS": "retry_window_seconds",
    "FORMS_LEASE_SECONDS": "lease_seconds",
    "FORMS_SWEEP_SECONDS": "sweep_seconds",
    "FORMS_RENDER_TIMEOUT_SECONDS": "render_timeout_seconds",
    "FORMS_DELIVERY_THREADS": "delivery_threads",
}
FLOAT_SETTINGS = {
    "retry_base_seconds",
    "retry_window_seconds",
    "lease_seconds",
    "sweep_seconds",
    "render_timeout_seconds",
}


def settings_from_env(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Defaults → environment variables → explicit overrides (tests)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for key, attr in ENV_KEYS.items():
        if env.get(key):
            values[attr] = env[key]
    if "instance_path" in values:
        values["instance_path"] = Path(values["instance_path"])
    for name in FLOAT_SETTINGS & values.keys():
        try:
            values[name] = float(values[name])
        except ValueError:
            raise ConfigError(f"{name.upper()} must be a number of seconds") from None
    if "delivery_threads" in values:
        try:
            values["delivery_threads"] = max(1, int(values["delivery_threads"]))
        except ValueError:
            raise ConfigError("FORMS_DELIVERY_THREADS must be a whole number") from None
    values.update(overrides or {})
    settings = Settings().with_overrides(values)
    return _checked(settings)


def _checked(settings: Settings) -> Settings:
    if settings.environment == "production":
        if len(settings.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"FORMS_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} random characters "
                "in production"
            )
        if settings.spoc_inbox.endswith("@example.gov.uk"):
            raise ConfigError("FORMS_SPOC_INBOX must be set in production")
    elif not settings.secret_key:
        settings = replace(settings, secret_key=_development_secret(settings.instance_path))
    if settings.task_mode not in {"thread", "sync", "celery"}:
        raise ConfigError("FORMS_TASK_MODE must be thread, sync or celery")
    return settings


def _development_secret(instance_path: Path) -> str:
    """A per-installation key kept in ``instance/`` so sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key
