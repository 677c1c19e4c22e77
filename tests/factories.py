"""Test data: one realistic family, and one builder of valid answers per form.

The family is the Okonkwo-Smith household of Northtown: Kayden (10, autistic,
with an EHC plan), his little sister Amara, a baby on the way, their mother
Grace (who works evenings), their father Daniel (who lives elsewhere) and their
grandmother Beatrice. Kayden's attendance has fallen and the rent is behind.
Priya Raman, his school's safeguarding lead, refers the family (EHFSA, C-SPOC
request); Jo Bennett, a family support practitioner, assesses them (Family
Story Assessment) and reviews their plan (TACAF review).

Every builder returns new data, in the shape validation leaves it (phone
numbers in E.164, in Ofcom's drama ranges; postcodes in capitals), which the
API and the web pages accept as well: the document tests render these answers
as they are, the integration tests post them. Plain functions with no
randomness, as GOV.UK Notify's tests use.

Dates are written as they stood on ``DOCUMENT_DAY``, the day the document tests
print (their expected text names those dates; they pass ``today=DOCUMENT_DAY``).
A builder moves every date by whole weeks, so that ``DOCUMENT_DAY`` lands on the
latest same weekday on or before ``today`` (the real today when left out): the
server's date checks ("not in the future", "within 120 days") pass whenever the
suite runs, and weekdays (hence working-day deadlines) stay as written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forms_service.definitions.loader import load_form
from forms_service.definitions.model import FormDefinition

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "form_schemas"
TEMPLATES = ROOT / "doc_templates"

#: The day every written date below is relative to, and the documents' "today".
DOCUMENT_DAY = dt.date(2026, 11, 24)
SUBMITTED_AT = dt.datetime(2026, 11, 24, 14, 5, 33, tzinfo=dt.UTC)
REFERENCE = "EH-2026-7Q4K9"
CONTACTS = {
    "level4_phone": "01702 215007",
    "level4_out_of_hours_phone": "0345 606 1212",
    "level4_email": "C-SPOC@southend.gov.uk",
    "advice_line_phone": "01702 215007, option 1",
    "early_help_advisor_phone": "01702 215783",
    "cspoc_phone": "01702 215007",
}
#: Surnames of the household: never in the family's copy of the plan.
SURNAMES = ("Okonkwo-Smith", "Okonkwo", "Smith", "Huang")
WHO_TO_CONTACT = "The family support worker at Riverside Primary School, on 0113 496 0300."

Answers = dict[str, Any]


def form(form_id: str) -> FormDefinition:
    """A form definition straight from ``form_schemas/``."""
    return load_form(SCHEMAS / f"{form_id}.yaml", TEMPLATES)


# --- dates ----------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _as_of(value: Any, today: dt.date | None) -> Any:
    """A copy of ``value`` with every ISO date moved from DOCUMENT_DAY to ``today``.

    Whole weeks only, so a Monday allocation stays a Monday and the Family Story
    Assessment's working-day count cannot grow past its 15-day warning.
    """
    weeks = ((today or dt.date.today()) - DOCUMENT_DAY).days // 7
    return _shifted(value, dt.timedelta(weeks=weeks))


def _shifted(value: Any, shift: dt.timedelta) -> Any:
    if isinstance(value, dict):
        return {key: _shifted(item, shift) for key, item in value.items()}
    if isinstance(value, list):
        return [_shifted(item, shift) for item in value]
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return (dt.date.fromisoformat(value) + shift).isoformat()
    return value


# --- the family -------------------------------------------------------------------


def _person(role: str, first: str, last: str, relationship: str, **extra: Any) -> Answers:
    """One household member; ``extra`` overrides the defaults and adds optional answers."""
    person: Answers = {
        "role": role,
        "first_name": first,
        "last_name": last,
        "sex": extra.pop("sex", "female"),
        "relationship": relationship,
        "lives_in_household": extra.pop("lives_in_household", True),
        "interpreter_needed": extra.pop("interpreter_needed", False),
    }
    if role == "unborn":
        person["due_date"] = extra.pop("due_date", "2027-03-14")
    else:
        person["date_of_birth"] = extra.pop("date_of_birth", "1990-01-01")
    person.update(extra)
    return person


#: The six people, the child the referral is about first.
_FAMILY = [
    _person(
        "lead_child",
        "Kayden",
        "Okonkwo-Smith",
        "Self",
        sex="male",
        date_of_birth="2016-03-03",
        ethnicity="MWBA",
        nhs_number="9434765919",
        school_or_setting="Riverside Primary School",
        gp="Elm Tree Surgery",
        disability_or_sen=True,
        disability_details="Autism diagnosis (2022).\nEHC plan in place since Year 2.",
        first_language="English",
    ),
    _person(
        "child",
        "Amara",
        "Okonkwo-Smith",
        "Sister",
        date_of_birth="2019-08-21",
        school_or_setting="Little Acorns Nursery",
    ),
    _person("unborn", "Unborn", "Okonkwo-Smith", "Sibling (unborn)", sex="not_stated"),
    _person(
        "parent_carer",
        "Grace",
        "Okonkwo",
        "Mother",
        date_of_birth="1991-11-30",
        parental_responsibility=True,
        other_names="Grace Smith",
        first_language="Igbo",
        interpreter_needed=True,
    ),
    _person(
        "absent_parent",
        "Daniel",
        "Smith",
        "Father",
        sex="male",
        date_of_birth="1988-05-12",
        lives_in_household=False,
        address_elsewhere="Flat 2, 19 Canal Street\nNorthtown NT4 2AB",
        parental_responsibility=True,
    ),
    _person(
        "significant_other",
        "Beatrice",
        "Huang",
        "Maternal grandmother",
        date_of_birth="1960-02-29",
        lives_in_household=False,
        address_elsewhere="4 Mill Lane, Northtown",
        ethnicity="CHNE",
    ),
]


def _relative(index: int, name: str) -> Answers:
    """Extended family living with them: cousins (a child) and aunts or uncles (an adult)."""
    if index % 2 == 0:
        return _person("child", name, "Okonkwo", "Cousin", date_of_birth=f"{2012 + index}-06-15")
    return _person("other_adult", name, "Okonkwo", "Aunt or uncle", sex="male")


#: Fourteen relatives, so a household can reach the EHFSA's largest (20 people).
_RELATIVES = [
    _relative(index, name)
    for index, name in enumerate(
        "Chidi Ngozi Tobi Adaeze Emeka Zara Femi Ifeoma Obi Kemi Nnamdi Chioma Dayo Amaka".split()
    )
]


def _household(size: int) -> list[Answers]:
    """The first ``size`` people of the family (Kayden alone for 1), then relatives."""
    people = _FAMILY + _RELATIVES
    if not 1 <= size <= len(people):
        raise ValueError(f"a household of 1 to {len(people)} people, not {size}")
    return people[:size]


def household(size: int = 6, *, today: dt.date | None = None) -> list[Answers]:
    """The family as every form lists it (see ``_household``)."""
    return list(_as_of(_household(size), today))


# --- the professionals around them ----------------------------------------------

_REFERRER = {
    "full_name": "Priya Raman",
    "job_title": "Designated Safeguarding Lead",
    "organisation": "Riverside Primary School",
    "organisation_type": "school",
    "work_address": "Riverside Primary School\n1 School Lane\nNorthtown NT1 1AA",
    "phone": "+441134960001",
    "email": "p.raman@riverside.example.sch.uk",
    "manager_name": "Tom Fairweather",
}

_WORKER = {
    "name": "Jo Bennett",
    "job_title": "Family Support Practitioner",
    "phone": "+441134960555",
    "email": "jo.bennett@northtown.example.gov.uk",
}

_PROFESSIONALS = [
    {
        "agency": "school_nurse",
        "name": "Hannah Lee",
        "role": "School nurse",
        "phone": "+441134960777",
        "currently_involved": True,
    },
    {
        "agency": "health_visitor",
        "name": "Oluwaseun Adeyemi",
        "role": "Health visitor",
        "email": "o.adeyemi@health.example.net",
        "currently_involved": False,
    },
]


# --- what the referrals share ---------------------------------------------------

_SAFEGUARDING_GATE = {
    "immediate_danger": "no",
    "significant_harm": "no",
    "open_to_social_care": "no",
}
#: The assessment's and review's safeguarding check: nothing new to worry about.
SAFEGUARDING_CHECK = {"worried": "no"}
_GOING_WELL = "Grace is warm and engaged; grandmother helps with school runs."


_FAMILY_CONTACT = {
    "address_line_1": "12 Orchard Close",
    "town": "Northtown",
    "postcode": "NT2 3CD",
    "phone": "+441134960123",
    "preferred_contact": "text",
    "safe_to_contact": True,
}

_CONSENT = {
    "given_by_role": "parent_carer",
    "parent_aware": True,
    "parent_agrees": True,
    "given_by": "Grace Okonkwo",
    "given_by_relationship": "Mother",
    "date_given": "2026-11-20",
    "method": "verbal",
    "privacy_notice_explained": True,
}

#: What the school has seen: education and money (the C-SPOC request adds housing).
_NEEDS = [
    {
        "headline": "EDU",
        "who": "Kayden",
        "evidence": "Attendance 81%; 9 late marks since September.",
        "source": "School attendance records",
    },
    {
        "headline": "FIN",
        "who": "Grace, Kayden, Amara",
        "evidence": "Grace reports rent arrears and using a food bank.",
        "source": "The family",
    },
]


# --- the EHFSA: the school refers the family --------------------------------------


def ehfsa_answers(household_size: int = 6, *, today: dt.date | None = None) -> Answers:
    """Priya Raman's Early Help referral: two needs, two other professionals."""
    return _as_of(
        {
            **_SAFEGUARDING_GATE,
            "referrer": _REFERRER,
            "household": _household(household_size),
            "family_contact": _FAMILY_CONTACT,
            "consent": _CONSENT,
            "presenting_issues": (
                "Kayden's attendance has fallen to 81% this term.\n"
                "He has been arriving hungry and tired.\n\nMum says money is tight."
            ),
            "what_needs_to_change": "Regular attendance and a settled morning routine.",
            "hoped_outcome": "A family support worker to help with routines and benefits advice.",
            "services_wanted": ["speech_language", "family_support"],
            "attainment_levels": "Early Years: communication and language below expected.",
            "existing_assessment": False,
            "needs": _NEEDS,
            "working_well": _GOING_WELL,
            "support_so_far": "School nurse referral in June 2026; breakfast club since October.",
            "professionals": _PROFESSIONALS,
            "possible_lead_professional": "The school's family support worker",
            "child_views": "Kayden says he likes school but hates mornings.\nHe wants a dog.",
            "how_views_obtained": "Conversation with his class teacher",
            "family_views": "Grace would welcome help and asked about parenting groups.",
            "declaration": True,
        },
        today,
    )


