"""The collect stage: local files and URLs into ``Document`` records.

    documents, failures = collect.run(["corpus/sample"], params.collect)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pipeline.collect.fetch import RawInput, expand_inputs, fetch_url, is_url, read_file
from pipeline.collect.html import ExtractedText, extract_html
from pipeline.collect.pdf import extract_pdf
from pipeline.collect.plain import extract_text
from pipeline.config import CollectParams
from pipeline.errors import InputError
from pipeline.ids import stable_id, text_hash
from pipeline.progress import Track, no_progress
from pipeline.records import Document

log = logging.getLogger(__name__)


@dataclass
class Failure:
    """One input that could not be used, with the one-line reason."""

    item: str
    reason: str


@dataclass
class CollectResult:
    documents: list[Document] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def run(
    inputs: list[str],
    params: CollectParams,
    *,
    client: httpx.Client | None = None,
    track: Track = no_progress,
) -> CollectResult:
    """Collect every input; a bad item is logged, counted and skipped."""
    items = expand_inputs(inputs)
    result = CollectResult()
    owned_client = client is None and any(is_url(item) for item in items)
    if owned_client:
        client = httpx.Client(timeout=params.timeout_s, headers={"User-Agent": params.user_agent})
    try:
        for item in track(items, "collect", len(items)):
            try:
                result.documents.append(collect_one(item, params, client=client))
            except InputError as exc:
                log.warning("skipped %s", exc)
                result.failures.append(Failure(item, str(exc)))
    finally:
        if owned_client and client is not None:
            client.close()
    return result


def collect_one(item: str, params: CollectParams, *, client: httpx.Client | None = None) -> Document:
    """Read and extract one file or URL."""
    max_bytes = int(params.max_file_mb * 1_000_000)
    if is_url(item):
        if client is None:
            raise InputError(f"{item}: no HTTP client given for a URL input")
        raw = fetch_url(item, client, max_bytes=max_bytes, deadline=params.deadline_s)
    else:
        raw = read_file(Path(item), max_bytes=max_bytes)
    return to_document(raw, extract_raw(raw, params))


def extract_raw(raw: RawInput, params: CollectParams) -> ExtractedText:
    """Text and metadata of one raw input, by its kind."""
    if not raw.content.strip():
        raise InputError(f"{raw.url}: the file is empty; remove it or give a file with text")
    if raw.kind == "html":
        return extract_html(raw.content, url=raw.url, include_tables=params.include_tables, charset=raw.charset)
    if raw.kind == "pdf":
        return extract_pdf(raw.content, url=raw.url)
    return extract_text(raw.content, url=raw.url, charset=raw.charset)


def to_document(raw: RawInput, extracted: ExtractedText) -> Document:
    return Document(
        id=stable_id("document", raw.url),
        url=raw.url,
        kind=raw.kind,
        text=extracted.text,
        content_hash=text_hash(extracted.text),
        title=extracted.title,
        author=extracted.author,
        date=extracted.date,
        sitename=extracted.sitename,
        page_starts=extracted.page_starts,
        headings=extracted.headings,
        encoding_warning=extracted.encoding_warning,
    )
