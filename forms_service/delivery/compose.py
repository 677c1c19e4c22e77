"""Composing the email for an outbox row, by its kind: render documents if it
carries them, fill in its plain-text body, build the message.

The documents come from ``services.documents`` in the bounded render process
(``documents/bounded.py``); the message from ``mail.message``, with the
files named by ``RenderedDocuments.files``. Each kind's body is a template in
``doc_templates/shared/emails/<kind>.txt`` filled with server text only:
references, dates, form titles, outcome wording from the form's YAML, links.
Only the form to the SPOC inbox and an onward referral carry the family's
details (in their attachments); no other kind names or describes a family,
and no subject carries more than kind words and a reference or a date.
Nothing here sends, records or reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ..clock import utcnow
from ..config import Settings
from ..definitions.model import FormDefinition, Outcome
from ..definitions.registry import UnknownForm
from ..documents.bounded import render_bounded
from ..documents.renderer import SubmissionRecord
from ..formats import format_date, format_datetime
from ..mail.message import EN_DASH, Attachment, build_email
from ..services import Services
from ..submissions.models import Submission
from . import lanes, messages

EMAILS = Path("shared") / "emails"
#: Where links point when ``FORMS_BASE_URL`` is not set (``make run`` serves here).
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


class CannotCompose(Exception):
    """This row can never become an email (unknown kind or outcome, its form gone):
    retrying will not help, so the row fails at once with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Pending:
    """What one outbox row's message is made from (the outbox loads it)."""

    kind: str
    recipient: str
    message_id: str
    submission: Submission | None = None
    family_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    #: The referral's outcome clock, for an acknowledgement whose payload has none.
    outcome_due_at: dt.datetime | None = None
    #: Files uploaded with the form, opened only now: the outbox loads them for the
    #: form to the SPOC inbox alone (never a referrer's email, nor an onward referral
    #: that copies the referrer in).
    files: tuple[Attachment, ...] = ()
    #: The render lane of its documents (``lanes.py``): its own render processes.
    lane: str = lanes.NORMAL


@dataclass(frozen=True)
class Composed:
    """A built message and its SMTP envelope: ``optional`` recipients (a copy to
    the referrer) may be refused without failing the message."""

    message: EmailMessage
    recipients: tuple[str, ...]
    optional: tuple[str, ...] = ()


def record_of(services: Services, submission: Submission) -> SubmissionRecord:
    """What the documents need of a stored submission (its answers opened)."""
    return SubmissionRecord(
        services.registry.get(submission.form_id),
        services.vault.open(submission.answers_sealed),
        submission.reference,
        submission.submitted_at,
    )


def compose(services: Services, pending: Pending) -> Composed:
    """The email for one outbox row, by its kind."""
    composer = COMPOSERS.get(pending.kind)
    if composer is None:
        raise CannotCompose(f"unknown kind of message {pending.kind!r}")
    return composer(services, pending)


# --------------------------------------------------------------------------- helpers


def body(settings: Settings, kind: str, **values: str) -> str:
    """The kind's body template filled in (``str.format``: values are server text)."""
    template = (settings.templates_dir / EMAILS / f"{kind}.txt").read_text(encoding="utf-8")
    return template.format_map(values)


def link(settings: Settings, path: str) -> str:
    """An absolute link into the service, from ``FORMS_BASE_URL`` (never a request)."""
    return (settings.base_url or DEVELOPMENT_BASE_URL).rstrip("/") + path


def _email(
    services: Services,
    pending: Pending,
    subject: str,
    text: str,
    *,
    cc: tuple[str, ...] = (),
    attachments: list[Attachment] | None = None,
) -> Composed:
    settings = services.settings
    message = build_email(
        subject=subject,
        sender=settings.mail_from,
        to=pending.recipient,
        cc=cc,
        body=text,
        attachments=attachments or [],
        message_id=pending.message_id,
        message_id_domain=settings.message_id_domain,
    )
    return Composed(message, (pending.recipient, *cc), cc)


def _submission(pending: Pending) -> Submission:
    if pending.submission is None:
        raise CannotCompose(f"a {pending.kind} message needs its submission, which is gone")
    return pending.submission


def _form(services: Services, pending: Pending) -> FormDefinition:
    form_id = pending.payload.get("form_id") or (
        pending.submission.form_id if pending.submission else None
    )
    try:
        return services.registry.get(str(form_id))
    except UnknownForm:
        raise CannotCompose(f"unknown form {form_id!r}") from None


