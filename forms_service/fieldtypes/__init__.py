"""Field types: one class per kind of question (see ``base.py``), in one registry.

Importing this package registers every type. Callers use the functions
re-exported here; a new type is a new class in one of these modules (or a
new module imported below) plus its tests.
"""

from . import answer_options, choice, clock_time, containers, date, files, number, text
from .base import (
    NOT_GIVEN,
    Answer,
    FieldType,
    XRule,
    display_value,
    is_required,
    register,
    required_message,
    type_names,
    type_of,
)
from .layout import render_fields, reveal_layout
from .scopes import (
    UNKNOWN_FIELD,
    answers_of,
    answers_schema,
    contacts_key,
    form_class,
    object_schema,
    offer_options,
    page_form,
)

__all__ = [
    "NOT_GIVEN",
    "UNKNOWN_FIELD",
    "Answer",
    "FieldType",
    "XRule",
    "answer_options",
    "answers_of",
    "answers_schema",
    "choice",
    "clock_time",
    "contacts_key",
    "containers",
    "date",
    "display_value",
    "files",
    "form_class",
    "is_required",
    "number",
    "object_schema",
    "offer_options",
    "page_form",
    "register",
    "render_fields",
    "required_message",
    "reveal_layout",
    "text",
    "type_names",
    "type_of",
]
