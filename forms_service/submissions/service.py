"""Submitting: validate, then store the submission and its outbox row together.

Nothing tells the user "received" until :func:`submit` has committed; the
delivery task is queued only after the commit, and a sweeper picks up any row
whose task was lost, so a crash between the two loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db import transaction
from ..definitions.model import FormDefinition
from ..flow.navigation import visible_pages
from ..services import Services
from .answers import AnswersInvalid, validate
from .models import Draft, OutboxEvent, OutboxMessage, Submission
from .references import new_reference
from .rules import check_rules

REFERENCE_ATTEMPTS = 5


class AlreadySubmitted(Exception):
    """The draft was submitted before; ``reference`` is the earlier one."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


def submit(
    services: Services,
    form: FormDefinition,
    data: Any,
    *,
    channel: str,
    draft_id: str | None = None,
) -> Submission:
    """Validate ``data`` and commit it with one outbox row; then queue delivery.

    Raises ``AnswersInvalid`` for bad answers, ``AlreadySubmitted`` for a draft
    sent before, and lets database errors propagate (the caller shows a
    "try again" page and keeps the answers).
    """
    if draft_id is not None:
        _refuse_if_submitted(services, draft_id)
    answers = validate_submission(form, data, services.settings.contacts)
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            submission, outbox_id = _store(services, form, answers, channel, draft_id)
            break
        except IntegrityError:
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
    services.tasks.enqueue_delivery(outbox_id)
    return submission


def validate_submission(
    form: FormDefinition, data: Any, contacts: Mapping[str, str]
) -> dict[str, Any]:
    """The whole form's answers, cleaned: fields, then rules across pages.

    Answers on pages that do not apply (their ``show_if`` is false) are
    dropped first, so a closing review needs no next-review date.
    """
    if isinstance(data, dict):
        hidden = {
            f.name
            for page in form.pages
            if page not in visible_pages(form, data)
            for f in page.fields
        }
        data = {k: v for k, v in data.items() if k not in hidden}
        fields = [f for f in form.fields if f.name not in hidden]
    else:
        fields = list(form.fields)
    answers = validate(fields, data, contacts)
    errors = check_rules(form, answers)
    if errors:
        raise AnswersInvalid(errors)
    return answers


def _refuse_if_submitted(services: Services, draft_id: str) -> None:
    """Answer a repeated "send" with the earlier reference, before validating."""
    with transaction(services.readers) as session:
        draft = session.get(Draft, draft_id)
        if draft is not None and draft.submission_id is not None:
            earlier = session.get(Submission, draft.submission_id)
            raise AlreadySubmitted(earlier.reference if earlier else "")


def _store(
    services: Services,
    form: FormDefinition,
    answers: dict[str, Any],
    channel: str,
    draft_id: str | None,
) -> tuple[Submission, str]:
    with transaction(services.sessions) as session:
        # Locked so two simultaneous "send" clicks cannot both submit it.
        draft = session.get(Draft, draft_id, with_for_update=True) if draft_id else None
        if draft is not None and draft.submission_id is not None:
            earlier = session.get(Submission, draft.submission_id)
            raise AlreadySubmitted(earlier.reference if earlier else "")
        submission = Submission(
            reference=new_reference(form.reference_prefix),
            form_id=form.id,
            form_version=form.version,
            answers=answers,
            channel=channel,
        )
        session.add(submission)
        session.flush()
        message = OutboxMessage(submission_id=submission.id, recipient=services.settings.spoc_inbox)
        session.add(message)
        session.flush()
        session.add(OutboxEvent(outbox_id=message.id, status="pending", detail="received"))
        if draft is not None:
            draft.submission_id = submission.id
            draft.answers = {}
        session.flush()
        return submission, message.id


def find_by_reference(services: Services, reference: str) -> Submission | None:
    """The submission with ``reference``, if any."""
    with transaction(services.readers) as session:
        return session.scalars(select(Submission).where(Submission.reference == reference)).first()