def _long_text_fields(definition: FormDefinition) -> list[tuple[str | None, str]]:
    """Every long_text field as (container name or None, field name)."""
    found: list[tuple[str | None, str]] = []
    for fld in definition.fields:
        if fld.type == "long_text":
            found.append((None, fld.name))
        found.extend((fld.name, child.name) for child in fld.fields if child.type == "long_text")
    return found


def ehfsa_with_every_long_text(
    definition: FormDefinition, value: str, *, today: dt.date | None = None
) -> Answers:
    """The EHFSA answers with ``value`` in every long-text answer (even optional ones)."""
    data = ehfsa_answers(today=today)
    for container, name in _long_text_fields(definition):
        if container is None:
            data[name] = value
        elif isinstance(data.get(container), list):
            for item in data[container]:
                item[name] = value
        else:
            data.setdefault(container, {})[name] = value
    return data


# --- the C-SPOC request: the same school asks for more help --------------------------


def cspoc_request_answers(*, today: dt.date | None = None) -> Answers:
    """A request for Supporting Families help: three needs, one service tried before."""
    return _as_of(
        {
            **_SAFEGUARDING_GATE,
            "request_type": "supporting_families",
            "referrer": _REFERRER,
            "household": _FAMILY,
            "family_contact": _FAMILY_CONTACT,
            "early_help_in_place": True,
            "early_help_reference": REFERENCE,
            "consent": _CONSENT,
            "child_knows": True,
            "child_thinks": "Kayden says he would like help with mornings.",
            "worries": "Kayden's attendance has fallen to 81% and he arrives hungry.",
            "examples": "3 November 2026: arrived at 10am without breakfast.",
            "concerns_about": "Kayden, Grace",
            "support_tried": [
                {
                    "service": "Breakfast club",
                    "dates": "October 2026 to now",
                    "offered": "A free breakfast club place every school day.",
                    "outcome": (
                        "Kayden went on about half the days. On those days he was on time "
                        "and settled in class."
                    ),
                    "why_not_enough": "It does not help with the rent arrears or the mornings.",
                }
            ],
            "going_well": _GOING_WELL,
            "needs_to_change": "A settled morning routine and a plan for the rent arrears.",
            "needs": [
                *_NEEDS,
                {
                    "headline": "HSG",
                    "who": "Grace, Kayden, Amara",
                    "evidence": "Notice of seeking possession received in October.",
                    "source": "The family",
                },
            ],
            "professionals": _PROFESSIONALS,
            "previous_involvement": {
                "social_care": "no",
                "camhs": "no",
                "send": "yes",
                "youth_justice": "no",
                "police": "not_known",
                "housing": "yes",
                "adult_services": "no",
            },
            "declaration": True,
        },
        today,
    )


