"""GOV.UK error messages never repeat a label's "(optional)": checked on every field
of every form, with answers that break each kind of rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from forms_service.definitions.model import Field
from forms_service.definitions.registry import Registry
from forms_service.fieldtypes import required_message
from forms_service.submissions.answers import AnswersInvalid, validate

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry(ROOT / "form_schemas", ROOT / "doc_templates")

#: Answers that break a rule of some type: wrong shape, bad format, too long, unreal date.
BAD_ANSWERS: tuple[Any, ...] = (
    "not a valid answer @@",
    "x" * 200_000,
    "2020-02-31",
    "not-a-date",
    12345,
    -1,
    True,
    [],
    ["?"],
    {},
    {"day": "31", "month": "2", "year": "2020"},
)


def _every_field(fields: tuple[Field, ...]) -> Iterator[Field]:
    for fld in fields:
        yield fld
        yield from _every_field(fld.fields)


def _optional_fields() -> list[tuple[str, Field]]:
    return [
        (f"{form.id}.{fld.name}", fld)
        for form in REGISTRY.all()
        for fld in _every_field(tuple(form.fields))
        if "(optional)" in fld.label.lower()
    ]


def _messages(fld: Field, value: Any) -> list[str]:
    try:
        validate((fld,), {fld.name: value}, {})
    except AnswersInvalid as exc:
        return [m for messages in exc.errors.values() for m in messages]
    return []


def test_the_forms_have_optional_questions_to_check() -> None:
    """The test below means something only if some labels carry the marker."""
    assert len(_optional_fields()) >= 10


@pytest.mark.parametrize(("path", "fld"), _optional_fields(), ids=lambda v: str(v))
def test_no_message_names_a_field_with_its_optional_marker(path: str, fld: Field) -> None:
    assert "(optional)" not in fld.noun.lower()
    assert "(optional)" not in required_message(fld).lower()
    for value in BAD_ANSWERS:
        for message in _messages(fld, value):
            assert "(optional)" not in message.lower(), (path, value, message)


def test_the_family_email_message_reads_as_govuk_asks() -> None:
    family = REGISTRY.get("ehfsa")
    fields = _every_field(tuple(family.fields))
    email = next(f for f in fields if f.label.startswith("Family email"))
    assert _messages(email, "not an email")[0].startswith(
        "Enter family email address in the correct format"
    )


def test_a_label_ending_in_a_question_and_the_marker_reads_as_a_noun() -> None:
    fld = Field(name="said", type="text", label="What did the child say? (optional)")
    assert fld.noun == "what did the child say"
