"""The family-facing plan ("Our Family Plan"): what it shows, in plain English.

Every form that declares ``family_plan:`` (the Family Story Assessment and
the Team Around the Child and Family review) uses the same answer names for
what the family's copy needs (``FAMILY_PLAN_FIELDS``); ``checks.py`` makes sure
a form that asks for a family plan has them. This module turns those answers
into the ``family`` entry of the document context, so the templates only
place text and never pick or format anything:

    family:
      members:        [{name, about}]   first names only: never a surname or a date of birth
      child_words:    {name, words} or None  the child's own words (child_own_words), as
                                        said; name is the main child's first name or ""
      working_well:   text              (analysis.working_well)
      worried_about:  text              (analysis.worried_about_for_family: the words
                                        agreed with the family, never the practitioner's
                                        analysis.worried_about)
      needs_to_happen: text             (analysis.needs_to_happen)
      changes:        [{outcome, member}]  the actions' outcomes, in the family's words
      actions:        [{what, who, by_when, measure}]  this plan's actions, then any
                                        action carried forward from the last plan
                      (``who`` and ``member``: a household member by first name;
                      never one that is done or closed)
      done:           [{what, who}]     actions from the last plan that are now done
      next_meeting:   {date, time, when, place} or None (a review that closes the plan);
                      when is "Tuesday 5 January 2027 at 4pm" (the date alone if no time)
      signatures:     [{name, agreed_on}]  one line for each adult in the household to
                      sign (first names; agreed_on "20 November 2026" when the Family
                      Story records that they agreed); one unnamed line if no adult
      more_help:      text or ""        (answers.step_up_for_family: a review that steps
                                        up says, in the family's words, why help is asked)
      who_to_contact: text or ""        (answers.who_to_contact, when closing)
      worker:         {name, job_title, phone, email}
      safety:         {phone, out_of_hours_phone}  configured; "" when not configured
      date:           "24 November 2026" (the day it was written; set by build_context)
      large_print:    False; True when staff print the large-print copy (every text
                      16pt or more; set by ``DocumentRenderer.family_plan_pdf``)

Nothing else from the answers reaches the family's copy: no third-party
information, agency checks, scores, statuses, the practitioner's analysis or
who asked for help. The form files mark every answer read here that a worker
types as ``family_facing`` (its hint says "The family will read this" and it
may use no glossary abbreviation), except the family's and the child's own
words (``own_words``), which are printed as said.

A household member marked ``leave_out_of_plan`` (a court order, a risk to the
family's safety) appears nowhere in it: not among the members, and no
change or action whose ``who`` or ``member`` names them or whose words
mention them (their full name, their other names, and their first name
unless someone still in the plan shares it). Actions carried forward from an
earlier plan are tested the same way, so a review's copied ``who`` text is
caught too. A section's own words that mention them are withheld whole
(:func:`withhold_mentions` says why). The practitioners' record keeps
everything, marked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..formats import format_date, format_phone

#: Answer paths (dots through groups and repeating groups) the family plan reads.
FAMILY_PLAN_FIELDS = (
    "household.first_name",
    "household.last_name",
    "household.other_names",
    "household.role",
    "household.relationship",
    "household.leave_out_of_plan",
    "child_own_words",
    "analysis.working_well",
    "analysis.worried_about_for_family",
    "analysis.needs_to_happen",
    "plan.outcome",
    "plan.member",
    "plan.what",
    "plan.who",
    "plan.by_when",
    "plan.measure",
    "next_meeting.date",
    "next_meeting.time",
    "next_meeting.place",
    "worker.name",
    "worker.job_title",
    "worker.phone",
    "worker.email",
)

CHECK_AT_NEXT_MEETING = "We will check this at our next meeting"
NO_DATE = "To be agreed"
NOT_WRITTEN = "We have not written this down yet."
#: What a section reads when its words name someone left out of the family's copy.
WITHHELD = "Your worker will talk to you about this."
#: Texts that are left out (the template then says what to do) rather than withheld.
BLANKED_WHEN_WITHHELD = frozenset({"who_to_contact"})


def long_date(value: Any) -> str:
    """``"2027-01-05"`` → ``"Tuesday 5 January 2027"`` ("" when not a date)."""
    return format_date(value, weekday=True) if isinstance(value, str) else ""


def time_for_people(value: Any) -> str:
    """``"16:00"`` → ``"4pm"``, ``"09:30"`` → ``"9:30am"``, ``"12:00"`` → ``"midday"``
    (GOV.UK style; "" when not a time)."""
    try:
        moment = dt.time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return ""
    if moment is None:
        return ""
    if (moment.hour, moment.minute) == (12, 0):
        return "midday"
    if (moment.hour, moment.minute) == (0, 0):
        return "midnight"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def short_date(value: Any) -> str:
    """``"2027-01-05"`` → ``"5 January 2027"`` ("" when not a date)."""
    return format_date(value) if isinstance(value, str) else ""


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


def _members(answers: Mapping[str, Any], names: tuple[str, ...]) -> list[dict[str, str]]:
    """Everyone not left out; a relationship that names a left-out person is not printed."""
    members = [_member(p) for p in _items(answers, "household") if not is_left_out(p)]
    for member in members:
        if mentions([member["about"]], names):
            member["about"] = ""
    return members


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


#: A reviewed action's status when it is finished: listed as done, never as a to-do.
DONE = "done"
#: Statuses of reviewed actions that never come back as something to do.
FINISHED = frozenset({DONE, "closed"})
#: The words of a carried-forward action that may name a person left out of the copy.
CARRIED_KEYS = ("action", "who", "comment", "measure", "outcome")


def is_left_out(person: Mapping[str, Any]) -> bool:
    """Whether the worker marked this household member to be left out of the family's copy."""
    return person.get("leave_out_of_plan") is True


