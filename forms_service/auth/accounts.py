"""Staff accounts: create, list, disable, reset the authenticator, and check sign-ins.

Plain functions over ``Services``, used by the CLI, the sign-in pages and the
admin pages alike. Failed sign-ins count against the account: after
``lockout_failures`` (10) in a row it is locked for ``lockout_minutes`` (15),
and while locked no password is even checked, so guessing learns nothing.
Every change writes an audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..audit import Who
from ..clock import aware, utcnow
from ..config import ROLES
from ..db import transaction
from ..services import Services
from . import passwords, totp
from .models import StaffSession, User


class AccountError(Exception):
    """A request about an account cannot be done; the message says why."""


@dataclass(frozen=True)
class Account:
    """What the pages and the CLI show of an account (no secrets)."""

    id: str
    email: str
    name: str
    role: str
    disabled: bool
    has_password: bool
    single_sign_on: bool
    last_sign_in_at: dt.datetime | None
    locked_until: dt.datetime | None = None


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _account(user: User) -> Account:
    return Account(
        user.id,
        user.email,
        user.name,
        user.role,
        user.disabled_at is not None,
        user.password_hash is not None,
        user.oidc_subject is not None,
        user.last_sign_in_at,
        aware(user.locked_until)
        if user.locked_until is not None and aware(user.locked_until) > utcnow()
        else None,
    )


def add_user(
    services: Services, email: str, name: str, role: str, password: str, who: Who
) -> tuple[Account, str]:
    """A new local account with a password and an authenticator; its ``otpauth://`` URI."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email or not name.strip():
        raise AccountError("give the person's email address and name")
    problem = passwords.password_problem(password, context=(email, name))
    if problem:
        raise AccountError(problem)
    secret = totp.new_secret()
    with transaction(services.sessions) as session:
        if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
            raise AccountError(f"there is already an account for {email}")
        user = User(
            email=email,
            name=name.strip(),
            role=role,
            password_hash=passwords.hash_password(password),
            totp_sealed=services.vault.seal(secret),
        )
        session.add(user)
        session.flush()
        record_new_account(session, who, "account.created", user)
        return _account(user), totp.provisioning_uri(secret, email)


def record_new_account(session: Session, who: Who, action: str, user: User) -> None:
    """Audit an account coming into being (created, or an invitation accepted).

    Every new account starts with its authenticator enrolled, so that is recorded with it.
    """
    audit.record(
        session, who, action, object_type="user", object_id=user.id, detail=f"role={user.role}"
    )
    audit.record(session, who, "mfa.enrolled", object_type="user", object_id=user.id)


def accounts(services: Services) -> list[Account]:
    with transaction(services.readers) as session:
        return [_account(u) for u in session.scalars(select(User).order_by(User.email))]


def account(services: Services, user_id: str) -> Account | None:
    with transaction(services.readers) as session:
        user = session.get(User, user_id)
        return _account(user) if user is not None else None


def _user_by_email(session: Session, email: str, *, lock: bool = False) -> User | None:
    query = select(User).where(User.email == normalise_email(email))
    if lock:  # failure counts must not race (PostgreSQL; SQLite writers already queue)
        query = query.with_for_update()
    return session.scalars(query).first()


def set_disabled(services: Services, email: str, disabled: bool, who: Who) -> Account:
    """Disable (every session ends at once) or enable an account (which also unlocks it)."""
    now = utcnow()
    with transaction(services.sessions) as session:
        user = _user_by_email(session, email)
        if user is None:
            raise AccountError(f"there is no account for {normalise_email(email)}")
        user.disabled_at = now if disabled else None
        if disabled:
            _revoke_sessions(session, user.id, now)
        else:
            user.locked_until = None
            user.failed_sign_ins = 0
        action = "account.disabled" if disabled else "account.enabled"
        audit.record(session, who, action, object_type="user", object_id=user.id)
        return _account(user)


def reset_mfa(services: Services, email: str, who: Who) -> str:
    """A new authenticator secret (the old one stops working); its ``otpauth://`` URI.

    Given to the person face to face or by phone by whoever runs the command:
    a reset never lets someone holding only the password enrol their own device.
    """
    secret = totp.new_secret()
    with transaction(services.sessions) as session:
        user = _user_by_email(session, email)
        if user is None:
            raise AccountError(f"there is no account for {normalise_email(email)}")
        if user.password_hash is None:
            raise AccountError("this account signs in through single sign-on")
        user.totp_sealed = services.vault.seal(secret)
        user.totp_last_step = None
        _revoke_sessions(session, user.id, utcnow())
        audit.record(session, who, "mfa.reset", object_type="user", object_id=user.id)
        return totp.provisioning_uri(secret, user.email)


def _revoke_sessions(session: Session, user_id: str, now: dt.datetime) -> None:
    for row in session.scalars(
        select(StaffSession).where(
            StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None)
        )
    ):
        row.revoked_at = now


@dataclass(frozen=True)
class SignInCheck:
    """One sign-in step's result: the user's id when it passed; whether the account is locked."""

    user_id: str | None
    locked: bool = False


