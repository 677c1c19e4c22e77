"""Sealing, blind indexes, password rules and authenticator codes."""

from __future__ import annotations

import pyotp
import pytest
from cryptography.fernet import Fernet

from forms_service.auth import passwords, totp
from forms_service.crypto import SealBroken, Vault
from forms_service.families import record
from forms_service.families.record import normal_name, normal_postcode

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_sealed_values_open_and_say_nothing() -> None:
    vault = Vault([NEW], "index key " * 4)
    value = {"name": "Amelia CANARY-1", "list": [1, "é"]}
    token = vault.seal(value)
    assert b"CANARY" not in token and b"Amelia" not in token
    assert vault.open(token) == value
    assert vault.seal(value) != token  # a fresh IV each time


def test_rotation_reads_old_data_and_reseals_it_with_the_newest_key() -> None:
    old_token = Vault([OLD], "i" * 40).seal("kept")
    both = Vault([NEW, OLD], "i" * 40)
    assert both.open(old_token) == "kept"
    resealed = both.reseal(old_token)
    assert Vault([NEW], "i" * 40).open(resealed) == "kept"
    with pytest.raises(SealBroken):
        Vault([NEW], "i" * 40).open(old_token)


def test_blind_indexes_match_equal_values_under_one_key_only() -> None:
    one, other = Vault([NEW], "first index key " * 3), Vault([NEW], "second index key " * 3)
    assert one.blind_index("nhs_number", "9434765919") == one.blind_index(
        "nhs_number", "9434765919"
    )
    assert one.blind_index("nhs_number", "9434765919") != one.blind_index(
        "surname_dob", "9434765919"
    )
    assert one.blind_index("nhs_number", "9434765919") != other.blind_index(
        "nhs_number", "9434765919"
    )


def test_matching_ignores_case_accents_spaces_and_punctuation() -> None:
    assert normal_name("  O'Brien-Smíth ") == normal_name("obriensmith")
    assert normal_postcode("ss2 6er") == normal_postcode("SS26ER")


def test_match_values_come_from_the_forms_own_record_keys() -> None:
    from forms_service.config import PROJECT_ROOT
    from forms_service.definitions.registry import Registry
    from tests.factories import ehfsa_answers

    form = Registry(PROJECT_ROOT / "form_schemas", PROJECT_ROOT / "doc_templates").get("ehfsa")
    answers = ehfsa_answers(3)
    values = record.match_values(form, answers)
    kinds = {kind for kind, _ in values}
    assert kinds == {"nhs_number", "surname_dob", "surname_postcode"}
    assert ("nhs_number", "9434765919") in values
    assert record.summary(form, answers) == {
        "first_name": answers["household"][0]["first_name"],
        "date_of_birth": answers["household"][0]["date_of_birth"],
        "organisation": answers["referrer"]["organisation"],
    }


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", passwords.TOO_SHORT),
        ("elevenchars", passwords.TOO_SHORT),
        ("qwerty123456", passwords.TOO_COMMON),  # on the deny list as it is
        ("Password1234!", passwords.TOO_COMMON),  # a common word with digits and symbols
        ("aaaaaaaaaaaaaaaa", passwords.TOO_COMMON),
        ("southend early help 1", passwords.TOO_PERSONAL),  # the service's own name
        ("Priya Testfamily rules", passwords.TOO_PERSONAL),  # the person's own name
        ("my password is long", passwords.TOO_COMMON),
        ("x" * 300, passwords.TOO_LONG),
    ],
)
def test_password_rules_refuse_what_is_easy_to_guess(password: str, problem: str) -> None:
    assert (
        passwords.password_problem(password, context=("priya@school.sch.uk", "Priya Testfamily"))
        == problem
    )


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "kettle umbrella seventeen", "zq8#Lm2!vRt9"]
)
def test_long_uncommon_passwords_need_no_special_characters(password: str) -> None:
    assert passwords.password_problem(password, context=("sam@council.gov.uk", "Sam Jones")) is None


def test_argon2id_hashes_verify_and_refuse() -> None:
    stored = passwords.hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "correct horse battery stapler")
    assert not passwords.verify_password(None, "anything at all")


def test_an_authenticator_code_works_once_and_only_in_its_window() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    code = pyotp.TOTP(secret).at(now)
    step = totp.accepted_step(secret, code, None, now)
    assert step == int(now // 30)
    assert totp.accepted_step(secret, code, step, now) is None  # replayed
    assert totp.accepted_step(secret, f"{code[:3]} {code[3:]}", None, now) == step  # spaces
    assert totp.accepted_step(secret, code, None, now + 120) is None  # too late
    assert totp.accepted_step(secret, "12345", None, now) is None
    uri = totp.provisioning_uri(secret, "sam@council.gov.uk")
    assert uri.startswith("otpauth://totp/") and "Early%20Help%20forms" in uri
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg") and "<script" not in svg