def phoned_concern_request(*, today: dt.date | None = None) -> Answers:
    """A request for service confirming in writing a concern phoned through today."""
    answers = cspoc_request_answers(today=today)
    answers.update(
        request_type="confirm_phoned_concern",
        significant_harm="yes",
        phoned_concern={
            "date": (today or dt.date.today()).isoformat(),
            "time": "09:15",
            "spoken_to": "Sam Duty",
            "team": "First Contact",
        },
    )
    return answers


# --- the Family Story Assessment: Jo meets the family and writes the plan ------------


_ANALYSIS = {
    "working_well": (
        "Grace loves her children and wants the best for them.\n"
        "Beatrice helps with the school run twice a week."
    ),
    "worried_about": (
        "Kayden is often late for school and sometimes misses it.\n"
        "Money is tight and the rent is behind."
    ),
    "worried_about_for_family": (
        "Kayden is missing the start of the school day.\n"
        "Worries about money and the rent are making home life hard."
    ),
    "needs_to_happen": "Mornings need a routine that works, and the rent needs a plan.",
    "scale": 4,
}

#: The Family Story Assessment's four actions, two for each need that applies.
_PLAN = [
    {
        "outcome": "We want Kayden to get to school on time and enjoy it.",
        "headline": "EDU",
        "member": "Kayden Okonkwo-Smith",
        "what": "Make a morning routine chart with Kayden and use it every school day.",
        "who": "Grace Okonkwo",
        "by_when": "2026-12-18",
        "measure": "Kayden is on time at least 4 days out of 5.",
    },
    {
        "outcome": "We want Kayden to get to school on time and enjoy it.",
        "headline": "EDU",
        "member": "Kayden Okonkwo-Smith",
        "what": "Meet the school's attendance lead to agree a plan for late marks.",
        "who": "Jo Bennett (Family Support Practitioner)",
        "by_when": "2026-12-04",
        "measure": "A written attendance plan is agreed with the school.",
    },
    {
        "outcome": "We want to stop worrying about money and the rent.",
        "headline": "FIN",
        "member": "Grace Okonkwo",
        "what": "Book a benefits check and make a payment plan for the rent arrears.",
        "who": "Grace Okonkwo",
        "by_when": "2027-01-15",
        "measure": "Grace has a payment plan and the arrears are going down.",
    },
    {
        "outcome": "We want to stop worrying about money and the rent.",
        "headline": "FIN",
        "member": "The whole family",
        "what": "Apply for free school meals and the school uniform grant.",
        "who": "Grace Okonkwo",
        "by_when": "2026-12-11",
        "measure": "Kayden gets free school meals from January.",
    },
]


