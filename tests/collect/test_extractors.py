
import pytest

from pipeline.collect.html import extract_html
from pipeline.collect.pdf import extract_pdf
from pipeline.collect.plain import extract_text
from pipeline.errors import ExtractionError
from pipeline.tables import parse_pipe_table
from pipeline.text import paragraphs_from_blocks, paragraphs_from_layout
from tests.conftest import FIXTURES


def test_extract_html_keeps_article_and_drops_navigation_banner_and_footer():
    page = extract_html((FIXTURES / "press-release.html").read_bytes(), url="press-release.html")
    assert "wellbeing hubs at every one of its hospitals" in page.text
    assert "more than 300 unemployed local people" in page.text
    for boilerplate in ("We use cookies", "Home", "All rights reserved", "newsletter"):
        assert boilerplate not in page.text
    assert page.title == "Sheffield Teaching Hospitals opens wellbeing hubs for staff"
    assert page.date == "2023-03-14"


def test_extract_html_text_is_in_normal_form():
    text = extract_html((FIXTURES / "press-release.html").read_bytes(), url="x.html").text
    assert "\n\n" in text and "\n\n\n" not in text
    assert all(p == p.strip() and "  " not in p for p in text.split("\n\n"))


def test_extract_html_refuses_binary_content():
    with pytest.raises(ExtractionError, match="binary content"):
        extract_html((FIXTURES / "binary.html").read_bytes(), url="binary.html")


@pytest.mark.parametrize("html", ["<html><body></body></html>", "<html><body><nav>Home</nav></body></html>"])
def test_extract_html_without_article_text_is_an_extraction_error(html: str):
    with pytest.raises(ExtractionError, match="no article text"):
        extract_html(html, url="page.html")


def test_extract_pdf_rebuilds_paragraphs_and_drops_running_header_and_page_numbers():
    pdf = extract_pdf((FIXTURES / "report.pdf").read_bytes(), url="report.pdf")
    paragraphs = pdf.text.split("\n\n")
    assert (
        "Leeds Teaching Hospitals NHS Trust employs 420 apprentices across nursing, estates and finance, "
        "and 60 per cent of them live in the city's most deprived neighbourhoods." in paragraphs
    )
    assert "Levelling Up Impact Report summary" not in pdf.text
    assert "Page 1" not in pdf.text
    assert pdf.title == "Leeds Teaching Hospitals Levelling Up Summary"


def test_extract_pdf_records_where_each_page_starts():
    pdf = extract_pdf((FIXTURES / "report.pdf").read_bytes(), url="report.pdf")
    assert pdf.page_starts is not None and len(pdf.page_starts) == 2
    assert pdf.text[pdf.page_starts[1] :].startswith("Closing the digital divide")


def test_extract_pdf_truncated_file_is_an_extraction_error():
    with pytest.raises(ExtractionError, match=r"unreadable PDF|no text layer"):
        extract_pdf((FIXTURES / "broken.pdf").read_bytes(), url="broken.pdf")


def test_extract_text_title_drops_read_prefix_and_joins_wrapped_lines():
    doc = extract_text((FIXTURES / "release.txt").read_bytes(), url="release.txt")
    assert doc.title == "Severn Trent launches bill support fund"
    assert "with more than 50,000 households expected" in doc.text


def test_extract_text_decodes_windows_1252():
    doc = extract_text("Fund of £2m for customers in need of support with bills".encode("cp1252"), url="x.txt")
    assert "£2m" in doc.text


@pytest.mark.parametrize("content", [b"", b"   \n\n  "])
def test_extract_text_empty_is_an_extraction_error(content: bytes):
    with pytest.raises(ExtractionError, match="empty"):
        extract_text(content, url="empty.txt")


def test_paragraphs_from_blocks_keeps_long_lines_apart():
    long_a, long_b = "a" * 120, "b" * 120
    assert paragraphs_from_blocks(f"{long_a}\n{long_b}\n\nshort one\nshort two") == [long_a, long_b, "short one short two"]


def test_paragraphs_from_layout_separates_headings():
    lines = ["Good health", "The trust trained 250 first aiders who support", "colleagues on every ward.", "Next heading"]
    assert paragraphs_from_layout(lines) == [
        "Good health",
        "The trust trained 250 first aiders who support colleagues on every ward.",
        "Next heading",
    ]


def test_extract_html_keeps_a_table_as_pipe_rows_that_parse_back():
    page = extract_html((FIXTURES / "table.html").read_bytes(), url="table.html")
    rows = [p for p in page.text.split("\n\n") if p.startswith("|")]
    assert parse_pipe_table("\n\n".join(rows)) == [
        ["Apprenticeships at a glance", "", ""],
        ["Measure", "2022", "2023"],
        ["Apprenticeship starts", "95", "120"],
        ["Completions", "60", "80"],
        ["Starts aged 16–24", "55%", "62%"],
    ]


def test_extract_pdf_keeps_a_table_as_pipe_rows():
    pdf = extract_pdf((FIXTURES / "table.pdf").read_bytes(), url="table.pdf")
    paragraphs = pdf.text.split("\n\n")
    assert paragraphs[1:4] == ["| Measure | 2022 | 2023 |", "| Apprenticeship starts | 95 | 120 |", "| Completions | 60 | 80 |"]
    assert paragraphs[0].startswith("Northern Rail has expanded") and paragraphs[4].startswith("The company will keep")
    assert not any(start <= pdf.text.index("| Measure") < end for _, start, end in pdf.headings or [])


def test_extract_pdf_prose_without_wide_gaps_has_no_table():
    pdf = extract_pdf((FIXTURES / "report.pdf").read_bytes(), url="report.pdf")
    assert "|" not in pdf.text
def test_a_pdf_with_an_unknown_stream_filter_is_an_extraction_error():
    """Regression (found by tests/fuzz with LEVELUP_FUZZ=long): pypdf raised NotImplementedError."""
    content = (FIXTURES / "report.pdf").read_bytes()
    assert b"/ASCII85Decode" in content
    with pytest.raises(ExtractionError, match="unreadable PDF"):
        extract_pdf(content.replace(b"/ASCII85Decode", b"/ASII85Decode"), url="bad.pdf")
