"""The documents stage: a validated submission → PDF bytes and DOCX bytes.

Plain functions with no Flask: the web worker, a CLI and a queue worker call
them the same way. Which templates to use comes from the form file's
``documents:`` entry, so a new form needs no code here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..definitions.model import FormDefinition
from .context import build_context
from .docx import render_docx_bytes
from .fetcher import BundledAssetFetcher
from .jinja import environment
from .pdf import created_date, html_to_pdf


@dataclass(frozen=True)
class RenderedDocuments:
    """Both documents for one submission."""

    pdf: bytes
    docx: bytes


def render_html(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    templates_dir: Path,
) -> str:
    """The HTML the PDF is made from (autoescaped; useful for snapshot tests)."""
    context = build_context(form, answers, reference, submitted_at)
    return _html(form, context, templates_dir)


def _html(form: FormDefinition, context: dict[str, Any], templates_dir: Path) -> str:
    template = environment(templates_dir.resolve()).get_template(form.documents.pdf)
    return template.render(context)


def render_pdf(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    templates_dir: Path,
    *,
    url_fetcher: BundledAssetFetcher | None = None,
) -> bytes:
    """The submission as a PDF/UA-1 document."""
    html = render_html(form, answers, reference, submitted_at, templates_dir)
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
) -> bytes:
    """The submission as a Word document."""
    context = build_context(form, answers, reference, submitted_at)
    return render_docx_bytes(templates_dir / form.documents.docx, context)


def render_documents(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reference: str,
    submitted_at: dt.datetime,
    templates_dir: Path,
) -> RenderedDocuments:
    """Both documents, from one context."""
    context = build_context(form, answers, reference, submitted_at)
    html = _html(form, context, templates_dir)
    pdf = html_to_pdf(html, templates_dir, form.documents.pdf, created=created_date(submitted_at))
    docx = render_docx_bytes(templates_dir / form.documents.docx, context)
    return RenderedDocuments(pdf=pdf, docx=docx)
