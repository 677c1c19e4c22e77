"""Submitting: validate, then store the submission, its family and its outbox rows together.

Nothing tells the user "received" until :func:`submit` has committed. It
returns the new outbox rows' ids (the form to the SPOC inbox and, for a
referral, the referrer's acknowledgement) and queues nothing: the caller hands the id to
its task runner after the commit, and a sweeper picks up any row whose task
was lost, so a crash between the two loses nothing. Answers are
sealed before they reach the database; the family record, its blind match
keys and an audit event are written in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..attachments import service as attachments
from ..auth.actor import Actor
from ..db import transaction
from ..definitions.model import FormDefinition
from ..delivery import messages
from ..families import record
from ..families.service import attach, index_submission, match_digests
from ..flow.navigation import visible_pages
from ..services import Services
from ..workspace.service import on_submission
from .answers import AnswersInvalid, validate
from .models import Draft, IdempotencyKey, Submission, new_id
from .references import new_reference
from .rules import check_rules

REFERENCE_ATTEMPTS = 5


class AlreadySubmitted(Exception):
    """The draft was submitted before; ``reference`` is the earlier one."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


class IdempotencyConflict(Exception):
    """An ``Idempotency-Key`` was used before for different answers."""


@dataclass(frozen=True)
class Idempotency:
    """An API client's key for this request, and a keyed digest of the body."""

    token_id: str
    key: str
    digest: str


@dataclass(frozen=True)
class Received:
    """What the submitter is told (the reference, whether this was a repeat), and the
    ids of the outbox rows the caller queues for delivery (none for a repeat: the
    first request queued them)."""

    id: str
    reference: str
    family_id: str
    repeated: bool = False
    outbox_ids: tuple[str, ...] = ()


def submit(
    services: Services,
    form: FormDefinition,
    data: Any,
    *,
    channel: str,
    actor: Actor,
    draft_id: str | None = None,
    family_id: str | None = None,
    idempotency: Idempotency | None = None,
) -> Received:
    """Validate ``data`` and commit it with its family and its outbox rows.

    The caller queues ``received.outbox_ids`` for delivery once this returns.

    Raises ``AnswersInvalid`` for bad answers, ``AlreadySubmitted`` for a draft
    sent before, ``FamilyUnavailable`` when ``actor`` may not add to the family,
    ``IdempotencyConflict`` for a reused key, and lets database errors propagate
    (the caller shows a "try again" page and keeps the answers).
    """
    if draft_id is not None:
        _refuse_if_submitted(services, draft_id)
    if idempotency is not None:
        earlier = _earlier(services, idempotency)
        if earlier is not None:
            return earlier
    answers = validate_submission(form, data, services.settings.contacts)
    owner = files_owner(actor, draft_id)
    answers = attachments.resolve(services, form, answers, owner)
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            received = _store(
                services, form, answers, channel, actor, draft_id, family_id, idempotency, owner
            )
            break
        except IntegrityError:
            if idempotency is not None:
                earlier = _earlier(services, idempotency)
                if earlier is not None:  # a parallel repeat of the same key won
                    return earlier
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
    return received


def files_owner(actor: Actor, draft_id: str | None) -> str | None:
    """Who may list uploaded files in this submission: the browser's draft, or the API
    caller (its token, or the member of staff it acts for)."""
    if draft_id is not None:
        return attachments.draft_owner(draft_id)
    caller = actor.token_id or actor.user_id
    return attachments.api_owner(caller) if caller else None


def validate_submission(
    form: FormDefinition, data: Any, contacts: Mapping[str, str]
) -> dict[str, Any]:
    """The whole form's answers, cleaned: fields, then rules across pages."""
    answers = validate_fields(form, data, contacts)
    errors = check_rules(form, answers)
    if errors:
        raise AnswersInvalid(errors)
    return answers


