"""HTML → PDF with WeasyPrint: cached stylesheets and fonts, a locked-down fetcher.

Per templates directory the module keeps one ``FontConfiguration`` and the
pre-parsed ``CSS`` objects (``shared/print.css`` plus the form's own
``print.css`` next to its ``pdf.html``, if there is one), so a render parses
only the HTML. A document is a ``speedups.PrintHTML``, styled by a lean
user-agent stylesheet when that covers it (see ``speedups.py``). Output is
PDF/UA-1 (tagged, with ``lang`` and a title from the HTML). Bytes are reproducible: the only
date in the file is the submission time (or ``SOURCE_DATE_EPOCH`` when set).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from .fetcher import BundledAssetFetcher
from .speedups import PrintHTML

SHARED_DIR = "shared"
SHARED_CSS = "shared/print.css"
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_identifier": False, "uncompressed_pdf": False}

_lock = threading.Lock()
_fonts: dict[Path, FontConfiguration] = {}
_css: dict[Path, CSS | None] = {}


def assets_dir(templates_dir: Path) -> Path:
    """Where bundled assets live; the only files a render may read."""
    return (templates_dir / SHARED_DIR).resolve()


def font_config(templates_dir: Path) -> FontConfiguration:
    """The one ``FontConfiguration`` shared by every render from ``templates_dir``."""
    key = templates_dir.resolve()
    with _lock:
        if key not in _fonts:
            _fonts[key] = FontConfiguration()
        return _fonts[key]


def _stylesheet(templates_dir: Path, path: Path) -> CSS | None:
    """``path`` parsed once (``None`` when there is no such file)."""
    key = path.resolve()
    with _lock:
        if key in _css:
            return _css[key]
    css = None
    if path.is_file():
        css = CSS(
            string=path.read_text(encoding="utf-8"),
            base_url=path.resolve().as_uri(),
            url_fetcher=BundledAssetFetcher(assets_dir(templates_dir)),
            font_config=font_config(templates_dir),
        )
    with _lock:
        _css[key] = css
    return css


def stylesheets(templates_dir: Path, template_name: str) -> list[CSS]:
    """The shared print stylesheet, then the form's own ``print.css`` if present."""
    own = (templates_dir / template_name).parent / "print.css"
    found = [_stylesheet(templates_dir, templates_dir / SHARED_CSS)]
    if own.resolve() != (templates_dir / SHARED_CSS).resolve():
        found.append(_stylesheet(templates_dir, own))
    return [css for css in found if css is not None]


def created_date(submitted_at: dt.datetime) -> str:
    """The PDF creation date: ``SOURCE_DATE_EPOCH`` if set, else the submission time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    else:
        when = submitted_at if submitted_at.tzinfo else submitted_at.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def html_to_pdf(
    html: str,
    templates_dir: Path,
    template_name: str,
    *,
    created: str | None = None,
    url_fetcher: BundledAssetFetcher | None = None,
) -> bytes:
    """Render an HTML string produced from ``template_name`` to PDF bytes.

    ``created`` (W3C date-time) becomes the PDF's creation and modification
    date; ``url_fetcher`` lets a test pass a spy (a fresh one is used otherwise).
    """
    fetcher = url_fetcher or BundledAssetFetcher(assets_dir(templates_dir))
    document = PrintHTML(
        string=html,
        base_url=templates_dir.resolve().as_uri() + "/",
        url_fetcher=fetcher,
    ).render(
        font_config=font_config(templates_dir),
        stylesheets=stylesheets(templates_dir, template_name),
        **PDF_OPTIONS,
    )
    if created:
        document.metadata.created = created
        document.metadata.modified = created
    pdf = document.write_pdf(**PDF_OPTIONS)
    assert isinstance(pdf, bytes)
    return pdf
