"""Document structure: heading paths from HTML, PDF and text, through collection and segmentation."""

from __future__ import annotations

import io

from pipeline import segment
from pipeline.collect.html import extract_html
from pipeline.collect.pdf import extract_pdf
from pipeline.collect.plain import detect_headings, extract_text
from pipeline.config import SegmentParams
from pipeline.ids import text_hash
from pipeline.records import Document
from tests.conftest import FIXTURES

TITLE = "Northshire Water: Levelling Up Impact Report"
GOAL_3 = "Goal 3: Positive destinations post 16+"
BODY = (
    "The company recruited 85 apprentices last year into engineering, science and customer roles, and most stayed on.",
    "Entry requirements were reviewed so that school leavers without a science grade can still apply to the scheme.",
    "Every summer the company offers a week of paid work experience to pupils from schools in deprived wards.",
    "Northshire Water spends more than half of its procurement budget with small businesses based in the region.",
)


def segmented(extracted, kind: str) -> tuple[Document, list]:
    document = Document(
        id="d1",
        url=f"d1.{kind}",
        kind=kind,
        text=extracted.text,
        content_hash=text_hash(extracted.text),
        title=extracted.title,
        page_starts=extracted.page_starts,
        headings=extracted.headings,
    )
    passages = segment.run([document], SegmentParams())
    for passage in passages:
        assert document.text[passage.start : passage.end] == passage.text
    return document, passages


def test_html_headings_give_each_passage_its_heading_path():
    extracted = extract_html((FIXTURES / "headings.html").read_bytes(), url="https://example.org/report")
    document, passages = segmented(extracted, "html")
    assert [document.text[s:e] for _, s, e in extracted.headings][:3] == [TITLE, GOAL_3, "Apprenticeships"]
    assert [level for level, _, _ in extracted.headings] == [1, 2, 3, 3, 2, 2]
    assert [(p.text.split(" ")[0], p.headings) for p in passages] == [
        ("Northshire", [TITLE]),
        ("The", [TITLE, GOAL_3]),
        ("Entry", [TITLE, GOAL_3, "Apprenticeships"]),
        ("120", [TITLE, GOAL_3, "Apprenticeships"]),  # a short paragraph with a figure stays a passage
        ("Every", [TITLE, GOAL_3, "Work experience"]),
        ("Northshire", [TITLE, "Extending enterprise"]),  # an h2 closes the h2 and h3 above it
        ("All", [TITLE, "Good health and wellbeing"]),
    ]
    assert not any(p.text in ("12 March 2024", "By Jane Smith") or p.text == GOAL_3 for p in passages)


def test_markdown_text_headings_are_marked_and_their_hashes_dropped():
    content = "\n\n".join(
        [
            "Northshire Water report",
            "# Our impact",
            f"## {GOAL_3}\n{BODY[0]}",  # a heading line directly over its paragraph
            f"### Apprenticeships ###\n\n{BODY[1]}",
            f"## Extending enterprise\n\n{BODY[3]}",
        ]
    ).encode()
    extracted = extract_text(content, url="notes.txt")
    document, passages = segmented(extracted, "txt")
    assert "#" not in document.text
    assert [p.headings for p in passages] == [
        ["Our impact", GOAL_3],
        ["Our impact", GOAL_3, "Apprenticeships"],
        ["Our impact", "Extending enterprise"],
    ]


def test_plain_text_heading_lines_before_a_paragraph_are_headings():
    content = "\n\n".join(
        [
            "Northshire Water commits to the Levelling Up Goals",
            "LONDON, 12 March 2024 –",
            "By Jane Smith",
            "Positive destinations post 16+",
            BODY[0],
            "1,200 apprentices trained",  # a figure callout, not a heading
            BODY[1],
            "Notes to editors",
            BODY[2],
        ]
    ).encode()
    _document, passages = segmented(extract_text(content, url="release.txt"), "txt")
    assert [(p.text[:20], p.headings) for p in passages] == [
        (BODY[0][:20], ["Positive destinations post 16+"]),
        ("1,200 apprentices tr", ["Positive destinations post 16+"]),
        (BODY[1][:20], ["Positive destinations post 16+"]),
        (BODY[2][:20], ["Notes to editors"]),
    ]


def test_detect_headings_needs_a_body_paragraph_after_a_weak_heading():
    paragraphs = ["Measure", "Figure", "Hydrogen blend trialled in homes", "Open recruitment", BODY[0], "OUR IMPACT", "Goal 5: Open recruitment", BODY[1]]
    assert detect_headings(paragraphs) == [None, None, None, 3, None, 1, 2, None]


def _pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("Northshire Water summary")

    def page(lines: list[tuple[str, int]]) -> None:
        y = 780
        for text, size in lines:
            pdf.setFont("Helvetica-Bold" if size > 11 else "Helvetica", size)
            pdf.drawString(60, y, text)
            y -= size + 8
        pdf.showPage()

    page(
        [
            ("1 Introduction", 16),
            ("Northshire Water supplies drinking water to 2.4 million people across the county.", 10),
            ("It employs around 3,100 colleagues in offices, treatment works and depots.", 10),
            ("Goal 3: Positive destinations post 16+", 14),
            ("The company recruited 85 apprentices last year into engineering and science roles.", 10),
            ("Apprenticeships", 12),
            ("Entry requirements were reviewed so that school leavers can still apply to the scheme.", 10),
            ("120 apprentices", 10),
        ]
    )
    page(
        [
            ("Extending enterprise", 14),
            ("Northshire Water spends more than half of its procurement budget with local firms.", 10),
            ("2 Recommendations", 16),
            ("The company should publish its apprentice retention figures every year from now on.", 10),
        ]
    )
    pdf.save()
    return buffer.getvalue()


def test_pdf_heading_lines_give_each_passage_its_heading_path():
    _document, passages = segmented(extract_pdf(_pdf(), url="summary.pdf"), "pdf")
    got = [(p.text.split(" ")[0], p.page, p.headings) for p in passages]
    assert got == [
        ("Northshire", 1, ["1 Introduction"]),
        ("It", 1, ["1 Introduction"]),
        ("The", 1, ["1 Introduction", GOAL_3]),
        ("Entry", 1, ["1 Introduction", GOAL_3, "Apprenticeships"]),
        ("120", 1, ["1 Introduction", GOAL_3, "Apprenticeships"]),
        # an unnumbered heading line has no level of its own: it sits below the numbered and "Goal N" ones
        ("Northshire", 2, ["1 Introduction", GOAL_3, "Extending enterprise"]),
        ("The", 2, ["2 Recommendations"]),
    ]
