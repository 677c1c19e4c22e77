"""The documents stage with the real libraries: WeasyPrint, docxtpl, pypdf, python-docx."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest
from lxml import etree
from markupsafe import escape

from forms_service.definitions.model import (
    Condition,
    Documents,
    Field,
    FormDefinition,
    Option,
    Page,
)
from forms_service.documents import (
    BundledAssetFetcher,
    DocumentRenderer,
    FetchDenied,
    SubmissionRecord,
    build_context,
)
from forms_service.documents.context import NOT_APPLICABLE
from forms_service.documents.pdf import assets_dir, html_to_pdf
from forms_service.formats import format_datetime
from tests import factories as fx
from tests.readback import docx_text, flat, pdf_text


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def weasyprint_warnings() -> Iterator[list[logging.LogRecord]]:
    """Records WeasyPrint warnings; the test decides whether any are allowed."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def no_weasyprint_warnings(weasyprint_warnings: list[logging.LogRecord]) -> Iterator[None]:
    """Fail the test if WeasyPrint logged a warning or an error."""
    yield
    assert [r.getMessage() for r in weasyprint_warnings] == []


def ehfsa_answers() -> dict[str, Any]:
    """The EHFSA answers as on the day the documents below were written (their dates)."""
    return fx.ehfsa_answers(today=fx.DOCUMENT_DAY)


@pytest.fixture(scope="module")
def form() -> FormDefinition:
    return fx.form("ehfsa")


@pytest.fixture(scope="module")
def documents(form: FormDefinition) -> Any:
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        rendered = DocumentRenderer(fx.TEMPLATES).render(
            SubmissionRecord(form, ehfsa_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
        )
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == []
    return rendered


def docx_cells(data: bytes) -> dict[str, str]:
    """Label → value for every two-column row (last one wins)."""
    document = docx.Document(io.BytesIO(data))
    pairs: dict[str, str] = {}
    for table in document.tables:
        for row in table.rows:
            if len(row.cells) == 2:
                pairs[row.cells[0].text] = row.cells[1].text
    return pairs


def document_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("word/document.xml")


def all_values(context: dict[str, Any]) -> Iterator[str]:
    for section in context["sections"]:
        for row in section["rows"]:
            yield row["value"]
        for table in section["tables"]:
            for cells in table["rows"]:
                yield from cells
            for entry in table["entries"]:
                yield entry["heading"]
                for row in entry["rows"]:
                    yield row["value"]


# --- context -----------------------------------------------------------------


def test_sections_follow_the_form_pages(form: FormDefinition) -> None:
    context = build_context(form, ehfsa_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    assert [s["title"] for s in context["sections"]] == [p.title for p in form.pages]
    assert context["form"] == {
        "id": "ehfsa",
        "version": 1,
        "title": form.title,
        "short_title": form.short_title,
    }
    assert context["submitted_at"] == "24 November 2026 at 2:05pm"


def test_values_are_human_strings(form: FormDefinition) -> None:
    context = build_context(form, ehfsa_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    sections = {s["title"]: s for s in context["sections"]}
    gate = {r["label"]: r["value"] for r in sections["Before you start"]["rows"]}
    assert gate["Is a child in immediate danger?"] == "No"
    about = {r["label"]: r["value"] for r in sections["About you"]["rows"]}
    assert about["Type of organisation"] == "School or college"
    assert "Your manager's phone number or email (optional)" not in about
    assert about["Your manager's name"] == "Tom Fairweather"
    assert about["Optional questions not answered"] == "Your manager's phone number or email"
    assert sections["About you"]["rows"][-1]["blank"] is True
    consent = {r["label"]: r["value"] for r in sections["Consent and information sharing"]["rows"]}
    assert consent["Date consent was given"] == "20 November 2026"
    assert consent["How was consent given?"] == "Verbally"
    declaration = sections["Declaration"]["rows"][0]["value"]
    assert declaration == "Confirmed"

    family = sections["Everyone in the family"]
    assert family["rows"] == []
    (table,) = family["tables"]
    assert table["columns"] == [
        "First name",
        "Last name",
        "Who is this person in the family?",
        "Date of birth",
        "Relationship to the main child",
    ]
    assert len(table["rows"]) == 6
    assert table["rows"][2][3] == NOT_APPLICABLE  # the unborn baby has no date of birth
    headings = [e["heading"] for e in table["entries"]]
    assert headings[1] == "Family member 2: Amara Okonkwo-Smith"
    unborn = {r["label"]: r["value"] for r in table["entries"][2]["rows"]}
    assert "Date of birth" not in unborn  # hidden by show_if, so omitted
    assert unborn["When is the baby due?"] == "14 March 2027"
    kayden = {r["label"]: r["value"] for r in table["entries"][0]["rows"]}
    assert "When is the baby due?" not in kayden
    assert "Date of birth" not in kayden  # a summary column, not repeated
    assert table["rows"][0][3] == "3 March 2016"
    assert kayden["Ethnicity"] == "White and Black African"  # "(optional)" dropped
    assert "Where do they live?" not in kayden
    needs = sections["The family's needs"]["tables"][0]
    assert [e["heading"] for e in needs["entries"]] == [
        "Need 1: Getting a good education",
        "Need 2: Financial stability",
    ]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2026, 11, 24, 14, 5, tzinfo=dt.UTC), "24 November 2026 at 2:05pm"),
        (dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC), "2 July 2026 at 12:30am"),
        (dt.datetime(2026, 3, 29, 0, 59), "29 March 2026 at 12:59am"),
        (dt.datetime(2026, 3, 29, 1, 0), "29 March 2026 at 2:00am"),
    ],
)
def test_submitted_at_is_london_time(moment: dt.datetime, expected: str) -> None:
    assert format_datetime(moment) == expected


