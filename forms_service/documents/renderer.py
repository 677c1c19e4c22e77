"""The documents stage: one submission → its PDF and DOCX (and the family's plan).

A :class:`DocumentRenderer` holds what every render shares (the templates
folder and the configured contacts) and is built once, by ``build_services``
or the CLI. A :class:`SubmissionRecord` is all one render needs to know about a
submission. Each call builds the template context once and makes every
document it returns from that one context. Which templates to use comes from
the form file's ``documents:`` entry, so a new form needs no code here; a form
that also declares ``family_plan:`` gets the family's own copy ("Our Family
Plan") as a second PDF and DOCX.

Plain objects with no Flask: the web worker, a CLI and a queue worker use
them the same way, and ``bounded.py`` pickles both into its render process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..definitions.model import Documents, FormDefinition
from .context import build_context
from .docx import render_docx_bytes
from .fetcher import BundledAssetFetcher
from .jinja import environment
from .pdf import created_date, html_to_pdf

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RECORD = "record"
FAMILY_PLAN = "family-plan"
#: Every document a submission can have, by the name staff URLs use for it.
DOCUMENT_SLUGS = tuple(f"{kind}.{ext}" for kind in (RECORD, FAMILY_PLAN) for ext in ("pdf", "docx"))


@dataclass(frozen=True)
class SubmissionRecord:
    """What the documents show of one submission: its form, answers, reference and time."""

    form: FormDefinition
    answers: Mapping[str, Any]
    reference: str
    submitted_at: dt.datetime


@dataclass(frozen=True)
class DocumentFile:
    """One generated file: ``slug`` names it in staff URLs, ``name`` is its file name."""

    slug: str
    name: str
    content: bytes
    mimetype: str

    @property
    def maintype(self) -> str:
        return self.mimetype.partition("/")[0]

    @property
    def subtype(self) -> str:
        return self.mimetype.partition("/")[2]


def document_slugs(form: FormDefinition) -> list[str]:
    """The documents a submission of ``form`` has: the record, and the family's plan if declared."""
    return [s for s in DOCUMENT_SLUGS if form.family_plan is not None or FAMILY_PLAN not in s]


@dataclass(frozen=True)
class RenderedDocuments:
    """The documents for one submission.

    ``family_pdf`` and ``family_docx`` are the family's plan, set only when
    the form declares ``family_plan:``.
    """

    pdf: bytes
    docx: bytes
    family_pdf: bytes | None = None
    family_docx: bytes | None = None

    def files(self, reference: str) -> list[DocumentFile]:
        """Each document named for ``reference``: the one place attachment and download
        names are made (``EH-….pdf``, ``EH-….docx``, then ``EH-…-family-plan.pdf``
        and ``.docx`` when there is a family plan)."""
        kinds = [(RECORD, reference, self.pdf, self.docx)]
        if self.family_pdf is not None and self.family_docx is not None:
            kinds.append(
                (FAMILY_PLAN, f"{reference}-{FAMILY_PLAN}", self.family_pdf, self.family_docx)
            )
        return [
            DocumentFile(f"{kind}.{ext}", f"{stem}.{ext}", content, mimetype)
            for kind, stem, pdf, docx in kinds
            for ext, content, mimetype in (("pdf", pdf, PDF_TYPE), ("docx", docx, DOCX_TYPE))
        ]


class DocumentRenderer:
    """Makes a submission's documents from the templates in ``templates_dir``.

    ``contacts`` (``settings.contacts``: ``level4_phone``,
    ``level4_out_of_hours_phone``, ``level4_email``) fill the family plan's
    "If you are worried about a child's safety" section. The renderer keeps
    no other state (parsed stylesheets, fonts and templates are cached per
    process by ``pdf.py``, ``docx.py`` and ``jinja.py``), so it pickles small.
    """

    def __init__(self, templates_dir: Path, contacts: Mapping[str, str] | None = None) -> None:
        self.templates_dir = templates_dir
        self.contacts = dict(contacts or {})

    def context(self, record: SubmissionRecord) -> dict[str, Any]:
        """The template context for ``record`` (see ``context.py``)."""
        return build_context(
            record.form, record.answers, record.reference, record.submitted_at, self.contacts
        )

    def render(self, record: SubmissionRecord) -> RenderedDocuments:
        """Every document, from one context: the record, and the family's plan if declared."""
        context = self.context(record)
        created = created_date(record.submitted_at)
        form = record.form
        pdf, docx = self._pdf_and_docx(form.documents, context, created)
        if form.family_plan is None:
            return RenderedDocuments(pdf=pdf, docx=docx)
        family_pdf, family_docx = self._pdf_and_docx(form.family_plan, context, created)
        return RenderedDocuments(pdf=pdf, docx=docx, family_pdf=family_pdf, family_docx=family_docx)

    def html(self, record: SubmissionRecord) -> str:
        """The HTML the record's PDF is made from (autoescaped; for snapshot tests)."""
        return self._html(record.form.documents.pdf, self.context(record))

    def family_plan_html(self, record: SubmissionRecord) -> str:
        """The HTML of the family's plan; ValueError if the form has none."""
        plan = record.form.family_plan
        if plan is None:
            raise ValueError(f"the form '{record.form.id}' has no family plan")
        return self._html(plan.pdf, self.context(record))

    def family_plan_pdf(self, record: SubmissionRecord, *, large_print: bool = False) -> bytes:
        """Only the family's plan as a PDF, for staff to print; ``large_print`` sets every
        text at 16pt or more (the template's ``family.large_print``). ValueError if the
        form has no family plan."""
        plan = record.form.family_plan
        if plan is None:
            raise ValueError(f"the form '{record.form.id}' has no family plan")
        context = self.context(record)
        context["family"]["large_print"] = large_print
        return html_to_pdf(
            self._html(plan.pdf, context),
            self.templates_dir,
            plan.pdf,
            created=created_date(record.submitted_at),
        )

    def pdf(
        self, record: SubmissionRecord, *, url_fetcher: BundledAssetFetcher | None = None
    ) -> bytes:
        """The record as a PDF/UA-1 document (``url_fetcher``: a test's spy)."""
        template = record.form.documents.pdf
        return html_to_pdf(
            self._html(template, self.context(record)),
            self.templates_dir,
            template,
            created=created_date(record.submitted_at),
            url_fetcher=url_fetcher,
        )

    def docx(self, record: SubmissionRecord) -> bytes:
        """The record as a Word document."""
        return render_docx_bytes(
            self.templates_dir / record.form.documents.docx, self.context(record)
        )

    def _html(self, template_name: str, context: dict[str, Any]) -> str:
        template = environment(self.templates_dir.resolve()).get_template(template_name)
        return template.render(context)

    def _pdf_and_docx(
        self, templates: Documents, context: dict[str, Any], created: str
    ) -> tuple[bytes, bytes]:
        html = self._html(templates.pdf, context)
        pdf = html_to_pdf(html, self.templates_dir, templates.pdf, created=created)
        return pdf, render_docx_bytes(self.templates_dir / templates.docx, context)
