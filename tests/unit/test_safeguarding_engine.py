"""The declarative safeguarding pieces: a stop's ``unless``, advice ("Not sure"), the
forms' ``alerts:`` and their triggers, the loader's checks of them, and the time type."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forms_service.definitions.loader import SchemaError, load_form
from forms_service.definitions.model import Condition, Trigger
from forms_service.definitions.registry import Registry
from forms_service.documents import DocumentRenderer, SubmissionRecord
from forms_service.fieldtypes.clock_time import parse_time
from forms_service.flow.navigation import triggered_advice, triggered_stop
from tests import factories as fx
from tests.readback import docx_text, flat, pdf_text

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry(ROOT / "form_schemas", ROOT / "doc_templates")


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    target = tmp_path / "form_schemas"
    shutil.copytree(ROOT / "form_schemas", target)
    return target


def _edit(schemas: Path, name: str, old: str, new: str) -> Path:
    path = schemas / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_stop_with_unless_reads_the_earlier_answer() -> None:
    gate = REGISTRY.get("cspoc-request").page("safeguarding").fields
    harm = {"significant_harm": "yes"}
    assert triggered_stop(gate, harm) is not None
    assert triggered_stop(gate, {**harm, "request_type": "supporting_families"}) is not None
    assert triggered_stop(gate, {**harm, "request_type": "confirm_phoned_concern"}) is None
    assert triggered_stop(gate, {"significant_harm": "no"}) is None


def test_not_sure_is_advice_not_a_stop() -> None:
    gate = REGISTRY.get("ehfsa").page("safeguarding").fields
    answers = {"immediate_danger": "no", "open_to_social_care": "not_sure"}
    assert triggered_stop(gate, answers) is None
    found = triggered_advice(gate, answers)
    assert found is not None and found[0].name == "open_to_social_care"
    assert "{advice_line_phone}" in " ".join(found[1].body)


@pytest.mark.parametrize(
    ("trigger", "answers", "holds"),
    [
        (Trigger("analysis.scale", at_most=2), {"analysis": {"scale": 2}}, True),
        (Trigger("analysis.scale", at_most=2), {"analysis": {"scale": 3}}, False),
        (Trigger("analysis.scale", at_most=2), {"analysis": {"scale": 0}}, True),
        (Trigger("analysis.scale", at_most=2), {"analysis": {}}, False),
        (Trigger("analysis.scale", at_most=2), {"analysis": {"scale": False}}, False),
        (Trigger("decision", equals="step_up"), {"decision": "step_up"}, True),
        (Trigger("decision", equals="step_up"), {"decision": "continue"}, False),
        (Trigger("check.worried", one_of=("yes", "not_sure")), {"check": {"worried": "no"}}, False),
    ],
)
def test_a_trigger_tests_one_answer(trigger: Trigger, answers: dict, holds: bool) -> None:  # type: ignore[type-arg]
    assert trigger.holds(answers) is holds


def test_some_needs_an_item_meeting_every_condition() -> None:
    trigger = Trigger(
        "domains",
        some=(Condition("applies", equals=True), Condition("headline", one_of=("DA", "CSA"))),
    )
    assert trigger.holds({"domains": [{"headline": "DA", "applies": True}]})
    assert not trigger.holds({"domains": [{"headline": "DA", "applies": False}]})
    assert not trigger.holds({"domains": [{"headline": "FIN", "applies": True}]})
    assert not trigger.holds({"domains": "DA"})


def test_the_family_story_warns_on_a_domestic_abuse_need_or_a_low_scale() -> None:
    form = REGISTRY.get("family-story")
    answers = fx.family_story_answers()
    assert form.alerts_after("analysis", answers) == ()
    answers["domains"][0] = {**answers["domains"][0], "headline": "DA", "applies": True}
    assert [a.id for a in form.alerts_after("analysis", answers)] == ["risk"]
    assert form.alerts_after("needs-assessment", answers) == ()  # only after its page
    calm = fx.family_story_answers()
    calm["analysis"] = {**calm["analysis"], "scale": 2}
    assert [a.id for a in form.alerts_after("analysis", calm)] == ["risk"]


def test_the_real_exploitation_and_abuse_needs_are_the_ones_tested() -> None:
    headline = REGISTRY.get("cspoc-request").field("needs").child("headline")
    labels = {o.value: o.label for o in headline.options}
    assert "domestic abuse" in labels["DA"] and "abuse and exploitation" in labels["CSA"]


def test_an_alert_after_a_page_that_does_not_exist_is_refused(schemas: Path) -> None:
    path = _edit(schemas, "family-story.yaml", "    after: analysis\n", "    after: analysys\n")
    with pytest.raises(SchemaError, match=r"alerts\.risk\.after: 'analysys' is not a page"):
        load_form(path)


def test_an_alert_testing_a_missing_field_is_refused(schemas: Path) -> None:
    path = _edit(schemas, "family-story.yaml", "field: analysis.scale,", "field: analysis.scales,")
    with pytest.raises(SchemaError, match=r"'analysis\.scales' is not a field"):
        load_form(path)


def test_an_alert_trigger_gives_one_test(schemas: Path) -> None:
    path = _edit(schemas, "family-story.yaml", "at_most: 2}", "at_most: 2, equals: 1}")
    with pytest.raises(SchemaError, match="give exactly one of"):
        load_form(path)


def test_an_alert_may_start_only_a_form_that_prefills_from_it(schemas: Path) -> None:
    _edit(schemas, "family-story.yaml", "    start: cspoc-request\n", "    start: tacaf-review\n")
    _edit(schemas, "tacaf-review.yaml", "  - form: family-story\n", "  - form: ehfsa\n")
    with pytest.raises(SchemaError, match="'tacaf-review' cannot start from family-story"):
        Registry(schemas, ROOT / "doc_templates")


def test_unless_must_name_an_earlier_question(schemas: Path) -> None:
    text = (schemas / "cspoc-request.yaml").read_text()
    request_page = text[text.index("  - id: request-type") : text.index("  # After the request")]
    text = text.replace(request_page, "")
    text = text.replace("  - id: referrer\n", request_page + "  - id: referrer\n", 1)
    (schemas / "cspoc-request.yaml").write_text(text)
    with pytest.raises(SchemaError, match="'request_type' is not asked on an earlier page"):
        load_form(schemas / "cspoc-request.yaml")


def test_advice_must_name_an_offered_answer(schemas: Path) -> None:
    path = _edit(schemas, "blocks/safeguarding_gate.yaml", "when: not_sure", "when: unsure")
    with pytest.raises(SchemaError, match="'unsure' is not one of its options"):
        load_form(path.parent.parent / "ehfsa.yaml")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("14:30", "14:30"),
        ("9:05", "09:05"),
        ("2:30pm", "14:30"),
        ("2.30 PM", "14:30"),
        ("9am", "09:00"),
        ("12am", "00:00"),
        ("12pm", "12:00"),
        ("noon", "12:00"),
        ("25:00", None),
        ("13pm", None),
        ("14", None),
        ("14:60", None),
        ("half two", None),
    ],
)
def test_a_time_is_stored_as_24_hours(typed: str, stored: str | None) -> None:
    assert parse_time(typed) == stored


def test_the_request_for_service_prints_the_call_it_confirms() -> None:
    form, answers = fx.document_case("cspoc-request")
    answers = {
        **answers,
        "request_type": "confirm_phoned_concern",
        "significant_harm": "yes",
        "phoned_concern": {
            "date": "2026-11-20",
            "time": "14:30",
            "spoken_to": "Sam Duty",
            "team": "First Contact",
        },
    }
    docs = DocumentRenderer(fx.TEMPLATES, fx.CONTACTS).render(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    text = flat(pdf_text(docs.pdf))
    assert "Phoned through 20 November 2026 at 14:30, to Sam Duty (First Contact)" in text
    assert "Sam Duty" in docx_text(docs.docx)


def test_the_plan_has_no_step_up_section_unless_a_review_steps_up() -> None:
    form, answers = fx.document_case("tacaf-review")
    renderer = DocumentRenderer(fx.TEMPLATES, fx.CONTACTS)
    plain = renderer.render(SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT))
    assert "Asking for more help" not in docx_text(plain.family_docx or b"")
    words = "We are asking for more help because Kayden is not safe at night."
    stepping_up = {**answers, "decision": "step_up", "step_up_for_family": words}
    docs = renderer.render(SubmissionRecord(form, stepping_up, fx.REFERENCE, fx.SUBMITTED_AT))
    text = flat(docx_text(docs.family_docx or b""))
    assert "Asking for more help" in text and words in text
    assert "is asking for more help for our family" in text
