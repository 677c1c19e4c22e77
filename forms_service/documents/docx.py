"""Context → DOCX with docxtpl.

The template file's bytes are read once and kept in memory; every render opens
a fresh ``DocxTemplate`` over them (a ``DocxTemplate`` is stateful and cannot
be rendered twice). Rendering always autoescapes (docxtpl's default is off)
and the context is cleaned of XML-illegal characters first, which would
otherwise corrupt ``word/document.xml``. Line breaks in answers become Word
line breaks: docxtpl turns ``\\n`` inside rendered text into ``<w:br/>``.
"""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate

from .context import clean_strings
from .jinja import environment

_lock = threading.Lock()
_templates: dict[Path, bytes] = {}


def template_bytes(path: Path) -> bytes:
    """The bytes of the template at ``path``, read once per process."""
    key = path.resolve()
    with _lock:
        cached = _templates.get(key)
    if cached is None:
        cached = key.read_bytes()
        with _lock:
            _templates[key] = cached
    return cached


def clear_cache() -> None:
    """Forget cached template bytes (after a council replaces a .docx)."""
    with _lock:
        _templates.clear()


def render_docx_bytes(template_path: Path, context: dict[str, Any]) -> bytes:
    """Render the DOCX template at ``template_path`` with ``context``."""
    document = DocxTemplate(BytesIO(template_bytes(template_path)))
    document.render(clean_strings(context), jinja_env=environment(None), autoescape=True)
    out = BytesIO()
    document.save(out)
    return out.getvalue()
