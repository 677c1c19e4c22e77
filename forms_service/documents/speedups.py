"""The speed-ups that reach into WeasyPrint's and docxtpl's internals, in one place.

Each overrides a hook the library does not document (``HTML._ua_stylesheets``,
``DocxTemplate.patch_xml``, and docxtpl's habit of calling ``from_string`` on
its Jinja environment for every part), so a library upgrade may change or
remove it. That is why they live here together, each with the benchmark that
pays for it (``benchmarks/README.md``, "What was changed for speed, and why";
figures in ``benchmarks/results/``), and why each has a test that fails if it
ever changes the document rather than the time: ``tests/unit/test_print_ua.py``
requires byte-identical PDFs with and without the lean stylesheet, and the
document tests read every DOCX back. If an upgrade breaks one, deleting it
costs only speed.

Everything else ``pdf.py`` and ``docx.py`` cache (parsed ``CSS``, the shared
``FontConfiguration``, template bytes) uses public API and stays there.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, Template
from weasyprint import CSS, HTML

from .jinja import make_environment

_lock = threading.Lock()

# --------------------------------------------------------------------------- PDF
# A lean user-agent stylesheet. WeasyPrint matches its whole HTML stylesheet
# (forms, bidi, legacy tags: ~100 attribute and :is() selectors) against every
# element; on the ehfsa-8 fixture that cascade was ~45 % of HTML.render.
# print_ua.css keeps WeasyPrint's rules verbatim for the elements our print
# templates use. Benchmark: the service PDF ~30 % faster (benchmarks/README.md,
# "A lean user-agent stylesheet"; commit 3fc4cae); results/2026-11-24.json has
# the service at 272 ms median against 388 ms for naive WeasyPrint on the same
# HTML.

LEAN_UA = Path(__file__).with_name("print_ua.css")
#: The elements ``print_ua.css`` styles exactly as WeasyPrint's own stylesheet does.
LEAN_UA_ELEMENTS = frozenset(
    """
    html head title meta link style script template body
    header main footer section article aside nav div p address blockquote figure figcaption
    h1 h2 h3 h4 h5 h6 hr pre ul ol li dl dt dd
    table caption colgroup col thead tbody tfoot tr th td
    span strong b em i small sub sup code abbr br
    """.split()
)
#: Attributes WeasyPrint's full stylesheet gives meaning that ``print_ua.css`` does not.
FULL_UA_ATTRIBUTES = frozenset({"dir", "rules", "frame"})
_HTML_NS = "{http://www.w3.org/1999/xhtml}"
_lean_ua: CSS | None = None


def lean_ua_stylesheet() -> CSS:
    """``print_ua.css``, parsed once per process."""
    global _lean_ua
    with _lock:
        if _lean_ua is None:
            _lean_ua = CSS(string=LEAN_UA.read_text(encoding="utf-8"))
        return _lean_ua


def lean_ua_covers(root: Any) -> bool:
    """True when every element under ``root`` is one ``print_ua.css`` styles fully."""
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        if tag.startswith(_HTML_NS):  # parsers differ: tinyhtml5 leaves HTML tags bare
            tag = tag[len(_HTML_NS) :]
        if tag not in LEAN_UA_ELEMENTS:
            return False
        if FULL_UA_ATTRIBUTES.intersection(element.attrib):
            return False
    return True


class PrintHTML(HTML):
    """An ``HTML`` document styled by ``print_ua.css`` when that covers it.

    A document with any other element (or a ``dir``, ``rules`` or ``frame``
    attribute) gets WeasyPrint's full stylesheet: correct, only slower.
    """

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        if not forms and lean_ua_covers(self.etree_element):
            return [lean_ua_stylesheet()]
        return list(super()._ua_stylesheets(forms))


# --------------------------------------------------------------------------- DOCX
# docxtpl re-does the same work on every render: it cleans each part's XML with
# a dozen regular expressions (patch_xml) and compiles the result, and each core
# property, as a new Jinja template (from_string). Both depend only on the
# template file, so both are kept per process, keyed by the exact source text
# (a changed template is never served stale) and bounded. Benchmark: DOCX
# ~57 ms -> ~25 ms median on ehfsa-8 (benchmarks/README.md, "DOCX";
# results/2026-11-24-after.json: 23.7 ms median).

#: ``patch_xml`` results by source XML (per template part, so a handful).
_patched: dict[str, str] = {}
#: Compiled Jinja templates by source text (body, headers, footers, properties).
_compiled: dict[str, Template] = {}
_MAX_ENTRIES = 256  # a bound, in case templates are edited while running


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


#: The Jinja environment every DOCX render uses (pass it as ``jinja_env``).
docx_environment = _make_docx_environment()


class CachingDocxTemplate(DocxTemplate):
    """A ``DocxTemplate`` that reuses the cleaned XML of parts it has seen."""

    def patch_xml(self, src_xml: str) -> str:
        cached = _patched.get(src_xml)
        if cached is None:
            cached = super().patch_xml(src_xml)
            _remember(_patched, src_xml, cached)
        return cached
