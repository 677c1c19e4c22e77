"""Read generated documents back as text, the way a person would see them."""

from __future__ import annotations

import io
import re

import docx
import pypdf


def pdf_text(data: bytes) -> str:
    """Every page's text, in order."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Collapse white space, so wrapped PDF lines compare equal to the answer."""
    return re.sub(r"\s+", " ", text)


def docx_text(data: bytes) -> str:
    """Paragraphs, then every table cell, then the footers."""
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)
