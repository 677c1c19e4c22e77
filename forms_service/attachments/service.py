"""Uploading, listing, sending and deleting attached files: plain functions, no Flask.

A file is checked in this order, and the first failure refuses it with a
GOV.UK message: uploads switched on (production needs a scanner), not empty,
not over the field's ``max_bytes``, a kind the field accepts (by content:
``kinds.sniff``), still room in the field (``max_files``) and in the email
to the SPOC inbox (``FORMS``'s SMTP size cap), then clean by clamd when
``FORMS_CLAMD_SOCKET`` is set. Only then is it sealed and stored, with an id
the server makes; the name the user gave is kept (sealed) only to show them
their list, and the email names each file by the reference and a number.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..audit import Who
from ..config import Settings
from ..db import transaction
from ..definitions.model import Field, FormDefinition
from ..fieldtypes import type_of
from ..mail.message import Attachment as MailAttachment
from ..services import Services
from ..submissions.answers import AnswersInvalid
from ..text import normalise
from . import scan
from .kinds import KINDS, nouns, sniff
from .models import Attachment

#: Room kept in the email for the form's own PDF and Word document.
DOCUMENTS_RESERVE = 2 * 1024 * 1024
#: Base64 makes an attachment about 4/3 larger, plus line breaks.
BASE64_GROWTH = 1.37
MAX_NAME = 100


class UploadRefused(Exception):
    """The file was not stored; ``message`` says why, in GOV.UK words."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        #: A short word for the audit log (never the file's name or contents).
        self.reason = reason


def draft_owner(draft_id: str) -> str:
    """Who owns a file uploaded through a browser's draft."""
    return f"draft:{draft_id}"


def api_owner(token_or_user_id: str) -> str:
    """Who owns a file uploaded with an API token (or as a member of staff)."""
    return f"api:{token_or_user_id}"


def file_fields(form: FormDefinition) -> list[Field]:
    """The form's top-level questions answered with files."""
    return [f for f in form.fields if type_of(f).takes_files]


def mail_budget(settings: Settings) -> int:
    """How many bytes of files one email to the SPOC inbox can carry under the cap."""
    return int((settings.smtp_size_cap - DOCUMENTS_RESERVE) / BASE64_GROWTH)


def megabytes(size: int) -> str:
    """ "3MB" (GOV.UK writes sizes without a space)."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + "MB"


def display_name(filename: str | None, kind: str) -> str:
    """The name the user gave, as a label only: no folders, no control characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = normalise(unicodedata.normalize("NFC", base), single_line=True)[:MAX_NAME]
    return cleaned or f"file.{KINDS[kind].extension}"


def store(
    services: Services,
    form: FormDefinition,
    field: Field,
    owner: str,
    who: Who,
    content: bytes,
    filename: str | None,
) -> dict[str, Any]:
    """Check ``content`` and store it sealed; its record for the answer, or UploadRefused."""
    try:
        kind = _check(services, form, field, owner, content)
    except UploadRefused as refused:
        audit.write(
            services.sessions,
            who,
            "attachment.refused",
            outcome="denied",
            object_type="form",
            object_id=form.id,
            detail=refused.reason,
        )
        raise
    name = display_name(filename, kind)
    row = Attachment(
        form_id=form.id,
        owner=owner,
        kind=kind,
        size=len(content),
        name_sealed=services.vault.seal(name),
        content_sealed=services.vault.seal_bytes(content),
    )
    with transaction(services.sessions) as session:
        session.add(row)
        session.flush()
        audit.record(
            session,
            who,
            "attachment.uploaded",
            object_type="attachment",
            object_id=row.id,
            detail=f"form={form.id}; {kind}; {len(content)} bytes",
        )
        return {"id": row.id, "name": name, "size": len(content), "kind": kind}


def _check(
    services: Services, form: FormDefinition, field: Field, owner: str, content: bytes
) -> str:
    settings = services.settings
    if not settings.uploads_enabled:
        raise UploadRefused(
            f"Uploading files is not available. Email the file to {settings.level4_email} "
            "instead, quoting the reference you are given when you send this form",
            "no scanner",
        )
    if not content:
        raise UploadRefused("The selected file is empty", "empty")
    limit = field.max_bytes or 0
    if len(content) > limit:
        raise UploadRefused(f"The selected file must be smaller than {megabytes(limit)}", "size")
    kind = sniff(content)
    if kind is None or kind not in field.accept:
        raise UploadRefused(f"The selected file must be {nouns(field.accept)}", "kind")
    count, total = _held(services, form.id, owner)
    if count >= (field.max_files or 1):
        raise UploadRefused(f"You can upload up to {field.max_files} files", "count")
    budget = mail_budget(settings)
    if total + len(content) > budget:
        raise UploadRefused(
            f"The files together must be smaller than {megabytes(budget)}, so they fit in one "
            "email. Remove a file or upload a smaller one",
            "email size",
        )
    if settings.clamd_socket:
        try:
            scan.scan(settings.clamd_socket, content)
        except scan.Infected:
            raise UploadRefused("The selected file contains a virus", "virus") from None
        except scan.ScannerFailed:
            raise UploadRefused(
                "The selected file could not be checked for viruses. Try again later",
                "scanner failed",
            ) from None
    return kind


