"""Main text and metadata of an HTML page, through trafilatura."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import trafilatura

from pipeline.collect.encoding import decode_html
from pipeline.errors import ExtractionError
from pipeline.text import PARAGRAPH_SEPARATOR, clean_paragraph, paragraphs_from_lines

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
    headings: list[list[int]] | None = None  # [level, start, end] spans of heading paragraphs in text
    encoding_warning: str | None = None  # bytes invalid in the declared encoding, replaced (collect.encoding)


def join_with_headings(paragraphs: list[str], levels: list[int | None]) -> tuple[str, list[list[int]]]:
    """The normal-form text of ``paragraphs`` (as ``join_paragraphs``) and the ``[level, start,
    end]`` spans of those whose ``levels`` entry is a heading level."""
    parts: list[str] = []
    spans: list[list[int]] = []
    offset = 0
    for paragraph, level in zip(paragraphs, levels, strict=True):
        cleaned = clean_paragraph(paragraph)
        if not cleaned:
            continue
        if parts:
            offset += len(PARAGRAPH_SEPARATOR)
        if level is not None:
            spans.append([level, offset, offset + len(cleaned)])
        parts.append(cleaned)
        offset += len(cleaned)
    return PARAGRAPH_SEPARATOR.join(parts), spans


def extract_html(content: bytes | str, *, url: str, include_tables: bool = True, charset: str | None = None) -> ExtractedText:
    """Extract the article body of a page, dropping navigation, banners and footers.

    Bytes are decoded by the encoding the server (``charset``) or the page declares; bytes
    invalid in it are replaced and reported in ``encoding_warning`` (see ``collect.encoding``)."""
    warning = None
    if isinstance(content, bytes):
        _refuse_binary(content, url)
        decoded = decode_html(content, url=url, charset=charset)
        content, warning = decoded.text, decoded.warning
    result = trafilatura.bare_extraction(
        content,
        url=url,
        include_comments=False,
        include_tables=include_tables,
        with_metadata=True,
        deduplicate=False,
    )
    if isinstance(result, dict):  # only with as_dict=True, which is not asked for
        raise TypeError("trafilatura returned a dict; expected a Document")
    words = len((result.text or "").split()) if result is not None else 0
    if result is None or words < MIN_ARTICLE_WORDS:
        raise ExtractionError(f"{url}: no article text found in the HTML ({words} words); is it an article page?")
    paragraphs = paragraphs_from_lines(result.text or "")
    text, headings = join_with_headings(paragraphs, _heading_levels(paragraphs, result.body))
    return ExtractedText(
        text=text,
        headings=headings,
        title=result.title,
        author=result.author,
        date=result.date,
        sitename=result.sitename,
        url=result.url or None,
        encoding_warning=warning,
    )


_HEADING_REND = re.compile(r"^h([1-6])$")
_LOOKAHEAD = 3  # a heading trafilatura kept in its tree but not in its text is skipped over


def _heading_levels(paragraphs: list[str], body: Any) -> list[int | None]:
    """The level of each paragraph that is one of the page's h1-h6 headings (``<head rend="hN">``
    in trafilatura's tree), matched in document order."""
    levels: list[int | None] = [None] * len(paragraphs)
    if body is None:
        return levels
    heads = []
    for element in body.iter("head"):
        match = _HEADING_REND.match(element.get("rend") or "")
        heads.append((int(match.group(1)) if match else 2, clean_paragraph("".join(element.itertext()))))
    following = 0
    for index, paragraph in enumerate(paragraphs):
        cleaned = clean_paragraph(paragraph)
        for candidate in range(following, min(following + _LOOKAHEAD, len(heads))):
            if heads[candidate][1] == cleaned:
                levels[index] = heads[candidate][0]
                following = candidate + 1
                break
    return levels


def _refuse_binary(content: bytes, url: str) -> None:
    head = content[:8192]
    if b"\x00" in head or head.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff")):
        raise ExtractionError(
            f"{url}: binary content, not HTML; check the file (a PDF or image named .html?)"
        )
