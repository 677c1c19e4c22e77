"""``/api/v1``: the same submission path as the web form, as JSON.

Listing forms, reading their JSON Schema and the OpenAPI document (``openapi.json``)
is public (no personal data).
Submitting needs ``Authorization: Bearer <token>`` (401 without a usable
one): a referral token may send only its referral forms (403 otherwise); a
token made for a member of staff acts as them, with exactly their access,
including ``prefill_from``. ``Idempotency-Key`` makes a retried request
return the first reference instead of sending the referral twice.

The staff routes (referrals, outcomes, allocation, a family's timeline and
handover) live in ``staff.py`` and are added to this blueprint by
:func:`staff.register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, request, url_for
from sqlalchemy.exc import DBAPIError

from ..attachments import service as attachments
from ..auth.actor import Actor
from ..auth.policy import can_fill
from ..definitions.model import FormDefinition
from ..definitions.registry import UnknownForm
from ..families.service import FamilyUnavailable
from ..services import Services
from ..submissions.answers import AnswersInvalid
from ..submissions.models import MAX_IDEMPOTENCY_KEY
from ..submissions.prefill import PrefillError, prefill_answers, refused
from ..submissions.service import Idempotency, IdempotencyConflict, body_digest, submit
from ..web.wiring import enqueue_delivery
from . import staff
from .common import UNAUTHORISED, Reply, bearer_actor, external
from .common import error as _error
from .common import services as _services
from .handover import handover_schema
from .json_schema import form_json_schema
from .openapi import openapi_document

bp = Blueprint("api", __name__)


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """Every ``/api/v1`` route, with each form's JSON Schema as its request body."""
    svc = _services()
    base = svc.settings.base_url
    server = base.rstrip("/") if base else request.url_root.rstrip("/")
    return openapi_document(
        svc.registry.all(),
        server,
        lambda form_id: external(".schema", form_id=form_id),
        svc.settings.max_content_length,
        handover_schema_id=external(".handover_schema"),
    )


@bp.get("/schemas/handover.json", endpoint="handover_schema")
def handover_schema_document() -> Reply:
    """The JSON Schema (2020-12) of ``GET /api/v1/families/<id>/handover`` (public)."""
    body = handover_schema(external(".handover_schema"))
    return body, 200, {"Content-Type": "application/schema+json"}


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
    body = form_json_schema(form, external(".schema", form_id=form.id))
    return body, 200, {"Content-Type": "application/schema+json"}


@dataclass(frozen=True)
class _Fillable:
    svc: Services
    actor: Actor
    form: FormDefinition


def _fillable(form_id: str) -> _Fillable | Reply:
    """The services, the token's actor and the form it may send, or the error reply
    (401 without a usable token, 404 for no such form, 403 when the token does not
    cover it): every route that takes a form's answers or files starts here."""
    svc = _services()
    actor = bearer_actor()
    if actor is None:
        return UNAUTHORISED
    try:
        form = svc.registry.get(form_id)
    except UnknownForm:
        return _error(f"There is no form called '{form_id}'", 404)
    if not can_fill(actor, form):
        return _error("This API token cannot send this form", 403)
    return _Fillable(svc, actor, form)


@bp.post("/forms/<form_id>/submissions")
def create_submission(form_id: str) -> Reply:
    found = _fillable(form_id)
    if not isinstance(found, _Fillable):
        return found
    svc, actor, form = found.svc, found.actor, found.form
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


@bp.post("/forms/<form_id>/attachments")
def upload_attachment(form_id: str) -> Reply:
    """One file, as ``multipart/form-data`` part ``file``: checked, scanned and stored;
    its id goes in the form's attachments answer of a later submission by the same token.

    The only API route whose body may be as large as a file (see ``web/security.py``).
    """
    found = _fillable(form_id)
    if not isinstance(found, _Fillable):
        return found
    svc, actor, form = found.svc, found.actor, found.form
    fields = attachments.file_fields(form)
    if not fields:
        return _error("This form does not take files", 404)
    if request.mimetype != "multipart/form-data":
        return _error("Send the file as multipart/form-data, in a part called 'file'", 415)
    upload = request.files.get("file")
    if upload is None:
        return _error("Send the file in a multipart part called 'file'", 400, "file")
    field = fields[0]
    content = upload.read((field.max_bytes or 0) + 1)
    owner = attachments.api_owner(actor.token_id or actor.user_id or "anonymous")
    try:
        record = attachments.store(svc, form, field, owner, actor.who, content, upload.filename)
    except attachments.UploadRefused as exc:
        return _error(exc.message, 422, "file")
    except DBAPIError:
        current_app.logger.exception("could not store a file for %s", form.id)
        return _error("The service is busy. Nothing was stored: try again in a minute", 503)
    return record, 201


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


staff.register(bp)
