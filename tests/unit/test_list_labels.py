"""Add-another lists read as English: labels in the singular and plural, a key that
names the item, and short values."""

from __future__ import annotations

from pathlib import Path

from forms_service.definitions.model import Field, plural
from forms_service.definitions.registry import Registry
from forms_service.web.templating import item_name, item_values, shorten

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry(ROOT / "form_schemas", ROOT / "doc_templates")


def _lists() -> list[Field]:
    return [f for form in REGISTRY.all() for f in form.fields if f.type == "repeating"]


def test_plurals_follow_english_rules_unless_the_schema_gives_one() -> None:
    assert [plural(n) for n in ("need", "agency", "address", "day", "visit")] == [
        "needs",
        "agencies",
        "addresses",
        "days",
        "visits",
    ]
    people = Field(name="p", type="repeating", label="P", item_label="person", item_plural="people")
    assert people.count_items(1) == "1 person" and people.count_items(3) == "3 people"
    assert people.a_item == "a person"


def test_every_list_of_the_four_forms_has_a_label_that_reads_in_both_numbers() -> None:
    """ "Add a person invited", "Save person's views", "any person inviteds": never again."""
    lists = _lists()
    assert len(lists) >= 15
    for group in lists:
        label = group.item_label or ""
        assert label and label == label.lower(), group.name
        assert "'" not in label and "'" not in group.items_plural, group.name
        assert group.items_plural != label, group.name
    attendance = REGISTRY.get("tacaf-review").field("attendance")
    assert attendance.a_item == "a person" and attendance.count_items(2) == "2 people"


def test_the_key_is_the_items_name_and_never_a_long_answer() -> None:
    household = REGISTRY.get("ehfsa").field("household")
    member = {"first_name": "Ann", "last_name": "Smith", "role": "lead_child"}
    assert item_name(household, member, 2) == "Family member 2: Ann Smith"
    assert "Ann" not in " ".join(item_values(household, member))
    needs = REGISTRY.get("ehfsa").field("needs")
    need = {"headline": needs.child("headline").options[0].value, "who": "Mia"}
    assert item_name(needs, need, 1) == "Need 1"
    assert item_values(needs, need)[-1] == "Mia"
    actions = REGISTRY.get("tacaf-review").field("previous_actions")
    action = {"action": "Grace will phone the school every Monday morning " * 3}
    assert item_name(actions, action, 1) == "Action 1"
    (value,) = item_values(actions, action)
    assert value.endswith("…") and len(value) <= 60


def test_shorten_cuts_at_a_word_and_leaves_short_text_alone() -> None:
    assert shorten("Kayden enjoys reading") == "Kayden enjoys reading"
    assert shorten("one two three four", most=12) == "one two…"
    assert shorten("line one\nline two") == "line one line two"


def test_form_names_read_inside_a_sentence() -> None:
    """ "a early help request" and a lower-cased proper name were both wrong."""
    titles = {form.id: (form.in_sentence, form.a_title) for form in REGISTRY.all()}
    assert titles["ehfsa"] == ("Early Help request", "an Early Help request")
    assert titles["cspoc-request"] == ("request for service", "a request for service")
    review = REGISTRY.get("tacaf-review")
    assert review.short_title == review.title  # one name for the review
    assert titles["tacaf-review"][1] == "a Team Around the Child and Family review"
