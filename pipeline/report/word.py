"""The impact report draft as an editable Word file (python-docx), from the same document model
as the HTML and Markdown: the same top-level headings (Heading 1) in the same order, real Word
tables for tables and figures, quotes in the Quote style, and web sources as hyperlinks."""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document as new_document
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from pipeline.report import charts, model
from pipeline.report.model import Block, Evidence, GoalChapter, ImpactReport, QuoteItem

BLUE = RGBColor(0x1C, 0x3D, 0x6E)
GREY = RGBColor(0x4A, 0x55, 0x68)
CHART_WIDTH = Mm(160)  # the A4 text width (210 mm less 2 x 20 mm margins), less a little


def render_docx(report: ImpactReport) -> bytes:
    """The report as the bytes of a .docx file: A4, charts as images, nothing of python-docx's
    template left over (its thumbnail, empty paragraphs)."""
    document = new_document()
    _a4(document)
    document.core_properties.title = f"{report.organisation}: Levelling Up Impact Report (draft)"
    document.core_properties.author = "levelup-evidence"
    _cover(document, report)
    _foreword(document, report)
    _summary(document, report)
    if report.headline:
        document.add_heading(model.HEADLINE, level=1)
        _grid(document, [("Figure", "What it counts"), *((f.text, f.caption) for f in report.headline)], header=True)
    _glance(document, report)
    _place(document, report)
    for chapter in report.with_evidence:
        _chapter(document, report, chapter)
    if report.strengths:
        document.add_heading(model.STRENGTHS, level=1)
        for chapter in report.strengths:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(chapter.heading + ": ").bold = True
            paragraph.add_run(model.strength(chapter))
    if report.people:
        document.add_heading(model.PEOPLE, level=1)
        for person in report.people:
            document.add_paragraph(person.described + (" (quoted)" if person.quoted else ""), style="List Bullet")
    if report.without_evidence:
        document.add_heading(model.WITHOUT, level=1)
        document.add_paragraph(f"No published passage by {report.organisation} is shown under these goals yet. Each says what evidence would count. {report.peer_note}")
        for chapter in report.without_evidence:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(chapter.heading + ". ").bold = True
            paragraph.add_run(chapter.description + (" " + model.touched(chapter) if chapter.count else ""))
            if report.others:
                paragraph.add_run(" " + model.peers(chapter, report.others, report.kind)).bold = True
    if report.sources:
        document.add_heading(model.SOURCE_LIST, level=1)
        for item in report.sources:
            paragraph = document.add_paragraph(style="List Number")
            if item.link:
                _hyperlink(paragraph, item.title, item.link)
                paragraph.add_run(f", {item.details}. {item.link}")
            else:
                paragraph.add_run(f"{item.title}, {item.details}")
    document.add_heading(model.SOURCES, level=1)
    document.add_paragraph(
        f"Made by levelup-evidence on {report.drafted.isoformat()} from {model.plural(report.documents, 'published document')} by "
        f"{report.organisation}{' (' + report.period + ')' if report.period else ''}. Each passage appears once, under the goal it fits "
        "best; passages confirmed by a reviewer come first and are marked reviewed; a passage reviewers disagree on, not yet settled, is "
        "marked disputed. The number after each passage is its source in the list above. Figures are quoted as written, with what they count."
    )
    _drop_thumbnail(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _a4(document: Document) -> None:
    """A4 with 2 cm margins (python-docx's template is US Letter)."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Mm(20)


def _drop_thumbnail(document: Document) -> None:
    """python-docx's template carries a thumbnail of a blank page: Word and file browsers would
    show it as the report's preview."""
    package = document.part.package
    for key, relation in list(package.rels.items()):
        if relation.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            del package.rels[key]


def _cover(document: Document, report: ImpactReport) -> None:
    kicker = document.add_paragraph()
    _run(kicker, "LEVELLING UP IMPACT REPORT · DRAFT", size=10, color=GREY, bold=True)
    document.add_heading(report.organisation, level=0)
    if report.period:
        _run(document.add_paragraph(), report.period, size=16, color=BLUE)
    document.add_paragraph(f"Against the {report.framework}.")
    note = document.add_paragraph()
    reviewed = " and, where marked, confirmed by a reviewer" if report.reviewed else ""
    _run(
        note,
        f"Drafted on {report.drafted.isoformat()} by levelup-evidence from {model.plural(report.documents, 'published document')}. "
        f"Passages were tagged to goals by a classifier{reviewed}: check every claim against its source before publishing.",
        size=9,
        color=GREY,
        italic=True,
    )


def _foreword(document: Document, report: ImpactReport) -> None:
    document.add_heading(model.FOREWORD, level=1).paragraph_format.page_break_before = True  # after the cover
    _run(document.add_paragraph(), "[The coalition's foreword goes here: to be written by the Purpose Coalition.]", italic=True, color=GREY)
    if not report.foreword:
        _run(document.add_paragraph(), f"[No quote by a leader of {report.organisation} was found in the evidence: ask for their foreword.]", italic=True, color=GREY)
        return
    document.add_heading(f"From {report.organisation}", level=2)
    for quote in report.foreword:
        _quote(document, quote)


def _quote(document: Document, quote: QuoteItem) -> None:
    document.add_paragraph(f"“{quote.text}”", style="Quote")
    document.add_paragraph(f"— {quote.attribution}").alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _summary(document: Document, report: ImpactReport) -> None:
    document.add_heading(model.SUMMARY, level=1)
    document.add_paragraph(report.introduction)
    for point in report.summary:
        paragraph = document.add_paragraph(point.text + " ", style="List Bullet")
        _run(paragraph, f"(Goal {point.goal}: {point.goal_title}{point.standing})", size=9, color=GREY)


def _glance(document: Document, report: ImpactReport) -> None:
    document.add_heading(model.GLANCE, level=1)
    _chart(document, charts.goals_chart(report), "Passages of evidence shown under each goal.")
    if len(report.by_period) > 1:
        _chart(document, charts.years_chart(report), "Passages of evidence by the year of their source document.")
    elif report.by_period:
        document.add_paragraph(f"All the evidence comes from documents of {next(iter(report.by_period))}.")


def _place(document: Document, report: ImpactReport) -> None:
    """The organisation and its place: its size and the places it names, each with its source
    number; no heading when nothing qualifies."""
    if not report.place:
        return
    document.add_heading(model.PLACE, level=1)
    document.add_paragraph(f"What the documents say about {report.organisation} itself: its size and the places it names.")
    for kind, facts in report.place:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(kind + ": ").bold = True
        for i, fact in enumerate(facts):
            paragraph.add_run(("; " if i else "") + fact.text + " ")
            _run(paragraph, fact.citation, size=9, color=GREY)


def _chart(document: Document, png: bytes, caption: str) -> None:
    document.add_picture(io.BytesIO(png), width=CHART_WIDTH)
    document.add_paragraph(caption, style="Caption")


def _chapter(document: Document, report: ImpactReport, chapter: GoalChapter) -> None:
    document.add_heading(chapter.heading, level=1)
    _run(document.add_paragraph(), chapter.description, italic=True, color=GREY)
    document.add_heading(f"What {report.organisation} does", level=2)
    for evidence in chapter.evidence:
        _evidence(document, evidence)
    if chapter.elsewhere:
        shown = "is" if chapter.elsewhere == 1 else "are"
        _run(document.add_paragraph(), f"{model.plural(chapter.elsewhere, 'more passage')} of evidence for this goal {shown} shown under the goal that fits best, or left out as weaker.", size=9, color=GREY)
    numbers = report.numbers(chapter)
    if numbers:
        document.add_heading("In numbers", level=2)
        for figure in numbers:
            document.add_paragraph(figure.label, style="List Bullet")


def _evidence(document: Document, evidence: Evidence) -> None:
    for block in evidence.blocks:
        if block.is_table:
            _table(document, block)
        elif block.note:
            _run(document.add_paragraph(), block.text, italic=True, color=GREY)
        else:
            document.add_paragraph(block.text)
    standing = f" ({evidence.standing})" if evidence.standing else ""
    _run(document.add_paragraph(), evidence.citation + standing, size=9, color=GREY)


def _table(document: Document, block: Block) -> None:
    if block.caption:
        _run(document.add_paragraph(), block.caption, bold=True)
    rows = [block.header, *block.body] if block.header else list(block.body)
    _grid(document, rows, header=bool(block.header))


def _grid(document: Document, rows: Sequence[Sequence[str]], *, header: bool) -> None:
    width = max(len(row) for row in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Light Grid Accent 1"
    for cells, row in zip(table.rows, rows, strict=True):
        for cell, text in zip(cells.cells, row, strict=False):
            cell.text = text
    if header:
        for cell in table.rows[0].cells:
            for run in (r for p in cell.paragraphs for r in p.runs):
                run.bold = True


def _run(paragraph: Paragraph, text: str, *, size: float | None = None, color: RGBColor | None = None, bold: bool = False, italic: bool = False) -> None:
    run = paragraph.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    if size:
        run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = color


def _hyperlink(paragraph: Paragraph, text: str, url: str) -> None:
    """A clickable link (python-docx has no API for one: the run goes in a w:hyperlink element)."""
    relation = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), relation)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    for tag, value in (("w:color", "2B6CB0"), ("w:u", "single"), ("w:sz", "18")):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value)
        properties.append(element)
    run.append(properties)
    text_element = OxmlElement("w:t")
    text_element.text = text
    text_element.set(qn("xml:space"), "preserve")
    run.append(text_element)
    link.append(run)
    paragraph._p.append(link)
