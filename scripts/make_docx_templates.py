"""(Re)generate the DOCX templates in ``doc_templates/`` with python-docx.

    python scripts/make_docx_templates.py [doc_templates]

Writes ``shared/record.docx`` (the generic record any form can use),
``ehfsa/ehfsa.docx`` (the same record plus who made the request) and
``shared/family_plan.docx`` (the family's own copy, "Our Family Plan", in
large print). The files hold docxtpl Jinja tags, so a council can open them in
Word, restyle them and commit the result; run this script only to start again
from the default.

Tags used (see docxtpl's documentation): ``{{ x }}`` inline values,
``{%p … %}`` for paragraph-level loops and conditions, ``{%tr … %}`` for
table-row loops and ``{%tc … %}`` for table-cell loops (the summary tables'
columns depend on the form). Every value is escaped when rendered.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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


def _shade(cell: Any, fill: str) -> None:
    """Fill a table cell with a background colour (hex, no #)."""
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _warnings_box(document: DocumentObject) -> None:
    """The form's warnings in a one-cell shaded box, only when there are any."""
    _tag(document, "{%p if warnings %}")
    table = document.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    cell = table.rows[0].cells[0]
    _shade(cell, "FCE4E1")
    title = cell.paragraphs[0].add_run("Warnings: check before filing")
    title.bold = True
    title.font.color.rgb = RGBColor(0xD4, 0x35, 0x1C)
    cell.add_paragraph("{%p for warning in warnings %}")
    cell.add_paragraph("{{ warning }}", style="List Bullet")
    cell.add_paragraph("{%p endfor %}")
    _set_widths(table, [Emu(TEXT_WIDTH)])
    _tag(document, "{%p endif %}")


def _new_document(title: str, subject: str) -> DocumentObject:
    """An A4 portrait document with our margins and properties (tags allowed)."""
    document = Document()
    core = document.core_properties
    core.title = title
    core.subject = subject
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
    return document


def build(extra_facts: list[tuple[str, str]] | None = None) -> DocumentObject:
    """The record template; ``extra_facts`` adds (label, tag) lines under the title."""
    document = _new_document("{{ form.short_title }} {{ reference }}", "{{ form.title }}")

    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)

    section = document.sections[0]
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

    _tag(document, "{%p if child %}")
    paragraph = document.add_paragraph()
    paragraph.add_run("Child: ").bold = True
    paragraph.add_run("{{ child }}")
    _tag(document, "{%p endif %}")
    facts = [("Reference", "{{ reference }}"), ("Submitted", "{{ submitted_at }}")]
    for label, tag in facts + (extra_facts or []):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(tag)
    _tag(document, "{%p for item in computed.values() %}")
    paragraph = document.add_paragraph()
    paragraph.add_run("{{ item.label }}: ").bold = True
    paragraph.add_run("{{ item.value }}")
    _tag(document, "{%p endfor %}")
    _warnings_box(document)

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


def _heading(document: DocumentObject, text: str) -> None:
    document.add_heading(text, level=1)


def _para(document: DocumentObject, *runs: tuple[str, bool]) -> Paragraph:
    """A paragraph of (text, bold) runs."""
    paragraph = document.add_paragraph()
    for text, bold in runs:
        paragraph.add_run(text).bold = bold
    return paragraph


#: Room to sign and date by hand on the printed plan.
SIGN_LINE = "_" * 24
DATE_LINE = "_" * 12


