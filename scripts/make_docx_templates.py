"""(Re)generate the DOCX templates in ``doc_templates/`` with python-docx.

    python scripts/make_docx_templates.py [doc_templates]

Writes ``shared/record.docx`` (the generic record any form can use) and
``ehfsa/ehfsa.docx`` (the same record plus who made the request). The files
hold docxtpl Jinja tags, so a council can open them in Word, restyle them and
commit the result; run this script only to start again from the default.

Tags used (see docxtpl's documentation): ``{{ x }}`` inline values,
``{%p … %}`` for paragraph-level loops and conditions, ``{%tr … %}`` for
table-row loops and ``{%tc … %}`` for table-cell loops (the summary tables'
columns depend on the form). Every value is escaped when rendered.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Length, Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

ROOT = Path(__file__).resolve().parent.parent
PAGE_WIDTH = Mm(210)
MARGIN = Mm(18)
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN


def _field(paragraph: Paragraph, instruction: str) -> None:
    """Append a simple Word field (PAGE, NUMPAGES) to ``paragraph``."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _repeat_header(table: Table, row_index: int = 0) -> None:
    """Mark a row as a header row repeated on every page."""
    tr_pr = table.rows[row_index]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def _cant_split(table: Table, row_index: int) -> None:
    tr_pr = table.rows[row_index]._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _set_widths(table: Table, widths: list[Length]) -> None:
    """Fixed column widths: the grid (twips) and every cell (the same values)."""
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=False):
        col.set(qn("w:w"), str(width.twips))


def _grid_only(table: Table) -> None:
    """Drop per-cell widths: docxtpl re-divides the grid when ``{%tc %}`` adds columns."""
    for tc_w in table._tbl.iter(qn("w:tcW")):
        tc_w.getparent().remove(tc_w)


def _tag(document: DocumentObject, text: str) -> None:
    """A paragraph holding only a docxtpl ``{%p %}`` tag (removed when rendered)."""
    document.add_paragraph(text)


def _answers_table(document: DocumentObject, loop: str, label: str, value: str) -> None:
    """A two-column label/value table whose rows come from ``loop``."""
    table = document.add_table(rows=3, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text = f"{{%tr for row in {loop} %}}"
    label_run = table.rows[1].cells[0].paragraphs[0].add_run(label)
    label_run.bold = True
    table.rows[1].cells[1].paragraphs[0].add_run(value)
    table.rows[2].cells[0].text = "{%tr endfor %}"
    _cant_split(table, 1)
    _set_widths(table, [Emu(int(TEXT_WIDTH * 0.38)), Emu(int(TEXT_WIDTH * 0.62))])


def _summary_table(document: DocumentObject) -> None:
    """A summary table: one column per summary field, one row per item."""
    table = document.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    head = table.rows[0].cells
    head[0].text = "{%tc for column in table.columns %}"
    head[1].paragraphs[0].add_run("{{ column }}").bold = True
    head[2].text = "{%tc endfor %}"
    table.rows[1].cells[0].text = "{%tr for cells in table.rows %}"
    body = table.rows[2].cells
    body[0].text = "{%tc for cell in cells %}"
    body[1].text = "{{ cell }}"
    body[2].text = "{%tc endfor %}"
    table.rows[3].cells[0].text = "{%tr endfor %}"
    _repeat_header(table, 0)
    _cant_split(table, 2)
    _set_widths(table, [Emu(int(TEXT_WIDTH / 3))] * 3)
    _grid_only(table)


def build(extra_facts: list[tuple[str, str]] | None = None) -> DocumentObject:
    """The record template; ``extra_facts`` adds (label, tag) lines under the title."""
    document = Document()
    core = document.core_properties
    core.title = "{{ form.short_title }} {{ reference }}"
    core.subject = "{{ form.title }}"
    core.author = "Early Help"
    core.last_modified_by = "Early Help"
    core.comments = ""
    core.language = "en-GB"
    core.keywords = ""

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)

    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)

    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header.add_run("OFFICIAL-SENSITIVE").bold = True
    footer = section.footer.paragraphs[0]
    footer.add_run("{{ reference }}    Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")

    service = document.add_paragraph()
    run = service.add_run("EARLY HELP")
    run.bold = True
    run.font.color.rgb = RGBColor(0x50, 0x5A, 0x5F)
    document.add_heading("{{ form.title }}", level=0)

    facts = [("Reference", "{{ reference }}"), ("Submitted", "{{ submitted_at }}")]
    for label, tag in facts + (extra_facts or []):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(tag)

    _tag(document, "{%p for section in sections %}")
    document.add_heading("{{ section.title }}", level=1)
    _tag(document, "{%p if section.rows %}")
    _answers_table(document, "section.rows", "{{ row.label }}", "{{ row.value }}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p for table in section.tables %}")
    document.add_heading("{{ table.title }}: summary", level=2)
    _summary_table(document)
    _tag(document, "{%p for entry in table.entries %}")
    document.add_heading("{{ entry.heading }}", level=3)
    _answers_table(document, "entry.rows", "{{ row.label }}", "{{ row.value }}")
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endfor %}")
    document.add_paragraph("End of {{ form.short_title }} {{ reference }}.")
    return document


def main(argv: list[str]) -> int:
    templates = Path(argv[1]) if len(argv) > 1 else ROOT / "doc_templates"
    outputs = {
        templates / "shared" / "record.docx": build(),
        templates / "ehfsa" / "ehfsa.docx": build(
            [
                (
                    "Requested by",
                    "{{ answers.referrer.full_name }}, {{ answers.referrer.job_title }}",
                ),
                ("Organisation", "{{ answers.referrer.organisation }}"),
            ]
        ),
    }
    for path, document in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        document.save(str(path))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
