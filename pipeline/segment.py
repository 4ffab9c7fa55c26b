"""The segment stage: documents into passages with stable ids and character offsets.

A passage is a paragraph (or a run of table rows, or a sentence-aligned piece of an overlong
paragraph). Boilerplate such as "Read:" links, cookie notices, pagination, bylines, datelines and
short headings is dropped. The paragraphs that ``Document.headings`` marks as headings are not
passages either: they make each passage's heading path (``Passage.headings``; a heading applies
until the next heading of the same or a higher level). ``Passage.text == document.text[start:end]``
always holds.

A run of pipe-table rows (``pipeline.tables``) is one passage with ``Passage.table`` set to its
rows; a table longer than ``max_chars`` is split between rows, and each later piece's ``table``
repeats the caption and header rows (its ``text`` is still exactly its slice of the document).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from pipeline.config import SegmentParams
from pipeline.ids import stable_id
from pipeline.records import Document, Passage
from pipeline.tables import parse_pipe_table, structure
from pipeline.text import clean_paragraph

BOILERPLATE_PATTERNS = (
    r"^read( more)?:\s",
    r"^(previous|next)(\s+(previous|next))*$",
    r"\bcookies?\b.*\b(accept|consent|settings|use|policy)\b",
    r"^(©|\(c\)|copyright\b)|all rights reserved",
    r"^(share( this)?|follow us|sign up|subscribe|back to top|skip to)\b",
    r"\b(can be found|click|read (it|the full report)) here\.?$",
    r"^leave a (comment|reply)$",
    r"^(tags|categories|posted in|filed under):",
    r"^for (more|further) information\b",
)
_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"‘'(£0-9])")
_DIGIT = re.compile(r"\d")
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_DATE = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}})"
)
# A dateline alone on a line: "12 March 2024", "LONDON, 12 March 2024 –", "Published: Tuesday 12 March 2024, 10:00"
DATELINE = re.compile(
    r"^(?:(?:published|posted|updated|last updated|date|dated)(?:\s+on)?:?\s*)?"
    r"(?:[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3},\s*)?"
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"{_DATE}(?:,?\s+(?:at\s+)?\d{{1,2}}[:.]\d{{2}}(?:\s*[ap]m)?)?\s*[-–—:|]?$",
    re.IGNORECASE,
)
# A byline: "By Jane Smith", "Posted by admin", "By Rt Hon Justine Greening, Chair of ..." (no
# sentence end; "By 2030 we will ..." and "By March 2025, ..." are sentences, not bylines).
BYLINE = re.compile(
    rf"^(?:(?i:posted|written|words|photos?|published)\s+by\s+\S|[Bb]y\s+(?!(?i:{_MONTH})\b)(?:[A-Z][\w.'’-]*|the\s+[A-Z]))"
    r"[^.!?]*$",
)
BYLINE_MAX_WORDS = 20


def run(documents: Iterable[Document], params: SegmentParams) -> list[Passage]:
    """Segment every document; the result is in document order."""
    segmenter = Segmenter(params)
    return [passage for document in documents for passage in segmenter.segment(document)]


class Segmenter:
    def __init__(self, params: SegmentParams) -> None:
        self.params = params
        patterns = (*BOILERPLATE_PATTERNS, *params.boilerplate_patterns)
        self._boilerplate = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)

    def segment(self, document: Document) -> list[Passage]:
        title = clean_paragraph(document.title or "").lower()
        spans = [
            (start, end, path, table)
            for start, end, path, table in self._with_tables(document.text, document.headings or [])
            if not title or document.text[start:end].lower() != title  # the headline repeated
        ]
        seen: Counter[str] = Counter()
        passages = []
        for ordinal, (start, end, path, table) in enumerate(spans):
            text = document.text[start:end]
            seen[text] += 1  # the same text twice in one document still gets two ids
            passages.append(
                Passage(
                    id=stable_id("passage", document.id, text, seen[text]),
                    document_id=document.id,
                    ordinal=ordinal,
                    text=text,
                    start=start,
                    end=end,
                    page=_page_of(start, document.page_starts),
                    headings=list(path),
                    table=table,
                )
            )
        return passages

    def is_boilerplate(self, paragraph: str) -> bool:
        if self._boilerplate.search(paragraph) or is_byline_or_dateline(paragraph):
            return True
        return len(paragraph.split()) < self.params.min_words and not _DIGIT.search(paragraph)

    def _with_tables(self, text: str, headings: list[list[int]]) -> Iterator[tuple[int, int, tuple[str, ...], list[list[str]] | None]]:
        """``_spans`` with the rows of each table piece; a later piece of a split table gets the
        caption and header rows of the table's first piece before its own."""
        leading: list[list[str]] = []
        previous_end = -1
        for start, end, path in self._spans(text, headings):
            rows = parse_pipe_table(text[start:end]) if text.startswith("|", start) else None
            if rows is not None:
                continued = bool(leading) and not text[previous_end:start].strip()
                if continued and rows[: len(leading)] != leading:
                    rows = [*leading, *rows]
                elif not continued:
                    leading = rows[: structure(rows).leading_rows]
                previous_end = end
            else:
                leading = []
            yield start, end, path, rows

    def _spans(self, text: str, headings: list[list[int]]) -> Iterator[tuple[int, int, tuple[str, ...]]]:
        heading_at = {start: level for level, start, _end in headings}
        stack: list[tuple[int, str]] = []  # the open headings, outermost first
        path: tuple[str, ...] = ()
        table: list[tuple[int, int]] = []
        for match in _PARAGRAPH.finditer(text):
            paragraph = match.group()
            if match.start() in heading_at:
                if table:
                    yield table[0][0], table[-1][1], path
                    table = []
                level = heading_at[match.start()]
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, paragraph))
                path = tuple(heading for _, heading in stack)
                continue
            if paragraph.startswith("|"):
                if table and match.end() - table[0][0] > self.params.max_chars:
                    yield table[0][0], table[-1][1], path
                    table = []
                table.append(match.span())
                continue
            if table:
                yield table[0][0], table[-1][1], path
                table = []
            if not self.is_boilerplate(paragraph):
                for start, end in self._split_long(match.start(), paragraph):
                    yield start, end, path
        if table:
            yield table[0][0], table[-1][1], path

    def _split_long(self, offset: int, paragraph: str) -> Iterator[tuple[int, int]]:
        """Split at sentence boundaries into pieces of at most ``max_chars`` where possible."""
        if len(paragraph) <= self.params.max_chars:
            yield offset, offset + len(paragraph)
            return
        starts = [0, *(m.end() for m in _SENTENCE_BREAK.finditer(paragraph))]
        piece_start = 0
        for sentence_start in starts[1:]:
            if sentence_start - piece_start > self.params.max_chars and sentence_start > piece_start:
                end = _previous_break(starts, sentence_start, piece_start)
                yield offset + piece_start, offset + len(paragraph[:end].rstrip())
                piece_start = end
        yield offset + piece_start, offset + len(paragraph)


def is_byline_or_dateline(paragraph: str) -> bool:
    """A byline ("By Jane Smith", "Posted by ...") or a dateline alone on a line."""
    if DATELINE.match(paragraph):
        return True
    if len(paragraph.split()) > BYLINE_MAX_WORDS or not BYLINE.match(paragraph):
        return False
    return not _DIGIT.search(paragraph) or bool(re.search(_DATE, paragraph, re.IGNORECASE))  # a figure: a sentence


def _previous_break(starts: list[int], current: int, piece_start: int) -> int:
    """The last sentence start before ``current`` that is after ``piece_start``."""
    index = bisect.bisect_left(starts, current) - 1
    return starts[index] if starts[index] > piece_start else current


def _page_of(offset: int, page_starts: list[int] | None) -> int | None:
    if not page_starts:
        return None
    return bisect.bisect_right(page_starts, offset)
