"""A person left out of the family's copy, and actions assigned to people from the answers.

The family: Kayden's father, Daniel Smith, is under a non-molestation order.
Jo marks him "leave out of the family's copy" and gives him an action of his
own. The family's plan (PDF read back with pypdf, DOCX with python-docx) must
not name him anywhere; the practitioners' record must, with the marker.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from forms_service.api.json_schema import form_json_schema
from forms_service.definitions.model import FormDefinition
from forms_service.documents.family import WITHHELD, build_family_plan, withhold_mentions
from forms_service.fieldtypes.answer_options import offered
from forms_service.submissions.answers import AnswersInvalid
from forms_service.submissions.rules import check_rules
from forms_service.submissions.service import validate_submission
from tests import factories as fx
from tests.readback import docx_text, flat, pdf_text
from tests.unit.test_family_plan import frozen_today, render  # noqa: F401 (a fixture)

FATHER = "Daniel Smith"
REASON = (
    "Non-molestation order (Family Court, October 2026): no contact with Grace or the children."
)
MARKER = "Left out of the family's copy"


def _who(form: FormDefinition) -> Any:
    return form.field("plan").child("who")


def family_with_a_father_left_out() -> tuple[FormDefinition, dict[str, Any]]:
    """The Family Story Assessment, the father left out, with two actions that name him."""
    form, answers = fx.document_case("family-story")
    answers = copy.deepcopy(answers)
    father = next(p for p in answers["household"] if p["first_name"] == "Daniel")
    father.update(leave_out_of_plan=True, leave_out_reason=REASON)
    answers["plan"].append(
        {
            "outcome": "Daniel wants to keep seeing the children safely.",
            "headline": "EDU",
            "member": FATHER,
            "what": "Go to the domestic abuse perpetrator programme.",
            "who": FATHER,
            "by_when": answers["plan"][0]["by_when"],
            "measure": "Daniel completes the programme.",
        }
    )
    answers["plan"].append(
        {
            "outcome": "We want to feel safe at home.",
            "headline": "EDU",
            "member": "The whole family",
            "what": "Keep the school's list of who may collect the children up to date.",
            "who": "Grace Okonkwo",
            "by_when": answers["plan"][0]["by_when"],
            "measure": "Only Grace or Beatrice collect the children.",
        }
    )
    return form, answers


def test_the_father_is_a_valid_choice_and_is_marked(frozen_today: None) -> None:  # noqa: F811
    form, answers = family_with_a_father_left_out()
    assert validate_submission(form, answers, fx.CONTACTS)["plan"][-2]["who"] == FATHER


def test_the_family_plan_never_names_him_and_the_record_marks_him() -> None:
    form, answers = family_with_a_father_left_out()
    docs = render(form, answers)
    assert docs.family_pdf is not None and docs.family_docx is not None
    family = {
        "pdf": flat(pdf_text(docs.family_pdf)),
        "docx": flat(docx_text(docs.family_docx)),
    }
    for kind, text in family.items():
        assert "Daniel" not in text, kind
        assert "perpetrator" not in text, kind
        assert "molestation" not in text, kind
        assert "Grace" in text and "Kayden" in text, kind  # the rest of the family is there
        assert "Make a morning routine chart" in text, kind  # and their actions
    record = {"pdf": flat(pdf_text(docs.pdf)), "docx": flat(docx_text(docs.docx))}
    for kind, text in record.items():
        assert f"{FATHER} – {MARKER}" in text, kind
        assert "Go to the domestic abuse perpetrator programme." in text, kind
        assert "Non-molestation order" in text, kind


def test_without_the_mark_he_is_in_the_family_plan() -> None:
    """The control: the same answers, not marked, do name him (so the test above can fail)."""
    _, answers = family_with_a_father_left_out()
    for person in answers["household"]:
        person.pop("leave_out_of_plan", None)
    plan = build_family_plan(answers, {})
    assert "Daniel" in [m["name"] for m in plan["members"]]
    assert "Daniel" in [a["who"] for a in plan["actions"]]  # first names only


def test_an_action_whose_words_name_him_is_left_out_too() -> None:
    """Even assigned to someone else, "report any contact from Daniel" is not printed."""
    _, answers = family_with_a_father_left_out()
    answers["plan"][0]["what"] = "Report any contact from Daniel to the police."
    plan = build_family_plan(answers, {})
    assert all("Daniel" not in str(a) for a in plan["actions"] + plan["changes"])
    assert all(m["name"] != "Daniel" for m in plan["members"])


def test_a_carried_forward_action_for_him_is_left_out() -> None:
    _, answers = fx.document_case("tacaf-review")
    answers = copy.deepcopy(answers)
    father = next(p for p in answers["household"] if p["first_name"] == "Daniel")
    father["leave_out_of_plan"] = True
    answers["previous_actions"][0]["who"] = FATHER  # copied as text from the last plan
    plan = build_family_plan(answers, {})
    assert answers["previous_actions"][0]["action"] not in [a["what"] for a in plan["actions"]]
    assert all("Daniel" not in str(a) for a in plan["actions"])


def test_a_son_named_after_his_left_out_father_keeps_his_actions() -> None:
    _, answers = family_with_a_father_left_out()
    answers["household"][0]["first_name"] = "Daniel"  # the lead child
    answers["plan"][0]["member"] = "Daniel Okonkwo-Smith"
    plan = build_family_plan(answers, {})
    assert "Daniel" in [m["name"] for m in plan["members"]]
    assert answers["plan"][0]["what"] in [a["what"] for a in plan["actions"]]
    assert "Go to the domestic abuse perpetrator programme." not in str(plan["actions"])


# --- the plan's own words: a section that names him is withheld, whole -----------------

DEAN_WORDS = "Grace feels safer since Daniel stopped coming to the house after school."


def test_a_section_that_names_him_is_withheld_whole() -> None:
    """Not just his name: "… since [ ] stopped coming to the house" still says who and what."""
    form, answers = family_with_a_father_left_out()
    answers["analysis"]["working_well"] = DEAN_WORDS
    answers["next_meeting"]["place"] = "Daniel's mother's flat, 4 Elm Road"
    plan = build_family_plan(answers, {})
    assert plan["working_well"] == WITHHELD
    assert plan["needs_to_happen"] == answers["analysis"]["needs_to_happen"]  # the rest stays
    assert plan["next_meeting"]["place"] == "" and plan["next_meeting"]["date"]
    docs = render(form, answers)
    assert docs.family_pdf is not None
    text = flat(pdf_text(docs.family_pdf))
    assert WITHHELD in text
    assert "stopped coming" not in text and "Elm Road" not in text and "Daniel" not in text
    assert "We will meet again on" in text
    record = flat(pdf_text(docs.pdf))  # the practitioners' record keeps the words
    assert DEAN_WORDS in record


def test_without_the_mark_the_section_is_printed() -> None:
    """The control: the same words, nobody left out, are the family's own."""
    _, answers = family_with_a_father_left_out()
    for person in answers["household"]:
        person.pop("leave_out_of_plan", None)
    answers["analysis"]["working_well"] = DEAN_WORDS
    answers["next_meeting"]["place"] = "Daniel's mother's flat"
    plan = build_family_plan(answers, {})
    assert plan["working_well"] == DEAN_WORDS
    assert plan["next_meeting"]["place"] == "Daniel's mother's flat"


