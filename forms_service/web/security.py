"""Security headers on every response, with a per-request CSP nonce.

The GOV.UK template has one inline script (it marks the body as JS-enabled);
it carries the nonce, so the policy can forbid every other inline script.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response


def csp_nonce() -> str:
    """This request's nonce (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def _headers(response: Response) -> Response:
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
        "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if not request.path.startswith("/assets/"):
        response.headers["Cache-Control"] = "no-store"
    return response


#: The only routes whose body may be as large as an uploaded file.
UPLOAD_ENDPOINTS = frozenset({"forms.files", "api.upload_attachment"})


def _body_limit() -> None:
    """Raise the body limit for the upload routes alone, before anything reads the body
    (the CSRF check reads the form): the largest file any form takes, plus the page's
    other answers. Every other route keeps ``MAX_CONTENT_LENGTH``."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        limit = current_app.config["MAX_CONTENT_LENGTH"] or 0
        largest = current_app.extensions["forms"].registry.largest_file()
        request.max_content_length = limit + largest


def init_app(app: Flask) -> None:
    app.before_request(_body_limit)
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
