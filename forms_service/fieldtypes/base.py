"""A field type: everything the engine knows about one kind of question, in one class.

Each subclass says, for its ``type:`` in a schema file:

- how the web page holds it (:meth:`FieldType.wtf_field`, a WTForms field
  with a :class:`~.widgets.GovukWidget`) and which GOV.UK macro draws it
  (:meth:`FieldType.widget_params`);
- how the server checks and cleans an answer (:attr:`FieldType.answer`, a
  marshmallow field shared by the web pages and the API);
- what the published JSON Schema says about it (:meth:`FieldType.json_schema`);
- how an answer reads on screen, in the PDF and in the Word file
  (:meth:`FieldType.display`).

Adding a type means adding one class (registered with :func:`register`) and
its tests. The registry lives here too; the concrete types register when
``forms_service.fieldtypes`` is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from marshmallow import ValidationError
from marshmallow import fields as mf
from wtforms import Field as WTField
from wtforms import StringField

from ..definitions.glossary import plain_words_message
from ..definitions.model import Field
from .messages import advice_message, capitalise, hint_text, stop_message
from .widgets import Conditional, Errors, GovukWidget

NOT_GIVEN = "Not given"

#: The whole form's answers while one scope of it is checked, so a ``must_be``
#: can be waived by answers on other pages (``must_be_unless``). Set only by
#: :func:`whole_answers`; a context variable, so each request sees its own.
_WHOLE: ContextVar[Mapping[str, Any]] = ContextVar("whole_answers", default=MappingProxyType({}))


@contextmanager
def whole_answers(answers: Mapping[str, Any]) -> Iterator[None]:
    """Check answers knowing the whole form's ``answers`` (a page's, with those saved)."""
    token = _WHOLE.set(answers)
    try:
        yield
    finally:
        _WHOLE.reset(token)


@dataclass(frozen=True)
class XRule:
    """A rule the server enforces that JSON Schema cannot state.

    Published in the schema's ``x-rules`` keyword as ``{"id", "rule"}``;
    ``check`` is the server's own test of one answer (True when it keeps the
    rule), so a test can tell a generated answer that breaks only this rule.
    """

    id: str
    text: str
    check: Callable[[Any], bool] = field(compare=False, repr=False)

    def published(self) -> dict[str, str]:
        return {"id": self.id, "rule": self.text}


class FieldType:
    """The behaviour shared by every type; subclasses override what differs."""

    #: The ``type:`` value in a schema file.
    name: ClassVar[str]
    #: The marshmallow field that checks and cleans an answer.
    answer: ClassVar[type[Answer]]
    #: A short answer on one line: a name in it can head a list item.
    one_line: ClassVar[bool] = False
    #: The type holds other fields (a group or a repeating group).
    holds_fields: ClassVar[bool] = False
    #: The answer is an object of the contained fields, shown in place.
    group: ClassVar[bool] = False
    #: The answer is a list of items, each an object of the contained fields.
    repeats: ClassVar[bool] = False
    #: Its answer is files uploaded one by one (never posted with the page), so a page
    #: holding it posts as multipart to the upload route and keeps what is saved.
    takes_files: ClassVar[bool] = False
    #: What two answers of this type are called when a list repeats one ("Check both
    #: numbers"): see ``unique:`` on a repeating group.
    plural_kind: ClassVar[str] = "answers"
    #: The WTForms field that binds the posted value.
    wtf_class: ClassVar[type[WTField]] = StringField

    # -- web page --------------------------------------------------------------
    def wtf_field(self, definition: Field) -> Any:
        """An unbound WTForms field that binds the posted value and re-displays it."""
        return self.wtf_class(definition.label, widget=GovukWidget(self, definition))

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        """The GOV.UK macro that draws this question, and its parameters."""
        raise NotImplementedError(self.name)

    def hint(self, definition: Field) -> str | None:
        """The hint shown under the question and published in its JSON Schema."""
        return hint_text(definition, self.hint_rules(definition))

    def hint_rules(self, definition: Field) -> list[str]:
        """Sentences the type adds to the hint from the definition (its limits)."""
        return []

    def hosts_reveals(self, definition: Field) -> bool:
        """Whether a question shown by one of its answers is revealed under that answer."""
        return False

    def error_anchor(self, field_id: str) -> str:
        """The HTML id an error summary link points at (the first box of a date)."""
        return field_id

    def answer_of(self, definition: Field, field: WTField) -> Any:
        """The bound field's value in the API's JSON shape (blank as None)."""
        return field.data if field.data not in ("", None, []) else None

    # -- validation ------------------------------------------------------------
    def answer_field(self, definition: Field, contacts: Mapping[str, str]) -> Answer:
        """The marshmallow field that checks an answer to ``definition``."""
        return self.answer(definition, contacts, self)

    def must_answer(self, definition: Field) -> bool:
        """Whether an answer must be given when the question applies."""
        return definition.required

    def missing_message(self, definition: Field) -> str:
        """The GOV.UK message when no answer was given."""
        return definition.messages.get("required") or f"Enter {definition.noun}"

    # -- published schema ------------------------------------------------------
    def json_schema(self, definition: Field) -> dict[str, Any]:
        """The JSON Schema (2020-12) of one answer, stating every rule it can."""
        raise NotImplementedError(self.name)

    def rules(self, definition: Field) -> list[XRule]:
        """Rules the server enforces that JSON Schema cannot state, in plain words."""
        return []

    # -- reading -----------------------------------------------------------------
    def display(self, definition: Field, value: Any) -> str:
        """An answer as the text a reader sees on screen, in the PDF and in Word."""
        if value is None or value == "" or value == []:
            return NOT_GIVEN
        return self.show(definition, value)

    def show(self, definition: Field, value: Any) -> str:
        """A given (non-blank) answer as text."""
        return str(value)


class Answer(mf.Field):
    """Base of every answer field: knows its definition, its type and its messages."""

    def __init__(
        self, definition: Field, contacts: Mapping[str, str], kind: FieldType, **kwargs: Any
    ) -> None:
        self.definition = definition
        self.contacts = contacts
        self.kind = kind
        required = kind.must_answer(definition) and definition.show_if is None
        super().__init__(required=required, **kwargs)
        self.error_messages["required"] = kind.missing_message(definition)
        self.error_messages["null"] = kind.missing_message(definition)

    @property
    def noun(self) -> str:
        """How a message starting a sentence names the field ("Date of birth")."""
        return capitalise(self.definition.noun)

    def fail(self, message: str) -> ValidationError:
        return ValidationError(message)

    def missing(self) -> ValidationError:
        return ValidationError(self.kind.missing_message(self.definition))

    def _check_words(self, value: str) -> str:
        """A family-facing answer may use no abbreviation of the glossary."""
        glossary = self.definition.glossary
        found = glossary.first_in(value) if glossary is not None else None
        if found is not None:
            raise self.fail(plain_words_message(*found))
        return value

    def _check_rules(self, value: Any, scope: Any = None) -> Any:
        """Stops, advice and ``must_be``; ``scope`` is the raw answers beside this one.

        A stop's ``unless`` is read from those answers only: where the answer it
        names is not among them it does not hold, so the stop applies (the web
        page that asks the question adds that earlier answer to its scope).
        """
        d = self.definition
        siblings = scope if isinstance(scope, Mapping) else {}
        if d.stop is not None and d.stop.applies(value, siblings):
            raise self.fail(stop_message(d.stop, self.contacts))
        if d.advice is not None and value == d.advice.when:
            label = d.option_label(value)
            raise self.fail(
                f'{self.noun}: the answer "{label}" cannot be sent. '
                + advice_message(d.advice, self.contacts)
            )
        if d.must_be is not None and value != d.must_be and not self._waived():
            raise self.fail(d.must_be_message or f"{self.noun} must be {d.must_be}")
        return value

    def _waived(self) -> bool:
        """Whether the whole form's answers meet every ``must_be_unless`` condition."""
        conditions = self.definition.must_be_unless
        answers = _WHOLE.get()
        return bool(conditions) and all(c.holds_at(answers) for c in conditions)


T = TypeVar("T", bound=type[FieldType])

_TYPES: dict[str, FieldType] = {}


def register(cls: T) -> T:
    """Class decorator: make ``cls`` the handler of ``type: <cls.name>``."""
    if cls.name in _TYPES:
        raise ValueError(f"field type {cls.name!r} is registered twice")
    _TYPES[cls.name] = cls()
    return cls


def type_of(definition: Field) -> FieldType:
    """The handler of a field's type (the loader has checked that it exists)."""
    return _TYPES[definition.type]


def type_names() -> frozenset[str]:
    """Every ``type:`` a schema file may use."""
    return frozenset(_TYPES)


def required_message(definition: Field) -> str:
    """The GOV.UK message for a missing answer to ``definition``."""
    return type_of(definition).missing_message(definition)


def is_required(definition: Field) -> bool:
    """Whether an answer must be given when the field applies."""
    return type_of(definition).must_answer(definition)


def display_value(definition: Field, value: Any) -> str:
    """One simple answer as the text a reader should see."""
    return type_of(definition).display(definition, value)
