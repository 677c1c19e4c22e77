"""``/api/v1``: the same submission path as the web form, as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for
from sqlalchemy.exc import DBAPIError

from ..definitions import UnknownForm
from ..services import Services
from ..submissions.answers import AnswersInvalid
from ..submissions.prefill import PrefillError, prefill_answers
from ..submissions.service import submit
from .json_schema import form_json_schema

bp = Blueprint("api", __name__)

Reply = tuple[dict[str, Any], int] | tuple[dict[str, Any], int, dict[str, str]]


def _services() -> Services:
    svc: Services = current_app.extensions["forms"]
    return svc


def _error(message: str, code: int) -> tuple[dict[str, Any], int]:
    return {"errors": {"_form": [message]}}, code


@bp.get("/forms")
def list_forms() -> dict[str, Any]:
    return {
        "forms": [
            {
                "id": f.id,
                "title": f.title,
                "version": f.version,
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
    body = form_json_schema(form, url_for(".schema", form_id=form.id, _external=True))
    return body, 200, {"Content-Type": "application/schema+json"}


@bp.post("/forms/<form_id>/submissions")
def create_submission(form_id: str) -> Reply:
    svc = _services()
    try:
        form = svc.registry.get(form_id)
    except UnknownForm:
        return _error(f"There is no form called '{form_id}'", 404)
    if not request.is_json:
        return _error("Send the answers as JSON, with Content-Type: application/json", 415)
    data = request.get_json(silent=True)
    if data is None:
        return _error("The request body is not valid JSON", 400)
    if isinstance(data, dict) and "prefill_from" in data:
        data = dict(data)
        reference = data.pop("prefill_from")
        try:
            base = prefill_answers(svc, form, str(reference))
        except PrefillError as exc:
            return {"errors": {"prefill_from": [str(exc)]}}, 422
        data = {**base, **data}
    try:
        submission = submit(svc, form, data, channel="api")
    except AnswersInvalid as exc:
        return {"errors": exc.errors}, 422
    except DBAPIError:
        current_app.logger.exception("could not store a %s submission", form.id)
        return _error("The service is busy. Nothing was stored: try again in a minute", 503)
    return {"reference": submission.reference, "status": "received"}, 201
