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
import queue
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from trafilatura.deduplication import Simhash

from pipeline import classify
from pipeline.collect import Failure, RawInput, extract_raw, to_document
from pipeline.collect.discover import discover, normalise
from pipeline.collect.http import Fetched, Fetcher
from pipeline.collect.sources import Source
from pipeline.config import Params, data_dir
from pipeline.errors import FetchError, IngestLocked, InputError, OutOfTime
from pipeline.evidence.store import FetchLog, Store
from pipeline.progress import Track, no_progress
from pipeline.records import Document, Provenance
from pipeline.workflow.batch import DOCUMENT_BATCH, KnownGoals
from pipeline.workflow.run import RunReport, finish_run, process_and_save

log = logging.getLogger(__name__)

QUEUE_SIZE = 32  # fetched pages waiting for the storing thread; fetching threads wait beyond this
NEAR_DUPLICATE = 0.94  # Simhash similarity (share of equal bits) above which two texts are one document


@dataclass
class SourceReport:
    name: str
    discovered: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # outcome -> count
    errors: list[str] = field(default_factory=list)
    left: int = 0  # URLs never fetched and not fetched now: the time budget ran out, or past the page budget
    skipped: bool = False  # not even discovered, because the time budget ran out

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
    budget_reached: bool = False

    @property
    def left(self) -> int:
        """URLs discovered but not fetched (the time budget ran out, or never fetched and past a
        source's page budget); the next run fetches them first."""
        return sum(s.left for s in self.sources)

    @property
    def skipped_sources(self) -> list[str]:
        return [s.name for s in self.sources if s.skipped]

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
        holder = _checked_holder(handle.read().strip())
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


def _checked_holder(written: str) -> str:
    """Who holds the lock, as its holder wrote it ("pid N on HOST since ..."), with the pid checked:
    a holder gone from this host means a process it started (inheriting the lock) still runs."""
    from pipeline.evidence.runs import pid_alive, this_host

    match = re.match(r"pid (\d+) on (\S+)", written)
    if match and match.group(2) == this_host() and not pid_alive(int(match.group(1))):
        return f"{written}; that process is gone, but a process it started still holds the lock: end it"
    return written or "another process"


def ingest(
    sources: list[Source],
    params: Params,
    store: Store,
    *,
    fetcher: Fetcher,
    raw: RawStore | None = None,
    concurrency: int | None = None,
    time_budget: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    track: Track = no_progress,
) -> IngestReport:
    """One ingest run over ``sources``; the caller holds ``ingest_lock``.

    Sources are grouped by host; up to ``concurrency`` hosts are crawled at once (one request at
    a time per host, as before), so one slow site no longer stalls the others. After
    ``time_budget`` seconds (default ``collect.time_budget_s``) no new request starts: what was
    fetched is stored, and the URLs left are reported and fetched first by the next run."""
    raw = raw or RawStore()
    tagger = classify.lazy_tagger(params.tag)  # models load only if a document needs work
    with store.transaction() as tx:
        report = IngestReport(RunReport(tx.start_run("ingest " + " ".join(s.name for s in sources))))
    seen = _Index.load(store)
    known = KnownGoals(store.goals_by_organisation(tagger.taxonomy.name))
    work = _Work(params, store, fetcher, raw, seen, tagger, known, report.run)
    budget = time_budget if time_budget is not None else params.collect.time_budget_s
    crawl = _Crawl(sources, work, concurrency or params.collect.concurrency, _Deadline(budget, clock))
    try:
        report.sources = crawl.run(track)
    except BaseException as exc:
        crawl.stop.set()
        finish_run(store, report.run, status="failed", error=f"{exc.__class__.__name__}: {exc}")
        raise
    report.run.counts["sources"] = len(sources)
    report.run.counts["sources_failed"] = len(report.failed_sources)
    if report.left:
        report.run.counts["left_for_next_run"] = report.left
    if crawl.deadline.reached:
        report.budget_reached = True
        log.warning("time budget of %g s reached, %d URLs left for the next run", budget, report.left)
    elif report.left:
        log.warning("%d new URLs past the sources' page_budget left for the next run", report.left)
    for failed in report.failed_sources:
        report.run.failures.append(Failure(f"source {failed}", "failed entirely: " + "; ".join(next(s for s in report.sources if s.name == failed).errors[:3])))
    status = "failed" if report.failed_sources and len(report.failed_sources) == len(sources) else report.run.status
    finish_run(store, report.run, status=status)
    return report


