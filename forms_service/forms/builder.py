"""Bound WTForms page forms for the web views (classes come from ``fieldtypes``)."""

from __future__ import annotations

from typing import Any

from wtforms import Form

from ..definitions.model import Field
from ..fieldtypes import form_class


def page_form(definitions: tuple[Field, ...], formdata: Any, data: dict[str, Any]) -> Form:
    """A bound page form: posted data if any (alone, so a cleared answer stays
    cleared), else the saved answers. CSRFProtect has checked the POST already."""
    cls = form_class(definitions)
    return cls(formdata=formdata) if formdata is not None else cls(formdata=None, data=data)
