"""Realistic answers for the document tests (already in validated shape), and readers."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from forms_service.definitions.loader import load_form
from forms_service.definitions.model import FormDefinition

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "form_schemas"
TEMPLATES = ROOT / "doc_templates"
REFERENCE = "EH-2026-7Q4K9"
SUBMITTED_AT = dt.datetime(2026, 11, 24, 14, 5, 33, tzinfo=dt.UTC)


def ehfsa() -> FormDefinition:
    return load_form(SCHEMAS / "ehfsa.yaml", TEMPLATES)


def _person(role: str, first: str, last: str, relationship: str, **extra: Any) -> dict[str, Any]:
    person: dict[str, Any] = {
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


def household() -> list[dict[str, Any]]:
    return [
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


def answers() -> dict[str, Any]:
    """A complete EHFSA submission: a household of 6, two needs, two professionals."""
    return copy.deepcopy(
        {
            "immediate_danger": False,
            "significant_harm": False,
            "open_to_social_care": False,
            "referrer": {
                "full_name": "Priya Raman",
                "job_title": "Designated Safeguarding Lead",
                "organisation": "Riverside Primary School",
                "organisation_type": "school",
                "work_address": "Riverside Primary School\n1 School Lane\nNorthtown NT1 1AA",
                "phone": "01632 960001",
                "email": "p.raman@riverside.example.sch.uk",
                "manager_name": "Tom Fairweather",
            },
            "household": household(),
            "family_contact": {
                "address_line_1": "12 Orchard Close",
                "town": "Northtown",
                "postcode": "NT2 3CD",
                "phone": "07700 900123",
                "preferred_contact": "text",
                "safe_to_contact": True,
            },
            "consent": {
                "parent_aware": True,
                "parent_agrees": True,
                "given_by": "Grace Okonkwo",
                "given_by_relationship": "Mother",
                "date_given": "2026-11-20",
                "method": "verbal",
                "privacy_notice_explained": True,
            },
            "presenting_issues": (
                "Kayden's attendance has fallen to 81% this term.\n"
                "He has been arriving hungry and tired.\n\nMum says money is tight."
            ),
            "what_needs_to_change": "Regular attendance and a settled morning routine.",
            "hoped_outcome": "A family support worker to help with routines and benefits advice.",
            "needs": [
                {
                    "headline": "EDU",
                    "who": "Kayden",
                    "evidence": "Attendance 81%; 9 late marks since September.",
                    "source": "School attendance records",
                },
                {
                    "headline": "FIN",
                    "who": "Grace, Kayden, Amara",
                    "evidence": "Mum reports rent arrears and using a food bank.",
                    "source": "The family",
                },
            ],
            "working_well": "Grace is warm and engaged; grandmother helps with school runs.",
            "support_so_far": "School nurse referral in June 2026; breakfast club since October.",
            "professionals": [
                {
                    "agency": "school_nurse",
                    "name": "Hannah Lee",
                    "role": "School nurse",
                    "phone": "01632 960777",
                    "currently_involved": True,
                },
                {
                    "agency": "health_visitor",
                    "name": "Oluwaseun Adeyemi",
                    "role": "Health visitor",
                    "email": "o.adeyemi@nhs.example.net",
                    "currently_involved": False,
                },
            ],
            "child_views": "Kayden says he likes school but hates mornings.\nHe wants a dog.",
            "how_views_obtained": "Conversation with his class teacher",
            "family_views": "Grace would welcome help and asked about parenting groups.",
            "declaration": True,
        }
    )


def long_text_fields(form: FormDefinition) -> list[tuple[str | None, str]]:
    """Every long_text field as (container name or None, field name)."""
    found: list[tuple[str | None, str]] = []
    for fld in form.fields:
        if fld.type == "long_text":
            found.append((None, fld.name))
        for child in fld.fields:
            if child.type == "long_text":
                found.append((fld.name, child.name))
    return found


def with_every_long_text(form: FormDefinition, value: str) -> dict[str, Any]:
    """The realistic answers with ``value`` in every long-text answer (even optional ones)."""
    data = answers()
    for container, name in long_text_fields(form):
        if container is None:
            data[name] = value
        elif isinstance(data.get(container), list):
            for item in data[container]:
                item[name] = value
        else:
            data.setdefault(container, {})[name] = value
    return data


# --- the other forms -----------------------------------------------------------
# Valid answers (checked by test_family_plan.py) as of TODAY. Phone numbers are
# stored as E.164, as validation leaves them; they are in Ofcom's drama ranges.

TODAY = dt.date(2026, 11, 24)
CONTACTS = {
    "level4_phone": "01702 215007",
    "level4_out_of_hours_phone": "0345 606 1212",
    "level4_email": "C-SPOC@southend.gov.uk",
}
#: Surnames of the household: never in the family's copy of the plan.
SURNAMES = ("Okonkwo-Smith", "Okonkwo", "Smith", "Huang")


def cspoc_request() -> FormDefinition:
    return load_form(SCHEMAS / "cspoc-request.yaml", TEMPLATES)


def family_story() -> FormDefinition:
    return load_form(SCHEMAS / "family-story.yaml", TEMPLATES)


def tacaf_review() -> FormDefinition:
    return load_form(SCHEMAS / "tacaf-review.yaml", TEMPLATES)


def _referrer() -> dict[str, Any]:
    return {
        "full_name": "Priya Raman",
        "job_title": "Designated Safeguarding Lead",
        "organisation": "Riverside Primary School",
        "organisation_type": "school",
        "work_address": "Riverside Primary School\n1 School Lane\nNorthtown NT1 1AA",
        "phone": "+441134960001",
        "email": "p.raman@riverside.example.sch.uk",
        "manager_name": "Tom Fairweather",
    }


def _consent() -> dict[str, Any]:
    return {
        "parent_aware": True,
        "parent_agrees": True,
        "given_by": "Grace Okonkwo",
        "given_by_relationship": "Mother",
        "date_given": "2026-11-20",
        "method": "verbal",
        "privacy_notice_explained": True,
    }


def _professionals() -> list[dict[str, Any]]:
    return [
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


def worker() -> dict[str, Any]:
    return {
        "name": "Jo Bennett",
        "job_title": "Family Support Practitioner",
        "phone": "+441134960555",
        "email": "jo.bennett@northtown.example.gov.uk",
    }


def _analysis() -> dict[str, Any]:
    return {
        "working_well": (
            "Grace loves her children and wants the best for them.\n"
            "Beatrice helps with the school run twice a week."
        ),
        "worried_about": (
            "Kayden is often late for school and sometimes misses it.\n"
            "Money is tight and the rent is behind."
        ),
        "needs_to_happen": "Mornings need a routine that works, and the rent needs a plan.",
        "scale": 4,
    }


def family_plan_actions() -> list[dict[str, Any]]:
    """The Family Story Assessment's four actions (two needs)."""
    return [
        {
            "outcome": "We want Kayden to get to school on time and enjoy it.",
            "headline": "EDU",
            "member": "Kayden",
            "what": "Make a morning routine chart with Kayden and use it every school day.",
            "who": "Grace, with help from Jo",
            "by_when": "2026-12-18",
            "measure": "Kayden is on time at least 4 days out of 5.",
        },
        {
            "outcome": "We want Kayden to get to school on time and enjoy it.",
            "headline": "EDU",
            "member": "Kayden",
            "what": "Meet the school's attendance lead to agree a plan for late marks.",
            "who": "Jo Bennett, Family Support",
            "by_when": "2026-12-04",
            "measure": "A written attendance plan is agreed with the school.",
        },
        {
            "outcome": "We want to stop worrying about money and the rent.",
            "headline": "FIN",
            "member": "Grace",
            "what": "Book a benefits check and make a payment plan for the rent arrears.",
            "who": "Citizens Advice Northtown",
            "by_when": "2027-01-15",
            "measure": "Grace has a payment plan and the arrears are going down.",
        },
        {
            "outcome": "We want to stop worrying about money and the rent.",
            "headline": "FIN",
            "member": "Kayden and Amara",
            "what": "Apply for free school meals and the school uniform grant.",
            "who": "Grace",
            "by_when": "2026-12-11",
            "measure": "Kayden gets free school meals from January.",
        },
    ]


