"""Single sign-on for councils (Microsoft Entra ID and the like): OpenID Connect via Authlib.

Configured by ``FORMS_OIDC_ISSUER``, ``FORMS_OIDC_CLIENT_ID``,
``FORMS_OIDC_CLIENT_SECRET`` and ``FORMS_OIDC_ROLES_CLAIM`` (default
``roles``). The authorisation code flow with PKCE and a nonce; the roles
claim (from the ID token, or the userinfo endpoint) must hold exactly one of
this service's roles, else access is refused. Multi-factor sign-in is the
identity provider's job (Entra's conditional access).
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, current_app, render_template, url_for
from werkzeug.wrappers import Response

from .. import audit
from ..audit import Who
from ..clock import utcnow
from . import accounts
from .web import _start_signed_in, bp, client_ip, services

CLIENT = "council"
REFUSED = "refused"


def init_app(app: Flask) -> None:
    """Register the identity provider when single sign-on is configured."""
    settings = app.extensions["forms"].settings
    if not settings.oidc_enabled:
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )


def _client() -> Any:
    oauth = current_app.extensions.get("authlib.integrations.flask_client")
    if oauth is None:
        return None
    return oauth.create_client(CLIENT)


def _external(endpoint: str) -> str:
    base = services().settings.base_url
    if base:
        return base.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def _not_configured() -> tuple[str, int]:
    return render_template(
        "error.html",
        title="Page not found",
        body="If you typed the web address, check it is correct.",
    ), 404


@bp.get("/sign-in/single-sign-on")
def single_sign_on() -> Response | tuple[str, int]:
    client = _client()
    if client is None:
        return _not_configured()
    response: Response = client.authorize_redirect(_external("auth.single_sign_on_callback"))
    return response


def _roles(claims: dict[str, Any], claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


@bp.get("/sign-in/single-sign-on/callback")
def single_sign_on_callback() -> Response | tuple[str, int]:
    client = _client()
    if client is None:
        return _not_configured()
    settings = services().settings
    try:
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if settings.oidc_roles_claim not in claims or "email" not in claims:
            claims = {**dict(client.userinfo(token=token)), **claims}
    except (OAuthError, ValueError, KeyError) as exc:
        _audit_refusal(f"single sign-on error: {type(exc).__name__}")
        return _refused("error")
    roles = {
        r
        for r in (settings.role_for_claim(v) for v in _roles(claims, settings.oidc_roles_claim))
        if r
    }
    if len(roles) != 1 or not claims.get("sub"):
        subject = str(claims.get("sub") or "")[:40]
        _audit_refusal(f"{len(roles)} roles for this service in the claim; subject {subject}")
        return _refused("no_role" if not roles else ("roles" if len(roles) > 1 else "error"))
    user_id = accounts.single_sign_on_user(
        services(),
        issuer=str(settings.oidc_issuer),
        subject=str(claims["sub"]),
        email=str(claims.get("email") or ""),
        name=str(claims.get("name") or ""),
        role=roles.pop(),
        ip=client_ip(),
    )
    if user_id is None:
        return _refused("disabled")
    return _start_signed_in(user_id)


def _audit_refusal(detail: str) -> None:
    """Record a refusal made before there is an account to name (so by an anonymous caller)."""
    audit.write(
        services().sessions,
        Who("anonymous", None, client_ip()),
        "sign_in.refused",
        outcome="denied",
        detail=detail,
    )


def _refused(reason: str) -> tuple[str, int]:
    """Why single sign-on did not let someone in, in words they can pass to IT."""
    return render_template(
        "auth/refused.html",
        reason=reason,
        roles_claim=services().settings.oidc_roles_claim,
        now=utcnow(),
    ), 403
