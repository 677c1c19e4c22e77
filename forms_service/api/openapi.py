"""The OpenAPI 3.1 description of ``/api/v1``, built from the form definitions.

Every ``/api/v1`` route is in it, with every status code the views and the
app's error handlers really answer, so a client (or schemathesis, see
``tests/integration/test_openapi.py``) can hold the service to it. Each form
gets its own submissions path because each takes a different body: that
form's JSON Schema (:func:`form_json_schema`) is embedded as it is, since
OpenAPI 3.1 schema objects are JSON Schema 2020-12 (``$schema``, ``$id`` and
the ``x-rules`` annotation included).

apispec assembles the document: it names the shared parts (components), turns
a name into a ``$ref`` and refuses a duplicate name or parameter. It has no
Flask plugin here (apispec-webframeworks would read YAML out of docstrings),
so the operations are plain dicts in this module, next to one another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from apispec import APISpec

from ..attachments.kinds import KINDS, nouns
from ..attachments.service import file_fields
from ..definitions.model import ACCESS_LEVELS, FormDefinition
from ..fieldtypes.files import ID_PATTERN as FILE_ID_PATTERN
from ..fieldtypes.files import size_text
from ..submissions.models import MAX_IDEMPOTENCY_KEY
from .json_schema import REFERENCE_PATTERN, X_RULES_DOC, form_json_schema, schema_document
from .openapi_staff import add_staff_operations

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"
JSON = "application/json"

DESCRIPTION = (
    "Send Early Help referrals and assessments as JSON, checked by the same rules as the "
    "web forms. Listing the forms and reading their JSON Schema is public; sending needs "
    "`Authorization: Bearer <token>` (ask the service's administrators for one). Each form "
    "has its own submissions path, whose request body is that form's JSON Schema "
    "(2020-12), also published at `/api/v1/forms/{form_id}/schema`. " + X_RULES_DOC + " "
    'Every error reply has the same shape: `{"errors": {"<where>": ["<message>", …]}}`. '
    "The staff routes (`/referrals`, `/families`) need a token made for a member of staff and "
    "act with exactly that person's access: anything they may not see is answered 404, as if "
    "it did not exist. "
    "Only the `/api/v1` routes are an API: the HTML pages under `/forms`, `/staff` and the "
    "sign-in pages are for people and may change without notice, and `/healthz` is for "
    "monitoring."
)

X_RULE: dict[str, Any] = {
    "type": "object",
    "description": "A rule the server enforces that JSON Schema cannot state, in plain words.",
    "required": ["id", "rule"],
    "properties": {
        "id": {"type": "string", "description": "Stable, so a client can recognise the rule"},
        "rule": {"type": "string"},
    },
}

ERRORS: dict[str, Any] = {
    "type": "object",
    "description": (
        "What was wrong, by where: `_form` for the request as a whole, a dotted path for an "
        "answer (`household.0.first_name`), or the header or property at fault "
        "(`Idempotency-Key`, `prefill_from`)."
    ),
    "required": ["errors"],
    "additionalProperties": False,
    "properties": {
        "errors": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "minLength": 1},
            },
        }
    },
    "examples": [{"errors": {"household.0.first_name": ["Enter their first name"]}}],
}

RECEIVED: dict[str, Any] = {
    "type": "object",
    "required": ["reference", "status"],
    "additionalProperties": False,
    "properties": {
        "reference": {
            "type": "string",
            "pattern": REFERENCE_PATTERN,
            "description": "Quote it to the service; it is also the subject of the email",
            "examples": ["EH-7K3Q-2MZD"],
        },
        "status": {"const": "received"},
    },
}

FORM_LIST: dict[str, Any] = {
    "type": "object",
    "required": ["forms"],
    "additionalProperties": False,
    "properties": {
        "forms": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "version", "open_to", "schema", "submissions"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "title": {"type": "string", "minLength": 1},
                    "version": {"type": "integer", "minimum": 1},
                    "open_to": {
                        "enum": list(ACCESS_LEVELS),
                        "description": "`anyone`: a referral token may send it; `staff`: a "
                        "token that acts as a member of staff who fills in forms",
                    },
                    "schema": {"type": "string", "format": "uri-reference"},
                    "submissions": {"type": "string", "format": "uri-reference"},
                },
            },
        }
    },
}

#: The shape every published form schema has (the exact one is embedded per form).
FORM_SCHEMA_DOCUMENT = schema_document(
    "A JSON Schema 2020-12 document: the submission body of one form",
    **{"x-rules": {"type": "array", "items": {"$ref": "#/components/schemas/XRule"}}},
)

ATTACHMENT_STORED: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "size", "kind"],
    "additionalProperties": False,
    "properties": {
        "id": {
            "type": "string",
            "pattern": FILE_ID_PATTERN,
            "description": "List it in the form's attachments answer when you send the form",
        },
        "name": {"type": "string", "description": "The file's name as sent, folders removed"},
        "size": {"type": "integer", "minimum": 1, "description": "In bytes"},
        "kind": {"enum": list(KINDS), "description": "What the content is (not the name)"},
    },
}

OPENAPI_SHAPE: dict[str, Any] = {
    "type": "object",
    "required": ["openapi", "info", "paths"],
    "properties": {"openapi": {"const": OPENAPI_VERSION}},
}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A response whose body is the common error shape."""
    reply: dict[str, Any] = {"description": description, "content": {JSON: {"schema": "Errors"}}}
    if headers:
        reply["headers"] = headers
    return reply