def validate_fields(form: FormDefinition, data: Any, contacts: Mapping[str, str]) -> dict[str, Any]:
    """Every answer checked by its field type (rules across pages not yet applied).

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
    return validate(fields, data, contacts)


def body_digest(services: Services, data: Any) -> str:
    """A keyed digest of a request body, to tell a true repeat from a reused key."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    key = services.settings.index_key.encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _earlier(services: Services, idempotency: Idempotency) -> Received | None:
    with transaction(services.readers) as session:
        row = session.get(IdempotencyKey, (idempotency.token_id, idempotency.key))
        if row is None:
            return None
        if not hmac.compare_digest(row.request_digest, idempotency.digest):
            raise IdempotencyConflict(idempotency.key)
        submission = session.get(Submission, row.submission_id)
        if submission is None:
            return None
        return Received(submission.id, submission.reference, submission.family_id, repeated=True)


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
    actor: Actor,
    draft_id: str | None,
    family_id: str | None,
    idempotency: Idempotency | None,
    owner: str | None,
) -> Received:
    vault = services.vault
    # The sealing and hashing happen before the write transaction, so it is short.
    sealed = vault.seal(answers)
    summary = vault.seal_optional(record.summary(form, answers))
    digests = match_digests(vault, form, answers)
    emptied = vault.seal({})
    with transaction(services.sessions) as session:
        # Locked so two simultaneous "send" clicks cannot both submit it.
        draft = session.get(Draft, draft_id, with_for_update=True) if draft_id else None
        if draft is not None and draft.submission_id is not None:
            earlier = session.get(Submission, draft.submission_id)
            raise AlreadySubmitted(earlier.reference if earlier else "")
        family = attach(session, services, form, actor, family_id)
        # Ids are made here, not by the database, so everything goes in one flush.
        submission = Submission(
            id=new_id(),
            reference=new_reference(form.reference_prefix),
            form_id=form.id,
            form_version=form.version,
            family=family,
            answers_sealed=sealed,
            summary_sealed=summary,
            organisation_type=record.organisation_type(form, answers),
            channel=channel,
            submitted_by=actor.user_id,
        )
        session.add(submission)
        attachments.claim(session, form, answers, owner, submission.id)
        outbox_ids = _queue_mail(session, services, form, answers, submission.id, actor)
        index_submission(session, form, answers, digests, family, submission.id, actor.who)
        on_submission(session, services, form, answers, submission, family)
        if draft is not None:
            draft.submission = submission
            draft.answers_sealed = emptied
        if idempotency is not None:
            session.add(
                IdempotencyKey(
                    token_id=idempotency.token_id,
                    key=idempotency.key,
                    request_digest=idempotency.digest,
                    submission=submission,
                )
            )
        audit.record(
            session,
            actor.who,
            "submission.created",
            object_type="submission",
            object_id=submission.id,
            family_id=family.id,
            detail=f"form={form.id}; {channel}",
        )
        return Received(submission.id, submission.reference, family.id, outbox_ids=outbox_ids)


def _queue_mail(
    session: Session,
    services: Services,
    form: FormDefinition,
    answers: dict[str, Any],
    submission_id: str,
    actor: Actor,
) -> tuple[str, ...]:
    """The form to the SPOC inbox and, when the form names a referrer's email, their
    acknowledgement (only to a trusted address): in the submission's transaction."""
    settings = services.settings
    ids = [
        messages.queue(
            session,
            services.vault,
            kind=messages.SPOC,
            recipient=settings.spoc_inbox,
            submission_id=submission_id,
            detail="received",
            message_id=submission_id,
            lane=messages.document_lane(settings, answers),
        )
    ]
    if form.record.referrer_email:
        acknowledgement = messages.queue_for_referrer(
            session,
            services.vault,
            settings,
            kind=messages.ACKNOWLEDGEMENT,
            address=messages.referrer_address(form, answers),
            submission_id=submission_id,
            payload={"form_id": form.id},
            who=actor.who,
        )
        if acknowledgement is not None:
            ids.append(acknowledgement)
    return tuple(ids)


def find_by_reference(services: Services, reference: str) -> Submission | None:
    """The submission with ``reference``, if any (for the CLI and tests: no access check)."""
    with transaction(services.readers) as session:
        return session.scalars(select(Submission).where(Submission.reference == reference)).first()


def stored_answers(services: Services, submission: Submission) -> dict[str, Any]:
    """A submission's answers, opened (delivery, the CLI and tests)."""
    opened: dict[str, Any] = services.vault.open(submission.answers_sealed)
    return opened


def reference_of(services: Services, submission_id: str | None) -> str | None:
    """The reference of a submission (for the browser that sent it)."""
    if submission_id is None:
        return None
    with transaction(services.readers) as session:
        submission = session.get(Submission, submission_id)
        return submission.reference if submission is not None else None
