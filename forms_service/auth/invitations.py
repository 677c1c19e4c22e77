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
from .accounts import AccountError, normalise_email, record_new_account
from .actor import Actor
from .models import Invitation, StaffSession, User
from .policy import invitable_roles

LIFETIME = dt.timedelta(days=7)
EXPIRED = (
    "This link does not work. It may have expired, already been used, or not been copied in full"
)
IN_USE = (
    "This link is already being used to set up the account in another browser. If that was "
    "not you, tell the person who sent you the link"
)
WRONG_CODE = (
    "The code is not right. Enter the code your app shows now: codes change every 30 seconds"
)


@dataclass(frozen=True)
class OpenInvitation:
    """What the set-up pages show of an invitation."""

    email: str
    role: str
    expires_at: dt.datetime
    has_password: bool
    otpauth_uri: str | None
    #: A new set-up link for an existing account (a forgotten password, a lost phone).
    replaces_account: bool = False
    name: str | None = None


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


def invite_to_reset(services: Services, actor: Actor, user_id: str) -> str:
    """A new set-up link for an existing local account (administrators only).

    For a forgotten password or a lost phone: the person chooses a new password
    and sets up their authenticator again. Until they do, the old ones still work.
    """
    from .policy import can_manage_accounts

    if not can_manage_accounts(actor):
        raise AccountError("Only an administrator can send a new set-up link")
    token = secrets.token_urlsafe(32)
    with transaction(services.sessions) as session:
        user = session.get(User, user_id)
        if user is None or user.password_hash is None:
            raise AccountError("This account signs in with a council account, not a password")
        row = Invitation(
            id=token_digest(token),
            email=user.email,
            role=user.role,
            invited_by=actor.user_id,
            expires_at=utcnow() + LIFETIME,
            user_id=user.id,
            name=user.name,
        )
        session.add(row)
        audit.record(
            session,
            actor.who,
            "account.invited",
            object_type="user",
            object_id=user.id,
            detail="new set-up link for an existing account",
        )
    return token


def _open(session: Session, token: str, *, lock: bool = False) -> Invitation | None:
    row = session.get(Invitation, token_digest(token), with_for_update=lock)
    if row is None or row.used_at is not None or aware(row.expires_at) < utcnow():
        return None
    return row


def _same_browser(row: Invitation, browser: str | None) -> bool:
    return bool(browser) and row.browser_digest == token_digest(browser or "")


def find(services: Services, token: str, browser: str | None) -> OpenInvitation | None:
    """The invitation behind ``token`` if it is unused and in date.

    The authenticator secret is shown only to the browser that chose the password.
    """
    with transaction(services.readers) as session:
        row = _open(session, token)
        if row is None:
            return None
        uri = None
        if row.totp_sealed is not None and _same_browser(row, browser):
            uri = totp.provisioning_uri(services.vault.open(row.totp_sealed), row.email)
        return OpenInvitation(
            row.email,
            row.role,
            aware(row.expires_at),
            row.password_hash is not None,
            uri,
            replaces_account=row.user_id is not None,
            name=row.name,
        )


def choose_password(
    services: Services, token: str, name: str, password: str, browser: str | None, ip: str | None
) -> str:
    """First page: keep the name and password hash, and make the authenticator secret.

    Returns the secret the browser keeps (``browser``) to prove on the next page
    that it is the one that chose the password. Once a password is chosen, only
    that browser may change it, so a copied link cannot replace it silently.
    """
    name = " ".join(name.split())
    if not name:
        raise AccountError("Enter your full name")
    if len(name) > 200:
        raise AccountError("Your full name must be 200 characters or fewer")
    with transaction(services.sessions) as session:
        row = _open(session, token, lock=True)
        if row is None:
            raise AccountError(EXPIRED)
        if row.password_hash is not None and not _same_browser(row, browser):
            raise AccountError(IN_USE)
        problem = passwords.password_problem(password, context=(row.email, name))
        if problem:
            raise AccountError(problem)
        kept = browser if browser and _same_browser(row, browser) else secrets.token_urlsafe(32)
        row.name = name
        row.password_hash = passwords.hash_password(password)
        row.browser_digest = token_digest(kept)
        if row.totp_sealed is None:
            row.totp_sealed = services.vault.seal(totp.new_secret())
        audit.record(
            session,
            Who("anonymous", None, ip),
            "account.setup_started",
            object_type="invitation",
            object_id=row.id[:16],
            detail=f"for user {row.user_id}" if row.user_id else None,
        )
        return kept


def confirm_authenticator(
    services: Services, token: str, code: str, browser: str | None, ip: str | None
) -> str:
    """Second page: a code from the app proves it is set up; the account is made. Its id."""
    with transaction(services.sessions) as session:
        row = _open(session, token, lock=True)
        if row is None:
            raise AccountError(EXPIRED)
        if row.password_hash is None or row.totp_sealed is None or row.name is None:
            raise AccountError("Choose a password first")
        if not _same_browser(row, browser):
            raise AccountError(IN_USE)
        secret = services.vault.open(row.totp_sealed)
        step = totp.accepted_step(secret, code, None)
        if step is None:
            raise AccountError(WRONG_CODE)
        if row.user_id is not None:
            return _replace_secrets(session, row, step, ip)
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
        _used(row)
        who = Who("user", user.id, ip)
        record_new_account(session, who, "account.invitation_accepted", user)
        return user.id


def _used(row: Invitation) -> None:
    row.used_at = utcnow()
    row.password_hash = None
    row.totp_sealed = None


def _replace_secrets(session: Session, row: Invitation, step: int, ip: str | None) -> str:
    """A reset link: the account keeps its id, role and history; every session ends."""
    user = session.get(User, row.user_id, with_for_update=True)
    if user is None or user.disabled_at is not None:
        raise AccountError(EXPIRED)
    user.password_hash = row.password_hash
    user.totp_sealed = row.totp_sealed
    user.totp_last_step = step
    user.failed_sign_ins = 0
    user.locked_until = None
    now = utcnow()
    for live in session.scalars(
        select(StaffSession).where(
            StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None)
        )
    ):
        live.revoked_at = now
    _used(row)
    who = Who("user", user.id, ip)
    audit.record(session, who, "account.reset", object_type="user", object_id=user.id)
    audit.record(session, who, "mfa.enrolled", object_type="user", object_id=user.id)
    return user.id
