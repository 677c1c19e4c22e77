"""The staff half of ``/api/v1``: referrals to triage, outcomes, allocation, a family's
timeline and its handover document.

Every route but ``GET /outcomes`` (form knowledge, public like the form list)
needs ``Authorization: Bearer <token>`` for a member of staff: without a
usable token the answer is 401. The token acts as its user, with exactly
their access: every family read or change goes through ``families.service``
and ``workspace.service``, which ask the access policy and write the audit
event, and a refusal is answered 404, exactly like an id that does not exist.
So a lead professional gets 404 for a family that is not theirs, and a
referral token (which belongs to no one) gets 404 everywhere here. The
referral list is the C-SPOC inbox: anyone else gets 404 for it too, as the
inbox page does, rather than an empty list that looks like no work.

The routes are added to the API blueprint by :func:`register` (called by
``views.py``), so this module never imports the one that imports it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, request

from .. import audit
from ..auth import policy
from ..auth.actor import Actor
from ..clock import utcnow
from ..families.service import FamilyUnavailable, family_for, submission_for
from ..submissions.service import find_by_reference
from ..web.wiring import enqueue_delivery
from ..workspace import service as workspace
from ..workspace.models import AWAITING, DECIDED
from . import handover as documents
from .common import UNAUTHORISED, Reply, bearer_actor, error, external, json_object, services, when

#: Referrals per page of ``GET /referrals``.
PAGE_SIZE = 50
MAX_PAGE = 100_000
#: ``?status=`` values and the inbox filter each stands for (None: every referral).
STATUS_FILTERS: dict[str, str | None] = {"all": None, AWAITING: AWAITING, DECIDED: DECIDED}
_PAGE = re.compile(r"^[0-9]{1,6}$")

NO_FAMILY = "There is no family with that id that you can work with"
NO_REFERRAL = "There is no referral with that reference that you can work with"
NO_INBOX = "The referral list is for C-SPOC duty workers"


def register(bp: Blueprint) -> None:
    """Add the staff routes to the API blueprint ``bp``."""
    bp.add_url_rule("/outcomes", "outcomes", outcomes, methods=["GET"])
    bp.add_url_rule("/referrals", "referrals", referrals, methods=["GET"])
    bp.add_url_rule(
        "/referrals/<reference>/outcome", "record_outcome", record_outcome, methods=["POST"]
    )
    bp.add_url_rule("/families/<family_id>", "family", family, methods=["GET"])
    bp.add_url_rule("/families/<family_id>/allocation", "allocate", allocate, methods=["POST"])
    bp.add_url_rule("/families/<family_id>/handover", "handover", handover, methods=["GET"])


def outcomes() -> dict[str, Any]:
    """Each referral form's outcomes (id and label), from the form files."""
    return {
        form.id: [{"id": o.id, "label": o.label} for o in form.outcomes]
        for form in services().registry.all()
        if form.outcomes
    }


# --------------------------------------------------------------------------- referrals


def _page() -> int | None:
    """``?page=`` as a number from 1 to MAX_PAGE (1 when left out), or None when it is not."""
    raw = request.args.get("page", "1")
    if not _PAGE.match(raw) or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return int(raw)


