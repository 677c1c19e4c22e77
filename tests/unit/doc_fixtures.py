"""Realistic EHFSA answers for the document tests (already in validated shape)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from forms_service.definitions import FormDefinition, load_form

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
