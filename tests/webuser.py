"""Drive the web form through the Flask test client, as a browser would post.

It turns API-shaped answers into the names and values the GOV.UK pages post
(``group-field``, ``date-day``/``-month``/``-year``, radios "yes"/"no"), reading
each page's CSRF token from its HTML, so any form file can be walked through.
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from forms_service.definitions.model import Field, FormDefinition
from forms_service.fieldtypes import display_value, type_of
from forms_service.flow.navigation import visible_pages

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def formdata(
    fields: tuple[Field, ...], answers: dict[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """Posted form fields for ``answers`` (repeating groups are posted item by item)."""
    data: dict[str, Any] = {}
    for fld in fields:
        name = f"{prefix}{fld.name}"
        value = answers.get(fld.name)
        if value is None or fld.type == "repeating":
            continue
        if fld.type == "group":
            data.update(formdata(fld.fields, value, f"{name}-"))
        elif fld.type == "date":
            year, month, day = str(value).split("-")
            data.update({f"{name}-day": day, f"{name}-month": month, f"{name}-year": year})
        elif fld.type == "yes_no":
            data[name] = "yes" if value else "no"
        elif fld.type == "confirm":
            data[name] = "y" if value else ""
        else:
            data[name] = value
    return data


def answers_as_shown(fields: tuple[Field, ...], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, how it reads) for every answer given, items' answers included: what
    Check your answers must show."""
    found: list[tuple[str, str]] = []
    for fld in fields:
        value = answers.get(fld.name)
        if value is None or value == [] or value == "":
            continue
        kind = type_of(fld)
        if kind.group:
            found.extend(answers_as_shown(fld.fields, value))
        elif kind.repeats:
            for item in value:
                found.extend(answers_as_shown(fld.fields, item))
        else:
            found.append((fld.label, display_value(fld, value)))
    return found


class WebUser:
    """One browser session filling in one form."""

    def __init__(self, client: FlaskClient, form: FormDefinition) -> None:
        self.client = client
        self.form = form

    def url(self, *parts: str) -> str:
        return "/".join(["/forms", self.form.id, *parts])

    def post(self, url: str, data: dict[str, Any], *, from_page: str | None = None) -> TestResponse:
        """POST ``data`` with a CSRF token read from ``from_page`` (default ``url``)."""
        page = self.client.get(from_page or url)
        assert page.status_code == 200, (from_page or url, page.status_code)
        return self.client.post(url, data={**data, "csrf_token": csrf_token(page.text)})

    def fill_page(self, page_id: str, answers: dict[str, Any]) -> TestResponse:
        page = self.form.page(page_id)
        group = page.repeating
        if group is None:
            return self.post(self.url(page_id), formdata(page.fields, answers))
        for item in answers.get(group.name) or []:
            reply = self.post(self.url(page_id, "add"), formdata(group.fields, item))
            assert reply.status_code == 302, reply.text
        return self.post(self.url(page_id), {})

    def fill_all(self, answers: dict[str, Any]) -> None:
        """Fill every page the answers lead to (hidden pages are skipped, as a user would)."""
        for page in visible_pages(self.form, answers):
            reply = self.fill_page(page.id, answers)
            assert reply.status_code == 302, (page.id, reply.text[:2000])

    def send(self) -> TestResponse:
        return self.post(self.url("check-answers"), {})