def _held(services: Services, form_id: str, owner: str) -> tuple[int, int]:
    """How many files ``owner`` holds for ``form_id`` not yet sent, and their total size."""
    with transaction(services.readers) as session:
        count, total = session.execute(
            select(func.count(Attachment.id), func.coalesce(func.sum(Attachment.size), 0)).where(
                Attachment.owner == owner,
                Attachment.form_id == form_id,
                Attachment.submission_id.is_(None),
            )
        ).one()
    return int(count), int(total)


def remove(services: Services, owner: str, attachment_id: str) -> bool:
    """Delete a file not yet sent, if ``owner`` uploaded it; whether one was deleted."""
    with transaction(services.sessions) as session:
        result = session.execute(
            delete(Attachment).where(
                Attachment.id == attachment_id,
                Attachment.owner == owner,
                Attachment.submission_id.is_(None),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def resolve(
    services: Services, form: FormDefinition, answers: dict[str, Any], owner: str | None
) -> dict[str, Any]:
    """``answers`` with each listed file replaced by the server's own record of it.

    Raises AnswersInvalid, naming the field, when a file is unknown, sent
    already, for another form or someone else's (all alike, so nothing leaks).
    """
    fields = [f for f in file_fields(form) if answers.get(f.name)]
    if not fields:
        return answers
    resolved = dict(answers)
    with transaction(services.readers) as session:
        for fld in fields:
            ids = [str(item["id"]) for item in answers[fld.name]]
            rows = {
                row.id: row
                for row in session.scalars(
                    select(Attachment).where(
                        Attachment.id.in_(ids),
                        Attachment.owner == (owner or ""),
                        Attachment.form_id == form.id,
                        Attachment.submission_id.is_(None),
                    )
                )
            }
            if len(rows) != len(ids):
                raise AnswersInvalid({fld.name: [_NOT_YOURS]})
            resolved[fld.name] = [
                {
                    "id": row.id,
                    "name": services.vault.open(row.name_sealed),
                    "size": row.size,
                    "kind": row.kind,
                }
                for row in (rows[i] for i in ids)
            ]
    return resolved


_NOT_YOURS = (
    "A file listed is not one you uploaded for this form, or was sent already: upload it again"
)


def claim(
    session: Session,
    form: FormDefinition,
    answers: dict[str, Any],
    owner: str | None,
    submission_id: str,
) -> None:
    """Make the listed files the submission's, in its transaction (so a file is sent once)."""
    for fld in file_fields(form):
        ids = [str(item["id"]) for item in answers.get(fld.name) or []]
        if not ids:
            continue
        result = session.execute(
            update(Attachment)
            .where(
                Attachment.id.in_(ids),
                Attachment.owner == (owner or ""),
                Attachment.submission_id.is_(None),
            )
            .values(submission_id=submission_id)
        )
        if result.rowcount != len(ids):  # type: ignore[attr-defined]
            raise AnswersInvalid({fld.name: [_NOT_YOURS]})


def delivered(services: Services, submission_id: str, reference: str) -> list[MailAttachment]:
    """A submission's files, opened, named by the reference and a number (never the user's
    name for them: that could name the family, and filenames travel in MIME headers)."""
    with transaction(services.readers) as session:
        rows = session.scalars(
            select(Attachment)
            .where(Attachment.submission_id == submission_id)
            .order_by(Attachment.created_at, Attachment.id)
        ).all()
        files = []
        for number, row in enumerate(rows, start=1):
            kind = KINDS[row.kind]
            files.append(
                MailAttachment(
                    f"{reference}-attachment-{number}.{kind.extension}",
                    services.vault.open_bytes(row.content_sealed),
                    kind.maintype,
                    kind.subtype,
                )
            )
    return files


def delete_for_submissions(session: Session, submission_ids: Iterable[str]) -> None:
    """Delete the files of submissions being deleted (retention), in their transaction."""
    ids = list(submission_ids)
    if ids:
        session.execute(delete(Attachment).where(Attachment.submission_id.in_(ids)))


def delete_unsent(session: Session, draft_ids: Iterable[str], cutoff: dt.datetime) -> int:
    """Delete unsent files of deleted drafts, and any unsent file older than ``cutoff``
    (an API client's that was never listed, a draft's that was abandoned)."""
    owners = [draft_owner(d) for d in draft_ids]
    result = session.execute(
        delete(Attachment).where(
            Attachment.submission_id.is_(None),
            (Attachment.owner.in_(owners)) | (Attachment.created_at < cutoff),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