def _decided(services: Services, pending: Pending) -> tuple[Submission, FormDefinition, Outcome]:
    """The submission, its form and the outcome the payload names: an outcome and an
    onward referral need all three, and neither can ever be sent when one is gone."""
    submission = _submission(pending)
    form = _form(services, pending)
    outcome = form.outcome(str(pending.payload.get("outcome", "")))
    if outcome is None:
        raise CannotCompose(f"form {form.id} has no outcome {pending.payload.get('outcome')!r}")
    return submission, form, outcome


def _received(form: FormDefinition, submission: Submission) -> dict[str, str]:
    """The body values every message about one referral opens with, so that the
    acknowledgement, the outcome and the onward referral name it the same way."""
    return {
        "form_title": form.title,
        "reference": submission.reference,
        "received": format_datetime(submission.submitted_at),
    }


def _documents(services: Services, submission: Submission, lane: str) -> list[Attachment]:
    """The submission's PDF and Word documents, rendered in the bounded process of
    its lane: the slow lane has its own processes, at a lower priority."""
    settings = services.settings
    slow = lane == lanes.SLOW
    documents = render_bounded(
        services.documents,
        record_of(services, submission),
        timeout=settings.render_timeout_seconds,
        processes=settings.slow_lane_threads if slow else settings.delivery_threads,
        niceness=lanes.NICENESS[lanes.SLOW if slow else lanes.NORMAL],
    )
    return [
        Attachment(f.name, f.content, f.maintype, f.subtype)
        for f in documents.files(submission.reference)
    ]


def attachment_list(files: list[Attachment]) -> str:
    """The files a message carries, one name a line, for its body: a reader checks
    that all of them arrived (a form with a family plan has four, not two)."""
    return "\n".join(f"- {f.filename}" for f in files) or "- none"


