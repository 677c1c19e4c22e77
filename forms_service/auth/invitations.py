"""Invitations: a partner (a school's safeguarding lead, a health visitor) gets an
account through a single-use link, valid for 7 days, that sets a password and
an authenticator. Only the link's SHA-256 digest is stored.

Two pages: the name and password (kept as an argon2id hash on the invitation),
then the authenticator (a secret sealed on the invitation, shown as a QR
code). The account is made only when a code from the app is confirmed, so an
abandoned set-up leaves no half-made account.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..audit import Who
from ..clock import aware, utcnow
from ..crypto import token_digest
from ..db import transaction
from ..services import Services
from . import passwords, totp
from .accounts import AccountError, normalise_email
from .actor import Actor
from .models import Invitation, User
from .policy import invitable_roles

LIFETIME = dt.timedelta(days=7)
EXPIRED = "This invitation link has expired or has already been used"


@dataclass(frozen=True)
class OpenInvitation:
    """What the set-up pages show of an invitation."""

    email: str
    role: str
    expires_at: dt.datetime
    has_password: bool
    otpauth_uri: str | None


def invite(services: Services, actor: Actor, email: str, role: str) -> str:
    """A new invitation from ``actor``; the token for the link (shown once)."""
    email = normalise_email(email)
    if role not in invitable_roles(actor):
        raise AccountError("You cannot invite someone into that role")
    if "@" not in email or "." not in email.rpartition("@")[2] or len(email) > 254:
        raise AccountError("Enter an email address in the correct format, like name@school.sch.uk")
    token = secrets.token_urlsafe(32)
    with transaction(services.sessions) as session:
        if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
            raise AccountError("There is already an account for that email address")
        row = Invitation(
            id=token_digest(token),
            email=email,
            role=role,
            invited_by=actor.user_id,
            expires_at=utcnow() + LIFETIME,
        )
        session.add(row)
        audit.record(
            session,
            actor.who,
            "account.invited",
            object_type="invitation",
            object_id=row.id[:16],
            detail=f"role={role}",
        )
    return token


def _open(session: Session, token: str, *, lock: bool = False) -> Invitation | None:
    row = session.get(Invitation, token_digest(token), with_for_update=lock)
    if row is None or row.used_at is not None or aware(row.expires_at) < utcnow():
        return None
    return row


def find(services: Services, token: str) -> OpenInvitation | None:
    """The invitation behind ``token`` if it is unused and in date."""
    with transaction(services.readers) as session:
        row = _open(session, token)
        if row is None:
            return None
        uri = None
        if row.totp_sealed is not None:
            uri = totp.provisioning_uri(services.vault.open(row.totp_sealed), row.email)
        return OpenInvitation(
            row.email, row.role, aware(row.expires_at), row.password_hash is not None, uri
        )


def choose_password(services: Services, token: str, name: str, password: str) -> None:
    """First page: keep the name and password hash, and make the authenticator secret."""
    name = " ".join(name.split())
    if not name:
        raise AccountError("Enter your full name")
    if len(name) > 200:
        raise AccountError("Your full name must be 200 characters or fewer")
    with transaction(services.sessions) as session:
        row = _open(session, token, lock=True)
        if row is None:
            raise AccountError(EXPIRED)
        problem = passwords.password_problem(password, context=(row.email, name))
        if problem:
            raise AccountError(problem)
        row.name = name
        row.password_hash = passwords.hash_password(password)
        if row.totp_sealed is None:
            row.totp_sealed = services.vault.seal(totp.new_secret())


def confirm_authenticator(services: Services, token: str, code: str, ip: str | None) -> str:
    """Second page: a code from the app proves it is set up; the account is made. Its id."""
    with transaction(services.sessions) as session:
        row = _open(session, token, lock=True)
        if row is None:
            raise AccountError(EXPIRED)
        if row.password_hash is None or row.totp_sealed is None or row.name is None:
            raise AccountError("Choose a password first")
        secret = services.vault.open(row.totp_sealed)
        step = totp.accepted_step(secret, code, None)
        if step is None:
            raise AccountError("Enter the 6-digit code shown in your authenticator app")
        if session.scalar(select(func.count()).select_from(User).where(User.email == row.email)):
            raise AccountError("There is already an account for that email address")
        user = User(
            email=row.email,
            name=row.name,
            role=row.role,
            password_hash=row.password_hash,
            totp_sealed=row.totp_sealed,
            totp_last_step=step,
        )
        session.add(user)
        session.flush()
        row.used_at = utcnow()
        row.password_hash = None
        row.totp_sealed = None
        who = Who("user", user.id, ip)
        audit.record(
            session,
            who,
            "account.invitation_accepted",
            object_type="user",
            object_id=user.id,
            detail=f"role={row.role}",
        )
        audit.record(session, who, "mfa.enrolled", object_type="user", object_id=user.id)
        return user.id
