"""Plain-text files (press releases pasted from e-mail, notes), and the heading heuristics that
plain text and PDF text share (they carry no markup saying which lines are headings)."""

from __future__ import annotations

import re

from pipeline.collect.encoding import decode
from pipeline.collect.html import ExtractedText, join_with_headings
from pipeline.errors import ExtractionError
from pipeline.text import clean_paragraph, paragraphs_from_blocks

_READ_PREFIX = re.compile(r"^\s*read:\s*", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*$")

# Heading lines of text without markup. Strong patterns name their own level and may stack
# ("1 Introduction" over "Goal 3: ..."); a weak one (a short line in sentence or title case) is a
# heading only when a body paragraph follows it, and sits below the strong ones.
HEADING_MAX_WORDS = 12
_GOAL = re.compile(r"^(goal|ambition|mission)\s+\d{1,2}\b", re.IGNORECASE)
_PART = re.compile(r"^(part|section|chapter)\s+(\d{1,2}|[ivx]{1,5}|one|two|three|four|five|six)\b", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+[A-Z][a-z]")
_FINAL_PUNCTUATION = re.compile(r"[.,;:!?]$")
# A short line with an amount, a percentage, a number of three digits or more or one at its
# start is a figure callout; "Positive destinations post 16+" is a heading.
_NOT_HEADING = re.compile(
    r"^\d|[£$€%@]|\bper\s?cent\b|\d[\d,.]*\d\d|https?:|www\.|^-*\s*ends?\s*-*$", re.IGNORECASE
)
_LETTERS = re.compile(r"[^\W\d_]")
_BODY_MIN_WORDS = 8
_BODY_END = re.compile(r"[.!?:\"”’)]$")
WEAK_LEVEL = 3
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_DATE_OR_BYLINE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b{_MONTH}\s+\d{{4}}\b"
    r"|^(?:(?:posted|written|words|photos?)\s+)?by\s",
    re.IGNORECASE,
)


def heading_level(paragraph: str) -> tuple[int, bool] | None:
    """``(level, strong)`` when the paragraph looks like a heading line, else ``None``."""
    words = paragraph.split()
    if not words or len(words) > HEADING_MAX_WORDS or _FINAL_PUNCTUATION.search(paragraph):
        return None
    if not paragraph[0].isupper() and not paragraph[0].isdigit():
        return None
    if _DATE_OR_BYLINE.search(paragraph):
        return None  # a dateline or byline (the segmenter drops those)
    if _PART.match(paragraph):
        return 1, True
    if _GOAL.match(paragraph):
        return 2, True
    numbered = _NUMBERED.match(paragraph)
    if numbered:
        return 1 + numbered.group(1).count("."), True
    if _NOT_HEADING.search(paragraph):
        return None  # a figure callout ("Households helped 12,400"), a contact line, "ENDS"
    letters = _LETTERS.findall(paragraph)
    if len(letters) >= 4 and all(c.isupper() for c in letters) and len(words) <= 8:
        return 1, True
    if paragraph[0].isupper():
        return WEAK_LEVEL, False
    return None


def _is_body(paragraph: str) -> bool:
    return len(paragraph.split()) >= _BODY_MIN_WORDS and bool(_BODY_END.search(paragraph))


def detect_headings(paragraphs: list[str], levels: list[int | None] | None = None) -> list[int | None]:
    """Heading levels of paragraphs of unmarked text (``None`` for body). ``levels`` gives levels
    already known (markdown ``#`` lines); those are kept."""
    known = list(levels) if levels is not None else [None] * len(paragraphs)
    cleaned = [clean_paragraph(p) for p in paragraphs]
    result: list[int | None] = [None] * len(paragraphs)
    strong_heading_next = False  # whether the paragraph after the current one is a strong heading
    heading_next = False
    for index in range(len(paragraphs) - 1, -1, -1):
        following = next((p for p in cleaned[index + 1 :] if p), "")
        if known[index] is not None:
            result[index] = known[index]
            strong_heading_next, heading_next = True, True
            continue
        found = heading_level(cleaned[index]) if cleaned[index] else None
        if found is None:
            if cleaned[index]:
                strong_heading_next = heading_next = False
            continue
        level, strong = found
        body_next = _is_body(following)
        if body_next or strong_heading_next or (strong and heading_next):
            result[index] = level
            strong_heading_next, heading_next = strong, True
        else:
            strong_heading_next = heading_next = False
    return result


def extract_text(content: bytes, *, url: str, charset: str | None = None) -> ExtractedText:
    """Paragraphs are blocks separated by blank lines; the first line is taken as the title.

    Markdown ``#`` lines and heading-like lines (see ``detect_headings``) are recorded as the
    document's headings, without their ``#`` marks."""
    if b"\x00" in content[:8192]:
        raise ExtractionError(f"{url}: binary content, not text; check the file")
    decoded = decode(content, url=url, declared=[charset] if charset else None)
    paragraphs, marked = _markdown_headings(paragraphs_from_blocks(_separate_markdown_headings(decoded.text)))
    levels = detect_headings(paragraphs, marked)
    if paragraphs and marked[0] is None:
        levels[0] = None  # the first line is the title, not a section heading
    text, headings = join_with_headings(paragraphs, levels)
    if not text:
        raise ExtractionError(f"{url}: the file is empty; remove it or add text")
    first_line = text.split("\n", 1)[0]
    title = _READ_PREFIX.sub("", first_line)[:300] or None
    return ExtractedText(text=text, title=title, headings=headings, encoding_warning=decoded.warning)


def _separate_markdown_headings(text: str) -> str:
    """A blank line around every ``#`` heading line, so that it is a paragraph of its own."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(f"\n{line}\n" if _MARKDOWN_HEADING.match(line) else line for line in lines)


def _markdown_headings(paragraphs: list[str]) -> tuple[list[str], list[int | None]]:
    texts: list[str] = []
    levels: list[int | None] = []
    for paragraph in paragraphs:
        match = _MARKDOWN_HEADING.match(paragraph)
        texts.append(match.group(2) if match else paragraph)
        levels.append(len(match.group(1)) if match else None)
    return texts, levels