#: What Kayden said, printed in the family's plan exactly as he said it.
CHILD_OWN_WORDS = "I hate mornings but I like my teacher, Miss Ali. I want a dog!"


def family_plan_actions(*, today: dt.date | None = None) -> list[Answers]:
    """The plan as the Family Story Assessment holds it."""
    return list(_as_of(_PLAN, today))


def _longer_plan(actions: int) -> list[Answers]:
    """The four actions, then follow-ups of them (a plan as long as a benchmark wants)."""
    plan = [dict(_PLAN[i % len(_PLAN)]) for i in range(actions)]
    for number, action in enumerate(plan[len(_PLAN) :], start=len(_PLAN) + 1):
        action["what"] = f"Follow-up {number}: {action['what']}"
    return plan


def family_story_answers(actions: int = 4, *, today: dt.date | None = None) -> Answers:
    """Jo's assessment, completed 14 working days after allocation; a plan of ``actions``.

    Two needs apply (education, money), so the plan needs at least one action for
    each: ``actions`` of 4 or more.
    """
    if actions < len(_PLAN):
        raise ValueError(f"the plan covers both needs with {len(_PLAN)} actions or more")
    return _as_of(
        {
            "case": {
                "family_id": "F-10234",
                "ehfsa_reference": REFERENCE,
                "allocation_date": "2026-11-02",
                "completion_date": "2026-11-20",
            },
            "worker": _WORKER,
            "visits": [
                {"date": "2026-11-04", "seen": "Grace, Kayden and Amara"},
                {"date": "2026-11-12", "seen": "Grace and Beatrice"},
            ],
            "referrer": _REFERRER,
            "household": _FAMILY,
            "family_contact": _FAMILY_CONTACT,
            "consent": _CONSENT,
            "family_story": (
                "Mornings are a rush. Kayden finds it hard to get up.\n"
                "Grace works evenings at the supermarket."
            ),
            "significant_events": "Moved to Orchard Close in 2024 after a flood.",
            "child_own_words": CHILD_OWN_WORDS,
            "voices": [
                {
                    "person": "Kayden",
                    "views": "I like school but I hate mornings. I want a dog.",
                    "tool": "Three Houses",
                },
                {"person": "Grace", "views": "I want help with money and with mornings."},
            ],
            "domains": [
                {
                    "headline": "EDU",
                    "applies": True,
                    "who": "Kayden",
                    "strengths": "Kayden enjoys reading and likes his teacher.",
                    "worries": "Attendance 81% this term; 9 late marks.",
                    "evidence_source": "School attendance records",
                    "family_score": 4,
                    "practitioner_score": 3,
                },
                {
                    "headline": "FIN",
                    "applies": True,
                    "who": "Grace, Kayden, Amara",
                    "strengths": "Grace budgets carefully.",
                    "worries": "Rent arrears of about 600 pounds; using a food bank.",
                    "family_score": 3,
                },
                {"headline": "HLT", "applies": False},  # named only: nothing more is asked
            ],
            "professionals": _PROFESSIONALS,
            "agency_history": "School nurse since June 2026. Health visitor for Amara until 2021.",
            "support_tried": "Breakfast club since October: it helped on the days he went.",
            "safeguarding_check": SAFEGUARDING_CHECK,
            "analysis": _ANALYSIS,
            "complicating_factors": "Grace works evenings, so appointments must be mornings.",
            "plan": _longer_plan(actions),
            "next_meeting": {
                "date": "2027-01-05",
                "time": "16:00",
                "place": "Riverside Primary School",
            },
            "agreements": [{"name": "Grace Okonkwo", "agrees": True, "date": "2026-11-20"}],
            "young_person_comments": "Kayden drew a picture of the routine chart.",
            "manager_name": "Sam Patel",
            "declaration": True,
        },
        today,
    )


