"""Documents: a submission rendered as PDF and DOCX (no Flask in here)."""

from .checks import check_template_variables
from .context import build_context
from .fetcher import BundledAssetFetcher, FetchDenied
from .renderer import (
    DocumentFile,
    DocumentRenderer,
    RenderedDocuments,
    SubmissionRecord,
    document_slugs,
)

__all__ = [
    "BundledAssetFetcher",
    "DocumentFile",
    "DocumentRenderer",
    "FetchDenied",
    "RenderedDocuments",
    "SubmissionRecord",
    "build_context",
    "check_template_variables",
    "document_slugs",
]