def family_story_answers() -> dict[str, Any]:
    """A complete Family Story Assessment, completed 14 working days after allocation."""
    return copy.deepcopy(
        {
            "case": {
                "family_id": "F-10234",
                "ehfsa_reference": REFERENCE,
                "allocation_date": "2026-11-02",
                "completion_date": "2026-11-20",
            },
            "worker": worker(),
            "visits": [
                {"date": "2026-11-04", "seen": "Grace, Kayden and Amara"},
                {"date": "2026-11-12", "seen": "Grace and Beatrice"},
            ],
            "referrer": _referrer(),
            "household": household(),
            "consent": _consent(),
            "family_story": (
                "Mornings are a rush. Kayden finds it hard to get up.\n"
                "Grace works evenings at the supermarket."
            ),
            "significant_events": "Moved to Orchard Close in 2024 after a flood.",
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
                {
                    "headline": "HLT",
                    "applies": False,
                    "strengths": "Everyone is registered with the GP and up to date.",
                    "family_score": 8,
                },
            ],
            "professionals": _professionals(),
            "agency_history": "School nurse since June 2026. Health visitor for Amara until 2021.",
            "support_tried": "Breakfast club since October: it helped on the days he went.",
            "analysis": _analysis(),
            "complicating_factors": "Grace works evenings, so appointments must be mornings.",
            "plan": family_plan_actions(),
            "next_meeting": {"date": "2027-01-05", "place": "Riverside Primary School"},
            "agreements": [{"name": "Grace Okonkwo", "agrees": True, "date": "2026-11-20"}],
            "young_person_comments": "Kayden drew a picture of the routine chart.",
            "manager_name": "Sam Patel",
            "declaration": True,
        }
    )


