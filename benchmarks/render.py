"""Document rendering: the service's PDF and DOCX against the alternatives, in one run.

For the ``ehfsa-8`` fixture each iteration renders the same document four
ways, interleaved so background load hits every contender alike:

* ``service``: ``DocumentRenderer.pdf`` (Jinja HTML + WeasyPrint with the cached CSS,
  fonts and fetcher), PDF/UA-1, exactly what the delivery worker runs;
* ``naive-weasyprint``: the same HTML, with ``print.css`` inlined as a
  ``<style>`` (so it is the same document), rendered with
  ``HTML(string=…).write_pdf(pdf_variant="pdf/ua-1")``: no cached CSS, a new
  font configuration every time, WeasyPrint's default fetcher;
* ``chromium-cli``: that same self-contained HTML printed by
  ``chromium --headless --print-to-pdf`` (one process per document, a warm
  profile directory), the command line the issue names;
* ``chromium``: the same HTML printed by headless Chromium kept running,
  driven over CDP with Playwright (``page.set_content`` + ``page.pdf``), as
  Gotenberg does: Chromium's best case;
* ``libreoffice``: the service's own DOCX converted by
  ``soffice --headless --convert-to pdf`` (one process per document, a warm
  user profile), as docassemble does.

Then the service's PDF and DOCX alone for every fixture.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forms_service.documents import DocumentRenderer, SubmissionRecord
from forms_service.documents.pdf import PDF_OPTIONS, SHARED_CSS
from tests.factories import CONTACTS, REFERENCE, SUBMITTED_AT, TEMPLATES

from .fixtures import Fixture
from .stats import summary


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return (time.perf_counter() - start) * 1000, result


def pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def self_contained_html(html: str) -> str:
    """The service's HTML with ``print.css`` inlined: one file any renderer can take."""
    css = (TEMPLATES / SHARED_CSS).read_text(encoding="utf-8")
    return html.replace("</head>", f"<style>\n{css}\n</style>\n</head>", 1)


def naive_weasyprint(doc: str) -> bytes:
    from weasyprint import HTML

    options = {k: v for k, v in PDF_OPTIONS.items() if k != "uncompressed_pdf"}
    pdf = HTML(string=doc, base_url=TEMPLATES.resolve().as_uri() + "/").write_pdf(**options)
    assert isinstance(pdf, bytes)
    return pdf


class Chromium:
    """Headless Chromium kept running; prints HTML to PDF over CDP (the Gotenberg path)."""

    def __init__(self, executable: str) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        self._page = self._browser.new_page()

    def pdf(self, doc: str) -> bytes:
        self._page.set_content(doc, wait_until="load")
        return self._page.pdf(prefer_css_page_size=True, print_background=True, tagged=True)

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()


class ChromiumCli:
    """``chromium --headless --print-to-pdf`` of an HTML file, one process per document."""

    def __init__(self, executable: str, workdir: Path) -> None:
        self.executable = executable
        self.workdir = workdir
        self.profile = workdir / "chromium-profile"

    def pdf(self, doc: str) -> bytes:
        source = self.workdir / "record.html"
        source.write_text(doc, encoding="utf-8")
        out = self.workdir / "chromium.pdf"
        subprocess.run(
            [
                self.executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={self.profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return out.read_bytes()


class LibreOffice:
    """``soffice --headless --convert-to pdf`` of a DOCX, one process per document."""

    def __init__(self, soffice: str, workdir: Path) -> None:
        self.soffice = soffice
        self.workdir = workdir
        self.profile = (workdir / "profile").as_uri()

    def pdf(self, docx: bytes) -> bytes:
        source = self.workdir / "record.docx"
        source.write_bytes(docx)
        out = self.workdir / "out"
        subprocess.run(
            [
                self.soffice,
                f"-env:UserInstallation={self.profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return (out / "record.pdf").read_bytes()


def compare_pdf(fx: Fixture, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Service vs naive WeasyPrint vs Chromium vs LibreOffice on one fixture."""

    renderer = DocumentRenderer(TEMPLATES, CONTACTS)
    record = SubmissionRecord(fx.form, fx.answers, REFERENCE, SUBMITTED_AT)

    def service() -> bytes:
        return renderer.pdf(record)

    doc = self_contained_html(renderer.html(record))
    docx = renderer.docx(record)
    contenders: dict[str, Callable[[], bytes]] = {
        "service": service,
        "naive-weasyprint": lambda: naive_weasyprint(doc),
    }
    notes: dict[str, str] = {}
    chromium = None
    tmp = tempfile.TemporaryDirectory(prefix="bench-lo-")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if Path(executable).exists():
        cli = ChromiumCli(executable, Path(tmp.name))
        contenders["chromium-cli"] = lambda: cli.pdf(doc)
        try:
            chromium = Chromium(executable)
            contenders["chromium"] = lambda: chromium.pdf(doc)  # type: ignore[union-attr]
        except Exception as exc:  # reported, not fatal
            notes["chromium"] = f"not measured: {exc}"
    else:
        notes["chromium"] = "not measured: /usr/bin/chromium missing"
    soffice = shutil.which("soffice")
    if soffice:
        office = LibreOffice(soffice, Path(tmp.name))
        contenders["libreoffice"] = lambda: office.pdf(docx)
    else:
        notes["libreoffice"] = "not measured: no soffice (libreoffice-writer-nogui)"
    times: dict[str, list[float]] = {name: [] for name in contenders}
    page_counts: dict[str, int] = {}
    sizes: dict[str, int] = {}
    try:
        for name, work in contenders.items():  # warm-up (first LibreOffice run makes its profile)
            pdf = work()
            page_counts[name], sizes[name] = pages(pdf), len(pdf)
        for i in range(runs):
            for name, work in contenders.items():
                times[name].append(_timed(work)[0])
            if (i + 1) % 10 == 0:
                log(f"  pdf comparison: {i + 1}/{runs} rounds")
    finally:
        if chromium is not None:
            chromium.close()
        tmp.cleanup()
    results: dict[str, Any] = {
        name: {**summary(samples), "pages": page_counts[name], "bytes": sizes[name]}
        for name, samples in times.items()
    }
    base = results["service"]["median_ms"]
    ratios = {
        f"service/{name}": round(base / r["median_ms"], 3)
        for name, r in results.items()
        if name != "service"
    }
    return {
        "fixture": fx.name,
        "runs": runs,
        "contenders": results,
        "ratios": ratios,
        "notes": notes,
    }


def service_documents(fx: Fixture, pdf_runs: int, docx_runs: int) -> dict[str, Any]:
    """The service's own PDF and DOCX times for one fixture."""
    renderer = DocumentRenderer(TEMPLATES, CONTACTS)
    record = SubmissionRecord(fx.form, fx.answers, REFERENCE, SUBMITTED_AT)

    def pdf() -> bytes:
        return renderer.pdf(record)

    def docx() -> bytes:
        return renderer.docx(record)

    first_pdf, first_docx = pdf(), docx()  # warm-up
    pdf_times = [_timed(pdf)[0] for _ in range(pdf_runs)]
    docx_times = [_timed(docx)[0] for _ in range(docx_runs)]
    return {
        "fixture": fx.name,
        "pdf": {**summary(pdf_times), "pages": pages(first_pdf), "bytes": len(first_pdf)},
        "docx": {**summary(docx_times), "bytes": len(first_docx)},
    }
