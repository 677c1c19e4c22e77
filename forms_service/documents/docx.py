"""Context → DOCX with docxtpl.

The template file's bytes are read once and kept in memory; every render opens
a fresh ``DocxTemplate`` over them (a ``DocxTemplate`` is stateful and cannot
be rendered twice). Rendering always autoescapes (docxtpl's default is off)
and the context is cleaned of XML-illegal characters first, which would
otherwise corrupt ``word/document.xml``. Line breaks in answers become Word
line breaks: docxtpl turns ``\\n`` inside rendered text into ``<w:br/>``.

docxtpl re-does the same work for every render: it cleans the template's XML
with a dozen regular expressions (``patch_xml``) and compiles the result, and
each core property, as a new Jinja template (``from_string``). Both depend
only on the template file, so both are kept per process (keyed by the exact
source text, so a changed template is never served stale): a render then only
loads the package, runs the compiled template and saves.
"""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, Template

from .context import clean_strings
from .jinja import make_environment

_lock = threading.Lock()
_templates: dict[Path, bytes] = {}
#: ``patch_xml`` results by source XML (per template part, so a handful).
_patched: dict[str, str] = {}
#: Compiled Jinja templates by source text (body, headers, footers, properties).
_compiled: dict[str, Template] = {}
_MAX_ENTRIES = 256  # a bound, in case templates are edited while running


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


def _remember(cache: dict[str, Any], key: str, value: Any) -> None:
    with _lock:
        if len(cache) >= _MAX_ENTRIES:
            cache.clear()
        cache[key] = value


class _CachingEnvironment(Environment):
    """The document environment, with ``from_string`` compiled once per source text."""

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        cached = _compiled.get(source)
        if cached is None:
            cached = super().from_string(source)
            _remember(_compiled, source, cached)
        return cached


def _make_docx_environment() -> Environment:
    """``make_environment(None)`` (autoescaping, strict), as a caching environment."""
    base = make_environment(None)
    env = _CachingEnvironment()
    for name in (
        "autoescape",
        "undefined",
        "auto_reload",
        "keep_trailing_newline",
        "trim_blocks",
        "lstrip_blocks",
        "newline_sequence",
        "optimized",
        "finalize",
    ):
        setattr(env, name, getattr(base, name))
    env.filters.update(base.filters)
    env.tests.update(base.tests)
    env.globals.update(base.globals)
    return env


_environment = _make_docx_environment()


class _Template(DocxTemplate):
    """A ``DocxTemplate`` that reuses the cleaned XML of parts it has seen."""

    def patch_xml(self, src_xml: str) -> str:
        cached = _patched.get(src_xml)
        if cached is None:
            cached = super().patch_xml(src_xml)
            _remember(_patched, src_xml, cached)
        return cached


def render_docx_bytes(template_path: Path, context: dict[str, Any]) -> bytes:
    """Render the DOCX template at ``template_path`` with ``context``."""
    document = _Template(BytesIO(template_bytes(template_path)))
    document.render(clean_strings(context), jinja_env=_environment, autoescape=True)
    out = BytesIO()
    document.save(out)
    return out.getvalue()
