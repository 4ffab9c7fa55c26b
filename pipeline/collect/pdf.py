"""Text of PDF reports through pypdf, page by page, with running headers and footers removed."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from pypdf import PdfReader
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
    pages = _page_lines(content, url)
    repeated = _running_lines(pages)
    page_paragraphs = [
        paragraphs_from_layout([line for line in lines if clean_paragraph(line) not in repeated]) for lines in pages
    ]
    levels = iter(detect_headings([p for paragraphs in page_paragraphs for p in paragraphs]))
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


def _page_lines(content: bytes, url: str) -> list[list[str]]:
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(f"{url}: the PDF is password-protected; supply a decrypted copy")
        return [(page.extract_text() or "").splitlines() for page in reader.pages]
    except ExtractionError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ExtractionError(
            f"{url}: unreadable PDF ({exc.__class__.__name__}: {exc}); check the file is a complete PDF"
        ) from exc
    except Exception as exc:
        reason = (str(exc).splitlines() or [""])[0][:200]
        raise ExtractionError(f"{url}: unreadable PDF ({exc.__class__.__name__}: {reason}); check the file is a complete PDF") from exc


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