def test_every_text_of_the_plan_is_checked_and_who_to_contact_is_left_to_the_template() -> None:
    """Any top-level text (one added later too) is withheld; who to contact is blanked,
    so the plan says "contact your worker"; the worker and safety numbers are kept."""
    plan = {
        "worried_about": "Daniel Smith has been texting Kayden.",
        "needs_to_happen": "Kayden needs a routine.",
        "child_words": "I miss my dad daniel.",
        "who_to_contact": "Daniel's sister, Ruth, on 01632 960000.",
        "next_meeting": None,
        "worker": {"name": "Jo Bennett", "job_title": "Family Support Practitioner"},
        "large_print": False,
    }
    kept = withhold_mentions(dict(plan), ("Daniel Smith", "Daniel"))
    assert kept == {
        **plan,
        "worried_about": WITHHELD,
        "child_words": WITHHELD,
        "who_to_contact": "",
    }
    assert withhold_mentions(dict(plan), ()) == plan


# --- the options come from the answers -------------------------------------------------


def test_who_offers_the_household_the_worker_and_the_professionals() -> None:
    form, answers = fx.document_case("family-story")
    labels = [o.label for o in offered(_who(form), answers, tuple(form.fields))]
    assert labels == [
        "Kayden Okonkwo-Smith",
        "Amara Okonkwo-Smith",
        "Unborn Okonkwo-Smith",
        "Grace Okonkwo",
        "Daniel Smith",
        "Beatrice Huang",
        "Jo Bennett (Family Support Practitioner)",
        "Hannah Lee (School nurse)",  # the agency's label, not its code
        "Oluwaseun Adeyemi (Health visitor)",
        "The whole family",
        "Everyone",
    ]