def _fold(text: Any) -> str:
    return " ".join(str(text or "").split())


def left_out_names(answers: Mapping[str, Any]) -> tuple[str, ...]:
    """The names that must not appear in the family's copy.

    Each left-out person's full name and other names; their first name too,
    unless someone who stays in the plan has the same first name (a son named
    after his father keeps his actions).
    """
    household = _items(answers, "household")
    kept_first = {_fold(p.get("first_name")).casefold() for p in household if not is_left_out(p)}
    names: list[str] = []
    for person in filter(is_left_out, household):
        first, last = _fold(person.get("first_name")), _fold(person.get("last_name"))
        names += [f"{first} {last}".strip(), _fold(person.get("other_names"))]
        if first.casefold() not in kept_first:
            names.append(first)
    return tuple(sorted({n for n in names if n}, key=len, reverse=True))


def mentions(texts: Iterable[Any], names: tuple[str, ...]) -> bool:
    """Whether any of ``texts`` holds one of ``names`` as whole words (any case)."""
    if not names:
        return False
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.IGNORECASE
    )
    return any(pattern.search(_fold(text)) for text in texts)


def first_names(answers: Mapping[str, Any]) -> dict[str, str]:
    """Each household member's full name (as "Who will do it?" stores it) → first name:
    the family's copy uses first names only."""
    return {
        _fold(f"{_fold(p.get('first_name'))} {_fold(p.get('last_name'))}"): _fold(
            p.get("first_name")
        )
        for p in _items(answers, "household")
        if _fold(p.get("first_name"))
    }


def _person(value: Any, names: Mapping[str, str]) -> str:
    text = _text(value)
    return names.get(_fold(text), text)


def _for_the_family(item: Mapping[str, Any], names: tuple[str, ...], *keys: str) -> bool:
    """An action or change may go in the family's copy: none of its ``keys`` names a
    left-out person."""
    return not mentions((item.get(key) for key in keys), names)


