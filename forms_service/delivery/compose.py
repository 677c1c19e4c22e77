"""Composing the email for an outbox row: render the documents, then build the message.

The documents come from ``services.documents`` in the bounded render process
(``documents/bounded.py``); the message from ``mail.message``, with the
files named by ``RenderedDocuments.files``. Nothing here sends or records.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from ..documents.bounded import render_bounded
from ..documents.renderer import SubmissionRecord
from ..mail.message import Attachment, build_message
from ..services import Services
from ..submissions.models import Submission

EMAIL_BODY = Path("shared") / "email_body.txt"


def record_of(services: Services, submission: Submission) -> SubmissionRecord:
    """What the documents need of a stored submission (its answers opened)."""
    return SubmissionRecord(
        services.registry.get(submission.form_id),
        services.vault.open(submission.answers_sealed),
        submission.reference,
        submission.submitted_at,
    )


def compose(services: Services, submission: Submission, recipient: str) -> EmailMessage:
    """The email for ``submission``: short body, PDF and DOCX attached."""
    settings = services.settings
    record = record_of(services, submission)
    form = record.form
    documents = render_bounded(
        services.documents,
        record,
        timeout=settings.render_timeout_seconds,
        processes=settings.delivery_threads,
    )
    body = (
        (settings.templates_dir / EMAIL_BODY)
        .read_text(encoding="utf-8")
        .format(
            form_title=form.title,
            reference=submission.reference,
            submitted=submission.submitted_at.strftime("%d %B %Y %H:%M UTC"),
        )
    )
    return build_message(
        reference=submission.reference,
        form_title=form.short_title,
        sender=settings.mail_from,
        recipient=recipient,
        body=body,
        attachments=[
            Attachment(f.name, f.content, f.maintype, f.subtype)
            for f in documents.files(submission.reference)
        ],
        message_id_domain=settings.message_id_domain,
        submission_id=submission.id,
    )
