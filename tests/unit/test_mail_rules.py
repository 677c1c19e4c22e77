"""Who may be emailed (trusted domains), the settings behind it, when the morning mail
goes and which days a digest covers: plain functions, no app."""

from __future__ import annotations

import datetime as dt

import pytest

from forms_service.config import ConfigError, Settings, settings_from_env
from forms_service.delivery.daily import (
    digest_days,
    is_mail_morning,
    local_midnight,
    reminder_horizon,
)
from forms_service.delivery.messages import may_email
from forms_service.mail.message import build_email
from forms_service.workdays import WorkingCalendar

TRUSTED = Settings(trusted_email_domains=("gov.uk", "nhs.net", "nhs.uk", "sch.uk"))
LONDON_SUMMER = dt.timedelta(hours=1)
KEYS = {"secret_key": "x" * 40, "data_keys": ("k",), "index_key": "i" * 40}


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("p.raman@riverside.example.sch.uk", True),
        ("someone@sch.uk", True),
        ("duty.worker@southend.gov.uk", True),
        ("GP.Surgery@NHS.NET", True),
        ("someone@evilsch.uk", False),  # ends with the letters, not the domain
        ("someone@gov.uk.example.com", False),
        ("someone@gmail.com", False),
        ("two@gov.uk, three@gov.uk", False),
        ("Name <someone@gov.uk>", False),
        ("someone@gov.uk\r\nBcc: x@evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_only_addresses_in_the_trusted_domains_may_be_emailed(
    address: str | None, allowed: bool
) -> None:
    assert may_email(TRUSTED, address) is allowed


def test_with_no_trusted_domains_any_plain_address_may_be_emailed() -> None:
    assert may_email(Settings(), "someone@gmail.com")
    assert not may_email(Settings(), "not an address")


def test_trusted_domains_and_onward_addresses_are_read_from_the_environment() -> None:
    settings = settings_from_env(
        {
            "FORMS_TRUSTED_EMAIL_DOMAINS": " GOV.UK, .nhs.net,@sch.uk,gov.uk ",
            "FORMS_ONWARD_ADDRESSES": "social_care=first.contact@southend.gov.uk, panel=p@x.gov.uk",
            "FORMS_CSPOC_PHONE": "01702 212345",
            "FORMS_DAILY_MAIL_HOUR": "8",
        },
        overrides=KEYS,
    )
    assert settings.trusted_email_domains == ("gov.uk", "nhs.net", "sch.uk")
    assert settings.onward_address("social_care") == "first.contact@southend.gov.uk"
    assert settings.onward_address("panel") == "p@x.gov.uk"
    assert settings.onward_address("elsewhere") is None
    assert settings.referrer_phone == "01702 212345" and settings.daily_mail_hour == 8
    assert Settings().referrer_phone == Settings().level4_phone


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FORMS_TRUSTED_EMAIL_DOMAINS", "gov.uk,not a domain"),
        ("FORMS_ONWARD_ADDRESSES", "social_care"),
        ("FORMS_ONWARD_ADDRESSES", "social_care=a@b.gov.uk\r\nBcc: c@d.example"),
        ("FORMS_DAILY_MAIL_HOUR", "24"),
        ("FORMS_DAILY_MAIL", "sometimes"),
    ],
)
def test_bad_mail_settings_stop_the_service_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        settings_from_env({name: value})


def test_a_cc_must_be_a_plain_address_and_is_a_header_of_its_own() -> None:
    base = {
        "subject": "Referral passed on – EH-2026-7Q4K9",
        "sender": "forms@example.gov.uk",
        "to": "first.contact@example.gov.uk",
        "body": "x",
        "message_id": "abc",
        "message_id_domain": "forms.example.gov.uk",
    }
    message = build_email(**base, cc=("p.raman@riverside.example.sch.uk",))
    assert message["Cc"] == "p.raman@riverside.example.sch.uk"
    assert message["Message-ID"] == "<abc@forms.example.gov.uk>"
    for bad in ("a@b.gov.uk\r\nBcc: evil@x.example", "A <a@b.gov.uk>", "a@b.gov.uk, c@d.gov.uk"):
        with pytest.raises(ValueError):
            build_email(**base, cc=(bad,))
    injected = build_email(**{**base, "subject": "Referral =?UTF-8?Q?=0A?=Bcc: x@y.example"})
    assert injected["Bcc"] is None and "\n" not in str(injected["Subject"])


# --------------------------------------------------------------------------- the morning mail

CALENDAR = WorkingCalendar()


def _uk(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A UK wall-clock time in June (BST) as UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC) - LONDON_SUMMER


@pytest.mark.parametrize(
    ("moment", "goes"),
    [
        (_uk(dt.date(2026, 6, 8), 6, 59), False),  # Monday, before 7am UK time
        (_uk(dt.date(2026, 6, 8), 7, 0), True),
        (_uk(dt.date(2026, 6, 8), 16, 0), True),  # a late start still sends it
        (_uk(dt.date(2026, 6, 6), 9, 0), False),  # Saturday
        (_uk(dt.date(2026, 5, 25), 9, 0), False),  # Spring bank holiday
        (dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC), True),  # winter: UK time is UTC
    ],
)
def test_the_morning_mail_goes_on_working_days_from_its_hour(
    moment: dt.datetime, goes: bool
) -> None:
    assert is_mail_morning(Settings(), moment) is goes


def test_a_closure_day_or_a_copy_with_daily_mail_off_has_no_morning_mail() -> None:
    closed = Settings(closure_days=(dt.date(2026, 12, 29),))
    assert not is_mail_morning(closed, dt.datetime(2026, 12, 29, 9, 0, tzinfo=dt.UTC))
    assert is_mail_morning(Settings(), dt.datetime(2026, 12, 30, 9, 0, tzinfo=dt.UTC))
    off = settings_from_env({"FORMS_DAILY_MAIL": "false"}, overrides=KEYS)
    assert not is_mail_morning(off, dt.datetime(2026, 12, 30, 9, 0, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (dt.date(2026, 6, 9), dt.date(2026, 6, 8), dt.date(2026, 6, 8)),  # Tuesday: Monday
        (dt.date(2026, 6, 8), dt.date(2026, 6, 5), dt.date(2026, 6, 7)),  # Monday: Fri-Sun
        (dt.date(2026, 5, 26), dt.date(2026, 5, 22), dt.date(2026, 5, 25)),  # after a holiday
    ],
)
def test_a_digest_covers_every_day_since_the_last_working_day(
    today: dt.date, first: dt.date, last: dt.date
) -> None:
    assert digest_days(CALENDAR, today) == (first, last)


def test_reminders_look_to_the_end_of_the_next_working_day() -> None:
    # Friday: the next working day is Monday, so the horizon is Tuesday's UK midnight.
    assert reminder_horizon(CALENDAR, dt.date(2026, 6, 5)) == local_midnight(dt.date(2026, 6, 9))
    assert local_midnight(dt.date(2026, 6, 9)) == dt.datetime(2026, 6, 8, 23, 0, tzinfo=dt.UTC)
