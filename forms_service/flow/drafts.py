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


@dataclass(frozen=True)
class Drafts:
    """This browser's drafts, as ``actor`` may see them. Every draft operation
    needs the three together: the services to store them, the session that holds
    the browser's tokens, and the person whose drafts they are."""

    services: Services
    session: MutableMapping[str, Any]
    actor: Actor

    def reopen(self, draft_id: str) -> str | None:
        """Put the actor's own unsent draft ``draft_id`` into this browser's session
        (from another computer, or after the browser was closed); its form's id, or None."""
        mine = {d.id: d for d in owned(self.services, self.actor)}
        draft = mine.get(draft_id)
        if draft is None:
            return None
        remember(self.session, draft.form_id, OWNED + draft.id)
        return draft.form_id

    def load(self, form_id: str) -> DraftState | None:
        """This browser's draft of ``form_id``, if any and if the actor may open it."""
        draft_id = draft_id_for(self.session, form_id)
        if draft_id is None:
            return None
        with transaction(self.services.readers) as db:
            draft = db.get(Draft, draft_id)
            if draft is None or not _mine(draft, form_id, self.actor):
                return None
            state = DraftState(
                draft.id,
                self.services.vault.open(draft.answers_sealed),
                draft.family_id,
                draft.submission_id,
            )
        if state.family_id is not None and state.submission_id is None:
            if not may_continue(self.services, self.actor, state.family_id):
                return None
        return state

    def answers(self, form_id: str) -> dict[str, Any]:
        """The saved answers (empty when there is no draft, or it was sent)."""
        draft = self.load(form_id)
        return dict(draft.answers) if draft is not None and draft.submission_id is None else {}

    def save(self, form_id: str, updates: dict[str, Any], removals: tuple[str, ...] = ()) -> None:
        """Merge ``updates`` into the draft (creating it), dropping ``removals``."""
        draft_id = draft_id_for(self.session, form_id)
        token = None
        actor, vault = self.actor, self.services.vault
        with transaction(self.services.sessions) as db:
            draft = db.get(Draft, draft_id) if draft_id else None
            if draft is None or not _mine(draft, form_id, actor) or draft.submission_id is not None:
                draft, token = _new_draft(self.services, form_id, actor, {})
                db.add(draft)
            elif draft.owner_id is None and actor.user_id is not None:
                draft.owner_id = actor.user_id  # begun before signing in: theirs alone from now on
            current = vault.open(draft.answers_sealed) or {}
            merged = {k: v for k, v in current.items() if k not in removals}
            merged.update(updates)
            draft.answers_sealed = vault.seal(merged)
            draft.updated_at = utcnow()
        if token is not None:  # only once the new draft is committed
            remember(self.session, form_id, token)

    def start(self, form_id: str, answers: dict[str, Any], family_id: str | None) -> None:
        """A new draft holding ``answers`` for ``family_id`` (started from a reference or
        the family's page), in place of any draft of ``form_id`` this browser held."""
        self.discard(form_id)
        draft, token = _new_draft(self.services, form_id, self.actor, answers, family_id)
        with transaction(self.services.sessions) as db:
            db.add(draft)
        remember(self.session, form_id, token)

    def discard(self, form_id: str) -> None:
        """Delete the draft (a stopped gate stores nothing) and forget its token."""
        draft_id = draft_id_for(self.session, form_id)
        if draft_id is not None:
            with transaction(self.services.sessions) as db:
                draft = db.get(Draft, draft_id)
                if (
                    draft is not None
                    and _mine(draft, form_id, self.actor)
                    and draft.submission_id is None
                ):
                    db.delete(draft)
        drafts = dict(self.session.get(SESSION_KEY) or {})
        drafts.pop(form_id, None)
        self.session[SESSION_KEY] = drafts


def remember(session: MutableMapping[str, Any], form_id: str, token: str) -> None:
    """This browser holds the draft of ``form_id`` whose token is ``token``."""
    drafts = dict(session.get(SESSION_KEY) or {})
    drafts[form_id] = token
    session[SESSION_KEY] = drafts