def build_family_plan() -> DocumentObject:
    """ "Our Family Plan": the family's copy. Large print, plain English, no acronyms.

    Reads only the context's ``family`` entry (see forms_service/documents/family.py).
    """
    document = _new_document("Our Family Plan", "Our Family Plan")

    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(14)
    normal.paragraph_format.space_after = Pt(8)
    normal.paragraph_format.line_spacing = 1.3
    for name, size in (("Title", 28), ("Heading 1", 19)):
        style = styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x0B, 0x0C, 0x0C)
    styles["Heading 1"].paragraph_format.space_before = Pt(20)
    styles["Heading 1"].paragraph_format.space_after = Pt(8)
    styles["List Bullet"].font.size = Pt(14)

    footer = document.sections[0].footer.paragraphs[0]
    run = footer.add_run("{{ reference }}, written on {{ family.date }}    Page ")
    run.font.size = Pt(10)
    _field(footer, "PAGE")
    footer.add_run(" of ").font.size = Pt(10)
    _field(footer, "NUMPAGES")

    document.add_heading("Our Family Plan", level=0)
    document.add_paragraph(
        "This plan is about our family. We wrote it together with the people who are helping us."
    )

    _heading(document, "Who is in our family")
    _tag(document, "{%p for member in family.members %}")
    member = document.add_paragraph(style="List Bullet")
    member.add_run("{{ member.name }}").bold = True
    member.add_run("{% if member.about %}, {{ member.about }}{% endif %}")
    _tag(document, "{%p endfor %}")

    _tag(document, "{%p if family.child_words %}")
    _heading(document, 'What {{ family.child_words.name or "our child" }} says')
    document.add_paragraph("In their own words:")
    document.add_paragraph("{{ family.child_words.words }}")
    _tag(document, "{%p endif %}")

    _heading(document, "What is going well")
    document.add_paragraph("{{ family.working_well }}")

    _heading(document, "What we are worried about")
    document.add_paragraph("{{ family.worried_about }}")

    _heading(document, "What we want to change")
    _tag(document, "{%p if family.changes %}")
    document.add_paragraph("In our own words:")
    _tag(document, "{%p for change in family.changes %}")
    document.add_paragraph(
        "{{ change.outcome }}{% if change.member %} (for {{ change.member }}){% endif %}",
        style="List Bullet",
    )
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if family.needs_to_happen %}")
    _para(document, ("What needs to happen:", True))
    document.add_paragraph("{{ family.needs_to_happen }}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if not family.changes and not family.needs_to_happen %}")
    document.add_paragraph("We have not written this down yet.")
    _tag(document, "{%p endif %}")

    _tag(document, "{%p if family.done %}")
    _heading(document, "What we have already done")
    document.add_paragraph("Well done. These things from our last plan are finished:")
    _tag(document, "{%p for action in family.done %}")
    document.add_paragraph(
        "{{ action.what }}{% if action.who %} ({{ action.who }}){% endif %}", style="List Bullet"
    )
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endif %}")

    # A review that steps up says so, in the family's words (issue 11).
    _tag(document, "{%p if family.more_help %}")
    _heading(document, "Asking for more help")
    document.add_paragraph(
        '{{ family.worker.name or "Your worker" }} is asking for more help for our family, '
        "from the Children's Single Point of Contact. This is why:"
    )
    document.add_paragraph("{{ family.more_help }}")
    _tag(document, "{%p endif %}")

    _heading(document, "Who will do what, and by when")
    document.add_paragraph("This is what our family, and the people helping us, have agreed to do.")
    _tag(document, "{%p if family.actions %}")
    table = document.add_table(rows=4, cols=4)
    table.style = "Table Grid"
    headings = ("What will happen", "Who will do it", "By when", "How we will know it is working")
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
        _shade(cell, "E8E8E8")
    table.rows[1].cells[0].text = "{%tr for action in family.actions %}"
    for cell, tag in zip(
        table.rows[2].cells,
        ("{{ action.what }}", "{{ action.who }}", "{{ action.by_when }}", "{{ action.measure }}"),
        strict=True,
    ):
        cell.text = tag
    table.rows[3].cells[0].text = "{%tr endfor %}"
    _repeat_header(table, 0)
    _cant_split(table, 2)
    _set_widths(
        table,
        [Emu(int(TEXT_WIDTH * share)) for share in (0.33, 0.23, 0.19, 0.25)],
    )
    _tag(document, "{%p else %}")
    document.add_paragraph("There are no actions in the plan now.")
    _tag(document, "{%p endif %}")

    _heading(document, "When we will meet again")
    _tag(document, "{%p if family.next_meeting %}")
    meeting = document.add_paragraph("We will meet again on ")
    meeting.add_run("{{ family.next_meeting.when }}").bold = True
    meeting.add_run("{% if family.next_meeting.place %}, at {% endif %}")
    meeting.add_run("{{ family.next_meeting.place }}").bold = True
    meeting.add_run(".")
    document.add_paragraph(
        "We meet about every 6 weeks to see how the plan is going. "
        "Everyone helping our family is invited, and so are we."
    )
    _tag(document, "{%p else %}")
    document.add_paragraph("There are no more meetings planned. This plan has now finished.")
    _tag(document, "{%p if family.who_to_contact %}")
    document.add_paragraph("If you need help again, you can contact:")
    document.add_paragraph("{{ family.who_to_contact }}")
    _tag(document, "{%p else %}")
    document.add_paragraph("If you need help again, contact your worker.")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endif %}")

    _heading(document, "Do we agree with this plan?")
    document.add_paragraph(
        "Each adult in our family can sign here to say they agree with this plan. If you do "
        "not agree with something, tell your worker and we will talk about it together."
    )
    _tag(document, "{%p for person in family.signatures %}")
    _para(
        document,
        ("{% if person.name %}{{ person.name }}{% else %}Name: " + SIGN_LINE + "{% endif %}", True),
    )
    _tag(document, "{%p if person.agreed_on %}")
    document.add_paragraph("{{ person.name }} agreed to this plan on {{ person.agreed_on }}.")
    _tag(document, "{%p endif %}")
    document.add_paragraph(f"Signed: {SIGN_LINE}    Date: {DATE_LINE}")
    _tag(document, "{%p endfor %}")

    _heading(document, "Your worker")
    worker = document.add_paragraph("Your worker is ")
    worker.add_run("{{ family.worker.name }}").bold = True
    worker.add_run("{% if family.worker.job_title %}, {{ family.worker.job_title }}{% endif %}.")
    _tag(document, "{%p if family.worker.phone %}")
    _para(document, ("Phone: ", True), ("{{ family.worker.phone }}", False))
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if family.worker.email %}")
    _para(document, ("Email: ", True), ("{{ family.worker.email }}", False))
    _tag(document, "{%p endif %}")
    document.add_paragraph(
        "You can contact your worker if you have a question, or if something changes."
    )

    _heading(document, "Your information")
    document.add_paragraph(
        "We will share this plan with the people at your Team Around the Child and Family "
        "meeting. These are the people who are helping your family. We only share what they "
        "need to know to help you."
    )
    document.add_paragraph(
        "You can change your mind about sharing your information at any time. "
        "Just tell your worker."
    )
    document.add_paragraph(
        "We will only share your information without your agreement if we think a child "
        "may be at risk of harm."
    )

    _heading(document, "If you are worried about a child's safety")
    _para(
        document, ("If a child is in danger right now, call ", False), ("999", True), (".", False)
    )
    _tag(document, "{%p if family.safety.phone %}")
    _para(
        document,
        (
            "If you are worried about a child's safety, call the Children's Single Point of "
            "Contact on ",
            False,
        ),
        ("{{ family.safety.phone }}", True),
        (".", False),
    )
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if family.safety.out_of_hours_phone %}")
    _para(
        document,
        ("In the evening, at night, at weekends and on bank holidays, call ", False),
        ("{{ family.safety.out_of_hours_phone }}", True),
        (".", False),
    )
    _tag(document, "{%p endif %}")
    return document


