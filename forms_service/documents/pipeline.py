"""The documents stage: a validated submission → PDF bytes and DOCX bytes.

Plain functions with no Flask: the web worker, a CLI and a queue worker call
them the same way. Which templates to use comes from the form file's
``documents:`` entry, so a new form needs no code here. A form that also
declares ``family_plan:`` gets the family's own copy ("Our Family Plan") as a
second PDF and DOCX, made from the same context.
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


def render_html(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    templates_dir: Path,
    *,
    contacts: Mapping[str, str] | None = None,
) -> str:
    """The HTML the PDF is made from (autoescaped; useful for snapshot tests)."""
    context = build_context(form, answers, reference, submitted_at, contacts)
    return _html(form.documents.pdf, context, templates_dir)


def render_family_plan_html(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    templates_dir: Path,
    *,
    contacts: Mapping[str, str] | None = None,
) -> str:
    """The HTML of the family's plan ("Our Family Plan"); ValueError if the form has none."""
    plan = _family_plan(form)
    context = build_context(form, answers, reference, submitted_at, contacts)
    return _html(plan.pdf, context, templates_dir)


def _family_plan(form: FormDefinition) -> Documents:
    if form.family_plan is None:
        raise ValueError(f"the form '{form.id}' has no family plan")
    return form.family_plan


def _html(template_name: str, context: dict[str, Any], templates_dir: Path) -> str:
    template = environment(templates_dir.resolve()).get_template(template_name)
    return template.render(context)


def render_pdf(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    templates_dir: Path,
    *,
    url_fetcher: BundledAssetFetcher | None = None,
    contacts: Mapping[str, str] | None = None,
) -> bytes:
    """The submission as a PDF/UA-1 document."""
    html = render_html(form, answers, reference, submitted_at, templates_dir, contacts=contacts)
    return html_to_pdf(
        html,
        templates_dir,
        form.documents.pdf,
        created=created_date(submitted_at),
        url_fetcher=url_fetcher,
    )


def render_docx(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    templates_dir: Path,
    *,
    contacts: Mapping[str, str] | None = None,
) -> bytes:
    """The submission as a Word document."""
    context = build_context(form, answers, reference, submitted_at, contacts)
    return render_docx_bytes(templates_dir / form.documents.docx, context)


def _pdf_and_docx(
    templates: Documents, context: dict[str, Any], templates_dir: Path, created: str
) -> tuple[bytes, bytes]:
    html = _html(templates.pdf, context, templates_dir)
    pdf = html_to_pdf(html, templates_dir, templates.pdf, created=created)
    return pdf, render_docx_bytes(templates_dir / templates.docx, context)


def render_documents(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    templates_dir: Path,
    *,
    contacts: Mapping[str, str] | None = None,
) -> RenderedDocuments:
    """Every document, from one context: the record, and the family's plan if declared.

    ``contacts`` (``settings.contacts``: ``level4_phone``,
    ``level4_out_of_hours_phone``, ``level4_email``) fill the family plan's
    "If you are worried about a child's safety" section.
    """
    context = build_context(form, answers, reference, submitted_at, contacts)
    created = created_date(submitted_at)
    pdf, docx = _pdf_and_docx(form.documents, context, templates_dir, created)
    if form.family_plan is None:
        return RenderedDocuments(pdf=pdf, docx=docx)
    family_pdf, family_docx = _pdf_and_docx(form.family_plan, context, templates_dir, created)
    return RenderedDocuments(pdf=pdf, docx=docx, family_pdf=family_pdf, family_docx=family_docx)