# --- the TACAF review: the team meets again -----------------------------------------


def _reviewed(
    number: int, last_status: str, status: str, carry_forward: bool | None, **extra: Any
) -> Answers:
    """The plan's action ``number`` as the second review looks back on it.

    ``carry_forward`` is None for a done or closed action: the question is not asked.
    """
    action = _PLAN[number]
    carry = {} if carry_forward is None else {"carry_forward": carry_forward}
    return {
        "action": action["what"],
        "who": action["who"],
        "last_status": last_status,
        "status": status,
        **carry,
        **extra,
    }


#: The plan's four actions at the second review (the last one with no need or date).
_PREVIOUS_ACTIONS = [
    _reviewed(0, "amber", "green", True, headline="EDU", by_when=_PLAN[0]["by_when"]),
    _reviewed(1, "new", "closed", None, headline="EDU", by_when="2026-11-13"),
    _reviewed(
        2,
        "red",
        "amber",
        True,
        headline="FIN",
        by_when=_PLAN[2]["by_when"],
        comment="Benefits check done on 10 November. The payment plan is not agreed yet.",
    ),
    _reviewed(3, "new", "red", False, comment="The form has not been sent yet."),
]


def previous_actions(*, today: dt.date | None = None) -> list[Answers]:
    """The actions the second review looks back on."""
    return list(_as_of(_PREVIOUS_ACTIONS, today))


