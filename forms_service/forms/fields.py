"""Definition field type → WTForms field: a registry, not an if/elif chain.

WTForms here binds posted data and re-displays it; it does no validation
(that is marshmallow's job, shared with the API). Each field converts its raw
form data into the API's JSON shape with ``answer()`` and accepts a stored
answer back through ``data=`` so a Change link shows what was saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wtforms import Field as WTField
from wtforms import Form, FormField, StringField, TextAreaField
from wtforms.fields import BooleanField

from ..definitions.model import Field


class DatePartsField(WTField):
    """The GOV.UK three-box date: ``<name>-day``, ``<name>-month``, ``<name>-year``."""

    parts: dict[str, str]

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors: list[Any] = []
        self.parts = {"day": "", "month": "", "year": ""}
        if formdata is not None and any(f"{self.name}-{p}" in formdata for p in self.parts):
            self.parts = {p: formdata.get(f"{self.name}-{p}", "")[:10] for p in self.parts}
        elif isinstance(data, str) and len(data) == 10:
            year, month, day = data.split("-")
            self.parts = {"day": str(int(day)), "month": str(int(month)), "year": year}
        self.data = self.answer()

    def answer(self) -> str | None:
        """ISO date if the boxes make one; a marker marshmallow rejects if not."""
        day, month, year = (self.parts[p].strip() for p in ("day", "month", "year"))
        if not (day or month or year):
            return None
        if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
            return "not-a-date"
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


class ChoiceField(StringField):
    """Radios or a select: the posted option value (checked by marshmallow)."""


class MultiChoiceField(WTField):
    """Checkboxes: every posted value of the name, in the order posted."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = list(valuelist)

    def process_data(self, value: Any) -> None:
        self.data = list(value) if isinstance(value, list) else []


class YesNoField(StringField):
    """Radios "yes"/"no" held as a boolean answer."""

    def process_data(self, value: Any) -> None:
        self.data = {True: "yes", False: "no"}.get(value, value)

    def answer(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.data or "")


class ConfirmField(BooleanField):
    def answer(self) -> bool | None:
        return True if self.data else None


def _text(d: Field) -> WTField:
    return StringField(d.label)


def _long_text(d: Field) -> WTField:
    return TextAreaField(d.label)


def _group(d: Field) -> WTField:
    from .builder import form_class

    return FormField(form_class(d.fields), label=d.label)


FIELD_FACTORIES: dict[str, Callable[[Field], WTField]] = {
    "text": _text,
    "email": _text,
    "phone": _text,
    "postcode": _text,
    "nhs_number": _text,
    "long_text": _long_text,
    "date": lambda d: DatePartsField(d.label),
    "yes_no": lambda d: YesNoField(d.label),
    "confirm": lambda d: ConfirmField(d.label),
    "choice": lambda d: ChoiceField(d.label),
    "number": _text,
    "multi_choice": lambda d: MultiChoiceField(d.label),
    "group": _group,
}


def answer_of(field: WTField) -> Any:
    """The JSON-shaped answer held by a bound WTForms field."""
    if isinstance(field, FormField):
        form: Form = field.form
        return {name: answer_of(sub) for name, sub in form._fields.items() if name != "csrf_token"}
    if hasattr(field, "answer"):
        return field.answer()
    return field.data if field.data not in ("", None, []) else None
