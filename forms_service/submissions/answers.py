"""Final, server-side validation of answers: one marshmallow schema per form.

The web pages and the JSON API both call :func:`validate`, so there is one set
of rules and one set of messages. Answers arrive in the API's JSON shape (the
web layer converts form posts into it first): text as strings, yes/no as
booleans, dates as ``YYYY-MM-DD``, groups as objects, repeating groups as
arrays. Messages follow the GOV.UK pattern and name the field, e.g. "Enter your
job title" or "Date of birth must be today or in the past".
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    pre_load,
    validates_schema,
)
from marshmallow import fields as mf
from stdnum.gb import nhs

from ..definitions.model import Field, Stop
from ..errors import flatten_errors
from ..text import normalise

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")
DEFAULT_MAX = {"text": 200, "long_text": 5000, "email": 254, "phone": 30, "postcode": 10}
UNKNOWN_FIELD = "This is not a question on this form. Remove it"

Contacts = tuple[tuple[str, str], ...]


def capitalise(text: str) -> str:
    """First letter upper-case, the rest untouched ("your name" → "Your name")."""
    return text[:1].upper() + text[1:]


def is_required(fld: Field) -> bool:
    """Whether an answer must be given (a list that may be empty never must)."""
    if fld.type == "repeating":
        return fld.min_items > 0
    return fld.required


def required_message(fld: Field) -> str:
    """The GOV.UK message for a missing answer."""
    if "required" in fld.messages:
        return fld.messages["required"]
    if fld.type in {"choice", "multi_choice", "yes_no"}:
        return f"Select {fld.noun}"
    if fld.type == "confirm":
        return f"Tick the box to confirm {fld.noun}"
    if fld.type == "repeating":
        return f"Add at least one {fld.item_label}"  # "one" needs no article
    return f"Enter {fld.noun}"


def stop_message(stop: Stop, contacts: Mapping[str, str]) -> str:
    """The stop screen as one sentence block, contacts filled from configuration."""
    return " ".join([f"{stop.title}.", *(fill_contacts(p, contacts) for p in stop.body)])


def fill_contacts(text: str, contacts: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders with configured contact details only."""
    return re.sub(r"\{([a-z0-9_]+)\}", lambda m: contacts.get(m.group(1), m.group(0)), text)


class _Answer(mf.Field):
    """Base of every answer field: knows its definition and its messages."""

    def __init__(self, definition: Field, contacts: Mapping[str, str], **kwargs: Any) -> None:
        self.definition = definition
        self.contacts = contacts
        required = is_required(definition) and definition.show_if is None
        super().__init__(required=required, **kwargs)
        self.error_messages["required"] = required_message(definition)
        self.error_messages["null"] = required_message(definition)

    def fail(self, message: str) -> ValidationError:
        return ValidationError(message)

    def _check_rules(self, value: Any) -> Any:
        d = self.definition
        if d.stop is not None and value == d.stop.when:
            raise self.fail(stop_message(d.stop, self.contacts))
        if d.must_be is not None and value != d.must_be:
            raise self.fail(d.must_be_message or f"{capitalise(d.noun)} must be {d.must_be}")
        return value