def tacaf_review_answers(*, today: dt.date | None = None) -> Answers:
    """The second review, which continues the plan with two new actions."""
    return _as_of(
        {
            "previous_reference": "TR-7K3Q-2MZD",
            "meeting": {
                "date": "2026-11-23",
                "type": "review",
                "review_number": 2,
                "venue": "Riverside Primary School",
                "chair": "Jo Bennett",
                "note_taker": "Priya Raman",
            },
            "worker": _WORKER,
            "household": _FAMILY,
            "attendance": [
                {"name": "Grace Okonkwo", "relationship_or_agency": "Mother", "status": "attended"},
                {
                    "name": "Priya Raman",
                    "relationship_or_agency": "Riverside Primary School",
                    "status": "attended",
                },
                {
                    "name": "Hannah Lee",
                    "relationship_or_agency": "School nurse",
                    "status": "report_sent",
                },
            ],
            "consent_reconfirmed": True,
            "consent_withdrawn": False,
            "family_update": "Grace says mornings are better on chart days.",
            "child_voice": "Kayden says he likes getting stickers on the chart.",
            "child_voice_how": "Jo talked with Kayden at home before the meeting.",
            "child_own_words": "I get a sticker when I am ready. I got five this week!",
            "practitioner_updates": "School: attendance up to 88% this half term.\n"
            "School nurse: no concerns about Kayden's health.",
            "previous_actions": _PREVIOUS_ACTIONS,
            "progress": [
                {"headline": "EDU", "baseline_score": 4, "score_now": 6, "indicator_met": False},
                {"headline": "FIN", "baseline_score": 3, "score_now": 5},
            ],
            "safeguarding_check": SAFEGUARDING_CHECK,
            "analysis": _ANALYSIS,
            "plan": [
                {
                    "outcome": "We want calmer mornings at home.",
                    "headline": "REL",
                    "member": "Grace Okonkwo",
                    "what": "Go to the six-week parenting group at the family centre.",
                    "who": "Grace Okonkwo",
                    "by_when": "2027-01-29",
                    "measure": "Grace says mornings feel calmer.",
                },
                {
                    "outcome": "We want to stop worrying about money and the rent.",
                    "headline": "FIN",
                    "member": "Kayden Okonkwo-Smith",
                    "what": "Send the free school meals form together at the next home visit.",
                    "who": "Jo Bennett (Family Support Practitioner)",
                    "by_when": "2026-12-04",
                    "measure": "Kayden gets free school meals from January.",
                },
            ],
            "family_agreed": True,
            "decision": "continue",
            "next_meeting": {"date": "2027-01-04", "place": "Riverside Primary School"},
            "distribution": "Grace Okonkwo, Daniel Smith, Priya Raman, Hannah Lee, Jo Bennett",
            "declaration": True,
        },
        today,
    )


def tacaf_closing_answers(*, today: dt.date | None = None) -> Answers:
    """The final review, which closes the plan: no next meeting, one thing to keep doing.

    (A repeating group with ``min_items: 0`` still needs an item to validate.)
    """
    data = tacaf_review_answers(today=today)
    data["meeting"].update(type="final", review_number=3)
    for item in data["previous_actions"]:
        if "carry_forward" in item:
            item["carry_forward"] = False
    del data["next_meeting"]
    closing = {
        "plan": [
            {
                "outcome": "We want to keep mornings calm on our own.",
                "headline": "EDU",
                "member": "Kayden Okonkwo-Smith",
                "what": "Keep using the morning routine chart every school day.",
                "who": "The whole family",
                "by_when": "2027-01-29",
                "measure": "Kayden stays on time most days.",
            }
        ],
        "decision": "close",
        "close_reason": "outcomes_met",
        "what_helped": "The routine chart, and Jo helping with the forms.",
        "who_to_contact": WHO_TO_CONTACT,
        "family_feedback": "Grace said it felt like someone was on her side.",
    }
    data.update(_as_of(closing, today))
    return data


#: Each form's builder, by form id.
BUILDERS: dict[str, Callable[..., Answers]] = {
    "ehfsa": ehfsa_answers,
    "cspoc-request": cspoc_request_answers,
    "family-story": family_story_answers,
    "tacaf-review": tacaf_review_answers,
}
#: Every kind of document the forms print: each form, and the review that closes a plan.
DOCUMENT_CASES: dict[str, tuple[str, Callable[..., Answers]]] = {
    **{form_id: (form_id, build) for form_id, build in BUILDERS.items()},
    "tacaf-closing": ("tacaf-review", tacaf_closing_answers),
}


def document_case(name: str) -> tuple[FormDefinition, Answers]:
    """A case's form and its answers as on DOCUMENT_DAY, the dates the document tests expect."""
    form_id, build = DOCUMENT_CASES[name]
    return form(form_id), build(today=DOCUMENT_DAY)