def _actions(answers: Mapping[str, Any], names: tuple[str, ...]) -> list[dict[str, str]]:
    """What is still to do: this plan's actions, then those carried forward.

    A carried action keeps its measure ("how we will know it is working");
    a done or closed one is never a to-do, even if marked to carry forward.
    """
    keys = ("outcome", "member", "what", "who", "measure")
    people = first_names(answers)
    actions = [
        {
            "what": _text(item.get("what")),
            "who": _person(item.get("who"), people),
            "by_when": short_date(item.get("by_when")) or NO_DATE,
            "measure": _text(item.get("measure")) or CHECK_AT_NEXT_MEETING,
        }
        for item in _items(answers, "plan")
        if _for_the_family(item, names, *keys)
    ]
    for item in _items(answers, "previous_actions"):
        if not _for_the_family(item, names, *CARRIED_KEYS):
            continue
        if item.get("carry_forward") is True and item.get("status") not in FINISHED:
            actions.append(
                {
                    "what": _text(item.get("action")),
                    "who": _person(item.get("who"), people),
                    "by_when": short_date(item.get("by_when")) or NO_DATE,
                    "measure": _text(item.get("measure")) or CHECK_AT_NEXT_MEETING,
                }
            )
    return actions


def _done(answers: Mapping[str, Any], names: tuple[str, ...]) -> list[dict[str, str]]:
    """The actions from the last plan that are now done: what, and who did it (first
    names; none that names someone left out of the family's copy)."""
    people = first_names(answers)
    return [
        {"what": _text(item.get("action")), "who": _person(item.get("who"), people)}
        for item in _items(answers, "previous_actions")
        if item.get("status") == DONE and _for_the_family(item, names, *CARRIED_KEYS)
    ]


def _changes(answers: Mapping[str, Any], names: tuple[str, ...]) -> list[dict[str, str]]:
    """Each distinct outcome the family wants, with who it is for (none that
    names a left-out person, nor one whose action does)."""
    seen: set[tuple[str, str]] = set()
    changes: list[dict[str, str]] = []
    people = first_names(answers)
    for item in _items(answers, "plan"):
        if not _for_the_family(item, names, "outcome", "member", "what", "who", "measure"):
            continue
        key = (_text(item.get("outcome")), _person(item.get("member"), people))
        if key[0] and key not in seen:
            seen.add(key)
            changes.append({"outcome": key[0], "member": key[1]})
    return changes


#: Household roles of the adults who sign the plan.
ADULT_ROLES = frozenset({"parent_carer", "other_adult", "absent_parent", "significant_other"})


def _first_word(name: Any) -> str:
    words = _text(name).split()
    return words[0].casefold() if words else ""


def _signatures(
    people: list[Mapping[str, Any]], answers: Mapping[str, Any]
) -> list[dict[str, str]]:
    """A line for each adult of ``people`` to sign, by first name, saying when they
    agreed if the answers' ``agreements`` record it (matched on the first name, so no
    surname reaches the plan). One unnamed line when no adult is listed."""
    agreed: dict[str, str] = {}
    for item in _items(answers, "agreements"):
        if item.get("agrees") is True and _first_word(item.get("name")):
            agreed.setdefault(_first_word(item.get("name")), short_date(item.get("date")))
    lines = [
        {
            "name": _text(person.get("first_name")),
            "agreed_on": agreed.get(_first_word(person.get("first_name")), ""),
        }
        for person in people
        if person.get("role") in ADULT_ROLES and _text(person.get("first_name"))
    ]
    return lines or [{"name": "", "agreed_on": ""}]


def _child_words(
    people: list[Mapping[str, Any]], answers: Mapping[str, Any], names: tuple[str, ...]
) -> dict[str, str] | None:
    """The child's own words, as said, headed by the main child's first name.

    Left out whole when they mention someone left out of the family's copy: the
    words are the child's and are never edited, and a child's safety matters
    more than their words being printed here (the record keeps them).
    """
    words = _text(answers.get("child_own_words"))
    if not words or mentions([words], names):
        return None
    lead = next((p for p in people if p.get("role") == "lead_child"), {})
    return {"name": _text(lead.get("first_name")), "words": words}


