"""Text of PDF reports through pypdf, page by page, with running headers and footers removed.

Tables: pypdf's plain text puts each table cell on a line of its own; its layout mode keeps a
table row on one line with the columns apart. Rows found in the layout text (lines that split
into the same number of cells at wide gaps, some holding figures) replace the matching plain
lines as pipe-table rows (``| Measure | Figure |``), which ``pipeline.tables`` reads back.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from pipeline.collect.html import ExtractedText
from pipeline.collect.plain import detect_headings
from pipeline.errors import ExtractionError
from pipeline.text import PARAGRAPH_SEPARATOR, clean_paragraph, paragraphs_from_layout

log = logging.getLogger(__name__)

_PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)


def extract_pdf(content: bytes, *, url: str) -> ExtractedText:
    """Extract text per page; ``page_starts`` records where each page begins in the text.

    Heading lines (``plain.detect_headings``: "Goal 3: ...", numbered sections, all-caps lines,
    short lines over a body paragraph) are recorded as ``headings`` spans."""
    pages, layouts = _page_lines(content, url)
    repeated = _running_lines(pages)
    page_paragraphs = [
        _paragraphs(lines, _table_rows(layout), repeated)
        for lines, layout in zip(pages, layouts, strict=True)
    ]
    flat = [p for paragraphs in page_paragraphs for p in paragraphs]
    levels = iter(None if p.startswith("|") else level for p, level in zip(flat, detect_headings(flat), strict=True))
    text_parts: list[str] = []
    page_starts: list[int] = []
    headings: list[list[int]] = []
    offset = 0
    for paragraphs in page_paragraphs:
        if text_parts:
            offset += len(PARAGRAPH_SEPARATOR)
        page_starts.append(offset)
        paragraph_start = offset
        for paragraph in paragraphs:
            level = next(levels)
            if level is not None:
                headings.append([level, paragraph_start, paragraph_start + len(paragraph)])
            paragraph_start += len(paragraph) + len(PARAGRAPH_SEPARATOR)
        page_text = PARAGRAPH_SEPARATOR.join(paragraphs)
        text_parts.append(page_text)
        offset += len(page_text)
    text = PARAGRAPH_SEPARATOR.join(text_parts)
    if not text.strip():
        raise ExtractionError(f"{url}: the PDF has no text layer (a scan?); run OCR on it first")
    return ExtractedText(text=text, title=_title(content, pages), page_starts=page_starts, headings=headings)


def _page_lines(content: bytes, url: str) -> tuple[list[list[str]], list[list[str]]]:
    """The plain-text lines and the layout-mode lines of each page."""
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(f"{url}: the PDF is password-protected; supply a decrypted copy")
        plain = [(page.extract_text() or "").splitlines() for page in reader.pages]
        return plain, [_layout_lines(page, url) for page in reader.pages]
    except ExtractionError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ExtractionError(
            f"{url}: unreadable PDF ({exc.__class__.__name__}: {exc}); check the file is a complete PDF"
        ) from exc
    except Exception as exc:
        reason = (str(exc).splitlines() or [""])[0][:200]
        raise ExtractionError(f"{url}: unreadable PDF ({exc.__class__.__name__}: {reason}); check the file is a complete PDF") from exc


def _layout_lines(page: PageObject, url: str) -> list[str]:
    try:
        return (page.extract_text(extraction_mode="layout") or "").splitlines()
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        log.debug("%s: no layout text for table detection (%s)", url, exc)  # tables then read as plain lines
        return []


_COLUMN_GAP = re.compile(r"\s{3,}")
MIN_TABLE_ROWS = 2  # a header and one row


def _table_rows(layout: list[str]) -> list[list[list[str]]]:
    """Tables in a page's layout text: runs of consecutive lines that split into the same number
    (two or more) of cells at gaps of three or more spaces, with a digit in some cell after the
    first (a table of figures; prose set in two columns has none)."""
    tables: list[list[list[str]]] = []
    run: list[list[str]] = []
    for line in [*layout, ""]:
        cells = [clean_paragraph(cell) for cell in _COLUMN_GAP.split(line.strip())] if line.strip() else []
        if len(cells) >= 2 and (not run or len(cells) == len(run[0])):
            run.append(cells)
            continue
        if len(run) >= MIN_TABLE_ROWS and any(re.search(r"\d", cell) for row in run for cell in row[1:]):
            tables.append(run)
        run = [cells] if len(cells) >= 2 else []
    return tables


def _paragraphs(lines: list[str], tables: list[list[list[str]]], repeated: set[str]) -> list[str]:
    """Paragraphs of a page's plain lines without the ``repeated`` ones (running headers, page
    numbers), with the lines of each table in ``tables`` (found in the layout text) replaced by
    one pipe-table row per table row (a cell of a bare number is not a page number there)."""
    cleaned = [clean_paragraph(line) for line in lines]

    def prose(part: list[str]) -> list[str]:
        return paragraphs_from_layout([line for line in part if clean_paragraph(line) not in repeated])

    paragraphs: list[str] = []
    done = 0
    for table in tables:
        found = _find_table(cleaned, table, done)
        if found is None:
            continue  # the plain text orders it differently: keep it as text
        begin, end = found
        paragraphs += prose(lines[done:begin])
        paragraphs += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in table]
        done = end
    return paragraphs + prose(lines[done:])


def _find_table(lines: list[str], table: list[list[str]], after: int) -> tuple[int, int] | None:
    """The range of ``lines`` (from ``after``) whose words are the table's cells in order."""
    target = " ".join(cell for row in table for cell in row)
    for begin in range(after, len(lines)):
        if not lines[begin] or not target.startswith(lines[begin]):
            continue
        joined = ""
        for end in range(begin, len(lines)):
            joined = f"{joined} {lines[end]}".strip()
            if joined == target:
                return begin, end + 1
            if not target.startswith(joined):
                break
    return None


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines that repeat on most pages (running headers, footers) and bare page numbers."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({clean_paragraph(line) for line in lines})
    threshold = max(2, (len(pages) + 1) // 2)
    repeated = {line for line, n in counts.items() if n >= threshold and line}
    repeated |= {line for line in counts if _PAGE_NUMBER.match(line)}
    return repeated


def _title(content: bytes, pages: list[list[str]]) -> str | None:
    try:
        meta = PdfReader(io.BytesIO(content)).metadata
    except (PdfReadError, PyPdfError):
        meta = None
    if meta and meta.title and meta.title.strip():
        return meta.title.strip()
    for lines in pages:
        for line in lines:
            if clean_paragraph(line):
                return clean_paragraph(line)
    return None
