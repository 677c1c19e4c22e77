"""Context → DOCX with docxtpl.

The template file's bytes are read once and kept in memory; every render opens
a fresh ``DocxTemplate`` over them (a ``DocxTemplate`` is stateful and cannot
be rendered twice). Rendering always autoescapes (docxtpl's default is off)
and the context is cleaned of XML-illegal characters first, which would
otherwise corrupt ``word/document.xml``. Line breaks in answers become Word
line breaks: docxtpl turns ``\\n`` inside rendered text into ``<w:br/>``.

docxtpl's own per-render work on the template (cleaning its XML, compiling
it and each core property) is done once per process by ``speedups.py``: a
render then only loads the package, runs the compiled template and saves.
"""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path
from typing import Any

from .context import clean_strings
from .speedups import CachingDocxTemplate, docx_environment

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


def render_docx_bytes(template_path: Path, context: dict[str, Any]) -> bytes:
    """Render the DOCX template at ``template_path`` with ``context``."""
    document = CachingDocxTemplate(BytesIO(template_bytes(template_path)))
    document.render(clean_strings(context), jinja_env=docx_environment, autoescape=True)
    out = BytesIO()
    document.save(out)
    return out.getvalue()
