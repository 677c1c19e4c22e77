"""Typed text: a line, a long answer, an email address, a phone number, a postcode, an NHS number.

Every text answer is normalised first (``forms_service/text.py``: Unicode NFC,
XML-illegal characters removed, runs of white space on one line folded to one
space) and its length is counted after that. The published patterns describe
text as it is stored, so a client that sends what the schema allows is never
surprised by the normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar

import phonenumbers
from marshmallow import ValidationError
from stdnum.gb import nhs
from wtforms import Field as WTField
from wtforms import StringField, TextAreaField

from ..definitions.model import Field
from ..formats import format_nhs_number, format_phone
from ..text import normalise
from .base import Answer, FieldType, XRule, register
from .messages import length_rules
from .widgets import Conditional, Errors, GovukWidget, hint, question

#: Characters XML 1.0 forbids: never stored (``text.py`` removes them).
_ILLEGAL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\ufffe\\uffff"
_SOLID = f"[^\\s{_ILLEGAL}]"
#: One line as stored: no leading, trailing or doubled white space.
ONE_LINE = f"^{_SOLID}+(?: {_SOLID}+)*$"
#: Several lines as stored: lines end without spaces, no blank first or last line,
#: at most one blank line between paragraphs.
_BLANK = f"[^\\S\\r\\n{_ILLEGAL}]"
MANY_LINES = f"^{_SOLID}(?:{_BLANK}*{_SOLID}|\\n{{1,2}}{_BLANK}*{_SOLID})*$"
NFC_RULE = "Text is stored in Unicode normalisation form C; lengths count characters after that."

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")
#: What a phone number may look like before libphonenumber checks it is real.
PHONE_PATTERN = r"^\+?[0-9 ()./-]{7,30}$"
NHS_PATTERN = r"^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$"


def is_nfc(value: Any) -> bool:
    """The x-rule check for :data:`NFC_RULE`."""
    return not isinstance(value, str) or unicodedata.is_normalized("NFC", value)


class SavedTextField(StringField):
    """A text box that shows a saved answer as people write it, not as it is stored.

    Only a saved answer (``data``) goes through ``shown``; text just posted is
    re-displayed exactly as typed, so a mistake stays where the user made it.
    """

    def __init__(self, *args: Any, shown: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown = shown

    def process_data(self, value: Any) -> None:
        super().process_data(self.shown(value) if value not in (None, "") else value)


class TextAnswer(Answer):
    """Text of any single- or multi-line kind, normalised (see ``text.py``)."""

    kind: TextType

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        d = self.definition
        if not isinstance(value, str):
            raise self.fail(f"{self.noun} must be text")
        cleaned = normalise(value, single_line=self.kind.one_line)
        if not cleaned:
            raise self.missing()
        limit = self.kind.limit(d)
        if len(cleaned) > limit:
            raise self.fail(f"{self.noun} must be {limit:,} characters or fewer")
        most_lines = self.kind.max_lines(d)
        if most_lines is not None and cleaned.count("\n") >= most_lines:
            raise self.fail(
                f"{self.noun} must be {most_lines} lines or fewer: join short lines together"
            )
        if d.min_length and len(cleaned) < d.min_length:
            raise self.fail(f"{self.noun} must be {d.min_length} characters or more")
        if self.kind.words:
            self._check_words(cleaned)
        return self._check_rules(self.kind.clean(self, cleaned))


@register
class TextType(FieldType):
    """One line of text: a name, a job title."""

    name = "text"
    answer: ClassVar[type[Answer]] = TextAnswer
    one_line = True
    default_max: ClassVar[int] = 200
    #: GOV.UK input attributes: its HTML type, width class, spellcheck, keyboard.
    input_type: ClassVar[str] = "text"
    width: ClassVar[str] = ""
    spellcheck: ClassVar[bool | None] = None
    inputmode: ClassVar[str | None] = None
    #: Free words (not a code such as a postcode): checked for glossary
    #: abbreviations when the answer goes into the family's plan.
    words: ClassVar[bool] = True

    def limit(self, definition: Field) -> int:
        """The longest answer allowed, in characters after normalisation."""
        return definition.max_length or self.default_max

    def max_lines(self, definition: Field) -> int | None:
        """The most lines an answer may have (None: a single line by nature)."""
        return None

    def clean(self, answer: TextAnswer, value: str) -> str:
        """Per-type format check and canonical form; plain text passes through."""
        return value

    #: An example in the right format, for the error message.
    example: ClassVar[str] = ""

    def wrong_format(self, answer: TextAnswer) -> ValidationError:
        """GOV.UK: "Enter <field> in the correct format, like <example>"."""
        return answer.fail(
            f"Enter {answer.definition.noun} in the correct format, like {self.example}"
        )

    def hint_rules(self, definition: Field) -> list[str]:
        """A limit set in the schema file is stated; a type's own default
        (200 characters for a name) is not, as no real answer comes near it."""
        return length_rules(definition, most=definition.max_length)

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        return "govukInput", {
            **question(definition, field, errors),
            "hint": hint(definition, self.hint(definition)),
            "type": self.input_type,
            "value": field.data or "",
            "classes": self.width,
            "spellcheck": self.spellcheck,
            "inputmode": self.inputmode,
            "autocomplete": "off",
        }

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {
            "type": "string",
            "minLength": max(definition.min_length or 1, 1),
            "maxLength": self.limit(definition),
            "pattern": ONE_LINE if self.one_line else MANY_LINES,
        }

    def rules(self, definition: Field) -> list[XRule]:
        rules = [XRule("nfc", NFC_RULE, is_nfc)]
        glossary = definition.glossary
        if self.words and glossary is not None and glossary.terms:
            names = ", ".join(name for name, _ in glossary.terms)
            rules.append(
                XRule(
                    "plain-words",
                    "Printed in the family's plan, so it must not use any of these "
                    f"abbreviations as a word (case-sensitive, plural s allowed): {names}.",
                    lambda value: not isinstance(value, str) or glossary.first_in(value) is None,
                )
            )
        return rules


@register
class LongTextType(TextType):
    """Several lines: what is happening, the family's own words."""

    name = "long_text"
    one_line = False
    default_max = 5000
    wtf_class = TextAreaField
    #: Characters per line allowed on average: a line break every 40 characters
    #: is already a list of short points. Without a bound, 5,000 characters as
    #: 2,500 one-letter lines printed 50 pages for one answer (issue 14).
    chars_per_line: ClassVar[int] = 40
    min_lines: ClassVar[int] = 10

    def max_lines(self, definition: Field) -> int | None:
        return max(self.min_lines, self.limit(definition) // self.chars_per_line)

    def hint_rules(self, definition: Field) -> list[str]:
        """The minimum only: the GOV.UK character count states the maximum
        under the box (and counts down as the user types)."""
        return length_rules(definition, most=None)

    def rules(self, definition: Field) -> list[XRule]:
        most = self.max_lines(definition) or 0
        return [
            *super().rules(definition),
            XRule(
                "lines",
                f"At most {most} lines (at most {most - 1} line breaks).",
                lambda value: not isinstance(value, str) or value.count("\n") < most,
            ),
        ]

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        limit = self.limit(definition)
        return "govukCharacterCount", {
            **question(definition, field, errors),
            "hint": hint(definition, self.hint(definition)),
            "maxlength": limit,
            "textareaDescriptionText": f"You can enter up to {limit:,} characters",
            "rows": 6,
            "value": field.data or "",
        }


class CodeType(TextType):
    """A value that is a code, not words (an email address, a postcode, a phone or
    NHS number): browsers do not spellcheck it, and the family's plan does not
    check it for glossary abbreviations. Not registered: the base of those types."""

    words = False
    spellcheck = False


@register
class EmailType(CodeType):
    name = "email"
    default_max = 254
    input_type = "email"

    example = "name@example.com"

    def clean(self, answer: TextAnswer, value: str) -> str:
        if not EMAIL.match(value):
            raise self.wrong_format(answer)
        return value

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {**super().json_schema(definition), "format": "email", "pattern": EMAIL.pattern}


class WrittenNumberType(CodeType):
    """A number stored in one plain form and shown as people write it (not registered:
    the base of phone and NHS number).

    ``written`` (from ``formats.py``) makes the stored value readable on screen,
    in the documents and back in the input box: going back to a page (or a form
    prefilled from an earlier one) shows ``01702 215007``, not ``+441702215007``.
    Posting it again cleans to the same stored value, so nothing changes.
    """

    plural_kind = "numbers"

    @staticmethod
    def written(value: str) -> str:
        return value

    def wtf_field(self, definition: Field) -> Any:
        return SavedTextField(
            definition.label,
            widget=GovukWidget(self, definition),
            shown=lambda value: self.show(definition, value),
        )

    def show(self, definition: Field, value: Any) -> str:
        return self.written(value)


@register
class PhoneType(WrittenNumberType):
    """A UK (or international) phone number, stored as E.164; ``+441702215007``
    is written ``01702 215007`` (``formats.format_phone``)."""

    name = "phone"
    default_max = 30
    input_type = "tel"
    width = "govuk-input--width-20"

    example = "01702 215000 or 07911 123456"
    written = staticmethod(format_phone)

    def clean(self, answer: TextAnswer, value: str) -> str:
        number = parse_phone(value)
        if number is None:
            raise self.wrong_format(answer)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {
            **super().json_schema(definition),
            "pattern": PHONE_PATTERN,
            "examples": ["01702 215000", "07911 123456", "+441702215000"],
        }

    def rules(self, definition: Field) -> list[XRule]:
        return [
            *super().rules(definition),
            XRule(
                "real-phone-number",
                "Must be a real UK or international phone number, as libphonenumber judges it "
                "(a UK number may leave out +44); it is stored in E.164 form, like +441702215000.",
                lambda value: parse_phone(normalise(value, single_line=True)) is not None,
            ),
        ]


def parse_phone(value: str) -> phonenumbers.PhoneNumber | None:
    """A real phone number written with digits and the usual punctuation, or None."""
    if not re.fullmatch(PHONE_PATTERN, value):
        return None
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


@register
class PostcodeType(CodeType):
    """A UK postcode: upper case, one space before the inward code."""

    name = "postcode"
    default_max = 10
    width = "govuk-input--width-10"

    example = "SS2 6ER"

    def clean(self, answer: TextAnswer, value: str) -> str:
        match = POSTCODE.match(value.upper().replace(" ", ""))
        if not match:
            raise self.wrong_format(answer)
        return f"{match.group(1)} {match.group(2)}"

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {
            **super().json_schema(definition),
            "pattern": "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$",
        }


@register
class NhsNumberType(WrittenNumberType):
    """A 10-digit NHS number with a valid modulus-11 check digit; ``9434765919``
    is written ``943 476 5919`` (``formats.format_nhs_number``)."""

    name = "nhs_number"
    width = "govuk-input--width-10"
    inputmode = "numeric"
    written = staticmethod(format_nhs_number)

    def clean(self, answer: TextAnswer, value: str) -> str:
        if nhs_number(value) is None:
            raise answer.fail(
                f"{answer.noun} must be a valid 10-digit NHS number, like 943 476 5919"
            )
        return str(nhs_number(value))

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {
            "type": "string",
            "pattern": NHS_PATTERN,
            "examples": ["943 476 5919", "9434765919"],
        }

    def rules(self, definition: Field) -> list[XRule]:
        return [
            XRule(
                "nhs-check-digit",
                "The last digit must be the NHS number's modulus-11 check digit.",
                lambda value: nhs_number(normalise(value, single_line=True)) is not None,
            )
        ]


def nhs_number(value: str) -> str | None:
    """The 10 digits of a valid NHS number, or None."""
    if not re.fullmatch(NHS_PATTERN, value):
        return None
    try:
        return str(nhs.validate(value))
    except Exception:  # stdnum raises its own ValidationError family
        return None
