"""``levelup ingest``: the nightly job. Discover, fetch politely, deduplicate, and send only new or
changed documents through segment → extract → tag → store.

Crash-safe by construction: every fetch is logged; the raw response is stored compressed and
content-addressed before anything else; each document is stored in its own transaction with
its passages and suggestions, and its fetch is logged only after that. A run killed at any point
and started again re-fetches (conditionally) what was not logged, finds unchanged content by its
hash, and finishes the rest: nothing is duplicated (ids come from URLs and content) and nothing
stored is lost. A lock file stops two runs from overlapping.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import logging
import os
import socket
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trafilatura.deduplication import Simhash

from pipeline import classify
from pipeline.collect import Failure, RawInput, extract_raw, to_document
from pipeline.collect.discover import discover, normalise
from pipeline.collect.http import Fetched, Fetcher
from pipeline.collect.sources import Source
from pipeline.config import Params, data_dir
from pipeline.errors import FetchError, IngestLocked, InputError
from pipeline.evidence.store import FetchLog, Store
from pipeline.progress import Track, no_progress
from pipeline.records import Document, Provenance
from pipeline.workflow.batch import DOCUMENT_BATCH, KnownGoals
from pipeline.workflow.run import RunReport, finish_run, process_and_save

log = logging.getLogger(__name__)

NEAR_DUPLICATE = 0.94  # Simhash similarity (share of equal bits) above which two texts are one document


@dataclass
class SourceReport:
    name: str
    discovered: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # outcome -> count
    errors: list[str] = field(default_factory=list)

    @property
    def failed_entirely(self) -> bool:
        """Nothing discovered because discovery failed, or every fetch failed."""
        attempted = sum(self.counts.values())
        if self.discovered == 0:
            return bool(self.errors)
        return attempted > 0 and self.counts["failed"] == attempted


@dataclass
class IngestReport:
    run: RunReport
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def failed_sources(self) -> list[str]:
        return [s.name for s in self.sources if s.failed_entirely]


class RawStore:
    """Raw responses, gzip-compressed, by SHA-256 of the bytes: ``data/raw/ab/abcdef....gz``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir() / "raw"

    def save(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        path = self.path(digest)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(gzip.compress(content, mtime=0))
            partial.replace(path)  # atomic: a crash never leaves half a file under the real name
        return digest

    def load(self, digest: str) -> bytes:
        return gzip.decompress(self.path(digest).read_bytes())

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.gz"


@contextmanager
def ingest_lock(path: Path | None = None) -> Iterator[None]:
    """Hold an exclusive lock for the run; a second run fails at once with who holds it."""
    path = path or data_dir() / "ingest.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise IngestLocked(f"another ingest run is in progress ({holder}); wait for it to finish (lock: {path})") from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now(UTC).isoformat(timespec='seconds')}\n")
        handle.flush()
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def ingest(
    sources: list[Source],
    params: Params,
    store: Store,
    *,
    fetcher: Fetcher,
    raw: RawStore | None = None,
    concurrency: int | None = None,
    track: Track = no_progress,
) -> IngestReport:
    """One ingest run over ``sources``; the caller holds ``ingest_lock``."""
    raw = raw or RawStore()
    tagger = classify.lazy_tagger(params.tag)  # models load only if a document needs work
    with store.transaction() as tx:
        report = IngestReport(RunReport(tx.start_run("ingest " + " ".join(s.name for s in sources))))
    seen = _Index.load(store)
    known = KnownGoals(store.goals_by_organisation(tagger.taxonomy.name))
    try:
        for source in sources:
            work = _Work(params, store, fetcher, raw, seen, tagger, known, report.run)
            report.sources.append(_ingest_source(source, work, concurrency or params.collect.concurrency, track))
    except BaseException as exc:
        finish_run(store, report.run, status="failed", error=f"{exc.__class__.__name__}: {exc}")
        raise
    report.run.counts["sources"] = len(sources)
    report.run.counts["sources_failed"] = len(report.failed_sources)
    for failed in report.failed_sources:
        report.run.failures.append(Failure(f"source {failed}", "failed entirely: " + "; ".join(next(s for s in report.sources if s.name == failed).errors[:3])))
    status = "failed" if report.failed_sources and len(report.failed_sources) == len(sources) else report.run.status
    finish_run(store, report.run, status=status)
    return report


@dataclass
class _Index:
    """What is already stored, for unchanged and duplicate checks within and across runs."""

    hashes: dict[str, str]  # document id -> content hash
    by_hash: dict[str, str]  # content hash -> document id
    simhashes: list[tuple[str, Simhash]]
    urls: dict[str, str]  # document id -> url

    @classmethod
    def load(cls, store: Store) -> _Index:
        rows = store.document_index()
        return cls(
            hashes={r.id: r.content_hash for r in rows},
            by_hash={r.content_hash: r.id for r in rows},
            simhashes=[(r.id, Simhash(existing_hash=r.simhash)) for r in rows if r.simhash],
            urls={r.id: r.url for r in rows},
        )

    def near(self, fingerprint: Simhash, not_id: str) -> str | None:
        for document_id, other in self.simhashes:
            if document_id != not_id and fingerprint.similarity(other) >= NEAR_DUPLICATE:
                return document_id
        return None

    def add(self, document: Document, fingerprint: Simhash) -> None:
        self.hashes[document.id] = document.content_hash
        self.by_hash[document.content_hash] = document.id
        self.simhashes.append((document.id, fingerprint))
        self.urls[document.id] = document.url


