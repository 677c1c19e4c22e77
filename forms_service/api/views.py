"""``/api/v1``: the same submission path as the web form, as JSON.

Listing forms, reading their JSON Schema and the OpenAPI document (``openapi.json``)
is public (no personal data).
Submitting needs ``Authorization: Bearer <token>`` (401 without a usable
one): a referral token may send only its referral forms (403 otherwise); a
token made for a member of staff acts as them, with exactly their access,
including ``prefill_from``. ``Idempotency-Key`` makes a retried request
return the first reference instead of sending the referral twice.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request, url_for
from sqlalchemy.exc import DBAPIError

from ..auth import tokens
from ..auth.actor import Actor
from ..auth.policy import can_fill
from ..definitions.registry import UnknownForm
from ..families.service import FamilyUnavailable
from ..services import Services
from ..submissions.answers import AnswersInvalid
from ..submissions.models import MAX_IDEMPOTENCY_KEY
from ..submissions.prefill import PrefillError, prefill_answers, refused
from ..submissions.service import Idempotency, IdempotencyConflict, body_digest, submit
from ..web.wiring import enqueue_delivery
from .json_schema import form_json_schema
from .openapi import openapi_document

bp = Blueprint("api", __name__)

Reply = tuple[dict[str, Any], int] | tuple[dict[str, Any], int, dict[str, str]]


def _services() -> Services:
    svc: Services = current_app.extensions["forms"]
    return svc


def _error(message: str, code: int) -> tuple[dict[str, Any], int]:
    return {"errors": {"_form": [message]}}, code


def _external(endpoint: str, **values: Any) -> str:
    """An absolute URL from ``FORMS_BASE_URL`` (never the Host header) when it is set."""
    base = _services().settings.base_url
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _bearer_actor() -> Actor | None:
    token = tokens.bearer_token(request.headers.get("Authorization"))
    if token is None:
        return None
    actor = tokens.actor_for(_services(), token, request.remote_addr)
    g.actor = actor or g.get("actor")
    return actor


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """Every ``/api/v1`` route, with each form's JSON Schema as its request body."""
    svc = _services()
    base = svc.settings.base_url
    server = base.rstrip("/") if base else request.url_root.rstrip("/")
    return openapi_document(
        svc.registry.all(),
        server,
        lambda form_id: _external(".schema", form_id=form_id),
        svc.settings.max_content_length,
    )


@bp.get("/forms")
def list_forms() -> dict[str, Any]:
    return {
        "forms": [
            {
                "id": f.id,
                "title": f.title,
                "version": f.version,
                "open_to": f.access,
                "schema": url_for(".schema", form_id=f.id),
                "submissions": url_for(".create_submission", form_id=f.id),
            }
            for f in _services().registry.all()
        ]
    }


@bp.get("/forms/<form_id>/schema")
def schema(form_id: str) -> Reply:
    try:
        form = _services().registry.get(form_id)
    except UnknownForm:
        return _error(f"There is no form called '{form_id}'", 404)
    body = form_json_schema(form, _external(".schema", form_id=form.id))
    return body, 200, {"Content-Type": "application/schema+json"}


UNAUTHORISED = (
    {"errors": {"_form": ["Send an API token: Authorization: Bearer <token>"]}},
    401,
    {"WWW-Authenticate": 'Bearer realm="forms"'},
)


@bp.post("/forms/<form_id>/submissions")
def create_submission(form_id: str) -> Reply:
    svc = _services()
    actor = _bearer_actor()
    if actor is None:
        return UNAUTHORISED
    try:
        form = svc.registry.get(form_id)
    except UnknownForm:
        return _error(f"There is no form called '{form_id}'", 404)
    if not can_fill(actor, form):
        return _error("This API token cannot send this form", 403)
    if not request.is_json:
        return _error("Send the answers as JSON, with Content-Type: application/json", 415)
    data = request.get_json(silent=True)
    if data is None:
        return _error("The request body is not valid JSON", 400)
    idempotency = _idempotency(svc, actor, data)
    if isinstance(idempotency, tuple):
        return idempotency
    family_id = None
    if isinstance(data, dict) and "prefill_from" in data:
        if actor.user_id is None:
            refused(svc, actor, "a referral token cannot start from a reference")
            return _error("This API token cannot start from a reference", 403)
        data = dict(data)
        reference = data.pop("prefill_from")
        try:
            prefilled = prefill_answers(svc, form, str(reference)[:50], actor)
        except PrefillError as exc:
            return {"errors": {"prefill_from": [str(exc)]}}, 422
        data = {**prefilled.answers, **data}
        family_id = prefilled.family_id
    try:
        received = submit(
            svc,
            form,
            data,
            channel="api",
            actor=actor,
            family_id=family_id,
            idempotency=idempotency,
        )
    except AnswersInvalid as exc:
        return {"errors": exc.errors}, 422
    except IdempotencyConflict:
        return {
            "errors": {
                "Idempotency-Key": [
                    "This Idempotency-Key was used for different answers. Use a new key for a new "
                    "submission"
                ]
            }
        }, 422
    except FamilyUnavailable:
        return {
            "errors": {
                "prefill_from": [
                    "We could not find a record you can start from with that reference"
                ]
            }
        }, 422
    except DBAPIError:
        current_app.logger.exception("could not store a %s submission", form.id)
        return _error("The service is busy. Nothing was stored: try again in a minute", 503)
    enqueue_delivery(received.outbox_ids)
    body = {"reference": received.reference, "status": "received"}
    if received.repeated:
        return body, 201, {"Idempotent-Replayed": "true"}
    return body, 201


def _idempotency(
    svc: Services, actor: Actor, data: Any
) -> Idempotency | tuple[dict[str, Any], int] | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        return {
            "errors": {
                "Idempotency-Key": [
                    f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters"
                ]
            }
        }, 400
    owner = actor.token_id or actor.user_id or "anonymous"
    return Idempotency(owner, key, body_digest(svc, data))