@dataclass
class _Deadline:
    """The run's time budget (``None``: none)."""

    seconds: float | None
    clock: Callable[[], float]
    started: float = 0.0
    reached: bool = False

    def start(self) -> None:
        self.started = self.clock()

    def left(self) -> float | None:
        """Seconds left of the budget (None: no budget)."""
        return None if self.seconds is None else self.seconds - (self.clock() - self.started)

    def passed(self) -> bool:
        if self.seconds is not None and not self.reached and self.clock() - self.started >= self.seconds:
            self.reached = True
        return self.reached


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
    """What every URL of a run is handled with (in the run's one storing thread)."""

    params: Params
    store: Store
    fetcher: Fetcher
    raw: RawStore
    seen: _Index
    tagger: classify.Tagger
    known: KnownGoals
    run: RunReport
    unsaved: set[str] = field(default_factory=set)  # ids of documents of this run waiting in a batch
    # duplicates of a document still waiting in a batch: its id -> (duplicate url, its fetch log);
    # recorded (also_at, fetch log) in the transaction that logs the original, so a crash re-fetches both
    duplicates: dict[str, list[tuple[str, FetchLog]]] = field(default_factory=dict)

    def log(self, url: str, source: str, outcome: str, **found: Any) -> None:
        with self.store.transaction() as tx:
            tx.log_fetch(_fetch_log(url, source, self.run.run_id, outcome, **found))


# What the fetching threads hand to the storing thread.
@dataclass
class _Discovered:
    source: Source
    urls: int
    errors: list[str]


@dataclass
class _Fetched:
    source: Source
    url: str
    answer: Fetched | FetchError


@dataclass
class _SourceDone:
    source: Source
    left: int  # URLs not fetched: the time budget ran out, or never fetched and past the page budget
    skipped: bool = False  # not even discovered


@dataclass
class _GroupDone:
    error: BaseException | None = None


_Event = _Discovered | _Fetched | _SourceDone | _GroupDone


def host_groups(sources: list[Source]) -> list[list[Source]]:
    """Sources grouped by the host of their first start URL, in first-seen order: one group is
    crawled by one thread, so a host is never asked two things at once by two sources."""
    groups: dict[str, list[Source]] = {}
    for source in sources:
        groups.setdefault(urlsplit(source.start_urls[0]).netloc.lower(), []).append(source)
    return list(groups.values())