def check_password(services: Services, email: str, password: str, ip: str | None) -> SignInCheck:
    """The first step: right email and password, account enabled and not locked."""
    now = utcnow()
    with transaction(services.sessions) as session:
        user = _user_by_email(session, email, lock=True)
        who = Who("user" if user else "anonymous", user.id if user else None, ip)
        usable = user is not None and user.disabled_at is None and user.password_hash is not None
        if user is not None and _locked(session, user, now, who):
            passwords.verify_password(None, password)  # same time as any other refusal
            return SignInCheck(None, locked=True)
        # Always one argon2 check (a dummy hash when the account cannot use a password),
        # so the time taken says nothing about whether, or how, an account exists.
        matches = passwords.verify_password(
            user.password_hash if usable and user else None, password
        )
        if usable and user is not None and matches:
            if passwords.needs_rehash(user.password_hash or ""):
                user.password_hash = passwords.hash_password(password)
            audit.record(session, who, "sign_in.password", object_type="user", object_id=user.id)
            return SignInCheck(user.id)
        detail = (
            "unknown account" if user is None else ("disabled" if user.disabled_at else "password")
        )
        locked = _failed(services, session, user, now, who, detail)
        return SignInCheck(None, locked=locked)


def check_code(services: Services, user_id: str, code: str, ip: str | None) -> SignInCheck:
    """The second step: a fresh authenticator code for the account (counts failures too)."""
    now = utcnow()
    who = Who("user", user_id, ip)
    with transaction(services.sessions) as session:
        user = session.get(User, user_id, with_for_update=True)
        if user is None or user.disabled_at is not None or user.totp_sealed is None:
            return SignInCheck(None)
        if _locked(session, user, now, who):
            return SignInCheck(None, locked=True)
        secret = services.vault.open(user.totp_sealed)
        step = totp.accepted_step(secret, code, user.totp_last_step, now.timestamp())
        if step is None:
            locked = _failed(services, session, user, now, who, "authenticator code")
            return SignInCheck(None, locked=locked)
        user.totp_last_step = step
        _signed_in(session, user, now, who, "password and authenticator")
        return SignInCheck(user.id)


def _locked(session: Session, user: User, now: dt.datetime, who: Who) -> bool:
    """Whether the account is locked now; a try while locked is audited and not checked."""
    if user.locked_until is None or aware(user.locked_until) <= now:
        return False
    audit.record(
        session,
        who,
        "sign_in.failure",
        outcome="denied",
        object_type="user",
        object_id=user.id,
        detail="locked",
    )
    return True


def _signed_in(session: Session, user: User, now: dt.datetime, who: Who, how: str) -> None:
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    audit.record(
        session,
        who,
        "sign_in.success",
        object_type="user",
        object_id=user.id,
        detail=how,
    )


def _failed(
    services: Services,
    session: Session,
    user: User | None,
    now: dt.datetime,
    who: Who,
    detail: str,
) -> bool:
    """A failed sign-in step, audited and counted against the account (when there is one).

    One place for both steps, so a wrong password and a wrong code lock an account alike.
    True if this failure locks it.
    """
    audit.record(
        session,
        who,
        "sign_in.failure",
        outcome="failed",
        object_type="user",
        object_id=user.id if user else None,
        detail=detail,
    )
    return _count_failure(services, session, user, now, who) if user is not None else False


def _count_failure(
    services: Services, session: Session, user: User, now: dt.datetime, who: Who
) -> bool:
    """One more failure; lock the account when there have been too many. True if locked now."""
    settings = services.settings
    user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
    if user.failed_sign_ins >= settings.lockout_failures:
        user.failed_sign_ins = 0
        user.locked_until = now + dt.timedelta(minutes=settings.lockout_minutes)
        audit.record(
            session,
            who,
            "sign_in.locked",
            outcome="denied",
            object_type="user",
            object_id=user.id,
        )
        return True
    return False


def single_sign_on_user(
    services: Services,
    issuer: str,
    subject: str,
    email: str,
    name: str,
    role: str,
    ip: str | None,
) -> str | None:
    """The account for an identity provider's user (made on first sign-in); its id.

    The role comes from the provider at every sign-in, so a change there takes
    effect at once. A locally disabled account stays refused (None).
    """
    now = utcnow()
    email = normalise_email(email) or f"{subject}@{issuer}"
    with transaction(services.sessions) as session:
        user = session.scalars(
            select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
        ).first()
        if user is None:
            if _user_by_email(session, email) is not None:
                email = f"{subject}@{issuer}"  # a local account already uses that address
            user = User(
                email=email, name=name or email, role=role, oidc_issuer=issuer, oidc_subject=subject
            )
            session.add(user)
            session.flush()
            audit.record(
                session,
                Who("user", user.id, ip),
                "account.created",
                object_type="user",
                object_id=user.id,
                detail=f"role={role}; single sign-on",
            )
        if user.disabled_at is not None:
            audit.record(
                session,
                Who("user", user.id, ip),
                "sign_in.refused",
                outcome="denied",
                object_type="user",
                object_id=user.id,
                detail="disabled",
            )
            return None
        user.role = role
        user.name = name or user.name
        _signed_in(session, user, now, Who("user", user.id, ip), "single sign-on")
        return user.id
