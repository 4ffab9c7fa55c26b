"""Normalising extracted text into the document normal form.

A document's ``text`` is a sequence of paragraphs separated by one blank line; inside a paragraph
runs of whitespace (including non-breaking and zero-width spaces) collapse to a single space.
Segmentation and character offsets downstream rely on this form.
"""

from __future__ import annotations

import re
import unicodedata

PARAGRAPH_SEPARATOR = "\n\n"
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_BLANK_LINES = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]\s*$")


def clean_paragraph(text: str) -> str:
    """Collapse whitespace inside one paragraph and normalise Unicode compatibility forms."""
    text = unicodedata.normalize("NFC", text).replace("\r", " ").replace("\n", " ")
    return _SPACES.sub(" ", text).strip()


def join_paragraphs(paragraphs: list[str]) -> str:
    """Build a normal-form text from paragraphs, dropping empty ones."""
    cleaned = (clean_paragraph(p) for p in paragraphs)
    return PARAGRAPH_SEPARATOR.join(p for p in cleaned if p)


def paragraphs_from_lines(text: str) -> list[str]:
    """One paragraph per non-empty line (trafilatura's output form)."""
    return [line for line in text.splitlines() if line.strip()]


HARD_WRAP_WIDTH = 100  # e-mail and plain-text tools wrap at 72-80 columns; longer lines are paragraphs


def paragraphs_from_blocks(text: str) -> list[str]:
    """Paragraphs separated by blank lines.

    Lines inside a block are joined when the block looks hard-wrapped (no line longer than
    ``HARD_WRAP_WIDTH``); otherwise every line is a paragraph of its own, as in text pasted from
    a web page with single line breaks.
    """
    paragraphs: list[str] = []
    for block in _BLANK_LINES.split(text.replace("\r\n", "\n")):
        lines = [line for line in block.split("\n") if line.strip()]
        if max((len(line) for line in lines), default=0) > HARD_WRAP_WIDTH:
            paragraphs.extend(lines)
        elif lines:
            paragraphs.append(" ".join(lines))
    return paragraphs


def paragraphs_from_layout(lines: list[str]) -> list[str]:
    """Rebuild paragraphs from visual lines (PDF text) that carry no blank-line structure.

    A line runs on into the next when the next one starts in lower case (a sentence wraps), or
    when it is nearly full width and does not close a sentence (justified text wraps). Otherwise
    the paragraph ends: after a short line (a heading, a paragraph's last line) or a full stop
    at the end of a shorter line.
    """
    lines = [clean_paragraph(line) for line in lines]
    lines = [line for line in lines if line]
    if not lines:
        return []
    full_width = sorted(len(line) for line in lines)[int(len(lines) * 0.9)]
    paragraphs: list[str] = []
    current: list[str] = []
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        current.append(line)
        wraps = following[:1].islower() or (following[:1].isdigit() and not _SENTENCE_END.search(line))
        full = len(line) >= 0.85 * full_width and not _SENTENCE_END.search(line)
        if not following or not (wraps or full):
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs
