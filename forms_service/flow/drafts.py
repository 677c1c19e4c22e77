"""Server-side drafts: answers saved page by page, keyed by a random token.

The browser's (signed) session cookie holds only the token, so no personal
data ever sits in a cookie and a long form never outgrows the 4 KB limit.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from typing import Any

from ..db import transaction
from ..services import Services
from ..submissions.models import Draft, utcnow

SESSION_KEY = "drafts"


def draft_id_for(session: MutableMapping[str, Any], form_id: str) -> str | None:
    """The token of this browser's draft of ``form_id``, if it has one."""
    drafts = session.get(SESSION_KEY) or {}
    value = drafts.get(form_id)
    return value if isinstance(value, str) else None


def load(services: Services, session: MutableMapping[str, Any], form_id: str) -> Draft | None:
    """This browser's draft of ``form_id``, if any."""
    draft_id = draft_id_for(session, form_id)
    if draft_id is None:
        return None
    with transaction(services.readers) as db:
        draft = db.get(Draft, draft_id)
        if draft is None or draft.form_id != form_id:
            return None
        db.expunge(draft)
        return draft


def answers(services: Services, session: MutableMapping[str, Any], form_id: str) -> dict[str, Any]:
    """The saved answers (empty when there is no draft)."""
    draft = load(services, session, form_id)
    return dict(draft.answers) if draft is not None and draft.submission_id is None else {}


def save(
    services: Services,
    session: MutableMapping[str, Any],
    form_id: str,
    updates: dict[str, Any],
    removals: tuple[str, ...] = (),
) -> None:
    """Merge ``updates`` into the draft (creating it), dropping ``removals``."""
    draft_id = draft_id_for(session, form_id)
    with transaction(services.sessions) as db:
        draft = db.get(Draft, draft_id) if draft_id else None
        if draft is None or draft.form_id != form_id or draft.submission_id is not None:
            draft = Draft(id=secrets.token_urlsafe(32), form_id=form_id, answers={})
            db.add(draft)
        merged = {k: v for k, v in (draft.answers or {}).items() if k not in removals}
        merged.update(updates)
        draft.answers = merged
        draft.updated_at = utcnow()
        new_id = draft.id
    drafts = dict(session.get(SESSION_KEY) or {})
    drafts[form_id] = new_id
    session[SESSION_KEY] = drafts


def discard(services: Services, session: MutableMapping[str, Any], form_id: str) -> None:
    """Delete the draft (a stopped gate stores nothing) and forget its token."""
    draft_id = draft_id_for(session, form_id)
    if draft_id is not None:
        with transaction(services.sessions) as db:
            draft = db.get(Draft, draft_id)
            if draft is not None and draft.submission_id is None:
                db.delete(draft)
    drafts = dict(session.get(SESSION_KEY) or {})
    drafts.pop(form_id, None)
    session[SESSION_KEY] = drafts
