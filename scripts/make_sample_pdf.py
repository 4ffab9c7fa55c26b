"""Regenerate the sample PDF in corpus/sample: a three-page Levelling Up impact-report summary.

The PDF gives the collect and segment stages a realistic born-digital report to read: a title
page, a running header and a page number on every page (boilerplate a segmenter should drop),
headed sections per Levelling Up Goal, figures in varied forms and one quote. The text is written
for this project in the style of public impact reports; it is not an official statement.

Usage:
    python scripts/make_sample_pdf.py [OUTPUT]

OUTPUT defaults to corpus/sample/cadent-levelling-up-summary.pdf in this repository. Needs
reportlab (the "dev" extra). Output is byte-for-byte reproducible (reportlab invariant mode).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "corpus" / "sample" / "cadent-levelling-up-summary.pdf"

ORGANISATION = "Cadent Gas Ltd"
TITLE = "Cadent: Levelling Up Impact Report – Summary"
RUNNING_HEADER = "Cadent · Levelling Up Impact Report summary · Purpose Coalition"
PUBLISHED = "March 2023"
ACCENT = HexColor("#1f4e79")
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=base["BodyText"], fontName="Helvetica", fontSize=10,
                          leading=13.5, spaceAfter=6)
    return {
        "body": body,
        "title": ParagraphStyle("Title", parent=base["Title"], fontName="Helvetica-Bold",
                                fontSize=26, leading=32, textColor=ACCENT, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("Subtitle", parent=body, fontSize=13, leading=17,
                                   alignment=TA_CENTER, spaceAfter=10),
        "goal": ParagraphStyle("Goal", parent=base["Heading2"], fontName="Helvetica-Bold",
                               fontSize=13, leading=16, textColor=ACCENT, spaceBefore=8,
                               spaceAfter=4),
        "quote": ParagraphStyle("Quote", parent=body, fontName="Helvetica-Oblique",
                                leftIndent=12 * mm, rightIndent=12 * mm, fontSize=10.5,
                                leading=14.5, spaceBefore=4, spaceAfter=8),
    }


def _figures_table(rows: list[tuple[str, str]]) -> Table:
    table = Table([["Measure", "Figure"], *rows], colWidths=[110 * mm, 50 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTNAME", (0, 1), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("BACKGROUND", (0, 0), (-1, 0), HexColor("#dce6f1")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, HexColor("#9fb6cd")),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _story(s: dict[str, ParagraphStyle]) -> list[Flowable]:
    body, goal = s["body"], s["goal"]
    story: list[Flowable] = [
        # Page 1: title page.
        Spacer(1, 55 * mm),
        Paragraph(TITLE, s["title"]),
        Spacer(1, 8 * mm),
        Paragraph("How Britain’s largest gas distribution network contributes to the "
                  "Levelling Up Goals", s["subtitle"]),
        Paragraph(f"Produced with the Purpose Coalition · {PUBLISHED}", s["subtitle"]),
        Spacer(1, 25 * mm),
        Paragraph("This summary draws on the full Levelling Up Impact Report prepared for Cadent "
                  "by the Purpose Coalition. It sets out the company’s strengths against six of "
                  "the fourteen goals, with headline figures for each. All figures were supplied "
                  "by the company and relate to the 2021/22 regulatory year unless stated "
                  "otherwise.", body),
        PageBreak(),
        # Page 2.
        Paragraph("Introduction", goal),
        Paragraph("Cadent Gas Ltd (Cadent) owns and operates four of the eight gas distribution "
                  "networks in Great Britain, carrying gas to around 11 million homes and "
                  "businesses in the North West, the West Midlands, the East of England and North "
                  "London. The company employs over 6,000 people, and many of the communities it "
                  "serves are among the most deprived in the country: in parts of its North West "
                  "network, 1 in 4 households live in fuel poverty.", body),
        Paragraph("Harness the energy transition", goal),
        Paragraph("Cadent is preparing its network for a low-carbon future. It led the HyDeploy "
                  "trials, which showed that a blend of up to 20% hydrogen can be used safely in "
                  "existing homes without changes to appliances, and it is a partner in the HyNet "
                  "North West project to produce and store low-carbon hydrogen for industry. The "
                  "company has cut the carbon footprint of its own operations by 38 per cent "
                  "since 2019 and is training its engineers in hydrogen skills.", body),
        _figures_table([
            ("Hydrogen blend trialled in homes", "up to 20%"),
            ("Reduction in operational carbon since 2019", "38 per cent"),
            ("Engineers trained in hydrogen awareness", "more than 1,500"),
        ]),
        Spacer(1, 4 * mm),
        Paragraph("Widening access to savings and credit", goal),
        Paragraph("Through the Fuel Poor Network Extension Scheme, Cadent connects low-income "
                  "households that have never had mains gas, often replacing expensive electric "
                  "or oil heating, and funds free boiler and central heating installations with "
                  "partners. The Cadent Foundation, which receives a share of the company’s "
                  "profits, has supported charities giving energy debt advice and emergency "
                  "credit to families in crisis. In 2022 the Foundation awarded £250,000 to "
                  "advice services working in the West Midlands alone.", body),
        _figures_table([
            ("Fuel-poor homes connected to mains gas (2021/22)", "over 3,000"),
            ("Typical annual saving on heating bills", "£300"),
            ("Households helped with energy debt advice", "12,400"),
        ]),
        PageBreak(),
        # Page 3.
        Paragraph("Positive destinations post 16+", goal),
        Paragraph("Cadent recruits apprentices every year into engineering, customer service and "
                  "business roles. More than 200 apprentices are currently training at its "
                  "centres in the Midlands and the North West, and 85% of those who complete "
                  "their programme stay with the company. Entry requirements were reviewed in "
                  "2022 so that school leavers without a grade 4 in science can still apply.",
                  body),
        Paragraph("Good health and wellbeing", goal),
        Paragraph("Carbon monoxide poisoning can be fatal and is more common in poorly maintained "
                  "homes. Cadent’s safety teams visit schools and community groups to explain "
                  "the warning signs, have given out free audible alarms to households on the "
                  "Priority Services Register, and work with the NHS and fire services to refer "
                  "vulnerable people for support.", body),
        Paragraph("Infrastructure for opportunity", goal),
        Paragraph("Cadent is investing around £1.2bn a year in its network between 2021 and 2026, "
                  "replacing old iron pipes with modern plastic mains that are safer, leak less "
                  "and can carry hydrogen in future. The company works with councils to plan "
                  "roadworks so that town-centre regeneration schemes are disrupted as little as "
                  "possible.", body),
        Paragraph("Achieve equality, through diversity &amp; inclusion", goal),
        Paragraph("Women now make up 31 per cent of Cadent’s workforce and a growing share of "
                  "its engineering apprentices. Staff networks for women, ethnic minority "
                  "colleagues, disabled colleagues and LGBTQ+ colleagues each have an executive "
                  "sponsor.", body),
        Paragraph("Rt Hon Justine Greening said: “Cadent shows how a company that most people "
                  "never think about can be at the centre of a fair energy transition. Its work on "
                  "hydrogen and on fuel poverty proves that net zero and levelling up must go "
                  "together.”", s["quote"]),
        Paragraph("The full Levelling Up Impact Report is available from the Purpose Coalition "
                  "website.", body),
    ]
    return story


class _NumberedCanvas(Canvas):
    """A canvas that draws the running header and "Page N of M" on every page once M is known."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # reportlab's Canvas signature is untyped positional/keyword soup
        self._saved_pages: list[dict[str, object]] = []

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._draw_page_furniture(total)
            super().showPage()
        super().save()

    def _draw_page_furniture(self, total: int) -> None:
        self.saveState()
        self.setFont("Helvetica", 8.5)
        self.setFillColor(ACCENT)
        self.drawString(MARGIN, PAGE_HEIGHT - 12 * mm, RUNNING_HEADER)
        self.setStrokeColor(ACCENT)
        self.setLineWidth(0.5)
        self.line(MARGIN, PAGE_HEIGHT - 14 * mm, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 14 * mm)
        self.drawRightString(PAGE_WIDTH - MARGIN, 10 * mm, f"Page {self._pageNumber} of {total}")
        self.drawString(MARGIN, 10 * mm, f"© Purpose Coalition {PUBLISHED[-4:]}")
        self.restoreState()


def build(output: Path) -> Path:
    """Write the sample PDF to ``output`` (parent folders are created) and return the path."""
    output.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(output),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=22 * mm,
        bottomMargin=20 * mm,
        title=TITLE,
        author="Purpose Coalition",
        subject=f"Levelling Up Impact Report summary: {ORGANISATION}",
        creator="scripts/make_sample_pdf.py",
        invariant=1,
    )
    doc.build(_story(_styles()), canvasmaker=_NumberedCanvas)
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = DEFAULT_OUTPUT.relative_to(REPO_ROOT)
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT,
                        help=f"where to write the PDF (default: {default})")
    args = parser.parse_args(argv)
    print(build(args.output))


if __name__ == "__main__":
    main()
