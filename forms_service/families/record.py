"""What the family record reads from a form's answers, as the form's ``record:`` says.

Pure functions: the household, the lead child's summary for list rows, the
normalised values behind the blind match keys, the referrer's type of
organisation, and whether the answers close the family. No form id appears
here: each form's ``record:`` block names its own fields.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from ..definitions.model import FormDefinition, value_at

#: Kinds of blind match key (``crypto.Vault.blind_index``).
NHS = "nhs_number"
SURNAME_DOB = "surname_dob"
SURNAME_POSTCODE = "surname_postcode"
MATCH_KINDS = (NHS, SURNAME_DOB, SURNAME_POSTCODE)


def household(form: FormDefinition, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The people of the family, as answered (empty when the form has none)."""
    path = form.record.household
    people = value_at(answers, path) if path else None
    return [p for p in people if isinstance(p, dict)] if isinstance(people, list) else []


def lead_person(form: FormDefinition, answers: dict[str, Any]) -> dict[str, Any] | None:
    """The person the form is mainly about (the lead child), if the form says how to find them."""
    lead = form.record.lead
    if lead is None:
        return None
    return next((p for p in household(form, answers) if lead.holds(p)), None)


def summary(form: FormDefinition, answers: dict[str, Any]) -> dict[str, str] | None:
    """What a list row may show: the lead child's first name and date of birth, and
    the referrer's organisation (the inbox's "from")."""
    person = lead_person(form, answers)
    if person is None or not person.get("first_name"):
        return None
    found = {"first_name": str(person["first_name"])}
    born = person.get("date_of_birth") or person.get("due_date")
    if born:
        found["date_of_birth"] = str(born)
    organisation = value_at(answers, form.record.organisation) if form.record.organisation else None
    if organisation:
        found["organisation"] = str(organisation)[:200]
    return found


def age_text(date_of_birth: str | None, today: dt.date) -> str:
    """ "9 years old", "7 months old", "not born yet" — or "" when unknown."""
    try:
        born = dt.date.fromisoformat(date_of_birth or "")
    except ValueError:
        return ""
    if born > today:
        return "not born yet"
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    if months < 24:
        return f"{months} month{'s' if months != 1 else ''} old"
    return f"{months // 12} years old"


def normal_name(value: Any) -> str:
    """A name as matching sees it: accents, case, spaces and punctuation ignored."""
    decomposed = unicodedata.normalize("NFKD", str(value or ""))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z]", "", letters.casefold())


def normal_postcode(value: Any) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(value or "").upper())


def match_values(form: FormDefinition, answers: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, normalised value) pairs that identify this family, for blind indexes."""
    values: set[tuple[str, str]] = set()
    postcode = (
        normal_postcode(value_at(answers, form.record.postcode)) if form.record.postcode else ""
    )
    for person in household(form, answers):
        nhs = re.sub(r"\D", "", str(person.get("nhs_number") or ""))
        if len(nhs) == 10:
            values.add((NHS, nhs))
        surname = normal_name(person.get("last_name"))
        if not surname:
            continue
        born = person.get("date_of_birth")
        if born:
            values.add((SURNAME_DOB, f"{surname}|{born}"))
        if postcode:
            values.add((SURNAME_POSTCODE, f"{surname}|{postcode}"))
    return values


def organisation_type(form: FormDefinition, answers: dict[str, Any]) -> str | None:
    """The referrer's type of organisation (a school, a GP…): no personal data."""
    path = form.record.organisation_type
    value = value_at(answers, path) if path else None
    return str(value)[:64] if value else None


def closing_reason(form: FormDefinition, answers: dict[str, Any]) -> str | None:
    """Why these answers close the family (the answer that does), or None."""
    condition = form.record.closes_family
    if condition is None or not condition.holds(answers):
        return None
    return f"{form.id}: {answers.get(condition.field)}"[:64]
