"""What a run has to do, decided before any model (or even the HTML extractor) is used.

A nightly re-run mostly meets inputs it has seen. Each input's raw bytes are hashed first; the
*extraction memo* (``$LEVELUP_DATA_DIR/cache/extracted.sqlite``) remembers which text hash those
exact bytes gave last time, under the same collect settings and the same extraction code. If the
store holds that document with that text hash, tagged by the current model, the input is
unchanged and is skipped without extracting it; only the rest are extracted and returned for
processing. The memo is only a shortcut: the store still decides what is unchanged, and a memo
that is missing or stale costs one extraction, never a wrong skip of changed text.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from pipeline import collect
from pipeline.collect import Failure
from pipeline.collect.fetch import RawInput, expand_inputs, fetch_url, is_url, read_file
from pipeline.config import CollectParams, data_dir
from pipeline.errors import InputError
from pipeline.evidence.store import Store
from pipeline.ids import stable_id
from pipeline.progress import Track, no_progress
from pipeline.records import Document

if TYPE_CHECKING:
    from pipeline.workflow.run import RunReport

log = logging.getLogger(__name__)

_SCHEMA = "create table if not exists extracted (key text primary key, content_hash text not null)"


class ExtractionMemo:
    """Raw bytes (by SHA-256, with their address and the extraction settings) -> text hash."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or data_dir() / "cache" / "extracted.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("select content_hash from extracted where key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, content_hash: str) -> None:
        with self._lock:
            self._db.execute("insert or replace into extracted (key, content_hash) values (?, ?)", (key, content_hash))
            self._db.commit()

    def close(self) -> None:
        self._db.close()


def memo_key(raw: RawInput, params: CollectParams) -> str:
    """Changes with the bytes, the address, the kind, the collect settings or the extraction code."""
    parts = [raw.url, raw.kind, raw.charset or "", hashlib.sha256(raw.content).hexdigest(), params.model_dump_json(), _extractor_version()]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


@cache
def _extractor_version() -> str:
    """The collect package's own code and the extraction libraries' versions."""
    digest = hashlib.sha256()
    for source in sorted(Path(collect.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    for package in ("trafilatura", "pypdf", "pdfminer.six", "pymupdf", "charset-normalizer"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            continue
    return digest.hexdigest()


def collect_needing_work(
    inputs: list[str],
    params: CollectParams,
    store: Store,
    *,
    taxonomy: str,
    model: str,
    report: RunReport,
    force: bool = False,
    memo: ExtractionMemo | None = None,
    client: httpx.Client | None = None,
    track: Track = no_progress,
) -> list[Document]:
    """The new and changed documents among ``inputs``, counted in ``report`` (unchanged ones too)."""
    items = expand_inputs(inputs)
    stored = store.document_hashes()
    tagged = store.tagged_with(taxonomy, model)
    memo = memo or ExtractionMemo()
    owned = client is None and any(is_url(item) for item in items)
    if owned:
        client = httpx.Client(timeout=params.timeout_s, headers={"User-Agent": params.user_agent})
    todo: list[Document] = []
    try:
        for item in track(items, "collect", len(items)):
            try:
                raw = _read(item, params, client)
            except InputError as exc:
                log.warning("skipped %s", exc)
                report.failures.append(Failure(item, str(exc)))
                continue
            key = memo_key(raw, params)
            document_id = stable_id("document", raw.url)
            remembered = memo.get(key)
            if not force and remembered is not None and stored.get(document_id) == remembered and document_id in tagged:
                report.counts["documents_unchanged"] += 1
                continue
            try:
                document = collect.to_document(raw, collect.extract_raw(raw, params))
            except InputError as exc:
                log.warning("skipped %s", exc)
                report.failures.append(Failure(item, str(exc)))
                continue
            memo.put(key, document.content_hash)
            known = stored.get(document.id)
            if not force and known == document.content_hash and document.id in tagged:
                report.counts["documents_unchanged"] += 1
                continue
            report.counts["documents_new" if known is None else "documents_changed"] += 1
            todo.append(document)
    finally:
        if owned and client is not None:
            client.close()
        memo.close()
    report.counts["inputs"] = len(items)
    return todo


def _read(item: str, params: CollectParams, client: httpx.Client | None) -> RawInput:
    max_bytes = int(params.max_file_mb * 1_000_000)
    if is_url(item):
        if client is None:
            raise InputError(f"{item}: no HTTP client given for a URL input")
        return fetch_url(item, client, max_bytes=max_bytes, deadline=params.deadline_s)  # as collect and ingest do
    return read_file(Path(item), max_bytes=max_bytes)

