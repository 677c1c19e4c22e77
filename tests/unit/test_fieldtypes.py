"""Each field type holds its own widget, check, schema and display: tested here type by type."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from werkzeug.datastructures import MultiDict

from forms_service.definitions.loader import SchemaError, load_form
from forms_service.definitions.model import Condition, DateRule, Field, Option
from forms_service.definitions.registry import Registry
from forms_service.fieldtypes import (
    answers_of,
    display_value,
    form_class,
    object_schema,
    render_fields,
    type_names,
    type_of,
)
from forms_service.fieldtypes.scopes import BLANK
from forms_service.submissions.answers import AnswersInvalid, validate
from tests.conftest import make_app

TODAY = dt.date.today()


def _check(fld: Field, value: Any) -> Any:
    """The cleaned answer, or the first message."""
    try:
        return validate((fld,), {fld.name: value}, {})[fld.name]
    except AnswersInvalid as exc:
        return exc.errors[fld.name][0]


def _conforms(fld: Field, value: Any) -> bool:
    return Draft202012Validator(object_schema((fld,))).is_valid({fld.name: value})


def test_every_type_a_schema_file_uses_is_registered() -> None:
    """The meta-schema reads the registry, and the four forms use nothing else."""
    root = Path(__file__).resolve().parents[2]
    registry = Registry(root / "form_schemas", root / "doc_templates")

    def used(fields: tuple[Field, ...]) -> set[str]:
        return {f.type for f in fields} | {t for f in fields for t in used(f.fields)}

    every = set().union(*(used(tuple(form.fields)) for form in registry.all()))
    assert every <= type_names()
    assert {"text", "phone", "nhs_number", "date", "choice", "repeating"} <= every


def test_phone_is_stored_as_e164_and_the_schema_admits_what_people_type() -> None:
    phone = Field(name="phone", type="phone", label="Phone number")
    assert _check(phone, "01702 215000") == "+441702215000"
    assert _check(phone, "0800 FLOWERS").startswith("Enter phone number in the correct format")
    for typed in ("01702 215000", "(01702) 215000", "+44 1702 215000", "07911-123456"):
        assert _conforms(phone, typed), typed
    rules = [rule.id for rule in type_of(phone).rules(phone)]
    assert "real-phone-number" in rules


def test_nhs_number_check_digit_is_an_x_rule_and_enforced() -> None:
    nhs = Field(name="nhs", type="nhs_number", label="NHS number")
    assert _check(nhs, "943 476 5919") == "9434765919"
    assert "valid 10-digit NHS number" in _check(nhs, "943 476 5918")
    assert _conforms(nhs, "943 476 5918")  # the pattern cannot see the check digit…
    (rule,) = type_of(nhs).rules(nhs)
    assert not rule.check("943 476 5918") and rule.check("9434765919")  # …the x-rule can


@pytest.mark.parametrize(
    ("kind", "stored", "shown"),
    [
        ("phone", "+441702215007", "01702 215007"),
        ("phone", "+447911123456", "07911 123456"),
        ("phone", "+33123456789", "+33 1 23 45 67 89"),
        ("nhs_number", "9434765919", "943 476 5919"),
    ],
)
def test_numbers_display_and_come_back_into_their_box_as_people_write_them(
    kind: str, stored: str, shown: str
) -> None:
    """Shown formatted on check answers and documents, and typed back formatted into the
    form; posting that again stores the same machine form (it round-trips)."""
    fld = Field(name="number", type=kind, label="Number")
    assert display_value(fld, stored) == shown
    saved = form_class((fld,))(data={"number": stored})
    assert saved["number"].data == shown
    posted = form_class((fld,))(formdata=MultiDict({"number": shown}))
    assert _check(fld, answers_of((fld,), posted)["number"]) == stored


def test_a_number_just_typed_is_shown_back_as_typed() -> None:
    """Only a saved answer is reformatted: what the user just posted stays as they wrote it."""
    fld = Field(name="number", type="phone", label="Number")
    posted = form_class((fld,))(formdata=MultiDict({"number": "+44 1702 215007"}))
    assert posted["number"].data == "+44 1702 215007"


def test_a_list_may_declare_answers_no_two_items_share() -> None:
    """``unique:`` compares stored answers (spacing aside), ignores blanks, names both items,
    and its published x-rule judges a list as the server does."""
    people = Field(
        name="people",
        type="repeating",
        label="People",
        item_label="person",
        unique=("nhs",),
        fields=(
            Field(name="name", type="text", label="Name"),
            Field(name="nhs", type="nhs_number", label="NHS number", required=False),
        ),
    )
    ann, bob, cy = ({"name": n} for n in ("Ann", "Bob", "Cy"))
    one = _check(people, [ann, {**bob, "nhs": "943 476 5919"}, cy])
    assert one == [ann, {**bob, "nhs": "9434765919"}, cy]  # one number, stored as digits
    repeated = [{**ann, "nhs": "9434765919"}, bob, {**cy, "nhs": "943 476 5919"}]
    assert _check(people, repeated) == (
        "Person 3: NHS number is the same as person 1's. Check both numbers"
    )
    (rule,) = type_of(people).rules(people)
    assert rule.id == "unique-in-list"
    assert not rule.check(repeated) and rule.check([ann, bob, {**cy, "nhs": "9434765919"}])


def test_unique_must_name_a_field_of_the_items(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    schemas = shutil.copytree(root / "form_schemas", tmp_path / "form_schemas")
    path = schemas / "ehfsa.yaml"
    text = path.read_text(encoding="utf-8")
    assert "unique: [nhs_number]" in text
    path.write_text(text.replace("unique: [nhs_number]", "unique: [nhs_numbr]"), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"household.unique: 'nhs_numbr' is not one of its"):
        load_form(path, root / "doc_templates")


def test_blank_only_text_is_refused_by_server_and_schema() -> None:
    name = Field(name="name", type="text", label="Your name")
    assert _check(name, "   ") == "Enter your name"
    assert not _conforms(name, "   ")
    optional = Field(name="name", type="text", label="Nickname", required=False)
    assert validate((optional,), {"name": "  "}, {}) == {}
    assert _conforms(optional, "  ") and _conforms(optional, None)
    assert BLANK in object_schema((optional,))["properties"]["name"]["anyOf"]


def test_number_is_a_whole_number_in_range() -> None:
    score = Field(name="score", type="number", label="Score", minimum=0, maximum=10)
    assert _check(score, 7) == 7
    assert _check(score, 7.0) == 7  # JSON Schema calls 7.0 an integer too
    assert "whole number from 0 to 10" in _check(score, "7")
    assert "whole number from 0 to 10" in _check(score, 11)
    assert "whole number from 0 to 10" in _check(score, True)


def test_date_example_keeps_the_bounds() -> None:
    for rule in (
        DateRule(not_future=True, max_years_ago=1),
        DateRule(future_only=True, max_days_ahead=7),
        DateRule(not_future=True),
    ):
        day = Field(name="day", type="date", label="Date", date=rule)
        (example,) = type_of(day).json_schema(day)["examples"]
        assert _check(day, example) == example
        assert all(x.check(example) for x in type_of(day).rules(day))


def test_display_is_what_a_reader_sees() -> None:
    choice = Field(
        name="c", type="choice", label="C", options=(Option("a", "Apple"), Option("b", "Bean"))
    )
    assert display_value(choice, "b") == "Bean"
    assert display_value(Field(name="y", type="yes_no", label="Y"), False) == "No"
    assert display_value(Field(name="d", type="date", label="D"), "2016-03-03") == "3 March 2016"
    assert display_value(Field(name="t", type="text", label="T"), None) == "Not given"


@pytest.fixture
def app(tmp_path: Any) -> Flask:
    return make_app(tmp_path)


def _rendered(app: Flask, fields: tuple[Field, ...], data: dict[str, Any]) -> str:
    with app.test_request_context():
        form = form_class(fields)(formdata=None, data=data)
        return str(render_fields(fields, form, {}))


def test_a_short_choice_is_radios_a_long_one_a_select(app: Flask) -> None:
    short = Field(
        name="c",
        type="choice",
        label="C",
        options=tuple(Option(str(i), f"O{i}") for i in range(12)),
    )
    long = Field(
        name="c",
        type="choice",
        label="C",
        options=tuple(Option(str(i), f"O{i}") for i in range(13)),
    )
    assert 'class="govuk-radios' in _rendered(app, (short,), {"c": "3"})
    assert "<select" in _rendered(app, (long,), {"c": "3"})
    assert type_of(short).hosts_reveals(short) and not type_of(long).hosts_reveals(long)


def test_a_revealed_question_sits_under_its_radio(app: Flask) -> None:
    ask = Field(name="ask", type="yes_no", label="Any?")
    why = Field(
        name="why",
        type="text",
        label="Why?",
        show_if=Condition(field="ask", equals=True),
    )
    html = _rendered(app, (ask, why), {"ask": True, "why": "Because"})
    assert 'id="conditional-ask"' in html
    assert html.index('id="conditional-ask"') < html.index('value="Because"')


def test_a_group_binds_and_returns_its_answers(app: Flask) -> None:
    inner = (
        Field(name="street", type="text", label="Street"),
        Field(name="town", type="text", label="Town"),
    )
    group = Field(name="address", type="group", label="Address", fields=inner)
    with app.test_request_context():
        form = form_class((group,))(formdata=None, data={"address": {"street": "1 High St"}})
        assert answers_of((group,), form) == {"address": {"street": "1 High St", "town": None}}
        assert "govuk-fieldset__legend--m" in str(render_fields((group,), form, {}))


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("14", "May", "2016", "2016-05-14"),
        ("14", "may", "2016", "2016-05-14"),
        ("5", "Sept", "2016", "2016-09-05"),
        ("05", "sep", "2016", "2016-09-05"),
        ("5", "September", "2016", "2016-09-05"),
        ("5", "SEP.", "2016", "2016-09-05"),
        ("05", "05", "2016", "2016-05-05"),
        (" 1 ", " jan ", "2016", "2016-01-01"),
    ],
)
def test_a_date_input_takes_month_names_and_two_digit_parts(
    app: Flask, day: str, month: str, year: str, expected: str
) -> None:
    """GOV.UK's date input guidance: accept month names, abbreviations and leading zeros."""
    born = Field(name="born", type="date", label="Date of birth")
    posted = MultiDict({"born-day": day, "born-month": month, "born-year": year})
    with app.test_request_context(method="POST"):
        form = form_class((born,))(formdata=posted)
        assert answers_of((born,), form)["born"] == expected
    assert _check(born, expected) == expected


