"""Server-side staff sessions: the cookie holds a random token, the row holds the rest.

A session can be revoked (sign-out, a disabled account, a reset
authenticator) and ends after ``session_idle_minutes`` (30) without a
request or ``session_absolute_hours`` (10) after sign-in, whichever comes
first. Signing in makes a brand-new session, so its id changes at sign-in.
The password step makes a short-lived ``password`` session that grants
nothing but the authenticator page.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import update

from .. import audit
from ..audit import Who
from ..clock import aware, utcnow
from ..crypto import token_digest
from ..db import transaction
from ..services import Services
from .models import StaffSession, User

PASSWORD_STAGE = "password"  # noqa: S105  (a stage name, not a password)
SIGNED_IN = "signed_in"
#: How long the authenticator page waits after the password step.
PASSWORD_STAGE_MINUTES = 5
#: ``last_seen_at`` is written at most this often, not on every request.
TOUCH_SECONDS = 60


@dataclass(frozen=True)
class Signed:
    """A live session and its user, as a request sees them."""

    user_id: str
    role: str
    name: str
    email: str
    stage: str


def start(services: Services, user_id: str, stage: str) -> str:
    """A new session for ``user_id``; its token (for the cookie, never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with transaction(services.sessions) as session:
        session.add(
            StaffSession(
                id=token_digest(token),
                user_id=user_id,
                stage=stage,
                created_at=now,
                last_seen_at=now,
            )
        )
    return token


def _expired(services: Services, row: StaffSession, now: dt.datetime) -> bool:
    settings = services.settings
    if row.stage == PASSWORD_STAGE:
        return now - aware(row.created_at) > dt.timedelta(minutes=PASSWORD_STAGE_MINUTES)
    idle = now - aware(row.last_seen_at) > dt.timedelta(minutes=settings.session_idle_minutes)
    too_old = now - aware(row.created_at) > dt.timedelta(hours=settings.session_absolute_hours)
    return idle or too_old


def resolve(services: Services, token: str | None, ip: str | None = None) -> Signed | None:
    """The live session for ``token``, or None (unknown, revoked, timed out, user disabled)."""
    if not token:
        return None
    now = utcnow()
    digest = token_digest(token)
    with transaction(services.readers) as session:
        row = session.get(StaffSession, digest)
        user = session.get(User, row.user_id) if row is not None else None
        if row is None or user is None or row.revoked_at is not None:
            return None
        expired = _expired(services, row, now)
        stale = (now - aware(row.last_seen_at)).total_seconds() > TOUCH_SECONDS
        found = Signed(user.id, user.role, user.name, user.email, row.stage)
        usable = user.disabled_at is None
    if expired:
        _end(services, digest, now, Who("user", found.user_id, ip), "session.expired")
        return None
    if not usable:
        return None
    if stale:
        with transaction(services.sessions) as session:
            session.execute(
                update(StaffSession)
                .where(StaffSession.id == digest)
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
    return found


def _end(services: Services, digest: str, now: dt.datetime, who: Who, action: str) -> None:
    with transaction(services.sessions) as session:
        result = session.execute(
            update(StaffSession)
            .where(StaffSession.id == digest, StaffSession.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            audit.record(session, who, action, object_type="session")


def end(services: Services, token: str | None, who: Who) -> None:
    """Sign out: the session is revoked on the server, so a copied cookie is useless."""
    if token:
        _end(services, token_digest(token), utcnow(), who, "sign_out")


def discard(services: Services, token: str | None) -> None:
    """Forget a password-stage session once the second factor replaced it (no event)."""
    if token:
        with transaction(services.sessions) as session:
            session.execute(
                update(StaffSession)
                .where(StaffSession.id == token_digest(token), StaffSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
                .execution_options(synchronize_session=False)
            )
