"""What every ``/api/v1`` view shares: the services, the error shape, the bearer actor.

Kept apart from the views so the submission views (``views.py``) and the staff
views (``staff.py``) both use them without importing each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, request, url_for

from ..auth import tokens
from ..auth.actor import Actor
from ..clock import aware
from ..web.wiring import services

Reply = tuple[dict[str, Any], int] | tuple[dict[str, Any], int, dict[str, str]]

UNAUTHORISED = (
    {"errors": {"_form": ["Send an API token: Authorization: Bearer <token>"]}},
    401,
    {"WWW-Authenticate": 'Bearer realm="forms"'},
)


def error(message: str, code: int, where: str = "_form") -> tuple[dict[str, Any], int]:
    """The one error shape: ``{"errors": {where: [message]}}``."""
    return {"errors": {where: [message]}}, code


def external(endpoint: str, **values: Any) -> str:
    """An absolute URL from ``FORMS_BASE_URL`` (never the Host header) when it is set."""
    base = services().settings.base_url
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def bearer_actor() -> Actor | None:
    """The actor the request's bearer token stands for, or None (no usable token)."""
    token = tokens.bearer_token(request.headers.get("Authorization"))
    if token is None:
        return None
    actor = tokens.actor_for(services(), token, request.remote_addr)
    g.actor = actor or g.get("actor")
    return actor


def json_object(allowed: frozenset[str]) -> dict[str, Any] | tuple[dict[str, Any], int]:
    """The request body as a JSON object with only ``allowed`` properties, or the error reply.

    415 when it is not sent as JSON, 400 when it is not a JSON object or has a
    property the operation does not take (each one named).
    """
    if not request.is_json:
        return error("Send the body as JSON, with Content-Type: application/json", 415)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return error("Send a JSON object", 400)
    unknown = sorted(str(k)[:64] for k in data if k not in allowed)
    if unknown:
        return {"errors": {k: ["This property is not taken here: remove it"] for k in unknown}}, 400
    return data


def when(moment: dt.datetime | None) -> str | None:
    """A stored time as RFC 3339 in UTC (SQLite hands back naive values), or None."""
    return aware(moment).isoformat() if moment is not None else None