def previous_actions() -> list[dict[str, Any]]:
    """Four actions from last time, with a status then and now."""
    return [
        {
            "action": "Make a morning routine chart with Kayden and use it every school day.",
            "headline": "EDU",
            "who": "Grace, with help from Jo",
            "by_when": "2026-12-18",
            "last_status": "amber",
            "status": "green",
            "carry_forward": True,
        },
        {
            "action": "Meet the school's attendance lead to agree a plan for late marks.",
            "headline": "EDU",
            "who": "Jo Bennett, Family Support",
            "by_when": "2026-11-13",
            "last_status": "new",
            "status": "closed",
            "carry_forward": False,
        },
        {
            "action": "Book a benefits check and make a payment plan for the rent arrears.",
            "headline": "FIN",
            "who": "Citizens Advice Northtown",
            "by_when": "2027-01-15",
            "last_status": "red",
            "status": "amber",
            "comment": "Benefits check done on 10 November. The payment plan is not agreed yet.",
            "carry_forward": True,
        },
        {
            "action": "Apply for free school meals and the school uniform grant.",
            "who": "Grace",
            "last_status": "new",
            "status": "red",
            "comment": "The form has not been sent yet.",
            "carry_forward": False,
        },
    ]


def tacaf_review_answers() -> dict[str, Any]:
    """A second review that continues the plan, with two new actions."""
    return copy.deepcopy(
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
            "worker": worker(),
            "household": household(),
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
            "family_update": "Grace says mornings are better on chart days.",
            "child_voice": "Kayden says he likes getting stickers on the chart.",
            "child_voice_how": "Jo talked with Kayden at home before the meeting.",
            "practitioner_updates": "School: attendance up to 88% this half term.\n"
            "School nurse: no concerns about Kayden's health.",
            "previous_actions": previous_actions(),
            "progress": [
                {"headline": "EDU", "baseline_score": 4, "score_now": 6, "indicator_met": False},
                {"headline": "FIN", "baseline_score": 3, "score_now": 5},
            ],
            "analysis": _analysis(),
            "plan": [
                {
                    "outcome": "We want calmer mornings at home.",
                    "headline": "REL",
                    "member": "Grace and Kayden",
                    "what": "Go to the six-week parenting group at the family centre.",
                    "who": "Grace",
                    "by_when": "2027-01-29",
                    "measure": "Grace says mornings feel calmer.",
                },
                {
                    "outcome": "We want to stop worrying about money and the rent.",
                    "headline": "FIN",
                    "member": "Kayden",
                    "what": "Send the free school meals form together at the next home visit.",
                    "who": "Grace and Jo",
                    "by_when": "2026-12-04",
                    "measure": "Kayden gets free school meals from January.",
                },
            ],
            "family_agreed": True,
            "decision": "continue",
            "next_meeting": {"date": "2027-01-04", "place": "Riverside Primary School"},
            "distribution": "Grace Okonkwo, Daniel Smith, Priya Raman, Hannah Lee, Jo Bennett",
            "declaration": True,
        }
    )