class TextAnswer(_Answer):
    """Text of any single- or multi-line kind, normalised (see ``text.py``)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        d = self.definition
        if not isinstance(value, str):
            raise self.fail(f"{capitalise(d.noun)} must be text")
        cleaned = normalise(value, single_line=d.type != "long_text")
        if not cleaned:
            raise self.fail(required_message(d))
        limit = d.max_length or DEFAULT_MAX.get(d.type, 200)
        if len(cleaned) > limit:
            raise self.fail(f"{capitalise(d.noun)} must be {limit:,} characters or fewer")
        if d.min_length and len(cleaned) < d.min_length:
            raise self.fail(f"{capitalise(d.noun)} must be {d.min_length} characters or more")
        return self._check_rules(self.check_format(cleaned))

    def check_format(self, value: str) -> str:
        """Per-type format check and canonical form; plain text passes through."""
        return value


class EmailAnswer(TextAnswer):
    def check_format(self, value: str) -> str:
        if not EMAIL.match(value):
            raise self.fail(
                f"Enter {self.definition.noun} in the correct format, like name@example.com"
            )
        return value


class PhoneAnswer(TextAnswer):
    """A UK (or international) phone number, stored as E.164."""

    def check_format(self, value: str) -> str:
        message = (
            f"Enter {self.definition.noun} in the correct format, like 01702 215000 or 07911 123456"
        )
        try:
            number = phonenumbers.parse(value, "GB")
        except phonenumbers.NumberParseException:
            raise self.fail(message) from None
        if not phonenumbers.is_valid_number(number):
            raise self.fail(message)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PostcodeAnswer(TextAnswer):
    """A UK postcode: upper case, one space before the inward code."""

    def check_format(self, value: str) -> str:
        match = POSTCODE.match(value.upper().replace(" ", ""))
        if not match:
            raise self.fail(f"Enter {self.definition.noun} in the correct format, like SS2 6ER")
        return f"{match.group(1)} {match.group(2)}"


class NhsNumberAnswer(TextAnswer):
    """A 10-digit NHS number with a valid modulus-11 check digit."""

    def check_format(self, value: str) -> str:
        try:
            return str(nhs.validate(value))
        except Exception:
            raise self.fail(
                f"{capitalise(self.definition.noun)} must be a valid 10-digit NHS number, "
                "like 943 476 5919"
            ) from None


class DateAnswer(_Answer):
    """A calendar date as ``YYYY-MM-DD``, within the definition's bounds."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        d = self.definition
        noun = capitalise(d.noun)
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise self.fail(f"{noun} must be a real date")
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(f"{noun} must be a real date") from None
        today = dt.date.today()
        rule = d.date
        if rule is not None:
            if rule.not_future and day > today:
                raise self.fail(f"{noun} must be today or in the past")
            if rule.future_only and day <= today:
                raise self.fail(f"{noun} must be in the future")
            if rule.max_years_ago and day < _years_before(today, rule.max_years_ago):
                raise self.fail(f"{noun} must be within the last {rule.max_years_ago} years")
            if rule.max_days_ahead and day > today + dt.timedelta(days=rule.max_days_ahead):
                weeks = rule.max_days_ahead // 7
                raise self.fail(f"{noun} must be within the next {weeks} weeks")
        return self._check_rules(day.isoformat())


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class YesNoAnswer(_Answer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.fail(f"{capitalise(self.definition.noun)} must be true or false")
        return self._check_rules(value)


class NumberAnswer(_Answer):
    """A whole number between the definition's minimum and maximum."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        d = self.definition
        low, high = d.minimum or 0, d.maximum or 0
        message = f"{capitalise(d.noun)} must be a whole number from {low} to {high}"
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.fail(message)
        text = str(value).strip()
        if not text.lstrip("-").isdigit() or len(text) > 12:
            raise self.fail(message)
        number = int(text)
        if not low <= number <= high:
            raise self.fail(message)
        return self._check_rules(number)


class ConfirmAnswer(_Answer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value is not True:
            raise self.fail(required_message(self.definition))
        return True


class ChoiceAnswer(_Answer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        allowed = {o.value for o in self.definition.options}
        if not isinstance(value, str) or value not in allowed:
            raise self.fail(required_message(self.definition))
        return self._check_rules(value)


class MultiChoiceAnswer(_Answer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        allowed = [o.value for o in self.definition.options]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{capitalise(self.definition.noun)} must be a list of options")
        if any(v not in allowed for v in value):
            raise self.fail(required_message(self.definition))
        if self.definition.required and not value:
            raise self.fail(required_message(self.definition))
        return [v for v in allowed if v in value]  # form order, no duplicates


class GroupAnswer(_Answer):
    """A non-repeating group of questions, held as an object."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise self.fail(f"{capitalise(self.definition.noun)} must be an object")
        return schema_for(self.definition.fields, _contacts_key(self.contacts)).load(value)


class RepeatingAnswer(_Answer):
    """A repeating group, held as an array of objects."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        d = self.definition
        if not isinstance(value, list):
            raise self.fail(f"{capitalise(d.noun)} must be a list")
        if len(value) < d.min_items:
            raise self.fail(required_message(d))
        if d.max_items is not None and len(value) > d.max_items:
            raise self.fail(f"You can add up to {d.count_items(d.max_items)}")
        schema = schema_for(d.fields, _contacts_key(self.contacts))
        items: list[Any] = []
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                errors[index] = {"_schema": [f"Each {d.item_label} must be an object"]}
                continue
            try:
                items.append(schema.load(item))
            except ValidationError as exc:
                errors[index] = exc.messages
        if errors:
            raise ValidationError(errors)
        for rule in d.item_rules:
            if not rule.holds(items):
                raise self.fail(rule.message)
        return items


ANSWER_FIELDS: dict[str, type[_Answer]] = {
    "text": TextAnswer,
    "long_text": TextAnswer,
    "email": EmailAnswer,
    "phone": PhoneAnswer,
    "postcode": PostcodeAnswer,
    "nhs_number": NhsNumberAnswer,
    "date": DateAnswer,
    "yes_no": YesNoAnswer,
    "confirm": ConfirmAnswer,
    "number": NumberAnswer,
    "choice": ChoiceAnswer,
    "multi_choice": MultiChoiceAnswer,
    "group": GroupAnswer,
    "repeating": RepeatingAnswer,
}


def _contacts_key(contacts: Mapping[str, str]) -> Contacts:
    return tuple(sorted(contacts.items()))


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


@functools.lru_cache(maxsize=256)
def schema_for(definitions: tuple[Field, ...], contacts: Contacts) -> Schema:
    """A marshmallow schema instance for one scope of fields (cached: forms are frozen)."""
    contact_map = dict(contacts)
    attrs: dict[str, Any] = {f.name: ANSWER_FIELDS[f.type](f, contact_map) for f in definitions}

    class Meta:
        unknown = RAISE

    def drop_blank_and_hidden(self: Schema, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if not _is_blank(v)}
        for f in definitions:
            if f.type == "group" and f.name not in data:
                data[f.name] = {}
            if f.show_if is not None and not f.show_if.holds(data):
                data.pop(f.name, None)
        return data

    def conditional_required(self: Schema, data: dict[str, Any], original: Any, **_: Any) -> None:
        given = original if isinstance(original, dict) else {}
        errors: dict[str, list[str]] = {}
        for f in definitions:
            visible = f.show_if is not None and f.show_if.holds(data)
            missing = f.name not in data and _is_blank(given.get(f.name))
            if visible and is_required(f) and missing:
                errors[f.name] = [required_message(f)]
        if errors:
            raise ValidationError(errors)

    attrs["Meta"] = Meta
    attrs["_drop_blank_and_hidden"] = pre_load(drop_blank_and_hidden)
    attrs["_conditional_required"] = validates_schema(
        skip_on_field_errors=False, pass_original=True
    )(conditional_required)
    schema_class = type("AnswersSchema", (Schema,), attrs)
    schema = schema_class()
    schema.error_messages = {**schema.error_messages, "unknown": UNKNOWN_FIELD}
    return schema


class AnswersInvalid(Exception):
    """Answers failed validation; ``errors`` maps field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(f"{len(errors)} invalid answer(s)")
        self.errors = errors


def validate(
    definitions: Iterable[Field], data: Any, contacts: Mapping[str, str]
) -> dict[str, Any]:
    """Clean answers for ``definitions``, or raise :class:`AnswersInvalid`."""
    if not isinstance(data, dict):
        raise AnswersInvalid({"_form": ["The answers must be a JSON object"]})
    schema = schema_for(tuple(definitions), _contacts_key(contacts))
    try:
        return dict(schema.load(data))
    except ValidationError as exc:
        raise AnswersInvalid(flatten_errors(exc.messages)) from None