def referrals() -> Reply:
    """The C-SPOC inbox as JSON: urgent first, then newest first, a page at a time."""
    actor = bearer_actor()
    if actor is None:
        return UNAUTHORISED
    if not policy.triages(actor):
        audit.write(services().sessions, actor.who, "inbox.viewed", outcome="denied")
        return error(NO_INBOX, 404)
    status = request.args.get("status", "all")
    if status not in STATUS_FILTERS:
        return error("status must be one of: " + ", ".join(STATUS_FILTERS), 400, "status")
    page = _page()
    if page is None:
        return error(f"page must be a whole number from 1 to {MAX_PAGE}", 400, "page")
    rows, total = workspace.inbox(
        services(),
        actor,
        workspace.InboxFilter(status=STATUS_FILTERS[status]),
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    more = page * PAGE_SIZE < total
    return {
        "referrals": [_referral(row) for row in rows],
        "total": total,
        "next": external(".referrals", status=status, page=page + 1) if more else None,
    }, 200


def _referral(row: workspace.InboxRow) -> dict[str, Any]:
    """One inbox row: ids, times and states only (no names: read the family for those)."""
    return {
        "reference": row.reference,
        "form": row.form_id,
        "family_id": row.family_id,
        "received_at": when(row.received_at),
        "acknowledge_by": when(row.acknowledge_by),
        "outcome_due_at": when(row.outcome_due_at),
        "urgent": row.urgent,
        "status": row.status,
        "outcome": row.outcome,
        "decided_at": when(row.decided_at),
    }


def record_outcome(reference: str) -> Reply:
    """Record a referral's outcome; the referrer's email (and any onward one) is queued."""
    actor = bearer_actor()
    if actor is None:
        return UNAUTHORISED
    body = json_object(frozenset({"outcome", "reason"}))
    if isinstance(body, tuple):
        return body
    outcome, reason = body.get("outcome"), body.get("reason")
    if not isinstance(outcome, str) or not outcome.strip():
        return error(
            "Select the outcome of this referral: an id from GET /api/v1/outcomes", 400, "outcome"
        )
    if not isinstance(reason, str):
        return error("Enter the reason for this outcome", 400, "reason")
    reference = reference.strip().upper()[:32]
    try:
        queued = workspace.record_outcome(services(), actor, reference, outcome.strip(), reason)
    except FamilyUnavailable:
        return error(NO_REFERRAL, 404)
    except workspace.AlreadyDecided as exc:
        return error(str(exc), 409)
    except workspace.WorkspaceError as exc:
        return error(str(exc), 400, exc.field)
    enqueue_delivery(queued)
    return _decided(reference), 200


def _decided(reference: str) -> dict[str, Any]:
    """What was just recorded for ``reference`` (the policy has already said yes)."""
    submission = find_by_reference(services(), reference)
    referral = workspace.referral_of(services(), submission.id) if submission else None
    assert referral is not None and referral.decided_at is not None
    return {
        "reference": reference,
        "outcome": referral.outcome,
        "decided_at": when(referral.decided_at),
    }


# --------------------------------------------------------------------------- families


def _timeline(actor: Actor, family_id: str) -> Reply:
    view = family_for(services(), actor, family_id)
    if view is None:
        return error(NO_FAMILY, 404)
    work = workspace.family_work(services(), view.id)
    return documents.timeline(view, work, services().registry), 200


def family(family_id: str) -> Reply:
    """A family's timeline: submissions, outcomes, allocations and what is due."""
    actor = bearer_actor()
    if actor is None:
        return UNAUTHORISED
    return _timeline(actor, family_id)


def allocate(family_id: str) -> Reply:
    """Allocate a lead professional by their account's email; they are sent a notice.

    The reply is the family's timeline, which now shows the allocation and what is due.
    """
    actor = bearer_actor()
    if actor is None:
        return UNAUTHORISED
    body = json_object(frozenset({"email"}))
    if isinstance(body, tuple):
        return body
    email = body.get("email")
    if not isinstance(email, str) or not email.strip():
        return error(
            "Enter the email address of an active lead professional's account", 400, "email"
        )
    try:
        queued = workspace.allocate(services(), actor, family_id, email[:320])
    except FamilyUnavailable:
        return error(NO_FAMILY, 404)
    except workspace.WorkspaceError as exc:
        return error(str(exc), 400, exc.field)
    enqueue_delivery(queued)
    return _timeline(actor, family_id)


def handover(family_id: str) -> Reply:
    """The family's whole record as one document (see ``handover.py`` for its schema).

    Each submission is opened through ``submission_for``, so each is audited as
    ``family.handover``; if any is refused meanwhile (reallocated), the answer is 404.
    """
    actor = bearer_actor()
    if actor is None:
        return UNAUTHORISED
    svc = services()
    view = family_for(svc, actor, family_id)
    if view is None:
        return error(NO_FAMILY, 404)
    opened = []
    for row in view.submissions:
        found = submission_for(svc, actor, row.id, audit_action="family.handover")
        if found is None:
            return error(NO_FAMILY, 404)
        opened.append(found)
    document = documents.handover(
        view,
        workspace.family_work(svc, view.id),
        opened,
        svc.registry,
        schema_id=external(".handover_schema"),
        answers_schema=lambda form_id: external(".schema", form_id=form_id),
        exported_at=utcnow(),
    )
    return document, 200