THUMBNAIL_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
STYLES_WITH_EFFECTS_REL = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def slim(document: DocumentObject) -> None:
    """Drop what python-docx's default package carries but no record uses.

    The default has about 100 table styles (350 KB of ``styles.xml``), a
    440 KB ``stylesWithEffects.xml`` kept only for Word 2010, and a stock
    thumbnail. Every render parses, re-serialises and re-compresses them, so
    they cost more than the record itself (see benchmarks/README.md). Table
    styles the document uses, the defaults and every paragraph and character
    style stay; Word adds any other built-in style from its latent styles
    when a council applies one.
    """
    used = {
        el.get(qn("w:val"))
        for part in [
            document.part,
            *(rel.target_part for rel in document.part.rels.values() if not rel.is_external),
        ]
        if hasattr(part, "element")
        for el in part.element.iter(qn("w:tblStyle"))
    }
    styles = document.styles.element
    for style in styles.findall(qn("w:style")):
        if (
            style.get(qn("w:type")) == "table"
            and style.get(qn("w:default")) != "1"
            and style.get(qn("w:styleId")) not in used
        ):
            styles.remove(style)
    for rels, reltype in (
        (document.part.rels, STYLES_WITH_EFFECTS_REL),
        (document.part.package.rels, THUMBNAIL_REL),
    ):
        for r_id, rel in list(rels.items()):
            if rel.reltype == reltype:
                del rels[r_id]


def main(argv: list[str]) -> int:
    templates = Path(argv[1]) if len(argv) > 1 else ROOT / "doc_templates"
    outputs = {
        templates / "shared" / "record.docx": build(),
        templates / "shared" / "family_plan.docx": build_family_plan(),
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
        slim(document)
        document.save(str(path))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
