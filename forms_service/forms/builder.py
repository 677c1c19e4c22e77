"""WTForms classes built from definitions at run time (cached per scope).

As in CTFd: a fresh subclass per scope with fields set onto it. Page classes
are FlaskForms (CSRF on every POST); group sub-forms are plain Forms, as
WTForms' FormField expects.
"""

from __future__ import annotations

import functools
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form

from ..definitions.model import Field
from .fields import FIELD_FACTORIES, answer_of


@functools.lru_cache(maxsize=512)
def form_class(definitions: tuple[Field, ...], *, page: bool = False) -> type[Form]:
    """A form class with one WTForms field per definition (repeating groups excluded)."""
    base: type[Form] = FlaskForm if page else Form
    attrs: dict[str, Any] = {
        d.name: FIELD_FACTORIES[d.type](d) for d in definitions if d.type != "repeating"
    }
    return type("PageForm" if page else "GroupForm", (base,), attrs)


def page_form(definitions: tuple[Field, ...], formdata: Any, data: dict[str, Any]) -> FlaskForm:
    """A bound page form: posted data if any (alone, so a cleared answer stays
    cleared), else the saved answers."""
    cls = form_class(definitions, page=True)
    form = cls(formdata=formdata) if formdata is not None else cls(formdata=None, data=data)
    assert isinstance(form, FlaskForm)
    return form


def csrf_form(formdata: Any = None) -> FlaskForm:
    """A form with only the CSRF token, for buttons such as Remove."""
    cls = form_class((), page=True)
    form = cls(formdata=formdata) if formdata is not None else cls()
    assert isinstance(form, FlaskForm)
    return form


def answers_of(definitions: tuple[Field, ...], form: Form) -> dict[str, Any]:
    """The page's answers in the API's shape, blanks left out."""
    answers: dict[str, Any] = {}
    for d in definitions:
        if d.type == "repeating":
            continue
        value = answer_of(form[d.name])
        if value not in (None, "", []):
            answers[d.name] = value
    return answers
