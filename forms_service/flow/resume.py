"""Save and come back later, for someone filling in a form without an account.

Three steps, each a plain function:

1. :func:`offer` — the user gives their work email. A single-use link, valid for
   :data:`LINK_DAYS` days, is emailed to it (through the outbox, like every
   email). The email names the form only: no family data.
2. :func:`open_link` — the link, opened in any browser, emails a 6-digit code to
   the same address; the browser keeps only the link's id in its signed session.
3. :func:`enter_code` — the right code, within :data:`CODE_MINUTES` minutes and
   :data:`CODE_TRIES` tries, puts the draft back into that browser's session and
   uses the link up.

Both the link and the code are needed: a forwarded or intercepted link alone
opens nothing, and the code goes only to the address the link went to. The
draft's own browser token and that address are sealed in the ``draft_links``
row; only the link token's digest is its key.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from ..clock import aware, utcnow
from ..crypto import token_digest
from ..db import transaction
from ..delivery import messages
from ..services import Services
from ..submissions.models import Draft, DraftLink
from . import drafts

#: How long an emailed link works.
LINK_DAYS = 7
#: How long a code works once sent; how many wrong tries a link allows in all
#: (never reset by a new code, so reopening the link buys no more guesses); and
#: how many codes one link may send.
CODE_MINUTES = 15
CODE_TRIES = 5
CODES_PER_LINK = 3
#: A second code is not sent within this many seconds of the first.
CODE_RESEND_SECONDS = 60
#: Session key holding the id of the link being opened (never the token).
SESSION_KEY = "resume_link"


class ResumeError(Exception):
    """Why a link or code did not open a draft, in words for the user."""


@dataclass(frozen=True)
class Offered:
    """A link was queued: the outbox row to hand to the task runner."""

    outbox_id: str


def offer(mine: drafts.Drafts, form_id: str, email: str, link_for: Any) -> Offered:
    """Email a link back to this browser's draft of ``form_id`` (among ``mine``) to ``email``.

    ``link_for(token)`` makes the absolute link. Raises :class:`ResumeError` when
    there is no draft to save (nothing answered yet).
    """
    services = mine.services
    draft = mine.load(form_id)
    token = (mine.session.get(drafts.SESSION_KEY) or {}).get(form_id)
    if draft is None or draft.submission_id is not None or not isinstance(token, str):
        raise ResumeError("There is nothing to save yet. Answer at least one question first.")
    if token.startswith(drafts.OWNED) or draft.family_id is not None:
        raise ResumeError("Your drafts are kept for you: find them under Your drafts.")
    link_token = secrets.token_urlsafe(32)
    now = utcnow()
    until = now + dt.timedelta(days=LINK_DAYS)
    title = services.registry.get(form_id).title
    with transaction(services.sessions) as db:
        db.add(
            DraftLink(
                id=token_digest(link_token),
                draft_id=draft.id,
                form_id=form_id,
                secret_sealed=services.vault.seal({"token": token, "email": email}),
                created_at=now,
                expires_at=until,
                code_tries=0,
                codes_sent=0,
            )
        )
        outbox_id = messages.queue(
            db,
            services.vault,
            kind=messages.RESUME_LINK,
            recipient=email,
            payload={"link": link_for(link_token), "until": until.isoformat(), "form": title},
        )
    return Offered(outbox_id)


def open_link(services: Services, session: MutableMapping[str, Any], link_token: str) -> str | None:
    """Email a code for the link ``link_token`` and remember the link in ``session``.

    Returns the outbox id of the code's email (None when a code was sent less
    than a minute ago, so reloading the page does not flood the inbox). Raises
    :class:`ResumeError` for an unknown, used or expired link.
    """
    link_id = token_digest(link_token)
    now = utcnow()
    with transaction(services.sessions) as db:
        link = _usable(db.get(DraftLink, link_id, with_for_update=True), now)
        session[SESSION_KEY] = link_id
        recent = link.code_sent_at is not None and now - aware(link.code_sent_at) < dt.timedelta(
            seconds=CODE_RESEND_SECONDS
        )
        if recent or link.codes_sent >= CODES_PER_LINK:
            return None  # the code already sent still works until it expires
        code = f"{secrets.randbelow(10**6):06d}"
        link.code_sealed = services.vault.seal({"code": code})
        link.code_sent_at = now
        link.codes_sent += 1
        secret = services.vault.open(link.secret_sealed)
        return messages.queue(
            db,
            services.vault,
            kind=messages.RESUME_CODE,
            recipient=str(secret["email"]),
            payload={"code": code, "minutes": CODE_MINUTES},
        )


def enter_code(services: Services, session: MutableMapping[str, Any], code: str) -> str:
    """Restore the draft if ``code`` is right; returns its form's id.

    A wrong code counts against the link; after :data:`CODE_TRIES` the link is
    used up and a new one must be asked for.
    """
    link_id = session.get(SESSION_KEY)
    if not isinstance(link_id, str):
        raise ResumeError("Open the link in your email again.")
    with transaction(services.sessions) as db:
        # A wrong try is counted whatever happens next, so the problem is raised
        # only once the transaction has committed.
        link = db.get(DraftLink, link_id, with_for_update=True)
        form_id, token, problem = _check_code(services, link, code)
    if problem is not None:
        raise problem
    session.pop(SESSION_KEY, None)
    drafts.remember(session, form_id, token)
    return form_id


def _check_code(
    services: Services, link: DraftLink | None, code: str
) -> tuple[str, str, ResumeError | None]:
    """(form id, draft token, None) for the right code; else the problem, with the
    link's tries counted (and the link used up at the last try)."""
    now = utcnow()
    try:
        link = _usable(link, now)
    except ResumeError as exc:
        return "", "", exc
    if link.code_sealed is None or link.code_sent_at is None:
        return "", "", ResumeError("Open the link in your email again.")
    if now - aware(link.code_sent_at) > dt.timedelta(minutes=CODE_MINUTES):
        return "", "", ResumeError("The code has expired. Open the link in your email again.")
    expected = str(services.vault.open(link.code_sealed)["code"])
    if not hmac.compare_digest("".join(code.split()).encode(), expected.encode()):
        link.code_tries += 1
        if link.code_tries < CODE_TRIES:
            return "", "", WrongCode("The code is not right. Check the latest email we sent you")
        link.used_at = now
        return (
            "",
            "",
            ResumeError(
                "The code was wrong too many times. Save your form again from the browser "
                "you started it in, or start again."
            ),
        )
    link.used_at = now
    if not _draft_open(services, link.draft_id):
        return "", "", ResumeError("This form has been sent or deleted, so it cannot be opened.")
    return link.form_id, str(services.vault.open(link.secret_sealed)["token"]), None


def _draft_open(services: Services, draft_id: str) -> bool:
    with transaction(services.readers) as db:
        draft = db.get(Draft, draft_id)
        return draft is not None and draft.submission_id is None


class WrongCode(ResumeError):
    """The code did not match; the user may try again on the same page."""


def _usable(link: DraftLink | None, now: dt.datetime) -> DraftLink:
    if link is None or link.used_at is not None:
        raise ResumeError("This link has already been used or is not right. Links work only once.")
    if aware(link.expires_at) < now:
        raise ResumeError(f"This link has expired. Links work for {LINK_DAYS} days.")
    return link
