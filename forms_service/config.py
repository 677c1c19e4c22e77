"""Configuration: defaults for the embedded mode, overridden by environment.

Council contact details, the SPOC inbox and every secret come from the
environment (``FORMS_*``), never from code. ``FORMS_ENV`` must be exactly
``development`` or ``production``; production refuses to start on anything
unsafe (a weak secret, example addresses, a mail pickup folder, unverified
SMTP, no data keys, no base URL, no retention period), naming the variable.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import secrets
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .delivery.lanes import DEFAULT_SLOW_LANE_CHARS
from .workdays import WorkingCalendar
from .workspace.clock import CLOCK_RULES, ClockRules

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32
#: Shannon entropy (bits) a secret must carry at least: 32 × "a" has none.
MIN_SECRET_BITS = 128
ENVIRONMENTS = ("development", "production")
ROLES = ("cspoc", "lead-professional", "manager", "admin")
#: The onward key of outcomes that pass a family to children's social care (Level 4).
SOCIAL_CARE = "social_care"


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
    #: Where the service is reached from outside, e.g. https://forms.council.gov.uk:
    #: absolute links and the schema ``$id`` use it, never the Host header.
    base_url: str | None = None
    #: Fernet keys for answers, drafts and secrets at rest, newest first.
    data_keys: tuple[str, ...] = ()
    #: HMAC key for the blind indexes used to match families (kept apart from data keys).
    index_key: str = ""
    level4_phone: str = "01702 215007"
    level4_out_of_hours_phone: str = "0345 606 1212"
    level4_email: str = "C-SPOC@southend.gov.uk"
    #: Who a professional who is "not sure" about a safeguarding question can ask:
    #: the professional advice line and the Early Help Advisor (domain §9).
    advice_line_phone: str = "01702 215007, option 1"
    early_help_advisor_phone: str = "01702 215783"
    #: The C-SPOC's phone number for referrers (acknowledgements); empty: the Level 4 line,
    #: which is First Contact / the C-SPOC.
    cspoc_phone: str = ""
    #: Referrers are emailed (acknowledgement, outcome, copy of an onward referral) only
    #: at addresses in these domains or their subdomains; empty: any address.
    trusted_email_domains: tuple[str, ...] = ()
    #: Where an outcome sends the documents on: (key, address) pairs, the keys being
    #: the ``onward`` of outcomes in the forms (``social_care``, ``panel``).
    onward_addresses: tuple[tuple[str, str], ...] = ()
    #: Whether this installation sends the daily digest and reminders (off for a copy of
    #: the service that must not email staff, such as a training copy), and the hour
    #: (UK time) from which they go each working day.
    daily_mail: bool = True
    daily_mail_hour: int = 7
    schemas_dir: Path = PROJECT_ROOT / "form_schemas"
    templates_dir: Path = PROJECT_ROOT / "doc_templates"
    #: thread | sync | celery | deliver (web processes only signal; ``forms-service
    #: deliver`` delivers: the embedded production set-up, see ``tasks.py``).
    task_mode: str = "thread"
    broker_url: str | None = None
    max_content_length: int = 2 * 1024 * 1024
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    retry_window_seconds: float = 24 * 3600.0
    lease_seconds: float = 15 * 60.0
    sweep_seconds: float = 5.0
    smtp_size_cap: int = 20 * 1024 * 1024
    #: clamd to scan uploaded files with: a unix socket path or ``host:port``. In
    #: production, files can be uploaded only when this is set.
    clamd_socket: str | None = None
    render_timeout_seconds: float = 60.0
    #: Delivery threads in the embedded mode, each with its own render process:
    #: one per core renders on both cores of a small machine.
    delivery_threads: int = 2
    #: Submissions whose answers are larger than this (characters of text, plus 200 per
    #: list item: ``delivery/lanes.py`` says why) are rendered in the slow lane, so a
    #: normal referral never waits behind them.
    slow_lane_chars: int = DEFAULT_SLOW_LANE_CHARS
    #: Delivery threads (and render processes) of the slow lane in the embedded mode.
    slow_lane_threads: int = 1
    #: Drafts untouched for this many days are deleted by the daily purge.
    draft_days: int = 28
    #: Closed families' submissions are deleted this many days after closure
    #: (``None``: kept; production must set it).
    retention_days: int | None = None
    #: Reverse proxies in front of the service whose X-Forwarded-For is trusted.
    trusted_proxies: int = 0
    limit_sign_in: str = "10/minute"
    limit_start_from: str = "20/minute"
    limit_api_submissions: str = "600/minute"
    limit_public_posts: str = "300/minute"
    session_idle_minutes: float = 30.0
    session_absolute_hours: float = 10.0
    lockout_failures: int = 10
    lockout_minutes: float = 15.0
    #: Failed "start from a reference" answers take at least this long, so the
    #: time taken does not tell an unknown reference from a forbidden one.
    start_from_floor_seconds: float = 0.25
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_roles_claim: str = "roles"
    #: Extra claim values that mean one of our roles: "Duty.Worker=cspoc,…".
    oidc_role_map: str = ""
    #: Days the service is closed besides weekends and bank holidays (a
    #: Christmas shutdown, or a one-off holiday the ``holidays`` package does
    #: not know yet): working-day dates and rules skip them.
    closure_days: tuple[dt.date, ...] = ()
    #: How the referral clocks count "within 24/48 hours": ``working-days``
    #: (one and two working days, from the next opening) or ``clock-hours``.
    clock_rule: str = "working-days"
    #: When the service is open on a working day (London time): receipts
    #: outside these hours start their clock at the next opening.
    opening_hours: tuple[dt.time, dt.time] = (dt.time(9, 0), dt.time(17, 30))

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
            "advice_line_phone": self.advice_line_phone,
            "early_help_advisor_phone": self.early_help_advisor_phone,
            "cspoc_phone": self.referrer_phone,
        }

    def onward_address(self, key: str) -> str | None:
        """The address of the service an outcome's ``onward`` key names, if configured;
        social care defaults to the Level 4 address, so a safeguarding outcome always
        sends the documents on."""
        found = dict(self.onward_addresses).get(key)
        return found or (self.level4_email if key == SOCIAL_CARE else None)

    @property
    def referrer_phone(self) -> str:
        """The number referrers are given to phone the C-SPOC."""
        return self.cspoc_phone or self.level4_phone

    @property
    def calendar(self) -> WorkingCalendar:
        """The working days: weekdays that are neither bank holidays nor closures."""
        return WorkingCalendar(frozenset(self.closure_days))

    @property
    def clock_rules(self) -> ClockRules:
        """How the referral and review clocks count: calendar, rule and opening hours."""
        opens, closes = self.opening_hours
        return ClockRules(self.calendar, self.clock_rule, opens, closes)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def uploads_enabled(self) -> bool:
        """Whether files may be uploaded: anywhere with a virus scanner, and in development
        without one (production never stores an unscanned file)."""
        return bool(self.clamd_socket) or not self.production

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    def role_for_claim(self, value: str) -> str | None:
        """Our role for one value of the identity provider's roles claim."""
        if value in ROLES:
            return value
        for pair in self.oidc_role_map.split(","):
            claim, _, role = pair.partition("=")
            if claim.strip() == value and role.strip() in ROLES:
                return role.strip()
        return None

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with some values replaced (tests and the CLI use this)."""
        known = {k: v for k, v in overrides.items() if k in self.__dataclass_fields__}
        settings = replace(self, **known)
        if not settings.database_url:
            settings = replace(settings, database_url=_sqlite_url(settings.instance_path))
        return settings


def _sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'forms.sqlite3'}"


def _seconds(name: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds") from None

    return parse


def _number(name: str, unit: str, minimum: int = 0) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number of {unit}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}")
        return value

    return parse


def _threads(raw: str) -> int:
    try:
        return max(1, int(raw))
    except ValueError:
        raise ConfigError("FORMS_DELIVERY_THREADS must be a whole number") from None


def _key_list(raw: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in raw.split(",") if k.strip())


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DOMAIN_NAME = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


def _domains(raw: str) -> tuple[str, ...]:
    """``FORMS_TRUSTED_EMAIL_DOMAINS``: ``gov.uk,nhs.net``; a leading ``@`` or ``.`` is dropped."""
    domains = []
    for item in _key_list(raw):
        domain = item.lower().lstrip("@.")
        if not _DOMAIN_NAME.fullmatch(domain):
            raise ConfigError(
                f"FORMS_TRUSTED_EMAIL_DOMAINS must be domain names such as gov.uk, separated "
                f"by commas: {item!r} is not one"
            )
        domains.append(domain)
    return tuple(dict.fromkeys(domains))


def _onward(raw: str) -> tuple[tuple[str, str], ...]:
    """``FORMS_ONWARD_ADDRESSES``: ``social_care=first.contact@council.gov.uk,panel=…``."""
    from .mail.message import is_plain_address

    pairs = []
    for item in _key_list(raw):
        key, _, address = (part.strip() for part in item.partition("="))
        if not key or not is_plain_address(address):
            raise ConfigError(
                "FORMS_ONWARD_ADDRESSES must be key=address pairs separated by commas, such "
                f"as social_care=first.contact@council.gov.uk: {item!r} is not one"
            )
        pairs.append((key, address))
    return tuple(pairs)


def _boolean(name: str) -> Callable[[str], bool]:
    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false")

    return parse


def _hour(raw: str) -> int:
    value = _number("FORMS_DAILY_MAIL_HOUR", "hours")(raw)
    if value > 23:
        raise ConfigError("FORMS_DAILY_MAIL_HOUR must be an hour from 0 to 23")
    return value


def _closure_days(raw: str) -> tuple[dt.date, ...]:
    """``FORMS_CLOSURE_DAYS``: ISO dates, comma-separated, such as ``2026-12-24,2026-12-29``."""
    days = []
    for item in _key_list(raw):
        try:
            if not ISO_DATE.fullmatch(item):
                raise ValueError(item)
            days.append(dt.date.fromisoformat(item))
        except ValueError:
            raise ConfigError(
                f"FORMS_CLOSURE_DAYS must be dates like 2026-12-24, separated by commas: "
                f"{item!r} is not one"
            ) from None
    return tuple(sorted(set(days)))


def _clock_rule(raw: str) -> str:
    """``FORMS_CLOCK_RULE``: ``working-days`` or ``clock-hours``."""
    rule = raw.strip().lower()
    if rule not in CLOCK_RULES:
        raise ConfigError(f"FORMS_CLOCK_RULE must be working-days or clock-hours, not {raw!r}")
    return rule


OPENING_HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


def _opening_hours(raw: str) -> tuple[dt.time, dt.time]:
    """``FORMS_OPENING_HOURS``: 24-hour London times, such as ``09:00-17:30``."""
    match = OPENING_HOURS.fullmatch(raw)
    try:
        if not match:
            raise ValueError(raw)
        open_h, open_m, close_h, close_m = (int(part) for part in match.groups())
        opens, closes = dt.time(open_h, open_m), dt.time(close_h, close_m)
    except ValueError:
        raise ConfigError(
            f"FORMS_OPENING_HOURS must be two 24-hour times like 09:00-17:30: {raw!r} is not"
        ) from None
    if opens >= closes:
        raise ConfigError(f"FORMS_OPENING_HOURS must open before it closes: {raw!r} does not")
    return opens, closes


def _check_clock(settings: Settings) -> None:
    """The clock settings again, for values given as overrides (they skip the converters)."""
    _clock_rule(settings.clock_rule)
    opens, closes = settings.opening_hours
    if opens >= closes:
        raise ConfigError("FORMS_OPENING_HOURS must open before it closes")


#: Where delivery runs (``tasks.make_task_runner``).
TASK_MODES = frozenset({"thread", "sync", "celery", "deliver"})

#: FORMS_* variable → (setting, converter).
ENV_KEYS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "FORMS_ENV": ("environment", str),
    "FORMS_INSTANCE_PATH": ("instance_path", Path),
    "FORMS_DATABASE_URL": ("database_url", str),
    "FORMS_SMTP_URL": ("smtp_url", str),
    "FORMS_SPOC_INBOX": ("spoc_inbox", str),
    "FORMS_MAIL_FROM": ("mail_from", str),
    "FORMS_MESSAGE_ID_DOMAIN": ("message_id_domain", str),
    "FORMS_SECRET_KEY": ("secret_key", str),
    "FORMS_BASE_URL": ("base_url", str),
    "FORMS_DATA_KEYS": ("data_keys", _key_list),
    "FORMS_INDEX_KEY": ("index_key", str),
    "FORMS_LEVEL4_PHONE": ("level4_phone", str),
    "FORMS_LEVEL4_OUT_OF_HOURS_PHONE": ("level4_out_of_hours_phone", str),
    "FORMS_LEVEL4_EMAIL": ("level4_email", str),
    "FORMS_CSPOC_PHONE": ("cspoc_phone", str),
    "FORMS_ADVICE_LINE_PHONE": ("advice_line_phone", str),
    "FORMS_EARLY_HELP_ADVISOR_PHONE": ("early_help_advisor_phone", str),
    "FORMS_TRUSTED_EMAIL_DOMAINS": ("trusted_email_domains", _domains),
    "FORMS_DAILY_MAIL": ("daily_mail", _boolean("FORMS_DAILY_MAIL")),
    "FORMS_DAILY_MAIL_HOUR": ("daily_mail_hour", _hour),
    "FORMS_ONWARD_ADDRESSES": ("onward_addresses", _onward),
    "FORMS_TASK_MODE": ("task_mode", str),
    "FORMS_BROKER_URL": ("broker_url", str),
    "FORMS_RETRY_BASE_SECONDS": ("retry_base_seconds", _seconds("FORMS_RETRY_BASE_SECONDS")),
    "FORMS_RETRY_WINDOW_SECONDS": (
        "retry_window_seconds",
        _seconds("FORMS_RETRY_WINDOW_SECONDS"),
    ),
    "FORMS_LEASE_SECONDS": ("lease_seconds", _seconds("FORMS_LEASE_SECONDS")),
    "FORMS_SWEEP_SECONDS": ("sweep_seconds", _seconds("FORMS_SWEEP_SECONDS")),
    "FORMS_RENDER_TIMEOUT_SECONDS": (
        "render_timeout_seconds",
        _seconds("FORMS_RENDER_TIMEOUT_SECONDS"),
    ),
    "FORMS_DELIVERY_THREADS": ("delivery_threads", _threads),
    "FORMS_SLOW_LANE_CHARS": ("slow_lane_chars", _number("FORMS_SLOW_LANE_CHARS", "characters")),
    "FORMS_SLOW_LANE_THREADS": (
        "slow_lane_threads",
        _number("FORMS_SLOW_LANE_THREADS", "threads", 1),
    ),
    "FORMS_DRAFT_DAYS": ("draft_days", _number("FORMS_DRAFT_DAYS", "days", 1)),
    "FORMS_RETENTION_DAYS": ("retention_days", _number("FORMS_RETENTION_DAYS", "days", 1)),
    "FORMS_TRUSTED_PROXIES": ("trusted_proxies", _number("FORMS_TRUSTED_PROXIES", "hops")),
    "FORMS_LIMIT_SIGN_IN": ("limit_sign_in", str),
    "FORMS_LIMIT_START_FROM": ("limit_start_from", str),
    "FORMS_LIMIT_API_SUBMISSIONS": ("limit_api_submissions", str),
    "FORMS_LIMIT_PUBLIC_POSTS": ("limit_public_posts", str),
    "FORMS_OIDC_ISSUER": ("oidc_issuer", str),
    "FORMS_OIDC_CLIENT_ID": ("oidc_client_id", str),
    "FORMS_OIDC_CLIENT_SECRET": ("oidc_client_secret", str),
    "FORMS_OIDC_ROLES_CLAIM": ("oidc_roles_claim", str),
    "FORMS_OIDC_ROLE_MAP": ("oidc_role_map", str),
    "FORMS_CLOSURE_DAYS": ("closure_days", _closure_days),
    "FORMS_CLAMD_SOCKET": ("clamd_socket", str),
    "FORMS_CLOCK_RULE": ("clock_rule", _clock_rule),
    "FORMS_OPENING_HOURS": ("opening_hours", _opening_hours),
}


def settings_from_env(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Defaults → environment variables → explicit overrides (tests)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for key, (attr, convert) in ENV_KEYS.items():
        if env.get(key):
            values[attr] = convert(env[key])
    values.update(overrides or {})
    settings = Settings().with_overrides(values)
    return _checked(settings)


def _checked(settings: Settings) -> Settings:
    if settings.environment not in ENVIRONMENTS:
        raise ConfigError(
            f"FORMS_ENV must be exactly 'development' or 'production', not {settings.environment!r}"
        )
    if settings.task_mode not in TASK_MODES:
        raise ConfigError("FORMS_TASK_MODE must be thread, sync, celery or deliver")
    _check_clock(settings)
    if settings.smtp_url:
        _check_smtp_url(settings.smtp_url)
    if settings.production:
        problems = _production_problems(settings)
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))
        return settings
    return _with_development_secrets(settings)


def secret_problem(name: str, value: str) -> str | None:
    """Why ``value`` is too weak for a secret, or None when it will do."""
    if len(value.encode()) < MIN_SECRET_LENGTH:
        return f"{name} must be at least {MIN_SECRET_LENGTH} random bytes long"
    counts = Counter(value)
    bits_per_char = -sum((n / len(value)) * math.log2(n / len(value)) for n in counts.values())
    if bits_per_char * len(value) < MIN_SECRET_BITS:
        return f"{name} has too little randomness: make it with `openssl rand -base64 48`"
    return None


def _production_problems(settings: Settings) -> list[str]:
    problems = [
        problem
        for problem in (
            secret_problem("FORMS_SECRET_KEY", settings.secret_key),
            secret_problem("FORMS_INDEX_KEY", settings.index_key),
        )
        if problem
    ]
    if not settings.data_keys:
        problems.append("FORMS_DATA_KEYS must be set (Fernet keys, newest first)")
    if not settings.smtp_url:
        problems.append("FORMS_SMTP_URL must be set: production never writes mail to a folder")
    else:
        problems.extend(_smtp_problems(settings.smtp_url))
    for name, address in (
        ("FORMS_SPOC_INBOX", settings.spoc_inbox),
        ("FORMS_MAIL_FROM", settings.mail_from),
    ):
        if _is_example(address):
            problems.append(f"{name} must be a real address, not {address}")
    if not settings.base_url:
        problems.append("FORMS_BASE_URL must be set (for example https://forms.council.gov.uk)")
    elif urlsplit(settings.base_url).scheme != "https":
        problems.append("FORMS_BASE_URL must start with https://")
    if settings.retention_days is None:
        problems.append("FORMS_RETENTION_DAYS must be set: how long closed families are kept")
    if settings.oidc_issuer and not settings.oidc_client_secret:
        problems.append("FORMS_OIDC_CLIENT_SECRET must be set when FORMS_OIDC_ISSUER is")
    return problems


def _smtp_problems(smtp_url: str) -> list[str]:
    query = {k.lower(): v[-1].lower() for k, v in parse_qs(urlsplit(smtp_url).query).items()}
    problems = []
    if query.get("verify") in {"0", "false", "no", "off"}:
        problems.append("FORMS_SMTP_URL must not turn off certificate checks (verify=false)")
    if query.get("insecure") in {"1", "true", "yes", "on"}:
        problems.append("FORMS_SMTP_URL must not send in plain text (insecure=true)")
    return problems


def _is_example(address: str) -> bool:
    """Addresses at example.* (or any *.example.*) domains are placeholders."""
    domain = address.rpartition("@")[2].lower()
    return "example" in domain.split(".")


def _check_smtp_url(smtp_url: str) -> None:
    """Parse FORMS_SMTP_URL at start-up, so a typo fails now, not at the first referral."""
    from .mail.backends import parse_smtp_url

    try:
        parse_smtp_url(smtp_url)
    except ValueError as exc:
        raise ConfigError(f"FORMS_SMTP_URL is not valid: {exc}") from None


def _with_development_secrets(settings: Settings) -> Settings:
    """Development keeps its secrets in ``instance/`` (0600) so restarts keep sessions and data."""
    changes: dict[str, Any] = {}
    if not settings.secret_key:
        changes["secret_key"] = _instance_secret(settings.instance_path, "secret_key")
    if not settings.index_key:
        changes["index_key"] = _instance_secret(settings.instance_path, "index_key")
    if not settings.data_keys:
        keys = _instance_secret(settings.instance_path, "data_keys", _fernet_key)
        changes["data_keys"] = _key_list(keys)
    return replace(settings, **changes) if changes else settings


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _random_secret() -> str:
    return secrets.token_urlsafe(48)


def _instance_secret(
    instance_path: Path, name: str, make: Callable[[], str] = _random_secret
) -> str:
    """A per-installation secret kept in ``instance/<name>``, created 0600."""
    path = instance_path / name
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written whole to a private temporary file, then linked into place: another
    # process starting at the same moment sees either no file or the whole key.
    descriptor, temporary = tempfile.mkstemp(dir=instance_path, prefix=f".{name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(make())
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        os.unlink(temporary)
    return path.read_text(encoding="utf-8").strip()