@dataclass
class _Pending:
    document: Document
    fetched: Fetched
    raw_sha: str
    outcome: str
    simhash: str


@dataclass
class _Work:
    """What every URL of a run is handled with."""

    params: Params
    store: Store
    fetcher: Fetcher
    raw: RawStore
    seen: _Index
    tagger: classify.Tagger
    known: KnownGoals
    run: RunReport

    def log(self, url: str, source: str, outcome: str, **found: Any) -> None:
        with self.store.transaction() as tx:
            tx.log_fetch(_fetch_log(url, source, self.run.run_id, outcome, **found))


def _ingest_source(source: Source, work: _Work, concurrency: int, track: Track) -> SourceReport:
    report = SourceReport(source.name)
    found = discover(source, work.fetcher)
    report.discovered = len(found.urls)
    report.errors.extend(reason for _, reason in found.failures)
    work.run.counts["discovered"] += len(found.urls)
    previous = work.store.last_fetches(found.urls)
    pending: list[_Pending] = []

    def flush() -> None:
        if not pending:
            return
        provenance = {
            p.document.id: Provenance(source=source.name, organisation=source.organisation, simhash=p.simhash, raw_sha256=p.raw_sha)
            for p in pending
        }
        process_and_save([p.document for p in pending], work.params, work.store, work.tagger, work.known, work.run, provenance=provenance)
        with work.store.transaction() as tx:  # logged only once stored: a crash before this re-fetches
            for item in pending:
                tx.log_fetch(_fetch_log(item.fetched.url, source.name, work.run.run_id, item.outcome, fetched=item.fetched, raw_sha=item.raw_sha, document=item.document))
        pending.clear()

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {
            pool.submit(work.fetcher.fetch, url, etag=previous.get(url, (None, None))[0], last_modified=previous.get(url, (None, None))[1]): url
            for url in found.urls
        }
        for future in track(as_completed(futures), f"ingest {source.name}", len(futures)):
            url = futures[future]
            outcome, item = _handle(url, future, source, work)
            report.counts[outcome] += 1
            work.run.counts[f"pages_{outcome}"] += 1
            if outcome == "failed":
                report.errors.append(item if isinstance(item, str) else url)
            if isinstance(item, _Pending):
                pending.append(item)
                if len(pending) >= DOCUMENT_BATCH:
                    flush()
        flush()
    log.info("source %s: %d discovered, %s", source.name, report.discovered, dict(report.counts))
    return report


def _handle(url: str, future: Any, source: Source, work: _Work) -> tuple[str, Any]:
    """Decide what one fetched URL means; returns (outcome, pending document or error)."""
    try:
        fetched: Fetched = future.result()
    except FetchError as error:
        work.log(url, source.name, "failed", status=error.status, error=str(error))
        work.run.failures.append(Failure(url, str(error)))
        return "failed", str(error)
    if fetched.unchanged:
        work.log(url, source.name, "unchanged", fetched=fetched)
        return "unchanged", None
    raw_sha = work.raw.save(fetched.content)
    try:
        document = _document(fetched, work.params)
    except InputError as error:
        work.log(url, source.name, "failed", fetched=fetched, raw_sha=raw_sha, error=str(error))
        work.run.failures.append(Failure(url, str(error)))
        return "failed", str(error)
    seen = work.seen
    if seen.hashes.get(document.id) == document.content_hash:
        work.log(url, source.name, "unchanged", fetched=fetched, raw_sha=raw_sha, document=document)
        return "unchanged", None
    fingerprint = Simhash(document.text)
    original = seen.by_hash.get(document.content_hash) or seen.near(fingerprint, document.id)
    if original is not None and original != document.id:
        with work.store.transaction() as tx:
            tx.add_alias(original, document.url)
            tx.log_fetch(_fetch_log(url, source.name, work.run.run_id, "duplicate", fetched=fetched, raw_sha=raw_sha, document=document))
        log.info("%s duplicates %s", document.url, seen.urls.get(original))
        return "duplicate", None
    outcome = "changed" if document.id in seen.hashes else "new"
    seen.add(document, fingerprint)
    return outcome, _Pending(document, fetched, raw_sha, outcome, fingerprint.to_hex())


def _document(fetched: Fetched, params: Params) -> Document:
    if fetched.kind not in ("html", "pdf", "txt"):
        raise InputError(f"{fetched.url}: not a document ({fetched.content_type})")
    address = normalise(fetched.final_url) or fetched.final_url
    extracted = extract_raw(RawInput(url=address, kind=fetched.kind, content=fetched.content, charset=fetched.charset), params.collect)
    canonical = normalise(extracted.url) if extracted.url else None
    if canonical and canonical != address and _same_site(canonical, address):
        address = canonical  # the page's own <link rel="canonical">
    return to_document(RawInput(url=address, kind=fetched.kind, content=fetched.content), extracted)


def _same_site(a: str, b: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(a).netloc.lower() == urlsplit(b).netloc.lower()


def _fetch_log(
    url: str,
    source: str,
    run_id: str,
    outcome: str,
    *,
    fetched: Fetched | None = None,
    status: int | None = None,
    raw_sha: str | None = None,
    document: Document | None = None,
    error: str | None = None,
) -> FetchLog:
    return FetchLog(
        url=url,
        source=source,
        run_id=run_id,
        outcome=outcome,
        status=fetched.status if fetched else status,
        etag=fetched.etag if fetched else None,
        last_modified=fetched.last_modified if fetched else None,
        content_hash=document.content_hash if document else None,
        raw_sha256=raw_sha,
        document_id=document.id if document else None,
        error=error,
    )
