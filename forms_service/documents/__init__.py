"""Documents: a submission rendered as PDF and DOCX (no Flask in here)."""

from .checks import check_template_variables
from .context import build_context
from .fetcher import BundledAssetFetcher, FetchDenied
from .pipeline import (
    RenderedDocuments,
    render_documents,
    render_docx,
    render_family_plan_html,
    render_html,
    render_pdf,
)

__all__ = [
    "BundledAssetFetcher",
    "FetchDenied",
    "RenderedDocuments",
    "build_context",
    "check_template_variables",
    "render_documents",
    "render_docx",
    "render_family_plan_html",
    "render_html",
    "render_pdf",
]
