"""Plain words in the family's plan: family-facing fields, the glossary, the check.

The glossary is the real ``form_schemas/glossary.yaml``, loaded by a real
``Registry``; answers go through the same ``validate`` the web pages and the
API call.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from forms_service.definitions.glossary import Glossary, plain_words_message
from forms_service.definitions.loader import SchemaError, load_glossary
from forms_service.definitions.model import Field, FormDefinition, resolve
from forms_service.definitions.registry import Registry, check_schema_files
from forms_service.documents.family import FAMILY_PLAN_FIELDS, time_for_people
from forms_service.fieldtypes.messages import FAMILY_READS, hint_text
from forms_service.fieldtypes.scopes import field_schema
from forms_service.submissions.answers import AnswersInvalid, validate
from tests import factories as fx

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry(ROOT / "form_schemas", ROOT / "doc_templates")
PLAN_FORMS = ("family-story", "tacaf-review")

#: Every answer a worker types that the plan prints, in both forms with a plan.
FAMILY_FACING = (
    "analysis.working_well",
    "analysis.worried_about_for_family",
    "analysis.needs_to_happen",
    "plan.what",
    "plan.measure",
    "next_meeting.place",
    "worker.job_title",
    "household.relationship",
)
#: What the family or the child said: printed as said, never checked.
OWN_WORDS = ("plan.outcome", "child_own_words")


def _field(form: FormDefinition, path: str) -> Field:
    found = resolve(tuple(form.fields), path)
    assert found is not None, (form.id, path)
    return found


# --- the glossary file --------------------------------------------------------------


def test_the_glossary_names_the_abbreviations_the_plan_printed_and_more() -> None:
    terms = dict(REGISTRY.glossary.terms)
    for name in (
        "DSL TAF TAC TACAF IAPT FSP CAB DHP CAMHS SEN SENCO SENCo EHCP CP CIN LAC CSC SPOC "
        "C-SPOC MASH ASB DA DV YOS PCSO HV EWO NEET"
    ).split():
        assert terms.get(name, "").strip(), name
    # Families know these better than the long form (the file says why).
    for known in ("GP", "NHS", "ADHD"):
        assert known not in terms
    text = (ROOT / "form_schemas" / "glossary.yaml").read_text(encoding="utf-8")
    assert "GP" in text and "style-guide" in text  # the reasons are in the file


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("We will talk about it at the next TAF.", "TAF"),
        ("Two TAFs so far", "TAF"),
        ("Ask the DSL's office", "DSL"),
        ("Call the C-SPOC first", "C-SPOC"),  # the longer term, not SPOC inside it
        ("Then the SPOC", "SPOC"),
        ("Grace, SENCo and Jo", "SENCo"),
        ("(CAMHS)", "CAMHS"),
        ("TACAF on Monday", "TACAF"),
        ("Referral to TAC/TAF", "TAC"),
    ],
)
def test_an_abbreviation_is_found_as_a_whole_word(text: str, found: str) -> None:
    result = REGISTRY.glossary.first_in(text)
    assert result is not None and result[0] == found


@pytest.mark.parametrize(
    "text",
    [
        "A tactile sensory box for Kayden",  # "tac"
        "Dad will take Kayden to school",  # "DA"
        "Take a cab to the hospital",  # "cab"
        "Dance club on Saturdays",
        "Meet at SS2 6ER",  # a Southend postcode, not "SS"
        "The GP and the NHS dentist",  # left out on purpose
        "TAFFY the dog",  # a longer capitalised word
        "Mum's TV time",
    ],
)
def test_words_that_only_look_like_an_abbreviation_are_not_found(text: str) -> None:
    assert REGISTRY.glossary.first_in(text) is None


def _schemas_copy(tmp_path: Path, glossary: str) -> Path:
    schemas = tmp_path / "form_schemas"
    shutil.copytree(ROOT / "form_schemas", schemas)
    (schemas / "glossary.yaml").write_text(glossary, encoding="utf-8")
    return schemas


@pytest.mark.parametrize(
    ("glossary", "problem"),
    [
        ("terms:\n  TAF: ''\n", "TAF"),
        ("terms:\n  TAF: '   '\n", "TAF: the words to use instead are empty"),
        ("terms:\n  TAF: Team Around the Family\n  FSP: the TAF worker\n", "use 'TAF'"),
        ("terms:\n  taf: meeting\n", "must be an abbreviation"),
        ("terms: {}\n", "terms"),
        ("words:\n  TAF: meeting\n", "Unknown field"),
    ],
)
def test_a_broken_glossary_is_refused_when_the_forms_load(
    tmp_path: Path, glossary: str, problem: str
) -> None:
    schemas = _schemas_copy(tmp_path, glossary)
    with pytest.raises(SchemaError, match=re.escape(problem)):
        load_glossary(schemas / "glossary.yaml")
    with pytest.raises(SchemaError, match=re.escape(problem)):
        Registry(schemas, ROOT / "doc_templates")
    problems = check_schema_files(schemas, ROOT / "doc_templates")
    assert len(problems) == 1 and problem in problems[0]


def test_the_glossary_is_not_taken_for_a_form() -> None:
    assert "glossary" not in REGISTRY.ids()
    assert check_schema_files(ROOT / "form_schemas", ROOT / "doc_templates") == []


# --- which fields are family-facing -------------------------------------------------


@pytest.mark.parametrize("form_id", PLAN_FORMS)
def test_the_fields_the_plan_prints_are_family_facing(form_id: str) -> None:
    form = REGISTRY.get(form_id)
    for path in FAMILY_FACING:
        field = _field(form, path)
        assert field.family_facing and not field.own_words, path
        assert field.glossary == REGISTRY.glossary, path
        assert hint_text(field) is not None and hint_text(field).endswith(FAMILY_READS)
    for path in OWN_WORDS:
        field = _field(form, path)
        assert field.family_facing and field.own_words, path
        assert field.glossary is None, path
        assert hint_text(field) is not None and hint_text(field).endswith(FAMILY_READS)
    # Every worker-typed answer the plan reads is checked (names and dates are not words,
    # and plan.member / plan.who are chosen from the people around the family).
    unchecked = {"household.first_name", "household.role", "plan.by_when", "next_meeting.date"}
    unchecked |= {"next_meeting.time", "worker.name", "worker.phone", "worker.email"}
    unchecked |= {"plan.member", "plan.who"}
    # Read only to leave a person out of the plan (issue 11), never printed.
    unchecked |= {"household.last_name", "household.other_names", "household.leave_out_of_plan"}
    for path in FAMILY_PLAN_FIELDS:
        if path not in unchecked and path not in OWN_WORDS:
            assert path in FAMILY_FACING, path


@pytest.mark.parametrize("form_id", PLAN_FORMS)
def test_the_practitioners_worries_are_not_family_facing_nor_read_by_the_plan(
    form_id: str,
) -> None:
    worries = _field(REGISTRY.get(form_id), "analysis.worried_about")
    assert not worries.family_facing and worries.glossary is None
    assert hint_text(worries) is not None and FAMILY_READS not in (hint_text(worries) or "")
    assert "analysis.worried_about" not in FAMILY_PLAN_FIELDS
    assert "analysis.worried_about_for_family" in FAMILY_PLAN_FIELDS


@pytest.mark.parametrize("form_id", ["ehfsa", "cspoc-request"])
def test_a_form_without_a_family_plan_has_no_family_facing_field(form_id: str) -> None:
    """The shared person block marks its relationship family-facing; a referral prints no plan."""
    form = REGISTRY.get(form_id)

    def walk(fields: tuple[Field, ...]) -> list[Field]:
        return [g for f in fields for g in (f, *walk(f.fields))]

    everything = walk(tuple(form.fields))
    assert _field(form, "household.relationship") in everything
    assert [f.name for f in everything if f.family_facing or f.glossary is not None] == []


def test_the_published_schema_states_the_rule_and_the_hint() -> None:
    field = _field(REGISTRY.get("family-story"), "analysis.needs_to_happen")
    schema = field_schema(field)
    assert schema["description"] == FAMILY_READS
    (rule,) = [r for r in schema["x-rules"] if r["id"] == "plain-words"]
    assert "TAF" in rule["rule"] and "C-SPOC" in rule["rule"]
    outcome = field_schema(_field(REGISTRY.get("family-story"), "plan.outcome"))
    assert "plain-words" not in [r["id"] for r in outcome.get("x-rules", [])]


# --- the check, as the web pages and the API run it ---------------------------------


def _analysis(**changes: str) -> dict[str, object]:
    return {**fx.family_story_answers()["analysis"], **changes}


@pytest.mark.parametrize("form_id", PLAN_FORMS)
def test_an_abbreviation_in_a_family_facing_answer_is_refused(form_id: str) -> None:
    form = REGISTRY.get(form_id)
    analysis = form.field("analysis")
    with pytest.raises(AnswersInvalid) as refused:
        validate(
            (analysis,),
            {"analysis": _analysis(worried_about_for_family="We talked about it at the TAF.")},
            fx.CONTACTS,
        )
    assert refused.value.errors == {
        "analysis.worried_about_for_family": [
            "The family's plan cannot use 'TAF'. Write 'Team Around the Family meeting' instead"
        ]
    }
    plan = form.field("plan")
    action = {**fx.family_story_answers()["plan"][0], "what": "A referral to CAMHS."}
    with pytest.raises(AnswersInvalid) as refused:
        validate((plan,), {"plan": [action]}, fx.CONTACTS)
    assert refused.value.errors == {
        "plan.0.what": [plain_words_message("CAMHS", "children's mental health service")]
    }


def test_own_words_and_practitioner_notes_are_kept_as_written() -> None:
    form = REGISTRY.get("family-story")
    answers = fx.family_story_answers()
    answers["child_own_words"] = "My SEN teacher is nice. The DSL gave me a sticker."
    answers["plan"][0]["outcome"] = "We want CAMHS to see Kayden before the summer."
    answers["analysis"]["worried_about"] = "The DSL reports DA at home; MARAC referral made."
    clean = validate(form.fields, answers, fx.CONTACTS)
    assert clean["child_own_words"] == answers["child_own_words"]
    assert clean["plan"][0]["outcome"] == answers["plan"][0]["outcome"]
    assert clean["analysis"]["worried_about"] == answers["analysis"]["worried_about"]


def test_the_schema_cache_keeps_glossaries_apart(tmp_path: Path) -> None:
    """Two registries with different glossaries never share a cached answer schema."""
    schemas = _schemas_copy(tmp_path, "terms:\n  ABC: a plain word\n")
    other = Registry(schemas, ROOT / "doc_templates").get("family-story").field("analysis")
    ours = REGISTRY.get("family-story").field("analysis")
    value = {"analysis": _analysis(needs_to_happen="The ABC and the TAF.")}
    for field, name in ((ours, "TAF"), (other, "ABC")):
        with pytest.raises(AnswersInvalid) as refused:
            validate((field,), value, {})
        assert f"'{name}'" in str(refused.value.errors)


def test_the_empty_glossary_checks_nothing() -> None:
    assert Glossary().first_in("TAF DSL") is None
    assert Glossary().problems() == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16:00", "4pm"),
        ("09:30", "9:30am"),
        ("12:00", "midday"),
        ("12:30", "12:30pm"),
        ("08:00", "8am"),
        ("", ""),
        (None, ""),
        ("teatime", ""),
    ],
)
def test_time_for_people(value: str | None, expected: str) -> None:
    assert time_for_people(value) == expected


def test_the_next_meeting_times_read_as_the_plan_prints_them() -> None:
    time = _field(REGISTRY.get("family-story"), "next_meeting.time")
    assert not time.required
    for option in time.options:
        assert option.label == time_for_people(option.value)