@pytest.mark.parametrize("month", ["Ma", "Ju", "Mayo", "13", "0", "Smarch", "5.5"])
def test_a_month_that_names_no_month_is_not_a_real_date(app: Flask, month: str) -> None:
    """Too short to tell ("Ju": June or July?), or not a month at all: the usual message."""
    born = Field(name="born", type="date", label="Date of birth")
    posted = MultiDict({"born-day": "14", "born-month": month, "born-year": "2016"})
    with app.test_request_context(method="POST"):
        form = form_class((born,))(formdata=posted)
        answer = answers_of((born,), form)["born"]
    assert _check(born, answer) == "Date of birth must be a real date"


def test_the_api_still_takes_only_iso_dates() -> None:
    born = Field(name="born", type="date", label="Date of birth")
    assert _check(born, "2016-05-14") == "2016-05-14"
    assert _check(born, "14 May 2016") == "Date of birth must be a real date"


@pytest.mark.parametrize("kind", ["email", "postcode", "phone", "nhs_number"])
def test_a_code_is_not_spellchecked_or_read_as_words(app: Flask, kind: str) -> None:
    """An email address, postcode, phone or NHS number is a code: a spellchecker's red
    line under it helps nobody, and the plan's glossary check must not read it as words."""
    code = Field(name="c", type=kind, label="C", required=False)
    assert 'spellcheck="false"' in _rendered(app, (code,), {})
    assert not type_of(code).words
    words = Field(name="w", type="text", label="W", required=False)
    assert "spellcheck" not in _rendered(app, (words,), {}) and type_of(words).words