def test_any_form_works_with_the_generic_record(no_weasyprint_warnings: None) -> None:
    """A form that is not the EHFSA, using the shared templates: no code needed."""
    colour = Field(
        name="colours",
        type="multi_choice",
        label="Favourite colours",
        options=(Option("r", "Red"), Option("g", "Green"), Option("b", "Blue")),
    )
    group = Field(
        name="about",
        type="group",
        label="About",
        fields=(
            Field(name="pets", type="yes_no", label="Any pets?"),
            Field(
                name="pet_names",
                type="long_text",
                label="Pet names",
                show_if=Condition(field="pets", equals=True),
            ),
        ),
    )
    form = FormDefinition(
        id="tiny",
        version=3,
        title="A tiny form",
        short_title="Tiny request",
        reference_prefix="TY",
        description=(),
        pages=(
            Page(id="one", title="Page one", fields=(colour, group)),
            Page(
                id="two",
                title="Only for pet owners",
                fields=(Field(name="vet", type="text", label="Vet"),),
                show_if=Condition(field="colours", includes="zzz"),
            ),
        ),
        documents=Documents(pdf="shared/base.html", docx="shared/record.docx"),
    )
    answers = {"colours": ["r", "b"], "about": {"pets": False}}
    docs = DocumentRenderer(fx.TEMPLATES).render(
        SubmissionRecord(form, answers, "TY-1", fx.SUBMITTED_AT)
    )
    text = flat(pdf_text(docs.pdf))
    assert "Red, Blue" in text
    assert "Only for pet owners" not in text
    assert "Pet names" not in text
    cells = docx_cells(docs.docx)
    assert cells["Favourite colours"] == "Red, Blue"
    assert cells["Any pets?"] == "No"
    assert "Pet names" not in cells


# --- the PDF -----------------------------------------------------------------


def test_pdf_contains_the_whole_family(documents: Any, form: FormDefinition) -> None:
    text = flat(pdf_text(documents.pdf))
    assert fx.REFERENCE in text
    assert "24 November 2026 at 2:05pm" in text
    assert "OFFICIAL-SENSITIVE" in text
    assert "Page 1 of" in text
    for person in fx.household(today=fx.DOCUMENT_DAY):
        assert person["first_name"] in text
        assert person["last_name"] in text
    for page in form.pages:
        assert flat(page.title) in text


#: How the EHFSA's numbers are stored, and how a reader must see them.
READABLE_NUMBERS = {
    "+441134960001": "0113 496 0001",  # the referrer's phone
    "+441134960123": "0113 496 0123",  # the family's phone
    "+441134960777": "0113 496 0777",  # the school nurse's, in a list
    "9434765919": "943 476 5919",  # Kayden's NHS number
}


def test_pdf_prints_numbers_as_people_write_them(documents: Any) -> None:
    text = flat(pdf_text(documents.pdf))
    for stored, readable in READABLE_NUMBERS.items():
        assert readable in text
        assert stored not in text


