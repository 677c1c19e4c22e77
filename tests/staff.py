"""Plain helpers for tests that need people: staff accounts, sign-in, API tokens.

``signed_in`` makes a real server-side session (as the authenticator page
would) and sets its cookie, so tests of what staff can do need not type a
code; the sign-in pages themselves are tested end to end in
``tests/integration/test_sign_in.py`` and in Chromium.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms_service.audit import CLI
from forms_service.auth import accounts, sessions, tokens
from forms_service.auth.web import DEVELOPMENT_COOKIE
from forms_service.services import Services
from forms_service.submissions.models import Submission

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class StaffUser:
    id: str
    email: str
    role: str
    password: str
    secret: str

    def code(self, at: float | None = None) -> str:
        totp = pyotp.TOTP(self.secret)
        return totp.at(at) if at is not None else totp.now()


def staff_user(
    services: Services, role: str, email: str | None = None, name: str = ""
) -> StaffUser:
    """A local account with a password and an authenticator."""
    email = email or f"{role}-{len(accounts.accounts(services)) + 1}@council.example.gov.uk"
    account, uri = accounts.add_user(services, email, name or f"Test {role}", role, PASSWORD, CLI)
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    return StaffUser(account.id, account.email, role, PASSWORD, secret)


def signed_in(client: FlaskClient, services: Services, user: StaffUser) -> FlaskClient:
    """``client`` with a live session for ``user`` (its cookie set)."""
    token = sessions.start(services, user.id, sessions.SIGNED_IN)
    client.set_cookie(DEVELOPMENT_COOKIE, token, path="/")
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def referral_headers(app: Flask) -> dict[str, str]:
    """Headers with a token for every referral form (made once per app)."""
    services: Services = app.extensions["forms"]
    token = app.extensions.get("test-referral-token")
    if token is None:
        forms = tuple(f.id for f in services.registry.all() if f.open_to_anyone)
        token = tokens.create(services, "test referrals", CLI, forms=forms)
        app.extensions["test-referral-token"] = token
    return bearer(str(token))


def user_headers(services: Services, user: StaffUser) -> dict[str, str]:
    """Headers with a token acting as ``user``."""
    return bearer(tokens.create(services, f"acts as {user.email}", CLI, user_email=user.email))


def family_of(services: Services, reference: str) -> str:
    """The id of the family a form's reference belongs to."""
    with services.readers() as db:
        return str(
            db.scalars(select(Submission.family_id).where(Submission.reference == reference)).one()
        )


def stored_answers(services: Services, reference: str | None = None) -> dict[str, Any]:
    """The opened answers of the submission with ``reference`` (or the only one)."""
    with services.readers() as db:
        query = select(Submission)
        if reference is not None:
            query = query.where(Submission.reference == reference)
        row = db.scalars(query).one()
        opened: dict[str, Any] = services.vault.open(row.answers_sealed)
        return opened


LINK = re.compile(r"http://localhost(/invitation/[A-Za-z0-9_-]+)")
SECRET = re.compile(r'class="govuk-body app-secret">([A-Z2-7 ]+)<')


def set_up_link(html: str) -> str:
    """The path of the set-up link an invitation or reset page shows once."""
    found = LINK.search(html)
    assert found, "no set-up link on the page"
    return found.group(1)


def finish_authenticator(client: FlaskClient, link: str) -> Any:
    """Step 2 of a set-up link: read the key from the page, send the app's current code."""
    from tests.webuser import csrf_token

    page = client.get(f"{link}/authenticator")
    secret = SECRET.search(page.text)
    assert secret, "no authenticator key on the page"
    code = pyotp.TOTP(secret.group(1).replace(" ", "")).now()
    return client.post(
        f"{link}/authenticator", data={"code": code, "csrf_token": csrf_token(page.text)}
    )
