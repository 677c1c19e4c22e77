"""Plain factory functions for test data (no fixtures magic, no randomness)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

FIRST_NAMES = ["Amelia", "Jayden", "Priya", "Tomasz", "Grace", "Kwame", "Leila", "Oscar"]
ROLES = [
    "lead_child",
    "child",
    "parent_carer",
    "parent_carer",
    "child",
    "absent_parent",
    "other_adult",
    "significant_other",
]


def _years_ago(years: int) -> str:
    today = dt.date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def person(index: int) -> dict[str, Any]:
    """Household member ``index`` (0 is the lead child)."""
    role = ROLES[index % len(ROLES)]
    age = {"lead_child": 9, "child": 4 + index, "parent_carer": 34 + index}.get(role, 40 + index)
    member: dict[str, Any] = {
        "role": role,
        "first_name": f"{FIRST_NAMES[index % len(FIRST_NAMES)]}",
        "last_name": f"Testfamily{index}",
        "date_of_birth": _years_ago(age),
        "sex": "female" if index % 2 == 0 else "male",
        "relationship": "self" if role == "lead_child" else f"relation {index}",
        "lives_in_household": role != "absent_parent",
        "interpreter_needed": False,
    }
    if role == "absent_parent":
        member["address_elsewhere"] = f"{index} Elsewhere Road\nLeigh-on-Sea"
    if index == 1:
        member["nhs_number"] = "9434765919"
    return member


def ehfsa_answers(household: int = 6) -> dict[str, Any]:
    """A complete, valid EHFSA in the API's shape."""
    return copy.deepcopy(
        {
            "immediate_danger": False,
            "significant_harm": False,
            "open_to_social_care": False,
            "referrer": {
                "full_name": "Sam Referrer",
                "job_title": "Designated safeguarding lead",
                "organisation": "Seaview Primary School",
                "organisation_type": "school",
                "work_address": "1 School Lane\nSouthend-on-Sea\nSS1 1AA",
                "phone": "01702 215000",
                "email": "sam.referrer@seaview.example.sch.uk",
            },
            "household": [person(i) for i in range(household)],
            "family_contact": {
                "address_line_1": "12 Harbour View",
                "town": "Southend-on-Sea",
                "postcode": "ss2 6er",
                "phone": "07911 123456",
                "preferred_contact": "phone",
                "safe_to_contact": True,
            },
            "consent": {
                "parent_aware": True,
                "parent_agrees": True,
                "given_by": "Priya Testfamily2",
                "given_by_relationship": "Mother",
                "date_given": dt.date.today().isoformat(),
                "method": "written",
                "privacy_notice_explained": True,
            },
            "presenting_issues": "Attendance has dropped to 82%.\nMum reports low mood.",
            "what_needs_to_change": "Regular attendance and support for mum.",
            "hoped_outcome": "A family support worker for six weeks.",
            "needs": [
                {
                    "headline": "EDU",
                    "who": "Amelia",
                    "evidence": "Attendance 82%.",
                    "source": "School records",
                },
                {
                    "headline": "HLT",
                    "who": "Priya",
                    "evidence": "Low mood for months.",
                    "source": "Priya herself",
                },
            ],
            "working_well": "The children are close to their grandmother.",
            "support_so_far": "School pastoral support since September; helped a little.",
            "professionals": [
                {
                    "agency": "school",
                    "name": "Sam Referrer",
                    "role": "DSL",
                    "currently_involved": True,
                },
                {
                    "agency": "health_visitor",
                    "name": "Jo Visitor",
                    "role": "Health visitor",
                    "phone": "01702 215999",
                    "currently_involved": False,
                },
            ],
            "child_views": "Amelia says she misses school when mum is sad.",
            "how_views_obtained": "Conversation at school",
            "family_views": "Mum would like help with routines.",
            "declaration": True,
        }
    )


def _days(offset: int) -> str:
    return (dt.date.today() + dt.timedelta(days=offset)).isoformat()


def smart_action(index: int, headline: str) -> dict[str, Any]:
    """One family plan action."""
    return {
        "outcome": f"We want mornings to be calmer (goal {index})",
        "headline": headline,
        "member": "Amelia",
        "what": f"Action {index}: set up a morning routine chart",
        "who": f"Worker {index} and Priya",
        "by_when": _days(14 + index),
        "measure": f"Amelia arrives on time 4 days out of 5 (measure {index})",
    }


