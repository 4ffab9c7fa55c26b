"""Plain-text files (press releases pasted from e-mail, notes)."""

from __future__ import annotations

import re

from pipeline.collect.html import ExtractedText
from pipeline.text import join_paragraphs, paragraphs_from_blocks
from pipeline.errors import ExtractionError

_ENCODINGS = ("utf-8-sig", "cp1252")
_READ_PREFIX = re.compile(r"^\s*read:\s*", re.IGNORECASE)


def extract_text(content: bytes, *, url: str) -> ExtractedText:
    """Paragraphs are blocks separated by blank lines; the first line is taken as the title."""
    if b"\x00" in content[:8192]:
        raise ExtractionError(f"{url}: binary content, not text; check the file")
    decoded = _decode(content, url)
    text = join_paragraphs(paragraphs_from_blocks(decoded))
    if not text:
        raise ExtractionError(f"{url}: the file is empty; remove it or add text")
    first_line = text.split("\n", 1)[0]
    return ExtractedText(text=text, title=_READ_PREFIX.sub("", first_line)[:300] or None)


def _decode(content: bytes, url: str) -> str:
    for encoding in _ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExtractionError(f"{url}: not UTF-8 or Windows-1252 text; convert it to UTF-8")
