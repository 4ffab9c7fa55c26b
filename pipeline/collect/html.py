"""Main text and metadata of an HTML page, through trafilatura."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura

from pipeline.text import join_paragraphs, paragraphs_from_lines
from pipeline.errors import ExtractionError


MIN_ARTICLE_WORDS = 10  # below this, trafilatura has found navigation or a stub, not an article


@dataclass(frozen=True)
class ExtractedText:
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    page_starts: list[int] | None = None
    url: str | None = None  # the page's canonical URL, when it declares one


def extract_html(content: bytes | str, *, url: str, include_tables: bool = True, charset: str | None = None) -> ExtractedText:
    """Extract the article body of a page, dropping navigation, banners and footers.

    Bytes are decoded with ``charset`` when the server declared one; otherwise trafilatura
    guesses the encoding from the page."""
    if isinstance(content, bytes):
        _refuse_binary(content, url)
        if charset:
            try:
                content = content.decode(charset, errors="replace")
            except LookupError:
                pass  # an unknown charset name: let trafilatura guess
    result = trafilatura.bare_extraction(
        content,
        url=url,
        include_comments=False,
        include_tables=include_tables,
        with_metadata=True,
        deduplicate=False,
    )
    words = len((result.text or "").split()) if result is not None else 0
    if result is None or words < MIN_ARTICLE_WORDS:
        raise ExtractionError(f"{url}: no article text found in the HTML ({words} words); is it an article page?")
    text = join_paragraphs(paragraphs_from_lines(result.text))
    return ExtractedText(
        text=text,
        title=result.title,
        author=result.author,
        date=result.date,
        sitename=result.sitename,
        url=result.url or None,
    )


def _refuse_binary(content: bytes, url: str) -> None:
    head = content[:8192]
    if b"\x00" in head or head.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff")):
        raise ExtractionError(
            f"{url}: binary content, not HTML; check the file (a PDF or image named .html?)"
        )