def test_the_stored_choice_survives_the_household_being_reordered(
    frozen_today: None,  # noqa: F811
) -> None:
    form, answers = fx.document_case("family-story")
    answers = copy.deepcopy(answers)
    answers["household"].reverse()
    assert check_rules(form, answers) == {}


def test_a_review_offers_the_people_at_the_meeting() -> None:
    form, answers = fx.document_case("tacaf-review")
    labels = [o.label for o in offered(_who(form), answers, tuple(form.fields))]
    assert "Grace Okonkwo" in labels and "Priya Raman (Riverside Primary School)" in labels
    member = form.field("plan").child("member")
    people = [o.label for o in offered(member, answers, tuple(form.fields))]
    assert "Priya Raman (Riverside Primary School)" not in people
    assert people[-1] == "The whole family"


@pytest.mark.parametrize("field", ["who", "member"])
def test_someone_not_in_the_answers_is_refused_by_name(
    field: str,
    frozen_today: None,  # noqa: F811
) -> None:
    form, answers = fx.document_case("family-story")
    answers = copy.deepcopy(answers)
    answers["plan"][1][field] = "Dean Nobody"
    with pytest.raises(AnswersInvalid) as caught:
        validate_submission(form, answers, fx.CONTACTS)
    noun = {"who": "who will do it", "member": "who in the family this is for"}[field]
    assert caught.value.errors == {
        f"plan.1.{field}": [f"Select {noun}: choose someone listed on this form"]
    }


def test_renaming_a_person_asks_for_their_actions_to_be_chosen_again(
    frozen_today: None,  # noqa: F811
) -> None:
    form, answers = fx.document_case("family-story")
    answers = copy.deepcopy(answers)
    next(p for p in answers["household"] if p["first_name"] == "Grace")["last_name"] = "Smith"
    errors = check_rules(form, answers)
    assert "plan.0.who" in errors and "plan.2.member" in errors


def test_the_published_schema_states_the_options_honestly() -> None:
    form, _ = fx.document_case("family-story")
    schema = form_json_schema(form, "urn:test")
    who = schema["properties"]["plan"]["items"]["properties"]["who"]
    assert who["type"] == "string" and "enum" not in who
    assert who["examples"] == ["The whole family", "Everyone"]
    assert {"list": "household", "label": "{first_name} {last_name}", "optional": False} in who[
        "x-options-from-answers"
    ]
    rules = {r["id"]: r["rule"] for r in schema["x-rules"]}
    assert "<first_name> <last_name>" in rules["options-from-answers:plan[].who"]
    assert "'attendance'" not in rules["options-from-answers:plan[].who"]  # not on this form
