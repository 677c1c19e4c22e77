"""Rate limits (Flask-Limiter), each set by a ``FORMS_LIMIT_*`` variable.

- sign-in: failed attempts per IP and per account (successful ones are free,
  so a council office behind one address is never locked out by colleagues);
- the authenticator page: failed codes per IP;
- start from a reference: per user;
- API submissions: per token;
- "save and come back later": links sent per address, links opened and wrong
  codes per IP (each sends an email, or guesses a code);
- every POST to the public forms: per IP, generously, because a school or a
  surgery shares one address, and a referral must never be locked out.

Counters live in Redis when ``FORMS_BROKER_URL`` is set (shared by every
process), in memory otherwise. If Redis is down the limits fall back to
memory rather than refusing a referral. A refusal is 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, cast

from flask import Blueprint, Flask, g, request
from flask_limiter import Limiter
from werkzeug.wrappers import Response

from ..services import Services
from .accounts import normalise_email
from .tokens import bearer_token


def client_ip() -> str:
    return request.remote_addr or "unknown"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def account_key() -> str:
    """The account being tried (hashed), so guesses at one account are limited from anywhere."""
    return "account:" + _digest(normalise_email(request.form.get("email", "")))


def user_key() -> str:
    actor = g.get("actor")
    user_id = getattr(actor, "user_id", None)
    return f"user:{user_id}" if user_id else f"ip:{client_ip()}"


def token_key() -> str:
    """The presented API token (hashed, and read as the API reads it), else the address."""
    token = bearer_token(request.headers.get("Authorization"))
    return "token:" + _digest(token) if token else f"ip:{client_ip()}"


def failed(response: Response) -> bool:
    """A sign-in step that did not move on (a redirect means it passed)."""
    return response.status_code != 302


def init_app(app: Flask, services: Services) -> Limiter:
    """A limiter for this app, with each route's limit attached."""
    settings = services.settings
    limiter = Limiter(
        key_func=client_ip,
        app=app,
        storage_uri=settings.broker_url or "memory://",
        storage_options={"socket_connect_timeout": 2, "socket_timeout": 2}
        if settings.broker_url
        else {},
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        key_prefix="forms-limits",
    )

    def attach(endpoint: str, limit: str, key: Callable[[], str], **options: Any) -> None:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = cast(
            Callable[..., Any], limiter.limit(limit, key_func=key, **options)(view)
        )

    attach("auth.sign_in", settings.limit_sign_in, client_ip, methods=["POST"], deduct_when=failed)
    attach(
        "auth.sign_in", settings.limit_sign_in, account_key, methods=["POST"], deduct_when=failed
    )
    attach("auth.code", settings.limit_sign_in, client_ip, methods=["POST"], deduct_when=failed)
    attach("forms.start_from", settings.limit_start_from, user_key)
    attach("forms.save_for_later", settings.limit_sign_in, account_key, methods=["POST"])
    attach("forms.save_for_later", settings.limit_sign_in, client_ip, methods=["POST"])
    attach("resume.open_link", settings.limit_sign_in, client_ip)
    attach("resume.code", settings.limit_sign_in, client_ip, methods=["POST"], deduct_when=failed)
    attach("api.create_submission", settings.limit_api_submissions, token_key)
    attach("api.upload_attachment", settings.limit_api_submissions, token_key)
    public = limiter.shared_limit(
        settings.limit_public_posts, scope="form-posts", key_func=client_ip, methods=["POST"]
    )
    # On the whole blueprint, so the limit is checked before the view (and before the
    # CSRF check): a flood of posts is refused whether or not they carry a token.
    forms = app.blueprints["forms"]
    assert isinstance(forms, Blueprint)
    public(forms)
    return limiter