def _text_header(description: str, **schema: Any) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string", **schema}}


RATE_HEADERS = {
    "X-RateLimit-Limit": "RateLimitLimit",
    "X-RateLimit-Remaining": "RateLimitRemaining",
    "X-RateLimit-Reset": "RateLimitReset",
}


def _components(spec: APISpec, max_body_bytes: int) -> None:
    """The named parts every operation refers to."""
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token made with `forms-service api-tokens create`: a "
            "referral token sends only the referral forms it names; a token made for a "
            "member of staff acts as them, with exactly their access.",
        },
    )
    spec.components.schema("XRule", X_RULE)
    spec.components.schema("Errors", ERRORS)
    spec.components.schema("SubmissionReceived", RECEIVED)
    spec.components.schema("FormList", FORM_LIST)
    spec.components.schema("AttachmentStored", ATTACHMENT_STORED)
    spec.components.schema("FormSchemaDocument", FORM_SCHEMA_DOCUMENT)
    spec.components.header("RateLimitLimit", _text_header("Requests allowed in the window"))
    spec.components.header("RateLimitRemaining", _text_header("Requests left in the window"))
    spec.components.header("RateLimitReset", _text_header("When the window ends (Unix time)"))
    spec.components.header(
        "RetryAfter", _text_header("Seconds to wait before trying again", pattern="^[0-9]+$")
    )
    spec.components.parameter(
        "IdempotencyKey",
        "header",
        {
            "name": "Idempotency-Key",
            "required": False,
            "description": "Your own id for this submission, 1 to "
            f"{MAX_IDEMPOTENCY_KEY} printable characters (surrounding spaces ignored). A "
            "retry with the same key and the same body returns the first reference (201 "
            "with `Idempotent-Replayed: true`) instead of sending the referral twice; the "
            "same key with a different body is refused (422).",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_IDEMPOTENCY_KEY,
                "pattern": "\\S",
            },
        },
    )
    responses = {
        "BadRequest": _error(
            "The body is not valid JSON, or the Idempotency-Key header is empty, too long or "
            "has characters that cannot be printed"
        ),
        "Unauthorised": _error(
            "No usable token: none, not a bearer token, unknown, revoked, or its user is disabled",
            {"WWW-Authenticate": _text_header("The scheme to use", pattern="^Bearer ")},
        ),
        "Forbidden": _error(
            "The token may not send this form (or, for a referral token, start from an "
            "earlier reference)"
        ),
        "NotFound": _error("There is no such form"),
        "TooLarge": _error(f"The request body is larger than {max_body_bytes} bytes"),
        "UnsupportedMediaType": _error("The body is not sent as `application/json`"),
        "Unprocessable": _error(
            "The answers break the form's rules (every one is named), the Idempotency-Key was "
            "used for a different body, or `prefill_from` names nothing this token may start "
            "from. Nothing was stored."
        ),
        "TooManyRequests": _error(
            "The token has sent more than its rate allows: wait and try again",
            {"Retry-After": "RetryAfter", **RATE_HEADERS},
        ),
        "Busy": _error("The service is busy: nothing was stored, try again in a minute"),
    }
    for name, response in responses.items():
        spec.components.response(name, response)


def _public_paths(spec: APISpec, form_ids: list[str]) -> None:
    """The three public GETs: this document, the form list and a form's schema."""
    spec.path(
        "/api/v1/openapi.json",
        operations={
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "tags": ["forms"],
                "security": [],
                "responses": {
                    200: {
                        "description": "The OpenAPI 3.1 description of /api/v1",
                        "content": {JSON: {"schema": OPENAPI_SHAPE}},
                    }
                },
            }
        },
    )
    spec.path(
        "/api/v1/forms",
        operations={
            "get": {
                "operationId": "listForms",
                "summary": "The forms this service accepts",
                "tags": ["forms"],
                "security": [],
                "responses": {
                    200: {
                        "description": "Every form, with where to read its schema and send it",
                        "content": {JSON: {"schema": "FormList"}},
                    }
                },
            }
        },
    )
    spec.path(
        "/api/v1/forms/{form_id}/schema",
        parameters=[
            {
                "in": "path",
                "name": "form_id",
                "description": "A form's `id` from `GET /api/v1/forms`",
                "schema": {"type": "string", "enum": form_ids},
            }
        ],
        operations={
            "get": {
                "operationId": "formSchema",
                "summary": "A form's submission body as JSON Schema 2020-12",
                "description": "The same schema is the request body of the form's "
                "submissions path in this document. " + X_RULES_DOC,
                "tags": ["forms"],
                "security": [],
                "responses": {
                    200: {
                        "description": "The form's JSON Schema",
                        "content": {"application/schema+json": {"schema": "FormSchemaDocument"}},
                    },
                    404: "NotFound",
                },
            }
        },
    )