def _next_meeting(answers: Mapping[str, Any]) -> dict[str, str] | None:
    """When and where we meet again: "Tuesday 5 January 2027 at 4pm"."""
    meeting = _group(answers, "next_meeting")
    if not meeting.get("date"):
        return None
    date = long_date(meeting.get("date"))
    time = time_for_people(meeting.get("time"))
    return {
        "date": date,
        "time": time,
        "when": f"{date} at {time}" if time else date,
        "place": _text(meeting.get("place")),
    }


def build_family_plan(answers: Mapping[str, Any], contacts: Mapping[str, str]) -> dict[str, Any]:
    """The ``family`` entry of the document context (see the module docstring), with
    any free text that names a left-out person withheld (:func:`withhold_mentions`)."""
    return withhold_mentions(_family_plan(answers, contacts), left_out_names(answers))


def withhold_mentions(plan: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The plan with each free text that names a left-out person withheld, whole.

    Actions and changes that name them are dropped (a plan stands without
    one of them), but a section's paragraph is written, not listed: "Dean has
    been getting in touch, and we are worried" cannot be cut down to the
    sentences that do not name him, and blanking only the name still says who
    and what. So the whole paragraph is withheld, and every top-level text of
    the plan (what is going well, what we are worried about, what needs to
    happen, and any text added there later) reads ``WITHHELD`` instead: the
    family is told there is something to talk about, in person, rather than
    given a plan that seems to have no worries. Nothing on the page hints at
    who or why. ``who_to_contact`` and the meeting place are blanked instead,
    so the template's own words apply ("contact your worker", a date with no
    place): an address where a left-out person may be is exactly what a
    court order keeps from them. The worker's and the safety contacts are
    configured or the worker's own, and are kept.
    """
    if not names:
        return plan
    for key, value in plan.items():
        if isinstance(value, str) and mentions([value], names):
            plan[key] = "" if key in BLANKED_WHEN_WITHHELD else WITHHELD
    meeting = plan.get("next_meeting")
    if isinstance(meeting, dict) and mentions([meeting.get("place")], names):
        plan["next_meeting"] = {**meeting, "place": ""}
    return plan


def _family_plan(answers: Mapping[str, Any], contacts: Mapping[str, str]) -> dict[str, Any]:
    """The ``family`` entry as the answers give it (actions and members already filtered)."""
    analysis = _group(answers, "analysis")
    worker = _group(answers, "worker")
    people = [p for p in _items(answers, "household") if not is_left_out(p)]
    names = left_out_names(answers)
    return {
        "members": _members(answers, names),
        "child_words": _child_words(people, answers, names),
        "working_well": _text(analysis.get("working_well")) or NOT_WRITTEN,
        "worried_about": _text(analysis.get("worried_about_for_family")) or NOT_WRITTEN,
        "needs_to_happen": _text(analysis.get("needs_to_happen")),
        "changes": _changes(answers, names),
        "actions": _actions(answers, names),
        "done": _done(answers, names),
        "next_meeting": _next_meeting(answers),
        "signatures": _signatures(people, answers),
        "who_to_contact": _text(answers.get("who_to_contact")),
        "more_help": _text(answers.get("step_up_for_family")),
        "worker": {
            "name": _text(worker.get("name")),
            "job_title": _text(worker.get("job_title")),
            "phone": format_phone(worker.get("phone")),
            "email": _text(worker.get("email")),
        },
        "safety": {
            "phone": _text(contacts.get("level4_phone")),
            "out_of_hours_phone": _text(contacts.get("level4_out_of_hours_phone")),
        },
        "large_print": False,
    }
