"""The staff routes' part of the OpenAPI document (see ``staff.py`` and ``openapi.py``).

Their bodies and replies are the shapes ``handover.py`` builds, named as
components; the handover document's schema is embedded as it is published at
``/api/v1/schemas/handover.json`` (its ``$id`` included), like each form's
schema. Error replies refer to the responses ``openapi.py`` names
(``Unauthorised``, ``TooLarge``…) and add those only these routes give.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apispec import APISpec

from ..definitions.model import FormDefinition
from ..fieldtypes.text import EMAIL
from ..workspace.models import REFERRAL_STATUSES
from ..workspace.service import MAX_REASON
from . import handover as documents
from .json_schema import REFERENCE_PATTERN, schema_document
from .staff import MAX_PAGE, PAGE_SIZE, STATUS_FILTERS

JSON = "application/json"
STAFF_ONLY = (
    "Needs a token made for a member of staff; it acts with exactly their access. "
    "Anything they may not see (a lead professional's view of a family that is not "
    "theirs, or anything at all for a referral token) is answered 404, exactly as for "
    "something that does not exist, and the refusal is audited."
)

OUTCOME_LIST: dict[str, Any] = {
    "type": "object",
    "description": "The outcomes a duty worker may record, by referral form id",
    "additionalProperties": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["id", "label"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "label": {"type": "string", "minLength": 1},
            },
        },
    },
}

REFERRAL_ROW: dict[str, Any] = documents.closed_object(
    {
        "reference": {"type": "string", "pattern": REFERENCE_PATTERN},
        "form": {"type": "string"},
        "family_id": {"type": "string", "description": "Read the family at /families/{id}"},
        "received_at": {"type": "string", "format": "date-time"},
        "acknowledge_by": {"type": "string", "format": "date-time"},
        "outcome_due_at": {"type": "string", "format": "date-time"},
        "urgent": {
            "type": "boolean",
            "description": "Confirms a phoned Level 4 concern: listed first, on a 24-hour clock",
        },
        "status": {"enum": list(REFERRAL_STATUSES)},
        "outcome": {"type": ["string", "null"]},
        "decided_at": {"type": ["string", "null"], "format": "date-time"},
    }
)

REFERRAL_LIST: dict[str, Any] = documents.closed_object(
    {
        "referrals": {"type": "array", "maxItems": PAGE_SIZE, "items": REFERRAL_ROW},
        "total": {"type": "integer", "minimum": 0, "description": "How many match, in all"},
        "next": {
            "type": ["string", "null"],
            "format": "uri",
            "description": "The next page, or null on the last",
        },
    }
)

OUTCOME_RECORDED: dict[str, Any] = documents.closed_object(
    {
        "reference": {"type": "string", "pattern": REFERENCE_PATTERN},
        "outcome": {"type": "string"},
        "decided_at": {"type": "string", "format": "date-time"},
    }
)

#: The shape of the published handover schema (the schema itself is ``Handover``).
HANDOVER_SCHEMA_DOCUMENT = schema_document(
    "A JSON Schema 2020-12 document: the handover reply's schema, which this "
    "document also names `Handover`"
)

ALLOCATION_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["email"],
    "additionalProperties": False,
    "properties": {
        "email": {
            "type": "string",
            "pattern": EMAIL.pattern,
            "maxLength": 320,
            "description": "The email address of an active lead professional's (or duty "
            "worker's) account",
        }
    },
}


def _outcome_request(forms: Sequence[FormDefinition]) -> dict[str, Any]:
    ids = sorted({o.id for form in forms for o in form.outcomes})
    return {
        "type": "object",
        "required": ["outcome", "reason"],
        "additionalProperties": False,
        "properties": {
            "outcome": {
                "enum": ids,
                "description": "An id `GET /api/v1/outcomes` lists for the referral's form",
            },
            "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON},
        },
    }


def _components(spec: APISpec, forms: Sequence[FormDefinition], handover_schema_id: str) -> None:
    spec.components.schema("OutcomeList", OUTCOME_LIST)
    spec.components.schema("ReferralList", REFERRAL_LIST)
    spec.components.schema("OutcomeRequest", _outcome_request(forms))
    spec.components.schema("OutcomeRecorded", OUTCOME_RECORDED)
    spec.components.schema("AllocationRequest", ALLOCATION_REQUEST)
    spec.components.schema("FamilyTimeline", documents.TIMELINE)
    spec.components.schema("Handover", documents.handover_schema(handover_schema_id))
    spec.components.schema("HandoverSchemaDocument", HANDOVER_SCHEMA_DOCUMENT)
    errors = {"content": {JSON: {"schema": "Errors"}}}
    spec.components.response(
        "StaffBadRequest",
        {
            "description": "The body is not valid JSON or not an object, has a property this "
            "operation does not take, or a value that is missing or wrong (each named)",
            **errors,
        },
    )
    spec.components.response(
        "NotYours",
        {
            "description": "There is no such thing, or this token's user may not see it: "
            "the two look the same",
            **errors,
        },
    )
    spec.components.response(
        "AlreadyDecided",
        {
            "description": "The referral already has an outcome; nothing was changed "
            "(so repeating a request is safe)",
            **errors,
        },
    )


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _path_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": description,
        "schema": schema,
    }


REFERENCE = _path_parameter(
    "reference",
    "The referral's reference",
    {"type": "string", "pattern": REFERENCE_PATTERN},
)
FAMILY_ID = _path_parameter(
    "family_id",
    "A family's id, as `GET /api/v1/referrals` gives it",
    {"type": "string", "format": "uuid"},
)
STAFF_READ = {401: "Unauthorised", 404: "NotYours"}
STAFF_WRITE = {
    400: "StaffBadRequest",
    401: "Unauthorised",
    404: "NotYours",
    413: "TooLarge",
    415: "UnsupportedMediaType",
    503: "Busy",
}


def _public_paths(spec: APISpec) -> None:
    spec.path(
        "/api/v1/outcomes",
        operations={
            "get": {
                "operationId": "listOutcomes",
                "summary": "The outcomes each referral form allows",
                "description": "From the form files; only forms that are triaged appear.",
                "tags": ["forms"],
                "security": [],
                "responses": {200: _ok("Outcome ids and labels by form id", "OutcomeList")},
            }
        },
    )
    spec.path(
        "/api/v1/schemas/handover.json",
        operations={
            "get": {
                "operationId": "handoverSchema",
                "summary": "The JSON Schema (2020-12) of a family's handover document",
                "tags": ["staff"],
                "security": [],
                "responses": {
                    200: {
                        "description": "The schema this document names `Handover`",
                        "content": {
                            "application/schema+json": {"schema": "HandoverSchemaDocument"}
                        },
                    }
                },
            }
        },
    )


def _referral_paths(spec: APISpec) -> None:
    spec.path(
        "/api/v1/referrals",
        operations={
            "get": {
                "operationId": "listReferrals",
                "summary": "The C-SPOC inbox: referrals, urgent first, then newest first",
                "description": f"For C-SPOC duty workers; anyone else gets 404, as the inbox "
                f"page answers. {PAGE_SIZE} a page; follow `next`. {STAFF_ONLY}",
                "tags": ["staff"],
                "security": [{"bearer": []}],
                "parameters": [
                    {
                        "in": "query",
                        "name": "status",
                        "required": False,
                        "description": "Which referrals: still waiting for an outcome, "
                        "decided, or all (the default)",
                        "schema": {"enum": list(STATUS_FILTERS), "default": "all"},
                    },
                    {
                        "in": "query",
                        "name": "page",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE,
                            "default": 1,
                        },
                    },
                ],
                "responses": {
                    200: _ok("One page of referrals", "ReferralList"),
                    400: "StaffBadRequest",
                    **STAFF_READ,
                },
            }
        },
    )
    spec.path(
        "/api/v1/referrals/{reference}/outcome",
        parameters=[REFERENCE],
        operations={
            "post": {
                "operationId": "recordOutcome",
                "summary": "Record a referral's outcome; the referrer is emailed it",
                "description": "The referrer is told the outcome in plain words, with the "
                "reference and no family names; an outcome that sends the family on also "
                "sends the documents to that service. A referral is decided once: asking "
                f"again answers 409 and changes nothing. {STAFF_ONLY}",
                "tags": ["staff"],
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {JSON: {"schema": "OutcomeRequest"}}},
                "responses": {
                    200: _ok("Recorded; the emails are queued", "OutcomeRecorded"),
                    409: "AlreadyDecided",
                    **STAFF_WRITE,
                },
            }
        },
    )


def _family_paths(spec: APISpec) -> None:
    spec.path(
        "/api/v1/families/{family_id}",
        parameters=[FAMILY_ID],
        operations={
            "get": {
                "operationId": "familyTimeline",
                "summary": "A family's timeline: submissions, outcomes, allocations, what is due",
                "description": STAFF_ONLY,
                "tags": ["staff"],
                "security": [{"bearer": []}],
                "responses": {200: _ok("The timeline", "FamilyTimeline"), **STAFF_READ},
            }
        },
    )
    spec.path(
        "/api/v1/families/{family_id}/allocation",
        parameters=[FAMILY_ID],
        operations={
            "post": {
                "operationId": "allocate",
                "summary": "Allocate a lead professional, who is emailed a notice",
                "description": "Ends any earlier allocation and starts the Family Story "
                f"Assessment's clock. For C-SPOC duty workers. {STAFF_ONLY}",
                "tags": ["staff"],
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": "AllocationRequest"}},
                },
                "responses": {
                    200: _ok("Allocated: the family's timeline now", "FamilyTimeline"),
                    **STAFF_WRITE,
                },
            }
        },
    )
    spec.path(
        "/api/v1/families/{family_id}/handover",
        parameters=[FAMILY_ID],
        operations={
            "get": {
                "operationId": "familyHandover",
                "summary": "A family's whole record as one document, for another system",
                "description": "Every submission's answers, the outcomes with their reasons, "
                "the allocation history and what is due, in the shape of "
                f"`/api/v1/schemas/handover.json`. Each submission read is audited. {STAFF_ONLY}",
                "tags": ["staff"],
                "security": [{"bearer": []}],
                "responses": {200: _ok("The handover document", "Handover"), **STAFF_READ},
            }
        },
    )


def add_staff_operations(
    spec: APISpec, forms: Sequence[FormDefinition], handover_schema_id: str
) -> None:
    """The staff routes and the public lists they rely on, with their components."""
    _components(spec, forms, handover_schema_id)
    _public_paths(spec)
    _referral_paths(spec)
    _family_paths(spec)