def cspoc_answers() -> dict[str, Any]:
    """A complete, valid C-SPOC request for service."""
    base = ehfsa_answers(4)
    return copy.deepcopy(
        {
            "immediate_danger": False,
            "significant_harm": False,
            "open_to_social_care": False,
            "request_type": "supporting_families",
            "referrer": base["referrer"],
            "household": base["household"],
            "family_contact": base["family_contact"],
            "early_help_in_place": True,
            "early_help_reference": "EH-7K3Q-2MZD",
            "consent": base["consent"],
            "child_knows": True,
            "child_thinks": "Amelia wants help for her mum.",
            "worries": "Three needs are not improving despite school support.",
            "examples": "12 October: Amelia missed 3 days. 2 November: eviction notice.",
            "concerns_about": "Amelia, Priya",
            "support_tried": [
                {
                    "service": "School pastoral support",
                    "dates": "September 2025 to January 2026",
                    "offered": "Weekly check-ins and a breakfast club place.",
                    "outcome": "Attendance improved for a month and then dropped again below 85%.",
                    "why_not_enough": "The housing and money worries are outside school's reach.",
                }
            ],
            "going_well": "Strong bond with grandmother.",
            "needs_to_change": "Stable housing and regular attendance.",
            "needs": base["needs"]
            + [
                {
                    "headline": "HSG",
                    "who": "Everyone",
                    "evidence": "Eviction notice.",
                    "source": "Priya",
                }
            ],
            "professionals": base["professionals"],
            "previous_involvement": {
                "social_care": "no",
                "camhs": "not_known",
                "send": "no",
                "youth_justice": "no",
                "police": "no",
                "housing": "yes",
                "adult_services": "not_known",
            },
            "declaration": True,
        }
    )


WORKER = {
    "name": "Morgan Worker",
    "job_title": "Family support practitioner",
    "phone": "01702 215111",
    "email": "morgan.worker@council.example.gov.uk",
}


def family_story_answers(actions: int = 3) -> dict[str, Any]:
    """A complete, valid Family Story Assessment whose plan covers every need."""
    base = ehfsa_answers(5)
    return copy.deepcopy(
        {
            "case": {"allocation_date": _days(-14), "completion_date": _days(-1)},
            "worker": WORKER,
            "visits": [{"date": _days(-10), "seen": "Priya, Amelia and Jayden"}],
            "referrer": base["referrer"],
            "household": base["household"],
            "consent": base["consent"],
            "family_story": "Mornings are hard.\nPriya works nights.",
            "voices": [
                {
                    "person": "Amelia",
                    "views": "I like school when I get there.",
                    "tool": "Three Houses",
                }
            ],
            "domains": [
                {
                    "headline": "EDU",
                    "applies": True,
                    "who": "Amelia",
                    "strengths": "Loves reading",
                    "worries": "Late most days",
                    "family_score": 4,
                    "practitioner_score": 3,
                },
                {
                    "headline": "HLT",
                    "applies": True,
                    "who": "Priya",
                    "strengths": "Sees her GP",
                    "worries": "Low mood",
                    "family_score": 5,
                },
                {
                    "headline": "FIN",
                    "applies": False,
                    "strengths": "Budgets well",
                    "family_score": 8,
                },
            ],
            "professionals": base["professionals"],
            "agency_history": "School since 2020; health visitor until 2022.",
            "support_tried": "School pastoral support; helped a little.",
            "analysis": {
                "working_well": "The children are loved and fed.",
                "worried_about": "Amelia misses school when mornings go wrong.",
                "needs_to_happen": "A calm morning routine and support for Priya.",
                "scale": 5,
            },
            "plan": [smart_action(i, ("EDU", "HLT")[i % 2]) for i in range(actions)],
            "next_meeting": {"date": _days(40), "place": "Seaview Primary School"},
            "agreements": [{"name": "Priya Testfamily2", "agrees": True, "date": _days(-1)}],
            "manager_name": "Alex Manager",
            "declaration": True,
        }
    )


def tacaf_answers(previous: int = 2) -> dict[str, Any]:
    """A complete, valid review that continues the plan."""
    base = family_story_answers()
    return copy.deepcopy(
        {
            "meeting": {
                "date": _days(-1),
                "type": "review",
                "review_number": 1,
                "venue": "Seaview Primary School",
                "chair": "Alex Chair",
                "note_taker": "Sam Notes",
            },
            "worker": WORKER,
            "household": base["household"],
            "attendance": [
                {
                    "name": "Priya Testfamily2",
                    "relationship_or_agency": "Mother",
                    "status": "attended",
                },
                {
                    "name": "Jo Visitor",
                    "relationship_or_agency": "Health visiting",
                    "status": "apologies",
                },
            ],
            "consent_reconfirmed": True,
            "family_update": "Mornings are getting easier.",
            "child_voice": "Amelia says she is happier.",
            "child_voice_how": "She came to the meeting",
            "practitioner_updates": "School: attendance up to 91%.",
            "previous_actions": [
                {
                    "action": f"Previous action {i}",
                    "who": "Priya",
                    "last_status": "new",
                    "status": ("green", "amber")[i % 2],
                    **(
                        {"comment": "Partly done: chart made, not used every day."} if i % 2 else {}
                    ),
                    "carry_forward": bool(i % 2),
                }
                for i in range(previous)
            ],
            "progress": [{"headline": "EDU", "baseline_score": 4, "score_now": 6}],
            "analysis": base["analysis"],
            "plan": [smart_action(9, "EDU")],
            "family_agreed": True,
            "decision": "continue",
            "next_meeting": {"date": _days(40), "place": "Seaview Primary School"},
            "distribution": "Everyone invited, and the family.",
            "declaration": True,
        }
    )