def test_a_length_limit_is_stated_in_the_hint(app: Flask) -> None:
    """GOV.UK: say the limit before the user meets it; the type words it, not the YAML."""
    ref = Field(name="ref", type="text", label="Reference", hint="From the letter", max_length=50)
    html = _rendered(app, (ref,), {})
    assert "From the letter You can enter up to 50 characters." in html
    name = Field(name="name", type="text", label="Name")
    assert "You can enter up to" not in _rendered(app, (name,), {})


def test_long_text_has_a_character_count_and_states_its_minimum(app: Flask) -> None:
    what = Field(
        name="what", type="long_text", label="What happened?", min_length=50, max_length=2000
    )
    html = _rendered(app, (what,), {})
    assert 'data-module="govuk-character-count"' in html
    assert 'data-maxlength="2000"' in html
    assert "You can enter up to 2,000 characters" in html
    assert "Write at least 50 characters." in html
    assert _check(what, "Too short.") == "What happened must be 50 characters or more"


def test_every_length_limit_of_every_form_is_stated() -> None:
    """Each text limit in form_schemas/ reaches the page: the hint or the character count."""
    root = Path(__file__).resolve().parents[2]
    registry = Registry(root / "form_schemas", root / "doc_templates")

    def every(fields: tuple[Field, ...]) -> list[Field]:
        return [g for f in fields for g in (f, *every(f.fields))]

    texts = [f for form in registry.all() for f in every(tuple(form.fields)) if f.type == "text"]
    longs = [
        f for form in registry.all() for f in every(tuple(form.fields)) if f.type == "long_text"
    ]
    assert texts and longs
    for fld in texts:
        if fld.max_length:
            assert f"You can enter up to {fld.max_length:,} characters." in (
                type_of(fld).hint(fld) or ""
            ), fld.name
    for fld in longs + texts:
        if fld.min_length:
            assert f"Write at least {fld.min_length} characters." in (
                type_of(fld).hint(fld) or ""
            ), fld.name
    assert any(f.min_length for f in longs)
