"""Files attached to a form: ``type: attachments`` (the Graded Care Profile 2, a genogram).

The files themselves never travel with the page or the JSON body: each is
uploaded in a request of its own (``POST /forms/<form>/<page>/files`` on the
web, ``POST /api/v1/forms/<form>/attachments`` in the API), checked and stored
by ``attachments/service.py``, which answers with an id. The answer to this
field is the list of those ids; the web draft and the stored submission hold
each as ``{"id", "name", "size", "kind"}`` (name and size from the server's
own record, never from the client: :func:`attachments.service.resolve`
replaces them when the form is sent, and refuses ids that are unknown, sent
already or someone else's).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from flask import current_app
from markupsafe import Markup
from wtforms import Field as WTField

from ..attachments.kinds import KINDS, nouns
from ..definitions.model import Field
from .base import Answer, FieldType, XRule, register
from .widgets import Conditional, Errors, error_message

#: The ids the service gives files (a UUID4 in canonical form).
ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_ID = re.compile(ID_PATTERN)
UPLOADED_RULE = (
    "Each id must be one that POST /api/v1/forms/{form_id}/attachments returned to the same "
    "token, for this form, and not yet listed in a sent submission."
)


def size_text(size: int) -> str:
    """A file size as people read it: "240KB", "2.5MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))}KB"
    return f"{size / (1024 * 1024):.1f}MB".replace(".0MB", "MB")


class AttachmentsAnswer(Answer):
    """A list of file ids (or the server's own ``{"id", …}`` records of them)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        d = self.definition
        if not isinstance(value, list):
            raise self.fail(f"{self.noun} must be a list of file ids")
        limit = d.max_files or 1
        if len(value) > limit:
            raise self.fail(f"You can upload up to {limit} files")
        files = [self._one(item) for item in value]
        if len({f["id"] for f in files}) != len(files):
            raise self.fail("The same file is listed twice")
        if d.required and not files:
            raise self.missing()
        return files

    def _one(self, item: Any) -> dict[str, Any]:
        if isinstance(item, dict):
            record = {
                "id": item.get("id"),
                "name": item.get("name"),
                "size": item.get("size"),
                "kind": item.get("kind"),
            }
            if (
                isinstance(record["name"], str)
                and isinstance(record["size"], int)
                and record["kind"] in KINDS
                and set(item) == set(record)
            ):
                return self._id_checked(record)
            raise self.fail(f"{self.noun} must be a list of file ids")
        return self._id_checked({"id": item})

    def _id_checked(self, record: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(record["id"], str) or not _ID.fullmatch(record["id"]):
            raise self.fail(f"{self.noun} must be a list of file ids")
        return record


class AttachmentsField(WTField):
    """Holds the files already uploaded: nothing about them is posted with the page."""

    def process_data(self, value: Any) -> None:
        self.data = list(value) if isinstance(value, list) else []

    def process_formdata(self, valuelist: list[Any]) -> None:
        """The page's own post carries no files (they are uploaded one by one)."""


class AttachmentsWidget:
    """The GOV.UK file upload, an "Upload file" button and the list of files with Remove."""

    def __init__(self, definition: Field) -> None:
        self.definition = definition

    def __call__(self, field: WTField, errors: Errors | None = None, **_: Any) -> Markup:
        d = self.definition
        files = list(field.data or [])
        module = current_app.jinja_env.get_template("fields/attachments.html").module
        html = module.attachments(  # type: ignore[attr-defined]
            definition=d,
            field=field,
            files=[{**f, "size_text": size_text(int(f.get("size") or 0))} for f in files],
            full=len(files) >= (d.max_files or 1),
            accept=",".join("." + KINDS[k].extension for k in d.accept)
            + ("" if "jpeg" not in d.accept else ",.jpeg"),
            error=error_message(field, errors or {}),
        )
        assert isinstance(html, Markup)  # the app's environment autoescapes: macros return Markup
        return html


@register
class AttachmentsType(FieldType):
    """Files uploaded one at a time, listed by id."""

    name = "attachments"
    answer: ClassVar[type[Answer]] = AttachmentsAnswer
    wtf_class = AttachmentsField
    takes_files = True

    def wtf_field(self, definition: Field) -> Any:
        return AttachmentsField(definition.label, widget=AttachmentsWidget(definition))

    def answer_of(self, definition: Field, field: WTField) -> Any:
        return list(field.data or [])

    def widget_params(
        self, definition: Field, field: WTField, errors: Errors, conditional: Conditional
    ) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError("attachments draw themselves (AttachmentsWidget)")

    def must_answer(self, definition: Field) -> bool:
        return definition.required

    def missing_message(self, definition: Field) -> str:
        return definition.messages.get("required") or "Upload a file"

    def json_schema(self, definition: Field) -> dict[str, Any]:
        return {
            "type": "array",
            "description": f"Ids of files uploaded to this form's attachments path: "
            f"{nouns(definition.accept)}, up to {size_text(definition.max_bytes or 0)} each",
            "items": {"type": "string", "pattern": ID_PATTERN},
            "maxItems": definition.max_files or 1,
            "uniqueItems": True,
        }

    def rules(self, definition: Field) -> list[XRule]:
        # Whether an id was uploaded by this caller is known only to the database, so
        # the server's pure check counts any id as unproven (submit() proves it).
        return [XRule("uploaded", UPLOADED_RULE, lambda value: not value)]

    def show(self, definition: Field, value: Any) -> str:
        return (
            "\n".join(
                f"{f.get('name') or 'File'} ({size_text(int(f.get('size') or 0))})"
                for f in value
                if isinstance(f, dict)
            )
            or f"{len(value)} file(s)"
        )