class _Crawl:
    """Fetching threads (one per host group) and the calling thread, which handles, dedups and
    stores everything they fetch: all database writes and model calls stay in one thread."""

    def __init__(self, sources: list[Source], work: _Work, concurrency: int, deadline: _Deadline) -> None:
        self.sources = sources
        self.work = work
        self.groups = host_groups(sources)
        self.concurrency = max(1, min(concurrency, len(self.groups) or 1))
        self.deadline = deadline
        self.stop = threading.Event()
        self.events: queue.Queue[_Event] = queue.Queue(maxsize=QUEUE_SIZE)
        self.storing = True  # False once the storing thread has stopped reading events
        self.reports = {s.name: SourceReport(s.name) for s in sources}
        self.pending: dict[str, list[_Pending]] = {s.name: [] for s in sources}

    def run(self, track: Track) -> list[SourceReport]:
        self.deadline.start()
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="ingest-host") as pool:
            for group in self.groups:
                pool.submit(self._fetch_group, group)
            try:
                for event in track(self._drain(), "ingest", None):
                    self._on(event)
            finally:
                self.stop.set()  # an error in this thread: the fetching threads stop too
                self.storing = False
        for source in self.sources:
            self._flush(source)
        self._record_duplicates_left()
        return [self.reports[s.name] for s in self.sources]

    def _drain(self) -> Iterator[_Event]:
        """Events until every group is done; sets ``stop`` once the time budget is spent."""
        running = len(self.groups)
        while running:
            if self.deadline.passed():
                self.stop.set()
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if isinstance(event, _GroupDone):
                running -= 1
                if event.error is not None:
                    raise event.error
                continue
            yield event

    # --- the fetching threads ------------------------------------------------------------------

    def _fetch_group(self, group: list[Source]) -> None:
        error: BaseException | None = None
        try:
            for source in group:
                self._fetch_source(source)
        except BaseException as exc:  # noqa: BLE001  # not swallowed: handed to the storing thread, which raises it
            error = exc
        finally:
            self._put(_GroupDone(error))

    def _put(self, event: _Event) -> None:
        """Hand over an event, waiting while the storing thread is behind (bounded memory)."""
        while self.storing:
            try:
                self.events.put(event, timeout=0.2)
                return
            except queue.Full:
                continue

    def _fetch_source(self, source: Source) -> None:
        if self.stop.is_set():
            self._put(_SourceDone(source, left=0, skipped=True))
            return
        fetcher, store = self.work.fetcher, self.work.store
        found = discover(source, fetcher)
        candidates = found.urls + found.beyond  # newest first
        self._put(_Discovered(source, len(candidates), [reason for _, reason in found.failures]))
        tried = store.fetched_urls(candidates)
        # URLs never tried first (newest first), then those to check again, up to the page budget:
        # what a run cut short by its time budget or a source's page budget left is fetched first next time
        ordered = [u for u in candidates if u not in tried] + [u for u in candidates if u in tried]
        ordered, over = ordered[: source.page_budget], ordered[source.page_budget :]
        previous = store.last_fetches(ordered)
        left = sum(url not in tried for url in over)  # never fetched, past the page budget
        for url in ordered:
            if self.stop.is_set():
                left += 1
                continue
            etag, modified = previous.get(url, (None, None))
            try:
                answer: Fetched | FetchError = fetcher.fetch(url, etag=etag, last_modified=modified, time_left=self.deadline.left)
            except OutOfTime as error:  # a retry would end past the budget: the budget is spent for this run
                log.warning("%s; left for the next run", error)
                self.deadline.reached = True
                self.stop.set()
                left += 1
                continue
            except FetchError as error:
                answer = error
            self._put(_Fetched(source, url, answer))
        self._put(_SourceDone(source, left))

    # --- the storing thread --------------------------------------------------------------------

    def _on(self, event: _Event) -> None:
        report = self.reports[event.source.name] if not isinstance(event, _GroupDone) else None
        if isinstance(event, _Discovered) and report is not None:
            report.discovered = event.urls
            report.errors.extend(event.errors)
            self.work.run.counts["discovered"] += event.urls
        elif isinstance(event, _Fetched) and report is not None:
            outcome, item = _handle(event.url, event.answer, event.source, self.work)
            report.counts[outcome] += 1
            self.work.run.counts[f"pages_{outcome}"] += 1
            if outcome == "failed":
                report.errors.append(item if isinstance(item, str) else event.url)
            if isinstance(item, _Pending):
                self.pending[event.source.name].append(item)
                if len(self.pending[event.source.name]) >= DOCUMENT_BATCH:
                    self._flush(event.source)
        elif isinstance(event, _SourceDone) and report is not None:
            report.left, report.skipped = event.left, event.skipped
            self._flush(event.source)
            log.info("source %s: %d discovered, %s", report.name, report.discovered, dict(report.counts))

    def _flush(self, source: Source) -> None:
        pending = self.pending[source.name]
        if not pending:
            return
        work = self.work
        provenance = {
            p.document.id: Provenance(source=source.name, organisation=source.organisation, organisation_kind=source.organisation_kind, simhash=p.simhash, raw_sha256=p.raw_sha)
            for p in pending
        }
        process_and_save([p.document for p in pending], work.params, work.store, work.tagger, work.known, work.run, provenance=provenance)
        with work.store.transaction() as tx:  # logged only once stored: a crash before this re-fetches
            for item in pending:
                tx.log_fetch(_fetch_log(item.fetched.url, source.name, work.run.run_id, item.outcome, fetched=item.fetched, raw_sha=item.raw_sha, document=item.document))
                for url, fetch in work.duplicates.pop(item.document.id, []):
                    tx.add_alias(item.document.id, url)
                    tx.log_fetch(fetch)
                work.unsaved.discard(item.document.id)
        pending.clear()

    def _record_duplicates_left(self) -> None:
        """Duplicates of documents that were never stored (their processing failed): logged."""
        with self.work.store.transaction() as tx:
            for original, found in self.work.duplicates.items():
                for url, fetch in found:
                    tx.add_alias(original, url)
                    tx.log_fetch(fetch)
        self.work.duplicates.clear()


def _handle(url: str, answer: Fetched | FetchError, source: Source, work: _Work) -> tuple[str, Any]:
    """Decide what one fetched URL means; returns (outcome, pending document or error)."""
    if isinstance(answer, FetchError):
        work.log(url, source.name, "failed", status=answer.status, error=str(answer))
        work.run.failures.append(Failure(url, str(answer)))
        return "failed", str(answer)
    fetched = answer
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
        fetch = _fetch_log(url, source.name, work.run.run_id, "duplicate", fetched=fetched, raw_sha=raw_sha, document=document)
        if original in work.unsaved:  # found earlier in this run, still waiting in a batch
            work.duplicates.setdefault(original, []).append((document.url, fetch))
        else:
            with work.store.transaction() as tx:
                tx.add_alias(original, document.url)
                tx.log_fetch(fetch)
        log.info("%s duplicates %s", document.url, seen.urls.get(original))
        return "duplicate", None
    outcome = "changed" if document.id in seen.hashes else "new"
    seen.add(document, fingerprint)
    work.unsaved.add(document.id)
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
