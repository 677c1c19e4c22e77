"""Bound WTForms page forms for the web views (classes come from ``fieldtypes``)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from ..definitions.model import Field
from ..fieldtypes import form_class


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
