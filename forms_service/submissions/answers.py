"""Final, server-side validation of answers: one marshmallow schema per form.

The web pages and the JSON API both call :func:`validate`, so there is one set
of rules and one set of messages. Answers arrive in the API's JSON shape (the
web layer converts form posts into it first): text as strings, yes/no as
booleans, dates as ``YYYY-MM-DD``, groups as objects, repeating groups as
arrays. Each answer is checked by its field type (``forms_service/fieldtypes``);
messages follow the GOV.UK pattern and name the field, e.g. "Enter your job
title" or "Date of birth must be today or in the past".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import ValidationError

from ..definitions.model import Field
from ..errors import flatten_errors
from ..fieldtypes import answers_schema, contacts_key
from ..fieldtypes.base import whole_answers


class AnswersInvalid(Exception):
    """Answers failed validation; ``errors`` maps field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(f"{len(errors)} invalid answer(s)")
        self.errors = errors


def validate(
    definitions: Iterable[Field],
    data: Any,
    contacts: Mapping[str, str],
    whole: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Clean answers for ``definitions``, or raise :class:`AnswersInvalid`.

    ``whole`` is the whole form's answers when ``data`` is only part of them (a
    page's answers with those saved before), for rules that look across pages;
    by default ``data`` is the whole.
    """
    if not isinstance(data, dict):
        raise AnswersInvalid({"_form": ["The answers must be a JSON object"]})
    schema = answers_schema(tuple(definitions), contacts_key(contacts))
    try:
        with whole_answers(data if whole is None else whole):
            return dict(schema.load(data))
    except ValidationError as exc:
        raise AnswersInvalid(flatten_errors(exc.messages)) from None
