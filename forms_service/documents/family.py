"""The family-facing plan ("Our Family Plan"): what it shows, in plain English.

Every form that declares ``family_plan:`` (the Family Story Assessment and
the Team Around the Child and Family review) uses the same answer names for
what the family's copy needs (``FAMILY_PLAN_FIELDS``); ``checks.py`` makes sure
a form that asks for a family plan has them. This module turns those answers
into the ``family`` entry of the document context, so the templates only
place text and never pick or format anything:

    family:
      members:        [{name, about}]   first names only: never a surname or a date of birth
      working_well:   text              (analysis.working_well)
      worried_about:  text              (analysis.worried_about)
      needs_to_happen: text             (analysis.needs_to_happen)
      changes:        [{outcome, member}]  the actions' outcomes, in the family's words
      actions:        [{what, who, by_when, measure}]  this plan's actions, then any
                                        action carried forward from the last plan
      next_meeting:   {date, place} or None (a review that closes the plan)
      more_help:      text or ""        (answers.step_up_for_family: a review that steps
                                        up says, in the family's words, why help is asked)
      who_to_contact: text or ""        (answers.who_to_contact, when closing)
      worker:         {name, job_title, phone, email}
      safety:         {phone, out_of_hours_phone}  configured; "" when not configured
      date:           "24 November 2026" (the day it was written; set by build_context)
      large_print:    False; True when staff print the large-print copy (every text
                      16pt or more; set by ``DocumentRenderer.family_plan_pdf``)

Nothing else from the answers reaches the family's copy: no third-party
information, agency checks, scores, statuses or who asked for help.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers

from ..formats import format_date

#: Answer paths (dots through groups and repeating groups) the family plan reads.
FAMILY_PLAN_FIELDS = (
    "household.first_name",
    "household.role",
    "household.relationship",
    "analysis.working_well",
    "analysis.worried_about",
    "analysis.needs_to_happen",
    "plan.outcome",
    "plan.member",
    "plan.what",
    "plan.who",
    "plan.by_when",
    "plan.measure",
    "next_meeting.date",
    "next_meeting.place",
    "worker.name",
    "worker.job_title",
    "worker.phone",
    "worker.email",
)

CHECK_AT_NEXT_MEETING = "We will check this at our next meeting"
NO_DATE = "To be agreed"
NOT_WRITTEN = "We have not written this down yet."


def long_date(value: Any) -> str:
    """``"2027-01-05"`` → ``"Tuesday 5 January 2027"`` ("" when not a date)."""
    return format_date(value, weekday=True) if isinstance(value, str) else ""


def short_date(value: Any) -> str:
    """``"2027-01-05"`` → ``"5 January 2027"`` ("" when not a date)."""
    return format_date(value) if isinstance(value, str) else ""


def phone_for_people(value: Any) -> str:
    """A stored E.164 number as people write it: ``+441632960123`` → ``01632 960123``."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return text
    if number.country_code == 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _items(answers: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = answers.get(name)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _group(answers: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = answers.get(name)
    return value if isinstance(value, Mapping) else {}


def _member(person: Mapping[str, Any]) -> dict[str, str]:
    """One family member: first name and, for everyone but the main child, who they are."""
    first = _text(person.get("first_name"))
    relationship = _text(person.get("relationship"))
    if person.get("role") == "unborn":
        if first.lower() in ("", "unborn", "baby", "unborn baby"):
            return {"name": "A baby", "about": "on the way"}
        return {"name": first, "about": "a baby on the way"}
    if person.get("role") == "lead_child" or relationship.lower() in ("self", "me", ""):
        relationship = ""
    elif relationship[1:2].islower():  # "Mother" → "mother", but "GP" stays
        relationship = relationship[:1].lower() + relationship[1:]
    return {"name": first, "about": relationship}


def _actions(answers: Mapping[str, Any]) -> list[dict[str, str]]:
    actions = [
        {
            "what": _text(item.get("what")),
            "who": _text(item.get("who")),
            "by_when": short_date(item.get("by_when")) or NO_DATE,
            "measure": _text(item.get("measure")) or CHECK_AT_NEXT_MEETING,
        }
        for item in _items(answers, "plan")
    ]
    for item in _items(answers, "previous_actions"):
        if item.get("carry_forward") is True and item.get("status") != "closed":
            actions.append(
                {
                    "what": _text(item.get("action")),
                    "who": _text(item.get("who")),
                    "by_when": short_date(item.get("by_when")) or NO_DATE,
                    "measure": CHECK_AT_NEXT_MEETING,
                }
            )
    return actions


def _changes(answers: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each distinct outcome the family wants, with who it is for."""
    seen: set[tuple[str, str]] = set()
    changes: list[dict[str, str]] = []
    for item in _items(answers, "plan"):
        key = (_text(item.get("outcome")), _text(item.get("member")))
        if key[0] and key not in seen:
            seen.add(key)
            changes.append({"outcome": key[0], "member": key[1]})
    return changes


def build_family_plan(answers: Mapping[str, Any], contacts: Mapping[str, str]) -> dict[str, Any]:
    """The ``family`` entry of the document context (see the module docstring)."""
    analysis = _group(answers, "analysis")
    worker = _group(answers, "worker")
    meeting = _group(answers, "next_meeting")
    next_meeting = None
    if meeting.get("date"):
        next_meeting = {
            "date": long_date(meeting.get("date")),
            "place": _text(meeting.get("place")),
        }
    return {
        "members": [_member(p) for p in _items(answers, "household")],
        "working_well": _text(analysis.get("working_well")) or NOT_WRITTEN,
        "worried_about": _text(analysis.get("worried_about")) or NOT_WRITTEN,
        "needs_to_happen": _text(analysis.get("needs_to_happen")),
        "changes": _changes(answers),
        "actions": _actions(answers),
        "next_meeting": next_meeting,
        "who_to_contact": _text(answers.get("who_to_contact")),
        "more_help": _text(answers.get("step_up_for_family")),
        "worker": {
            "name": _text(worker.get("name")),
            "job_title": _text(worker.get("job_title")),
            "phone": phone_for_people(worker.get("phone")),
            "email": _text(worker.get("email")),
        },
        "safety": {
            "phone": _text(contacts.get("level4_phone")),
            "out_of_hours_phone": _text(contacts.get("level4_out_of_hours_phone")),
        },
        "large_print": False,
    }