def _when(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- kinds


def _spoc(services: Services, pending: Pending) -> Composed:
    """The form to the SPOC inbox: short body, PDF and DOCX attached, and any files
    uploaded with it (they count towards the size cap, which the upload checked)."""
    submission = _submission(pending)
    form = services.registry.get(submission.form_id)
    files = _documents(services, submission, pending.lane) + list(pending.files)
    text = body(
        services.settings,
        messages.SPOC,
        form_title=form.title,
        reference=submission.reference,
        submitted=format_datetime(submission.submitted_at),
        attachments=attachment_list(files),
    )
    subject = f"{form.short_title} {EN_DASH} {submission.reference}"
    return _email(services, pending, subject, text, attachments=files)


def _acknowledgement(services: Services, pending: Pending) -> Composed:
    """To the referrer: the reference, what happens next, the C-SPOC's number."""
    submission = _submission(pending)
    form = _form(services, pending)
    settings = services.settings
    due = _when(pending.payload.get("outcome_due_at")) or pending.outcome_due_at
    when = (
        f"We will tell you the outcome by {format_datetime(due)}."
        if due
        else "We will tell you the outcome within 2 working days."
    )
    text = body(
        settings,
        messages.ACKNOWLEDGEMENT,
        **_received(form, submission),
        when_outcome=when,
        phone=settings.referrer_phone,
        out_of_hours_phone=settings.level4_out_of_hours_phone,
    )
    return _email(services, pending, f"Referral received {EN_DASH} {submission.reference}", text)


def _outcome(services: Services, pending: Pending) -> Composed:
    """To the referrer: the outcome in the form's own plain words, no family names."""
    submission, form, outcome = _decided(services, pending)
    text = body(
        services.settings,
        messages.OUTCOME,
        **_received(form, submission),
        outcome=outcome.label,
        referrer_text=outcome.referrer_text,
        phone=services.settings.referrer_phone,
    )
    subject = f"Outcome of your referral {EN_DASH} {submission.reference}"
    return _email(services, pending, subject, text)


def _onward(services: Services, pending: Pending) -> Composed:
    """The referral's documents to the service the outcome sends it to, referrer copied."""
    submission, form, outcome = _decided(services, pending)
    cc = pending.payload.get("cc")
    copied = (str(cc),) if cc and messages.may_email(services.settings, str(cc)) else ()
    attachments = _documents(services, submission, pending.lane)
    text = body(
        services.settings,
        messages.ONWARD,
        **_received(form, submission),
        outcome=outcome.label,
        attachments=attachment_list(attachments),
        copied=(
            "The person who made the referral is copied into this email."
            if copied
            else "The person who made the referral has been told the outcome separately."
        ),
    )
    subject = f"{form.short_title} passed on to you {EN_DASH} {submission.reference}"
    return _email(services, pending, subject, text, cc=copied, attachments=attachments)


def _allocation(services: Services, pending: Pending) -> Composed:
    """To a lead professional: a link to the family's page, and nothing about the family."""
    family_id = pending.family_id or pending.payload.get("family_id")
    if not family_id:
        raise CannotCompose("an allocation notice needs its family")
    text = body(
        services.settings,
        messages.ALLOCATION,
        link=link(services.settings, f"/staff/families/{family_id}"),
    )
    return _email(services, pending, "You have been allocated a family", text)


def _item_line(item: Mapping[str, Any]) -> str:
    """``EH-2026-7Q4K9  Family Story Assessment  due by …`` (reference, form, date)."""
    due = _when(item.get("due_at"))
    when = format_datetime(due) if due else "no date"
    if item.get("overdue"):
        state = f"overdue since {when}"
    else:
        latest = _when(item.get("latest_at"))
        state = f"due by {when}" + (f", at the latest {format_datetime(latest)}" if latest else "")
    return f"{item.get('reference') or '(no reference)'}  {item.get('due') or 'A form'}  {state}"


def _reminder(services: Services, pending: Pending) -> Composed:
    """A lead professional's (or a manager's) list of forms due or overdue: references
    and dates, overdue first, never a family name."""
    items = list(pending.payload.get("items") or [])
    items.sort(key=lambda i: (not i.get("overdue"), str(i.get("due_at") or "")))
    day = _day(pending.payload.get("day")) or utcnow().date()
    intro = (
        "These families have a form overdue:"
        if pending.payload.get("scope") == "overdue"
        else "These families you are the lead professional for have a form due or overdue:"
    )
    text = body(
        services.settings,
        messages.REMINDER,
        intro=intro,
        day=format_date(day, weekday=True),
        items="\n".join(_item_line(i) for i in items) or "None.",
        count=str(len(items)),
        link=link(services.settings, "/staff/"),
    )
    subject = f"Early Help forms due or overdue {EN_DASH} {format_date(day)}"
    return _email(services, pending, subject, text)


def _digest(services: Services, pending: Pending) -> Composed:
    """To the SPOC inbox: the references delivered there over the last working day."""
    references = [str(r) for r in pending.payload.get("references") or []]
    first = _day(pending.payload.get("day"))
    last = _day(pending.payload.get("last_day")) or first
    if first is None or last is None:
        raise CannotCompose("a digest needs its day")
    period = (
        f"on {format_date(first, weekday=True)}"
        if first == last
        else f"from {format_date(first, weekday=True)} to {format_date(last, weekday=True)}"
    )
    text = body(
        services.settings,
        messages.DIGEST,
        period=period,
        count=str(len(references)),
        references="\n".join(references) or "None.",
    )
    dates = format_date(first) if first == last else f"{format_date(first)} to {format_date(last)}"
    return _email(services, pending, f"Forms delivered {EN_DASH} {dates}", text)


def _resume_link(services: Services, pending: Pending) -> Composed:
    """The link back to a saved form: the form's name and the link, no answers."""
    until = _when(pending.payload.get("until"))
    if not pending.payload.get("link") or until is None:
        raise CannotCompose("a link back to a form needs its link and expiry")
    text = body(
        services.settings,
        messages.RESUME_LINK,
        form=str(pending.payload.get("form") or "form"),
        link=str(pending.payload["link"]),
        until=format_datetime(until),
    )
    return _email(services, pending, "Your saved form", text)


def _resume_code(services: Services, pending: Pending) -> Composed:
    """The 6-digit code that opens a saved form's link; nothing else."""
    code = str(pending.payload.get("code") or "")
    if len(code) != 6 or not code.isdigit():
        raise CannotCompose("a code email needs its 6-digit code")
    text = body(
        services.settings,
        messages.RESUME_CODE,
        code=code,
        minutes=str(pending.payload.get("minutes") or 15),
    )
    return _email(services, pending, "Your code to go back to your saved form", text)


COMPOSERS: dict[str, Callable[[Services, Pending], Composed]] = {
    messages.SPOC: _spoc,
    messages.ACKNOWLEDGEMENT: _acknowledgement,
    messages.OUTCOME: _outcome,
    messages.ONWARD: _onward,
    messages.ALLOCATION: _allocation,
    messages.REMINDER: _reminder,
    messages.DIGEST: _digest,
    messages.RESUME_LINK: _resume_link,
    messages.RESUME_CODE: _resume_code,
}
