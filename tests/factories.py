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
