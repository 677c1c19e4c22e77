"""The referrer's own copy: one PDF of what they sent, from the confirmation page.

A school's safeguarding lead otherwise keeps no record of their referral. The
copy is offered to the browser that sent the form (its session holds the sent
draft's token, see ``drafts.py``), once, for :data:`COPY_WINDOW` after sending:
long enough to save it, short enough that a shared computer left signed in
does not keep a family's details on offer. Nothing identifying is in the URL;
the draft row records when the copy was taken (``copy_taken_at``).

The PDF is rendered on demand (bounded, as the staff downloads are) and only
then claimed, with one conditional UPDATE, so two requests racing cannot both
take it, and a render that times out does not use the copy up. The claim is
audited as ``copy.downloaded``. Only forms open to anyone (referrals) offer
it: staff download their forms from the family's page, under the access policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update

from .. import audit
from ..audit import Who
from ..clock import aware, utcnow
from ..db import transaction
from ..definitions.registry import UnknownForm
from ..documents.bounded import render_bounded
from ..documents.renderer import PDF_TYPE, DocumentFile, SubmissionRecord
from ..services import Services
from ..submissions.models import Draft, Submission

COPY_WINDOW = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class _Sent:
    """A sent draft whose copy is still on offer."""

    draft_id: str
    submission: Submission
    until: dt.datetime


def _on_offer(services: Services, draft_id: str | None, now: dt.datetime) -> _Sent | None:
    """The sent draft ``draft_id``, if its copy is still there for the taking."""
    if draft_id is None:
        return None
    with transaction(services.readers) as db:
        draft = db.get(Draft, draft_id)
        if draft is None or draft.submission_id is None or draft.copy_taken_at is not None:
            return None
        submission = db.get(Submission, draft.submission_id)
        if submission is None:
            return None
        db.expunge(submission)
    try:
        form = services.registry.get(submission.form_id)
    except UnknownForm:
        return None
    until = aware(submission.submitted_at) + COPY_WINDOW
    if not form.open_to_anyone or now >= until:
        return None
    return _Sent(draft_id, submission, until)


def available_until(services: Services, draft_id: str | None) -> dt.datetime | None:
    """Until when this browser may take its copy, or None (taken, too late, not offered)."""
    sent = _on_offer(services, draft_id, utcnow())
    return sent.until if sent is not None else None


def take(services: Services, draft_id: str | None, who: Who) -> DocumentFile | None:
    """The PDF of the sent draft ``draft_id``, claimed for good; None once it is not on offer.

    Raises ``RenderTimeout`` (from ``render_bounded``) with the copy still unclaimed.
    """
    sent = _on_offer(services, draft_id, utcnow())
    if sent is None:
        return None
    submission = sent.submission
    record = SubmissionRecord(
        services.registry.get(submission.form_id),
        services.vault.open(submission.answers_sealed),
        submission.reference,
        aware(submission.submitted_at),
    )
    settings = services.settings
    rendered = render_bounded(
        services.documents,
        record,
        timeout=settings.render_timeout_seconds,
        processes=settings.delivery_threads,
    )
    if not _claim(services, sent, who):
        return None
    return DocumentFile("record.pdf", f"{submission.reference}.pdf", rendered.pdf, PDF_TYPE)


def _claim(services: Services, sent: _Sent, who: Who) -> bool:
    """Mark the copy taken (if no one has, and still in time) and audit it, in one go."""
    now = utcnow()
    if now >= sent.until:
        return False
    with transaction(services.sessions) as db:
        claimed = db.execute(
            update(Draft)
            .where(Draft.id == sent.draft_id, Draft.copy_taken_at.is_(None))
            .values(copy_taken_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        audit.record(
            db,
            who,
            "copy.downloaded",
            object_type="submission",
            object_id=sent.submission.id,
            family_id=sent.submission.family_id,
        )
    return True