WHO_TO_CONTACT = "The family support worker at Riverside Primary School, on 0113 496 0300."


def tacaf_closing_answers() -> dict[str, Any]:
    """A final review that closes the plan: no next meeting, one thing to keep doing.

    (A repeating group with ``min_items: 0`` still needs an item to validate.)
    """
    data = tacaf_review_answers()
    data["meeting"]["type"] = "final"
    data["meeting"]["review_number"] = 3
    for item in data["previous_actions"]:
        item["carry_forward"] = False
    data["plan"] = [
        {
            "outcome": "We want to keep mornings calm on our own.",
            "headline": "EDU",
            "member": "Kayden",
            "what": "Keep using the morning routine chart every school day.",
            "who": "Grace and Kayden",
            "by_when": "2027-01-29",
            "measure": "Kayden stays on time most days.",
        }
    ]
    data["decision"] = "close"
    data["close_reason"] = "outcomes_met"
    data["what_helped"] = "The routine chart, and Jo helping with the forms."
    data["who_to_contact"] = WHO_TO_CONTACT
    data["family_feedback"] = "Grace said it felt like someone was on her side."
    del data["next_meeting"]
    return data


def cspoc_request_answers() -> dict[str, Any]:
    """A complete request for service: three needs, one service tried before."""
    return copy.deepcopy(
        {
            "immediate_danger": False,
            "significant_harm": False,
            "open_to_social_care": False,
            "request_type": "supporting_families",
            "referrer": _referrer(),
            "household": household(),
            "family_contact": {
                "address_line_1": "12 Orchard Close",
                "town": "Northtown",
                "postcode": "NT2 3CD",
                "phone": "+441134960123",
                "preferred_contact": "text",
                "safe_to_contact": True,
            },
            "early_help_in_place": True,
            "early_help_reference": REFERENCE,
            "consent": _consent(),
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
            "going_well": "Grace is warm and engaged; grandmother helps with school runs.",
            "needs_to_change": "A settled morning routine and a plan for the rent arrears.",
            "needs": [
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
                {
                    "headline": "HSG",
                    "who": "Grace, Kayden, Amara",
                    "evidence": "Notice of seeking possession received in October.",
                    "source": "The family",
                },
            ],
            "professionals": _professionals(),
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
        }
    )


# --- reading documents back ------------------------------------------------------


from tests.readback import docx_text, flat, pdf_text  # noqa: E402,F401  (re-exported)
