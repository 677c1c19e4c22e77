"""Server-side drafts: answers saved page by page, keyed by a random token.

The browser's (signed) session cookie holds only the token, so no personal
data ever sits in a cookie and a long form never outgrows the 4 KB limit; the
table keeps only the token's SHA-256, and the answers sealed. A draft saved by
a signed-in member of staff belongs to them (one begun before they signed in
becomes theirs at their first save): nobody else, signed in or not, can open
it, whatever token their cookie carries. A draft started from a reference
remembers the family, so the submission joins it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..auth.actor import Actor
from ..clock import utcnow
from ..crypto import token_digest
from ..db import transaction
from ..families.service import may_continue
from ..services import Services
from ..submissions.models import Draft

SESSION_KEY = "drafts"


@dataclass(frozen=True)
class DraftState:
    """A draft as a request sees it."""

    id: str
    answers: dict[str, Any]
    family_id: str | None
    submission_id: str | None


#: How the session marks a draft a member of staff reopened from "Your drafts": by
#: its id, not a token (a staff draft is theirs alone, whatever the session holds).
OWNED = "owned:"


def draft_id_for(session: MutableMapping[str, Any], form_id: str) -> str | None:
    """The stored id of this browser's draft of ``form_id`` (its token's digest), if any."""
    drafts = session.get(SESSION_KEY) or {}
    token = drafts.get(form_id)
    if not isinstance(token, str):
        return None
    return token.removeprefix(OWNED) if token.startswith(OWNED) else token_digest(token)


def _new_draft(
    services: Services,
    form_id: str,
    actor: Actor,
    answers: dict[str, Any],
    family_id: str | None = None,
) -> tuple[Draft, str]:
    """A new draft row and its token: the token is for the cookie, only its digest is stored."""
    token = secrets.token_urlsafe(32)
    draft = Draft(
        id=token_digest(token),
        form_id=form_id,
        owner_id=actor.user_id,
        family_id=family_id,
        answers_sealed=services.vault.seal(answers),
    )
    return draft, token


def _mine(draft: Draft | None, form_id: str, actor: Actor) -> bool:
    return (
        draft is not None and draft.form_id == form_id and draft.owner_id in (None, actor.user_id)
    )


@dataclass(frozen=True)
class OwnedDraft:
    """One of a member of staff's unsent drafts, for "Your drafts"."""

    id: str
    form_id: str
    answers: dict[str, Any]
    updated_at: dt.datetime


def owned(services: Services, actor: Actor) -> list[OwnedDraft]:
    """``actor``'s unsent drafts, newest first; one of a family they may no longer
    work on is left out (and the refusal audited, by ``may_continue``)."""
    if actor.user_id is None:
        return []
    with transaction(services.readers) as db:
        rows = db.scalars(
            select(Draft)
            .where(Draft.owner_id == actor.user_id, Draft.submission_id.is_(None))
            .order_by(Draft.updated_at.desc())
        ).all()
        found = [
            (
                OwnedDraft(d.id, d.form_id, services.vault.open(d.answers_sealed), d.updated_at),
                d.family_id,
            )
            for d in rows
        ]
    return [d for d, family in found if family is None or may_continue(services, actor, family)]


def reopen(
    services: Services, session: MutableMapping[str, Any], actor: Actor, draft_id: str
) -> str | None:
    """Put ``actor``'s own unsent draft ``draft_id`` into this browser's session (from
    another computer, or after the browser was closed); its form's id, or None."""
    mine = {d.id: d for d in owned(services, actor)}
    draft = mine.get(draft_id)
    if draft is None:
        return None
    remember(session, draft.form_id, OWNED + draft.id)
    return draft.form_id


def load(
    services: Services, session: MutableMapping[str, Any], form_id: str, actor: Actor
) -> DraftState | None:
    """This browser's draft of ``form_id``, if any and if ``actor`` may open it."""
    draft_id = draft_id_for(session, form_id)
    if draft_id is None:
        return None
    with transaction(services.readers) as db:
        draft = db.get(Draft, draft_id)
        if draft is None or not _mine(draft, form_id, actor):
            return None
        state = DraftState(
            draft.id,
            services.vault.open(draft.answers_sealed),
            draft.family_id,
            draft.submission_id,
        )
    if state.family_id is not None and state.submission_id is None:
        if not may_continue(services, actor, state.family_id):
            return None
    return state


def answers(
    services: Services, session: MutableMapping[str, Any], form_id: str, actor: Actor
) -> dict[str, Any]:
    """The saved answers (empty when there is no draft, or it was sent)."""
    draft = load(services, session, form_id, actor)
    return dict(draft.answers) if draft is not None and draft.submission_id is None else {}


def save(
    services: Services,
    session: MutableMapping[str, Any],
    form_id: str,
    actor: Actor,
    updates: dict[str, Any],
    removals: tuple[str, ...] = (),
) -> None:
    """Merge ``updates`` into the draft (creating it), dropping ``removals``."""
    draft_id = draft_id_for(session, form_id)
    token = None
    with transaction(services.sessions) as db:
        draft = db.get(Draft, draft_id) if draft_id else None
        if draft is None or not _mine(draft, form_id, actor) or draft.submission_id is not None:
            draft, token = _new_draft(services, form_id, actor, {})
            db.add(draft)
        elif draft.owner_id is None and actor.user_id is not None:
            draft.owner_id = actor.user_id  # begun before signing in: theirs alone from now on
        current = services.vault.open(draft.answers_sealed) or {}
        merged = {k: v for k, v in current.items() if k not in removals}
        merged.update(updates)
        draft.answers_sealed = services.vault.seal(merged)
        draft.updated_at = utcnow()
    if token is not None:  # only once the new draft is committed
        remember(session, form_id, token)


def start(
    services: Services,
    session: MutableMapping[str, Any],
    form_id: str,
    actor: Actor,
    answers: dict[str, Any],
    family_id: str | None,
) -> None:
    """A new draft holding ``answers`` for ``family_id`` (started from a reference)."""
    draft, token = _new_draft(services, form_id, actor, answers, family_id)
    with transaction(services.sessions) as db:
        db.add(draft)
    remember(session, form_id, token)


def remember(session: MutableMapping[str, Any], form_id: str, token: str) -> None:
    """This browser holds the draft of ``form_id`` whose token is ``token``."""
    drafts = dict(session.get(SESSION_KEY) or {})
    drafts[form_id] = token
    session[SESSION_KEY] = drafts


def discard(
    services: Services, session: MutableMapping[str, Any], form_id: str, actor: Actor
) -> None:
    """Delete the draft (a stopped gate stores nothing) and forget its token."""
    draft_id = draft_id_for(session, form_id)
    if draft_id is not None:
        with transaction(services.sessions) as db:
            draft = db.get(Draft, draft_id)
            if draft is not None and _mine(draft, form_id, actor) and draft.submission_id is None:
                db.delete(draft)
    drafts = dict(session.get(SESSION_KEY) or {})
    drafts.pop(form_id, None)
    session[SESSION_KEY] = drafts
