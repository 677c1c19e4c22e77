"""Server-side drafts: answers saved page by page, keyed by a random token.

The browser's (signed) session cookie holds only the token, so no personal
data ever sits in a cookie and a long form never outgrows the 4 KB limit.
Answers are sealed at rest. A draft made by a signed-in member of staff
belongs to them: nobody else (and nobody signed out) can open it, whatever
token their cookie carries. A draft started from a reference remembers the
family, so the submission joins it.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from ..auth.actor import Actor
from ..clock import utcnow
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


def draft_id_for(session: MutableMapping[str, Any], form_id: str) -> str | None:
    """The token of this browser's draft of ``form_id``, if it has one."""
    drafts = session.get(SESSION_KEY) or {}
    value = drafts.get(form_id)
    return value if isinstance(value, str) else None


def _mine(draft: Draft | None, form_id: str, actor: Actor) -> bool:
    return (
        draft is not None and draft.form_id == form_id and draft.owner_id in (None, actor.user_id)
    )


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
    with transaction(services.sessions) as db:
        draft = db.get(Draft, draft_id) if draft_id else None
        if draft is None or not _mine(draft, form_id, actor) or draft.submission_id is not None:
            draft = Draft(
                id=secrets.token_urlsafe(32),
                form_id=form_id,
                owner_id=actor.user_id,
                answers_sealed=services.vault.seal({}),
            )
            db.add(draft)
        current = services.vault.open(draft.answers_sealed) or {}
        merged = {k: v for k, v in current.items() if k not in removals}
        merged.update(updates)
        draft.answers_sealed = services.vault.seal(merged)
        draft.updated_at = utcnow()
        new_id = draft.id
    _remember(session, form_id, new_id)


def start(
    services: Services,
    session: MutableMapping[str, Any],
    form_id: str,
    actor: Actor,
    answers: dict[str, Any],
    family_id: str | None,
) -> None:
    """A new draft holding ``answers`` for ``family_id`` (started from a reference)."""
    with transaction(services.sessions) as db:
        draft = Draft(
            id=secrets.token_urlsafe(32),
            form_id=form_id,
            owner_id=actor.user_id,
            family_id=family_id,
            answers_sealed=services.vault.seal(answers),
        )
        db.add(draft)
        new_id = draft.id
    _remember(session, form_id, new_id)


def _remember(session: MutableMapping[str, Any], form_id: str, draft_id: str) -> None:
    drafts = dict(session.get(SESSION_KEY) or {})
    drafts[form_id] = draft_id
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