def _submission_path(spec: APISpec, form: FormDefinition, schema_id: str) -> None:
    """``POST /api/v1/forms/<id>/submissions`` with ``form``'s own body schema."""
    body_name = f"{form.id}-submission"
    spec.components.schema(body_name, form_json_schema(form, schema_id))
    who = (
        "a referral token that names this form, or a token for a member of staff"
        if form.open_to_anyone
        else "a token for a member of staff who fills in forms"
    )
    received = {
        "content": {JSON: {"schema": "SubmissionReceived"}},
        "headers": {
            "Idempotent-Replayed": _text_header(
                "`true` when this is the reply to an earlier request with the same "
                "Idempotency-Key and body (nothing new was stored)",
                enum=["true"],
            ),
            **RATE_HEADERS,
        },
    }
    spec.path(
        f"/api/v1/forms/{form.id}/submissions",
        operations={
            "post": {
                "operationId": f"submit-{form.id}",
                "summary": f"Send a submission of '{form.title}'",
                "description": f"Needs {who}. The answers are checked as the web form checks "
                "them; once stored, the documents are made and emailed in the background.",
                "tags": ["submissions"],
                "security": [{"bearer": []}],
                "parameters": ["IdempotencyKey"],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": body_name}},
                },
                "responses": {
                    201: {
                        "description": "Stored; delivery follows (or, on a repeat with the "
                        "same Idempotency-Key, the first submission's reference)",
                        **received,
                    },
                    400: "BadRequest",
                    401: "Unauthorised",
                    403: "Forbidden",
                    413: "TooLarge",
                    415: "UnsupportedMediaType",
                    422: "Unprocessable",
                    429: "TooManyRequests",
                    503: "Busy",
                },
            }
        },
    )


def _attachments_path(spec: APISpec, form: FormDefinition) -> None:
    """``POST /api/v1/forms/<id>/attachments``: one file, for a later submission."""
    files = file_fields(form)
    if files:
        what = (
            f"{nouns(files[0].accept)}, up to {size_text(files[0].max_bytes or 0)}, checked by "
            f"its content (never its name or Content-Type) and scanned for viruses; at most "
            f"{files[0].max_files} per submission. List the returned id in the "
            f"`{files[0].name}` answer of a submission sent with the same token."
        )
    else:
        what = "This form takes no files: the reply is always 404."
    spec.path(
        f"/api/v1/forms/{form.id}/attachments",
        operations={
            "post": {
                "operationId": f"attach-{form.id}",
                "summary": f"Upload a file for '{form.title}'",
                "description": what,
                "tags": ["submissions"],
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    201: {
                        "description": "Stored (sealed); not sent until a submission lists it",
                        "content": {JSON: {"schema": "AttachmentStored"}},
                        "headers": RATE_HEADERS,
                    },
                    400: _error("No part called `file`"),
                    401: "Unauthorised",
                    403: "Forbidden",
                    404: _error("There is no such form, or it takes no files"),
                    413: _error("The body is larger than the largest file allowed"),
                    415: _error("The body is not sent as `multipart/form-data`"),
                    422: _error(
                        "The file was refused (under `file`): not a kind the form accepts, too "
                        "large, one too many, too large for the email, a virus found, or it "
                        "could not be scanned. Nothing was stored."
                    ),
                    429: "TooManyRequests",
                    503: "Busy",
                },
            }
        },
    )


def openapi_document(
    forms: Sequence[FormDefinition],
    server_url: str,
    schema_url: Callable[[str], str],
    max_body_bytes: int,
    *,
    handover_schema_id: str,
) -> dict[str, Any]:
    """The whole document for ``forms``, served from ``server_url``.

    ``schema_url(form_id)`` is the absolute address of a form's schema (its
    ``$id``), and ``handover_schema_id`` that of the handover document's, so the
    embedded schemas are byte for byte the published ones.
    """
    spec = APISpec(
        title="Early Help forms API",
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        info={"description": DESCRIPTION},
        servers=[{"url": server_url}],
        tags=[
            {"name": "forms", "description": "What the service accepts (public)"},
            {"name": "submissions", "description": "Sending a form (needs a token)"},
            {
                "name": "staff",
                "description": "Triage, outcomes, allocation and family records (needs a "
                "token made for a member of staff)",
            },
        ],
    )
    _components(spec, max_body_bytes)
    _public_paths(spec, [form.id for form in forms])
    for form in forms:
        _submission_path(spec, form, schema_url(form.id))
        _attachments_path(spec, form)
    add_staff_operations(spec, forms, handover_schema_id)
    return spec.to_dict()