def test_pdf_header_names_the_lead_child_and_their_age(documents: Any) -> None:
    """Born 3 March 2016, sent 24 November 2026: ten, and named before the reference."""
    text = flat(pdf_text(documents.pdf))
    assert "Child Kayden, 10 years old" in text
    assert text.index("Kayden, 10 years old") < text.index(fx.REFERENCE)


def test_the_lead_childs_age_is_on_the_day_the_form_was_sent(form: FormDefinition) -> None:
    """A record printed years later still says how old the child was when it was written."""
    sent = dt.datetime(2020, 3, 2, 23, 30, tzinfo=dt.UTC)  # the day before the 4th birthday
    assert (
        build_context(form, ehfsa_answers(), fx.REFERENCE, sent)["child"] == "Kayden, 3 years old"
    )
    birthday = dt.datetime(2020, 3, 3, 0, 30, tzinfo=dt.UTC)
    assert (
        build_context(form, ehfsa_answers(), fx.REFERENCE, birthday)["child"]
        == "Kayden, 4 years old"
    )


def test_a_form_without_a_lead_child_has_no_child_in_its_header(form: FormDefinition) -> None:
    answers = ehfsa_answers()
    answers["household"] = [p for p in answers["household"] if p["role"] != "lead_child"]
    assert build_context(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)["child"] == ""


