"""A family as JSON: its timeline, its handover document, and the schema of each.

The handover document is what a case-management system imports when a family
moves on: the family record, every submission's answers (each in the shape of
its form's published JSON Schema), the outcomes and reasons, the allocation
history and what is due. Its JSON Schema (2020-12) is published at
``/api/v1/schemas/handover.json`` and embedded in the OpenAPI document, so the
two cannot drift; ``format_version`` changes when a field changes meaning.

Plain functions over what ``families.service`` and ``workspace.service``
return: the views ask those (policy and audit) before calling anything here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from ..clock import aware
from ..definitions.registry import Registry, UnknownForm
from ..families.models import STATUSES
from ..families.service import FamilyView, SubmissionView
from ..workspace.models import AWAITING, DECIDED, REFERRAL_STATUSES
from ..workspace.service import AllocationRow, Decision, FamilyWork
from .common import when
from .json_schema import DIALECT, REFERENCE_PATTERN

FORMAT_VERSION = 1

_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
_TIME_OR_NULL: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
_TEXT_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}


def closed_object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A closed object whose every property is present (null when there is nothing)."""
    shape: dict[str, Any] = {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    if description:
        shape["description"] = description
    return shape


FAMILY: dict[str, Any] = closed_object(
    {
        "id": {"type": "string", "minLength": 1},
        "status": {
            "enum": list(STATUSES),
            "description": "`provisional` until a duty worker confirms or merges it",
        },
        "opened_at": _TIME,
        "closed_at": _TIME_OR_NULL,
        "closed_reason": {
            **_TEXT_OR_NULL,
            "description": "The form and answer that closed it, such as `tacaf-review: close`",
        },
        "lead_professional": {**_TEXT_OR_NULL, "description": "Their name"},
    }
)

SUBMISSION_ROW: dict[str, Any] = closed_object(
    {
        "id": {"type": "string", "minLength": 1},
        "reference": {"type": "string", "pattern": REFERENCE_PATTERN},
        "form": {"type": "string", "description": "The form's id, as in `GET /api/v1/forms`"},
        "submitted_at": _TIME,
        "delivery": {
            **_TEXT_OR_NULL,
            "description": "State of the email to the Children's Single Point of Contact "
            "(`pending`, `sending`, `sent`, `failed`…), or null when none was queued",
        },
    }
)

HANDOVER_SUBMISSION: dict[str, Any] = closed_object(
    {
        **SUBMISSION_ROW["properties"],
        "form_title": {"type": "string"},
        "answers_schema": {
            "type": "string",
            "format": "uri",
            "description": "The form's JSON Schema: `answers` has the shape it describes",
        },
        "answers": {"type": "object", "description": "Every answer, as stored"},
    }
)

_DECISION_PROPERTIES: dict[str, Any] = {
    "reference": {"type": "string", "pattern": REFERENCE_PATTERN},
    "form": {"type": "string"},
    "received_at": _TIME,
    "outcome_due_at": {**_TIME, "description": "When the referrer is due to hear the outcome"},
    "urgent": {
        "type": "boolean",
        "description": "Confirms a phoned Level 4 concern (a 24-hour clock)",
    },
    "status": {"enum": list(REFERRAL_STATUSES)},
    "outcome": {**_TEXT_OR_NULL, "description": "An id from `GET /api/v1/outcomes`"},
    "outcome_label": _TEXT_OR_NULL,
    "decided_at": _TIME_OR_NULL,
    "decided_by": {**_TEXT_OR_NULL, "description": "The duty worker's name"},
}
DECISION: dict[str, Any] = closed_object(
    _DECISION_PROPERTIES, "A referral at triage, and its outcome"
)
HANDOVER_DECISION: dict[str, Any] = closed_object(
    {
        **_DECISION_PROPERTIES,
        "reason": {**_TEXT_OR_NULL, "description": "The duty worker's reason"},
    },
    "A referral at triage, and its outcome with the worker's reason",
)

ALLOCATION: dict[str, Any] = closed_object(
    {
        "lead_professional": {"type": "string", "description": "Their name"},
        "allocated_at": _TIME,
        "ended_at": {**_TIME_OR_NULL, "description": "When someone else was allocated"},
        "allocated_by": {**_TEXT_OR_NULL, "description": "Who allocated them (null: the CLI)"},
    }
)

DUE: dict[str, Any] = {
    "anyOf": [
        closed_object(
            {
                "form": {"type": "string"},
                "due_at": _TIME,
                "due_limit_at": {**_TIME, "description": "Overdue after this"},
            }
        ),
        {"type": "null"},
    ],
    "description": "The form the family needs next and when (null: nothing is due)",
}

TIMELINE: dict[str, Any] = closed_object(
    {
        "family": FAMILY,
        "submissions": {"type": "array", "items": SUBMISSION_ROW, "description": "Newest first"},
        "decisions": {"type": "array", "items": DECISION, "description": "Newest first"},
        "allocations": {"type": "array", "items": ALLOCATION, "description": "Newest first"},
        "due": DUE,
    },
    "A family's timeline: what was sent, decided and allocated, and what is due",
)


def handover_schema(schema_id: str) -> dict[str, Any]:
    """The handover document's JSON Schema, published as ``schema_id``."""
    return {
        "$schema": DIALECT,
        "$id": schema_id,
        "title": "Early Help family handover",
        "description": "One family's whole record, for a case-management system to import. "
        "Times are RFC 3339 in UTC. Lists are oldest first. A property with nothing to say "
        f"is null, never left out. `format_version` is {FORMAT_VERSION}; it changes when a "
        "property changes meaning.",
        **closed_object(
            {
                "schema": {"const": schema_id, "description": "This schema's address"},
                "format_version": {"const": FORMAT_VERSION},
                "exported_at": _TIME,
                "family": FAMILY,
                "submissions": {"type": "array", "items": HANDOVER_SUBMISSION},
                "outcomes": {"type": "array", "items": HANDOVER_DECISION},
                "allocations": {"type": "array", "items": ALLOCATION},
                "due": DUE,
            }
        ),
    }


# --------------------------------------------------------------------------- documents


def _title(registry: Registry, form_id: str) -> str:
    try:
        return registry.get(form_id).title
    except UnknownForm:  # a form since withdrawn: its id is all there is
        return form_id


def _outcome_label(registry: Registry, form_id: str, outcome: str | None) -> str | None:
    if outcome is None:
        return None
    try:
        found = registry.get(form_id).outcome(outcome)
    except UnknownForm:
        return None
    return found.label if found is not None else None


def _family(view: FamilyView) -> dict[str, Any]:
    return {
        "id": view.id,
        "status": view.status,
        "opened_at": when(view.opened_at),
        "closed_at": when(view.closed_at),
        "closed_reason": view.closed_reason,
        "lead_professional": view.lead_professional,
    }


def _decision(registry: Registry, decision: Decision, *, reason: bool) -> dict[str, Any]:
    row = {
        "reference": decision.reference,
        "form": decision.form_id,
        "received_at": when(decision.received_at),
        "outcome_due_at": when(decision.outcome_due_at),
        "urgent": decision.urgent,
        "status": DECIDED if decision.decided_at is not None else AWAITING,
        "outcome": decision.outcome,
        "outcome_label": _outcome_label(registry, decision.form_id, decision.outcome),
        "decided_at": when(decision.decided_at),
        "decided_by": decision.decided_by,
    }
    if reason:
        row["reason"] = decision.reason or None
    return row


def _allocation(row: AllocationRow) -> dict[str, Any]:
    return {
        "lead_professional": row.lead_professional,
        "allocated_at": when(row.allocated_at),
        "ended_at": when(row.ended_at),
        "allocated_by": row.allocated_by,
    }


def _due(work: FamilyWork) -> dict[str, Any] | None:
    if work.due_form is None or work.due_at is None or work.due_limit_at is None:
        return None
    return {
        "form": work.due_form,
        "due_at": when(work.due_at),
        "due_limit_at": when(work.due_limit_at),
    }


def timeline(view: FamilyView, work: FamilyWork, registry: Registry) -> dict[str, Any]:
    """The family's timeline (``TIMELINE``), newest first, with no answers opened."""
    return {
        "family": _family(view),
        "submissions": [
            {
                "id": row.id,
                "reference": row.reference,
                "form": row.form_id,
                "submitted_at": when(row.submitted_at),
                "delivery": row.delivery or None,
            }
            for row in view.submissions
        ],
        "decisions": [_decision(registry, d, reason=False) for d in work.decisions],
        "allocations": [_allocation(a) for a in work.allocations],
        "due": _due(work),
    }


def handover(
    view: FamilyView,
    work: FamilyWork,
    opened: Sequence[SubmissionView],
    registry: Registry,
    *,
    schema_id: str,
    answers_schema: Callable[[str], str],
    exported_at: dt.datetime,
) -> dict[str, Any]:
    """The handover document (``handover_schema``): ``opened`` are the family's submissions,
    each opened through ``families.service.submission_for``; lists run oldest first."""
    delivery = {row.id: row.delivery or None for row in view.submissions}
    return {
        "schema": schema_id,
        "format_version": FORMAT_VERSION,
        "exported_at": when(exported_at),
        "family": _family(view),
        "submissions": [
            {
                "id": s.id,
                "reference": s.reference,
                "form": s.form_id,
                "submitted_at": when(s.submitted_at),
                "delivery": delivery.get(s.id),
                "form_title": _title(registry, s.form_id),
                "answers_schema": answers_schema(s.form_id),
                "answers": s.answers,
            }
            for s in sorted(opened, key=lambda s: (aware(s.submitted_at), s.reference))
        ],
        "outcomes": [_decision(registry, d, reason=True) for d in reversed(work.decisions)],
        "allocations": [_allocation(a) for a in reversed(work.allocations)],
        "due": _due(work),
    }
