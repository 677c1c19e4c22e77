"""API tokens: a referral token for some referral forms, or a token acting as one user.

``forms-service api-tokens create`` prints a token once (``fs_`` and 43
random characters); only its SHA-256 digest is stored. A user-bound token
has exactly that user's access, checked at every request, so disabling the
user or changing their role changes the token at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..audit import Who
from ..clock import utcnow
from ..crypto import token_digest
from ..db import transaction
from ..services import Services
from .accounts import AccountError, normalise_email
from .actor import Actor
from .models import ApiToken, User

PREFIX = "fs_"


@dataclass(frozen=True)
class TokenInfo:
    name: str
    forms: tuple[str, ...]
    user_email: str | None
    revoked: bool


def create(
    services: Services,
    name: str,
    who: Who,
    *,
    forms: tuple[str, ...] = (),
    user_email: str | None = None,
) -> str:
    """A new token for ``forms`` (referral forms only) or acting as ``user_email``; printed once."""
    name = name.strip()
    if not name:
        raise AccountError("give the token a name, such as the system that will use it")
    if bool(forms) == bool(user_email):
        raise AccountError("give either --forms or --user")
    for form_id in forms:
        if form_id not in services.registry.ids():
            raise AccountError(f"there is no form called {form_id}")
        if not services.registry.get(form_id).open_to_anyone:
            raise AccountError(
                f"{form_id} is a staff form: make a token with --user for a member of staff"
            )
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction(services.sessions) as session:
        if session.scalars(select(ApiToken).where(ApiToken.name == name)).first() is not None:
            raise AccountError(f"there is already a token called {name}")
        user_id = None
        if user_email:
            user = session.scalars(
                select(User).where(User.email == normalise_email(user_email))
            ).first()
            if user is None:
                raise AccountError(f"there is no account for {normalise_email(user_email)}")
            user_id = user.id
        row = ApiToken(
            name=name,
            token_hash=token_digest(token),
            forms=",".join(forms) or None,
            user_id=user_id,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            who,
            "token.created",
            object_type="api_token",
            object_id=row.id,
            detail=f"forms={row.forms}" if forms else "acts as a user",
        )
    return token


def revoke(services: Services, name: str, who: Who) -> None:
    with transaction(services.sessions) as session:
        row = session.scalars(select(ApiToken).where(ApiToken.name == name.strip())).first()
        if row is None or row.revoked_at is not None:
            raise AccountError(f"there is no live token called {name}")
        row.revoked_at = utcnow()
        audit.record(session, who, "token.revoked", object_type="api_token", object_id=row.id)


def tokens(services: Services) -> list[TokenInfo]:
    with transaction(services.readers) as session:
        rows = session.execute(
            select(ApiToken, User.email)
            .outerjoin(User, User.id == ApiToken.user_id)
            .order_by(ApiToken.name)
        ).all()
        return [
            TokenInfo(
                t.name,
                tuple((t.forms or "").split(",")) if t.forms else (),
                email,
                t.revoked_at is not None,
            )
            for t, email in rows
        ]


def bearer_token(header: str | None) -> str | None:
    """The token in an ``Authorization: Bearer …`` header (any case, any spacing), or None.

    Used both to authenticate and to key the rate limit, so the same token is
    counted once however the header is written.
    """
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def actor_for(services: Services, bearer: str, ip: str | None) -> Actor | None:
    """The actor a presented token stands for, or None (unknown, revoked, user disabled)."""
    if not bearer.startswith(PREFIX):
        return None
    with transaction(services.readers) as session:
        row = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == token_digest(bearer))
        ).first()
        if row is None or row.revoked_at is not None:
            return None
        if row.user_id is None:
            return Actor(
                "token", forms=frozenset((row.forms or "").split(",")), token_id=row.id, ip=ip
            )
        user = session.get(User, row.user_id)
        if user is None or user.disabled_at is not None:
            return None
        return Actor(
            "user", user_id=user.id, role=user.role, name=user.name, token_id=row.id, ip=ip
        )