def test_pdf_is_tagged_pdf_ua_with_title_and_language(documents: Any) -> None:
    reader = pypdf.PdfReader(io.BytesIO(documents.pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == f"Early Help Family Support Assessment \u2013 {fx.REFERENCE}"
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data()
    assert b"pdfuaid:part" in xmp
    assert "/EmbeddedFiles" not in root.get("/Names", {})


def test_pdf_keeps_line_breaks(documents: Any) -> None:
    text = pdf_text(documents.pdf)
    assert "Riverside Primary School\n1 School Lane\nNorthtown NT1 1AA" in text
    assert "Autism diagnosis (2022).\nEHC plan in place since Year 2." in text


def test_pdf_bytes_are_reproducible(form: FormDefinition, documents: Any) -> None:
    again = DocumentRenderer(fx.TEMPLATES).pdf(
        SubmissionRecord(form, ehfsa_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert again == documents.pdf


def test_source_date_epoch_sets_the_pdf_date(
    form: FormDefinition, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    data = DocumentRenderer(fx.TEMPLATES).pdf(
        SubmissionRecord(form, ehfsa_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    )
    metadata = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert metadata is not None
    assert metadata["/CreationDate"] == "D:20231114221320Z"


# --- the DOCX ----------------------------------------------------------------


def test_docx_shows_every_answer(documents: Any, form: FormDefinition) -> None:
    text = docx_text(documents.docx)
    assert fx.REFERENCE in text
    assert "24 November 2026 at 2:05pm" in text
    for person in fx.household(today=fx.DOCUMENT_DAY):
        assert person["first_name"] in text
        assert person["last_name"] in text
    context = build_context(form, ehfsa_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    missing = [value for value in all_values(context) if value not in text]
    assert missing == []
    document = docx.Document(io.BytesIO(documents.docx))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [page.title for page in form.pages]
    cells = docx_cells(documents.docx)
    assert cells["Work address"] == "Riverside Primary School\n1 School Lane\nNorthtown NT1 1AA"
    summary = next(t for t in document.tables if t.rows[0].cells[0].text == "First name")
    assert len(summary.rows) == 7
    assert len(summary.columns) == 5
    assert [c.text for c in summary.rows[3].cells] == [
        "Unborn",
        "Okonkwo-Smith",
        "An unborn baby",
        NOT_APPLICABLE,
        "Sibling (unborn)",
    ]


def test_docx_prints_numbers_as_people_write_them(documents: Any) -> None:
    text = docx_text(documents.docx)
    for stored, readable in READABLE_NUMBERS.items():
        assert readable in text
        assert stored not in text


def test_docx_header_names_the_lead_child_and_their_age(documents: Any) -> None:
    paragraphs = [p.text for p in docx.Document(io.BytesIO(documents.docx)).paragraphs]
    assert "Child: Kayden, 10 years old" in paragraphs
    assert paragraphs.index("Child: Kayden, 10 years old") < paragraphs.index(
        f"Reference: {fx.REFERENCE}"
    )


def test_docx_has_no_leftover_template_tags(documents: Any) -> None:
    xml = document_xml(documents.docx).decode()
    assert "{{" not in xml
    assert "{%" not in xml


@pytest.mark.parametrize(
    "name", ["shared/record.docx", "shared/family_plan.docx", "ehfsa/ehfsa.docx"]
)
def test_docx_templates_carry_no_unused_bulk(name: str) -> None:
    """Every render parses and re-zips each part: python-docx's unused 800 KB stays out."""
    with zipfile.ZipFile(fx.TEMPLATES / name) as package:
        names = set(package.namelist())
        styles = package.read("word/styles.xml")
    assert "word/stylesWithEffects.xml" not in names
    assert not any(n.startswith("docProps/thumbnail") for n in names)
    assert styles.count(b'w:type="table"') <= 2  # the default table style and Table Grid
    assert b'w:styleId="Heading3"' in styles  # paragraph styles stay for editors


# --- hostile values ----------------------------------------------------------

HOSTILE = {
    "jinja": "{{ 7*7 }}",
    "block": "{% for x in y %}",
    "html": '<img src="file:///etc/passwd"><b>x</b>',
    "amp": "Tom & Jerry <select>",
    "lt": "100<100",
    "css": "url(http://127.0.0.1:9/x)",
}


def hostile_answers() -> dict[str, Any]:
    answers = ehfsa_answers()
    answers["referrer"]["full_name"] = HOSTILE["jinja"]
    answers["referrer"]["organisation"] = HOSTILE["block"]
    answers["presenting_issues"] = HOSTILE["html"]
    answers["household"][1]["first_name"] = HOSTILE["amp"]
    answers["what_needs_to_change"] = HOSTILE["lt"]
    answers["working_well"] = HOSTILE["css"]
    answers["support_so_far"] = "a\x0bb\x0cc\x1d"
    return answers


def test_hostile_values_are_escaped_in_the_html(form: FormDefinition) -> None:
    html = DocumentRenderer(fx.TEMPLATES).html(
        SubmissionRecord(form, hostile_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;&lt;b&gt;x&lt;/b&gt;" in html
    assert "<img" not in html
    assert "<select" not in html
    assert "Tom &amp; Jerry &lt;select&gt;" in html
    assert "100&lt;100" in html
    assert "{{ 7*7 }}" in html
    assert "{% for x in y %}" in html
    assert "a\x0bb" not in html
    assert ">abc<" in html


def test_hostile_values_show_literally_in_the_pdf(
    form: FormDefinition, no_weasyprint_warnings: None
) -> None:
    fetcher = BundledAssetFetcher(assets_dir(fx.TEMPLATES))
    data = DocumentRenderer(fx.TEMPLATES).pdf(
        SubmissionRecord(form, hostile_answers(), fx.REFERENCE, fx.SUBMITTED_AT),
        url_fetcher=fetcher,
    )
    text = flat(pdf_text(data))
    for value in HOSTILE.values():
        assert value in text
    assert "Full name {{ 7*7 }}" in text
    assert "Full name 49" not in text
    assert "What is working well for this family? url(http://127.0.0.1:9/x)" in text
    assert "family had, when, and what happened? abc" in text
    assert fetcher.denied == []


def test_hostile_values_show_literally_in_the_docx(form: FormDefinition) -> None:
    data = DocumentRenderer(fx.TEMPLATES).docx(
        SubmissionRecord(form, hostile_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    )
    root = etree.fromstring(document_xml(data))  # well-formed XML or this raises
    assert root is not None
    cells = docx_cells(data)
    assert cells["Full name"] == HOSTILE["jinja"]
    assert cells["Organisation"] == HOSTILE["block"]
    assert cells["What are the current worries for this family?"] == HOSTILE["html"]
    assert cells["What needs to change?"] == HOSTILE["lt"]
    assert cells["What is working well for this family?"] == HOSTILE["css"]
    assert cells["What support has the family had, when, and what happened?"] == "abc"
    assert HOSTILE["amp"] in docx_text(data)
    assert "49" not in cells.values()
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert f"Requested by: {HOSTILE['jinja']}, Designated Safeguarding Lead" in paragraphs


# --- the URL fetcher ---------------------------------------------------------


class Listener:
    """A real TCP listener on loopback that counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        time.sleep(0.2)
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def test_fetcher_blocks_injected_resources(
    form: FormDefinition,
    listener: Listener,
    weasyprint_warnings: list[logging.LogRecord],
) -> None:
    port = listener.port
    payloads = [
        "<link rel=attachment href=file:///etc/passwd>",
        f"<img src=http://127.0.0.1:{port}/>",
        f'<img src="https://127.0.0.1:{port}/x.png">',
        f"<img src=ftp://127.0.0.1:{port}/x.png>",
        "<style>@import url(file:///etc/hosts);</style>",
        f"<style>p {{ background: url(http://127.0.0.1:{port}/bg) }}</style>",
        '<img src="shared/../../../../../../etc/passwd">',
        '<img src="ehfsa/pdf.html">',
        '<link rel=stylesheet href="//127.0.0.1:{port}/x.css">'.replace("{port}", str(port)),
    ]
    html = DocumentRenderer(fx.TEMPLATES).html(
        SubmissionRecord(form, ehfsa_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    )
    # Escaping deliberately bypassed: the payloads go straight into the HTML.
    html = html.replace("</body>", "\n".join(payloads) + "\n</body>")
    fetcher = BundledAssetFetcher(assets_dir(fx.TEMPLATES))
    data = html_to_pdf(html, fx.TEMPLATES, form.documents.pdf, url_fetcher=fetcher)

    assert fetcher.allowed == []
    denied = " ".join(fetcher.denied)
    for fragment in ("/etc/passwd", "/etc/hosts", f"127.0.0.1:{port}/", "ehfsa/pdf.html"):
        assert fragment in denied
    assert listener.connections == 0
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.attachments == {}
    assert b"/EmbeddedFiles" not in data
    assert weasyprint_warnings  # each refusal is reported, not silent
    assert "root:" not in pdf_text(data)


def test_fetcher_serves_only_data_urls_and_bundled_assets(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("secret")
    (shared / "link.txt").symlink_to(tmp_path / "secret.txt")
    fetcher = BundledAssetFetcher(shared)

    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    response = fetcher.fetch((shared / "logo.svg").as_uri())
    assert response.read().startswith(b"<svg")
    assert response.content_type == "image/svg+xml"
    for url in (
        (tmp_path / "secret.txt").as_uri(),
        (shared / "link.txt").as_uri(),
        (shared / ".." / "secret.txt").as_uri(),
        (shared / "missing.png").as_uri(),
        shared.as_uri(),
        "file://evil.example/etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.org/",
        "ftp://example.org/x",
        "gopher://example.org/",
        "javascript:alert(1)",
    ):
        with pytest.raises(FetchDenied):
            fetcher.fetch(url)
    assert len(fetcher.denied) == 11
    assert len(fetcher.allowed) == 2


# --- size --------------------------------------------------------------------


def test_every_long_text_at_5000_characters(
    form: FormDefinition, no_weasyprint_warnings: None
) -> None:
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod. "
    value = ((line * 12 + "\n") * 10)[:4990] + "x" * 10
    answers = fx.ehfsa_with_every_long_text(form, value, today=fx.DOCUMENT_DAY)
    # How long it takes is measured by `make bench` (benchmarks/largest.py), not here:
    # a timed assertion fails on a busy machine and proves nothing on an idle one.
    docs = DocumentRenderer(fx.TEMPLATES).render(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert len(pypdf.PdfReader(io.BytesIO(docs.pdf)).pages) > 20
    context = build_context(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    shown = sum(1 for v in all_values(context) if v == value)
    assert shown == 16  # 9 top level, 2 in groups, 3 visible in household items, 2 needs
    assert docx_text(docs.docx).count(value) == shown
    # A value may run across a page break (and the page furniture), so count its end.
    assert flat(pdf_text(docs.pdf)).count("dolor sitxxxxxxxxxx") == shown


def test_a_one_megabyte_answer_renders(form: FormDefinition, no_weasyprint_warnings: None) -> None:
    """Far beyond any field's maximum: the renderers still cope (no crash, no loss).

    The DOCX and the HTML take the full megabyte. WeasyPrint lays out about 20
    pages a second, so a 1 MB answer (about 200 pages) takes 15-25 s: the PDF
    gets a quarter of it here, and the full megabyte with FORMS_SLOW_TESTS=1.
    """
    answers = ehfsa_answers()
    unbroken = "W" * 2_000  # a run with no break opportunity at all
    megabyte = (unbroken + "\n" + "Word " * 200_000)[:1_000_000]
    answers["presenting_issues"] = megabyte
    docx_bytes = DocumentRenderer(fx.TEMPLATES).docx(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert megabyte in docx_text(docx_bytes)
    html = DocumentRenderer(fx.TEMPLATES).html(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert megabyte in html
    if not os.environ.get("FORMS_SLOW_TESTS"):
        answers["presenting_issues"] = megabyte[:250_000]
    pdf = DocumentRenderer(fx.TEMPLATES).pdf(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 40


# --- the other forms' records -------------------------------------------------


@pytest.fixture(scope="module")
def records() -> dict[str, Any]:
    """Record PDF and DOCX for each new form, failing on any WeasyPrint warning."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    cases = {
        name: fx.document_case(name) for name in ("family-story", "tacaf-review", "cspoc-request")
    }
    try:
        rendered = {}
        for name, (form, answers) in cases.items():
            docs = DocumentRenderer(fx.TEMPLATES, fx.CONTACTS).render(
                SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
            )
            rendered[name] = (flat(pdf_text(docs.pdf)), docx_text(docs.docx), docs)
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == []
    return rendered


def test_context_has_computed_warnings_contacts_and_shown() -> None:
    form, answers = fx.document_case("family-story")
    context = build_context(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    assert context["computed"] == {
        "due_10": {
            "label": "Assessment due (10 working days after allocation)",
            "value": "16 November 2026",
        },
        "due_15": {
            "label": "Latest completion (15 working days after allocation)",
            "value": "23 November 2026",
        },
    }
    assert context["warnings"] == []
    assert context["contacts"] == {}
    assert context["shown"]["case.allocation_date"] == "2 November 2026"
    assert context["shown"]["worker.name"] == "Jo Bennett"
    assert "household.first_name" not in context["shown"]  # repeating groups are looped
    answers["case"]["completion_date"] = "2026-11-24"
    late = build_context(form, answers, fx.REFERENCE, fx.SUBMITTED_AT, fx.CONTACTS)
    assert late["warnings"] == [form.warnings[0].message]
    assert late["contacts"] == fx.CONTACTS


def test_shown_marks_hidden_answers() -> None:
    form, answers = fx.document_case("tacaf-review")
    shown = build_context(form, answers, "R", fx.SUBMITTED_AT)["shown"]
    assert shown["decision"] == "Continue with the plan"
    assert shown["close_reason"] == NOT_APPLICABLE  # only asked when closing
    assert shown["who_to_contact"] == NOT_APPLICABLE  # its page is not shown
    assert shown["next_meeting.date"] == "4 January 2027"
    _, answers = fx.document_case("tacaf-closing")
    closing = build_context(form, answers, "R", fx.SUBMITTED_AT)["shown"]
    assert closing["close_reason"] == "The outcomes have been met"
    assert closing["next_meeting.date"] == NOT_APPLICABLE


def test_ehfsa_context_has_no_family_plan(form: FormDefinition) -> None:
    context = build_context(form, ehfsa_answers(), fx.REFERENCE, fx.SUBMITTED_AT)
    assert context["family"] is None
    assert context["computed"] == {}
    assert context["warnings"] == []


def test_family_story_record(records: dict[str, Any]) -> None:
    pdf, docx_body, docs = records["family-story"]
    assert docs.family_pdf is not None
    for text in (pdf, flat(docx_body)):
        assert "Early Help Family Support Assessment" not in text
        assert "Family Story Assessment" in text
        assert "Assessment due (10 working days after allocation)" in text
        assert "16 November 2026" in text
        assert "Latest completion (15 working days after allocation)" in text
        assert "23 November 2026" in text
        assert "Warning" not in text
        for action in fx.family_plan_actions(today=fx.DOCUMENT_DAY):
            assert action["what"] in text
        assert "Mornings are a rush. Kayden finds it hard to get up." in text
    assert "Family support practitioner Jo Bennett, Family Support Practitioner" in pdf
    assert "Allocated 2 November 2026" in pdf
    assert "Completed 20 November 2026" in pdf


def test_warnings_are_boxed_near_the_top(no_weasyprint_warnings: None) -> None:
    form, answers = fx.document_case("family-story")
    answers["case"]["completion_date"] = "2026-11-24"  # 16 working days after allocation
    docs = DocumentRenderer(fx.TEMPLATES).render(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    message = form.warnings[0].message
    pdf = flat(pdf_text(docs.pdf))
    assert f"Warning: check before filing {message}" in pdf
    assert pdf.index(message) < pdf.index("Case details")
    html = DocumentRenderer(fx.TEMPLATES).html(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    assert '<div class="warnings" role="note">' in html
    document = docx.Document(io.BytesIO(docs.docx))
    boxes = [t for t in document.tables if t.rows[0].cells[0].text.startswith("Warning")]
    assert len(boxes) == 1
    assert message in boxes[0].rows[0].cells[0].text
    body = [p.text for p in document.paragraphs]
    assert "Assessment due (10 working days after allocation): 16 November 2026" in body


def test_tacaf_record_shows_each_action_then_and_now(records: dict[str, Any]) -> None:
    pdf, _, docs = records["tacaf-review"]
    form = fx.form("tacaf-review")
    group = form.field("previous_actions")
    last, now = group.child("last_status"), group.child("status")
    assert "Progress on the actions from last time Action At the last review Now" in pdf
    for item in fx.previous_actions(today=fx.DOCUMENT_DAY):
        row = f"{item['action']} {last.option_label(item['last_status'])} "
        row += now.option_label(item["status"])
        assert row in pdf
    document = docx.Document(io.BytesIO(docs.docx))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Action")
    assert [c.text for c in table.rows[0].cells] == [
        "Action",
        "Status at the last review",
        "Status now",
    ]
    assert [[c.text for c in row.cells] for row in table.rows[1:]] == [
        [item["action"], last.option_label(item["last_status"]), now.option_label(item["status"])]
        for item in fx.previous_actions(today=fx.DOCUMENT_DAY)
    ]


def test_tacaf_record_facts(records: dict[str, Any]) -> None:
    pdf, docx_body, _ = records["tacaf-review"]
    assert "Meeting date 23 November 2026" in pdf
    assert "Review number 2" in pdf
    assert "Lead professional Jo Bennett, Family Support Practitioner" in pdf
    assert "Decision Continue with the plan" in pdf
    assert "Next review 4 January 2027" in pdf
    assert "Why it is closing" not in pdf
    for text in (pdf, flat(docx_body)):
        assert "Grace says mornings are better on chart days." in text
        assert "Go to the six-week parenting group at the family centre." in text


def test_closing_tacaf_record(no_weasyprint_warnings: None) -> None:
    form, answers = fx.document_case("tacaf-closing")
    docs = DocumentRenderer(fx.TEMPLATES).render(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    pdf = flat(pdf_text(docs.pdf))
    assert "Decision Close Why it is closing The outcomes have been met" in pdf
    assert f"Next review {NOT_APPLICABLE}" in pdf
    assert "Moving on" in pdf
    assert fx.WHO_TO_CONTACT in pdf


def test_cspoc_request_record(records: dict[str, Any]) -> None:
    pdf, docx_body, docs = records["cspoc-request"]
    assert docs.family_pdf is None
    assert "Requested by Priya Raman, Designated Safeguarding Lead" in pdf
    assert "Asking for Support from the Supporting Families team (Level 3)" in pdf
    assert "Needs identified 3" in pdf
    for text in (pdf, flat(docx_body)):
        assert "Request for service to the Children's Single Point of Contact" in text
        assert "Notice of seeking possession received in October." in text
        assert "Kayden went on about half the days." in text
        for person in fx.household(today=fx.DOCUMENT_DAY):
            assert person["last_name"] in text


def test_statuses_print_as_tags_with_their_words() -> None:
    """A review's red, amber and green statuses: a coloured tag holding the words, so
    the colour is never the only signal (the option's ``tag:`` in the schema)."""
    form, answers = fx.document_case("tacaf-review")
    html = DocumentRenderer(fx.TEMPLATES).html(
        SubmissionRecord(form, answers, fx.REFERENCE, fx.SUBMITTED_AT)
    )
    progress = html[html.index('<table class="progress">') :]
    progress = progress[: progress.index("</table>")]
    statuses = {a["status"] for a in answers["previous_actions"]}
    labels = {
        "done": ("blue", "Done – completed"),
        "green": ("green", "Green – on track"),
        "amber": ("orange", "Amber – partly met or at risk"),
        "red": ("red", "Red – not started, overdue or not met"),
        "closed": ("grey", "Closed – no longer needed"),
    }
    assert statuses
    for status in statuses:
        colour, words = labels[status]
        assert f'<span class="tag tag-{colour}">{escape(words)}</span>' in progress, status
