"""Nightly ingestion end to end against local fixture sites: discovery, polite fetching,
deduplication, bad pages, conditional re-runs, the lock, exit codes, and kill-and-resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from pipeline.collect.http import Fetcher
from pipeline.collect.sources import load_sources
from pipeline.config import Params
from pipeline.errors import IngestLocked
from pipeline.evidence import schema
from pipeline.evidence.store import Store
from pipeline.workflow.ingest import RawStore, ingest, ingest_lock

from .sites import Reply, Sites, etagged, html, page, rss, sitemap

pytestmark = pytest.mark.slow

TRUST, UNI, SYN, DOWN = "http://www.trust-one.nhs.uk", "http://news.uni-two.ac.uk", "http://www.syndicate.co.uk", "http://www.down.org.uk"
SOURCES = f"""
sources:
  - name: trust
    organisation: Nottingham University Hospitals NHS Trust
    kind: feed
    start_urls: [{TRUST}/feed.xml]
    allow: ['/news/']
  - name: uni
    organisation: Sheffield Hallam University
    kind: sitemap
    start_urls: [{UNI}/sitemap.xml]
  - name: syndicate
    organisation: Syndicated News
    kind: listing
    start_urls: [{SYN}/news]
    link_pattern: '/stories/'
  - name: down
    organisation: Down Ltd
    kind: feed
    start_urls: [{DOWN}/feed.xml]
"""
PAIRS = ((f"{TRUST}/news/nuh", f"{SYN}/stories/nuh-copy"), (f"{TRUST}/news/walsall", f"{SYN}/stories/walsall-edited"))
NUH = html("nottingham-university-hospitals-commits.html")
WALSALL = html("walsall-healthcare-impact-report.html")
STORED = {
    f"{TRUST}/news/nuh",
    f"{TRUST}/news/walsall",
    f"{TRUST}/news/latin1",
    f"{UNI}/news/shu",
    f"{UNI}/news/derby",
    f"{UNI}/report.pdf",
}


def build(sites: Sites, *, slow: float = 0.0) -> None:
    sites.add(f"{TRUST}/robots.txt", Reply(200, b"User-agent: *\nDisallow: /news/private/\n", {"Content-Type": "text/plain"}))
    sites.add(
        f"{TRUST}/feed.xml",
        rss(*(f"{TRUST}/news/{name}" for name in ("nuh", "walsall", "latin1", "private/memo", "missing", "broken", "binary", "empty", "huge", "moved", "loop", "slowpoke"))),
    )
    sites.add(f"{TRUST}/news/nuh", etagged(NUH, '"nuh-1"'))
    sites.add(f"{TRUST}/news/walsall", etagged(WALSALL, '"walsall-1"'))
    latin1 = html("severn-trent-impact-report.html").decode("utf-8").replace("’", "'").replace("“", '"').replace("”", '"').replace("–", "-").replace("£", "£")
    sites.add(f"{TRUST}/news/latin1", Reply(200, latin1.encode("cp1252", errors="replace"), {"Content-Type": "text/html; charset=windows-1252"}))
    sites.add(f"{TRUST}/news/broken", Reply(500, b"oops", {"Content-Type": "text/plain"}))
    sites.add(f"{TRUST}/news/binary", Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(200), {"Content-Type": "text/html"}))
    sites.add(f"{TRUST}/news/empty", page(b"<html><body><nav>Home</nav></body></html>"))
    sites.add(f"{TRUST}/news/huge", page(b"<html><body>" + b"<p>word </p>" * 200_000 + b"</body></html>"))
    sites.add(f"{TRUST}/news/moved", Reply(301, b"", {"Location": f"{TRUST}/news/walsall"}))  # the same page under its new address
    sites.add(f"{TRUST}/news/loop", Reply(302, b"", {"Location": f"{TRUST}/news/loop"}))
    sites.add(f"{TRUST}/news/slowpoke", Reply(200, NUH, {"Content-Type": "text/html"}, delay=3.0))  # over the client timeout
    sites.add(f"{UNI}/sitemap.xml", sitemap(f"{UNI}/sitemap-news.xml", index=True))
    sites.add(f"{UNI}/sitemap-news.xml", sitemap(f"{UNI}/news/shu", f"{UNI}/news/derby", f"{UNI}/report.pdf"))
    sites.add(f"{UNI}/news/shu", page(html("sheffield-hallam-university-commits.html"), **{"Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"}))
    derby = Reply(200, html("university-of-derby-impact-report.html"), {"Content-Type": "text/html"}, delay=slow)
    sites.add(f"{UNI}/news/derby", derby)
    pdf = (Path(__file__).resolve().parents[2] / "corpus" / "sample" / "cadent-levelling-up-summary.pdf").read_bytes()
    sites.add(f"{UNI}/report.pdf", Reply(200, pdf, {"Content-Type": "application/pdf"}))
    listing = page(b'<html><body><a href="/stories/nuh-copy">a</a> <a href="/stories/walsall-edited">b</a></body></html>')
    sites.add(f"{SYN}/news", after_the_originals(sites, listing))
    sites.add(f"{SYN}/stories/nuh-copy", page(NUH))  # the same press release, syndicated
    edited = WALSALL.replace(b"Walsall Healthcare", b"Walsall Healthcare NHS", 1)
    sites.add(f"{SYN}/stories/walsall-edited", page(edited))  # nearly the same
    sites.add(f"{DOWN}/feed.xml", Reply(503, b"down", {"Content-Type": "text/plain"}))


def after_the_originals(sites: Sites, reply: Reply):
    """Hosts are crawled at once and the first copy seen is kept: the syndicate's listing waits
    (under the client timeout) until the trust's own pages have been asked for."""

    def route(request) -> Reply:
        ends = time.monotonic() + 1.2
        while time.monotonic() < ends and not (sites.hits(f"{TRUST}/news/nuh") and sites.hits(f"{TRUST}/news/moved")):
            time.sleep(0.05)
        time.sleep(0.1)
        return reply

    return route


def kept_one_of_each_pair(stored: dict[str, dict]) -> set[str]:
    """The stored URLs with each syndicated pair reduced to the trust's address, after checking
    that one copy of the pair is stored with the other in its ``also_at``."""
    urls = set(stored)
    for own, copy in PAIRS:
        kept = urls & {own, copy}
        assert len(kept) == 1, (own, copy)
        other = copy if own in kept else own
        assert other in (stored[kept.pop()]["also_at"] or []), (own, copy)
        urls = (urls - {own, copy}) | {own}
    return urls


@pytest.fixture
def sites():
    server = Sites().start()
    build(server)
    yield server
    server.stop()


@pytest.fixture
def setup(tmp_path: Path, sites: Sites, database_url: str):
    """Sources, a store (SQLite, then PostgreSQL: ``database_url``), params and a raw store."""
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text(SOURCES)
    store = Store.open(database_url)
    params = Params().model_copy(update={"collect": Params().collect.model_copy(update={"max_file_mb": 1.0})})
    return sources_file, store, params, RawStore(tmp_path / "raw")


def fetcher(sites: Sites, sleeps: list[float] | None = None) -> Fetcher:
    client = httpx.Client(proxy=sites.proxy, timeout=1.5, max_redirects=5)
    return Fetcher(client, delay=1.0, max_bytes=1_000_000, retries=2, contact="ops@example.org", sleep=(sleeps.append if sleeps is not None else lambda s: None))


def documents(store: Store) -> dict[str, dict]:
    return {row.url: dict(row._mapping) for row in store._read(select(schema.documents))}


def outcomes(store: Store, run_id: str) -> dict[str, str]:
    f = schema.fetches
    return {row.url: row.outcome for row in store._read(select(f.c.url, f.c.outcome).where(f.c.run_id == run_id))}


def test_first_run_stores_new_documents_deduplicates_and_survives_bad_pages(setup, sites: Sites, tagger):
    sources_file, store, params, raw = setup
    sleeps: list[float] = []
    report = ingest(load_sources(sources_file), params, store, fetcher=fetcher(sites, sleeps), raw=raw)

    stored = documents(store)
    assert set(stored) == STORED
    assert stored[f"{TRUST}/news/nuh"]["also_at"] == [f"{SYN}/stories/nuh-copy"]  # exact duplicate
    assert stored[f"{TRUST}/news/walsall"]["also_at"] == [f"{SYN}/stories/walsall-edited"]  # near duplicate
    assert stored[f"{TRUST}/news/nuh"]["source"] == "trust" and stored[f"{UNI}/news/shu"]["organisation"] == "Sheffield Hallam University"
    assert "£250,000" in stored[f"{TRUST}/news/latin1"]["text"]  # declared Windows-1252, decoded right
    assert all(raw.load(row["raw_sha256"]) for row in stored.values())  # re-extraction never needs a refetch

    seen = outcomes(store, report.run.run_id)
    for name in ("private/memo", "missing", "broken", "binary", "empty", "huge", "loop", "slowpoke"):
        assert seen[f"{TRUST}/news/{name}"] == "failed", name
    assert {seen[f"{TRUST}/news/moved"], seen[f"{TRUST}/news/walsall"]} == {"new", "unchanged"}  # one document, whichever came first
    assert seen[f"{SYN}/stories/nuh-copy"] == seen[f"{SYN}/stories/walsall-edited"] == "duplicate"
    assert sites.hits(f"{TRUST}/news/private/memo") == 0  # robots.txt obeyed
    assert sites.hits(f"{TRUST}/news/broken") == 3  # two retries
    assert sleeps and min(sleeps) >= 0  # politeness delays went through the injected sleep

    by_source = {s.name: s for s in report.sources}
    assert by_source["trust"].counts["new"] == 3 and by_source["trust"].counts["failed"] == 8
    assert report.failed_sources == ["down"]
    run = store._read(select(schema.runs).where(schema.runs.c.id == report.run.run_id))[0]
    assert run.status == "partial" and run.counts["sources_failed"] == 1 and run.counts["documents_stored"] == 6
    counts = store.counts()
    assert counts["passages"] > 30 and counts["suggestions"] == counts["passages"] * 14


def test_second_run_asks_conditionally_and_reprocesses_only_what_changed(setup, sites: Sites, tagger):
    sources_file, store, params, raw = setup
    sources = load_sources(sources_file)
    ingest(sources, params, store, fetcher=fetcher(sites), raw=raw)
    before = store.counts()
    passages_before = {r.id for r in store._read(select(schema.passages.c.id))}

    edited = WALSALL.replace(b"More than 1 in 3 children", b"More than 1 in 4 children")
    sites.add(f"{TRUST}/news/walsall", etagged(edited, '"walsall-2"'))
    report = ingest(sources, params, store, fetcher=fetcher(sites), raw=raw)
    seen = outcomes(store, report.run.run_id)
    assert seen[f"{TRUST}/news/nuh"] == "unchanged"  # a 304 to If-None-Match
    nuh_requests = [r for r in sites.requests if r.path == "/news/nuh" and r.host == "www.trust-one.nhs.uk"]
    assert nuh_requests[-1].headers.get("If-None-Match") == '"nuh-1"'
    assert [r for r in sites.requests if r.path == "/news/shu"][-1].headers.get("If-Modified-Since") == "Mon, 02 Nov 2026 10:00:00 GMT"
    assert {seen[f"{TRUST}/news/walsall"], seen[f"{TRUST}/news/moved"]} == {"changed", "unchanged"}  # one address redirects to the other
    assert seen[f"{UNI}/news/derby"] == "unchanged"
    after = store.counts()
    assert after["documents"] == before["documents"]
    changed = {r.id for r in store._read(select(schema.passages.c.id))} - passages_before
    assert changed and all(r.document_id == documents(store)[f"{TRUST}/news/walsall"]["id"] for r in store._read(select(schema.passages).where(schema.passages.c.id.in_(changed))))


def test_a_second_run_while_one_holds_the_lock_stops_with_a_clear_message(tmp_path: Path):
    lock = tmp_path / "ingest.lock"
    with (
        ingest_lock(lock),
        pytest.raises(IngestLocked, match=r"another ingest run is in progress \(pid \d+"),
        ingest_lock(lock),
    ):
        pass
    with ingest_lock(lock):  # released: the next run goes ahead
        pass


def cli(tmp_path: Path, sites: Sites, *extra: str, db: str, lock: Path | None = None) -> subprocess.Popen:
    params = tmp_path / "params.yaml"
    params.write_text("collect:\n  delay_s: 0\n  retries: 1\n  timeout_s: 2\n  max_file_mb: 1\n  contact: ops@example.org\n")
    env = os.environ | {"HTTP_PROXY": sites.proxy, "http_proxy": sites.proxy, "NO_PROXY": "", "no_proxy": "", "LEVELUP_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "pipeline", "--params", str(params), "ingest", "--sources", str(tmp_path / "sources.yaml"),
               "--db", db, "--lock", str(lock or tmp_path / "ingest.lock"), *extra]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_exit_codes_json_logs_and_the_lock(setup, sites: Sites, tmp_path: Path, database_url: str):
    done = cli(tmp_path, sites, db=database_url)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 1, err  # the 'down' source failed entirely
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line["message"] == "ingest finished" and line["failed_sources"] == ["down"] for line in lines)
    only_good = cli(tmp_path, sites, "--source", "uni", db=database_url)
    only_good.communicate(timeout=300)
    assert only_good.returncode == 0
    with ingest_lock(tmp_path / "held.lock"):
        blocked = cli(tmp_path, sites, lock=tmp_path / "held.lock", db=database_url)
        _, err = blocked.communicate(timeout=120)
    assert blocked.returncode == 4 and "another ingest run is in progress" in err


@pytest.mark.postgresql
def test_cli_refuses_a_second_run_on_a_shared_postgresql_database(sites: Sites, tmp_path: Path, postgres):
    """Two machines, each with its own lock file, one database: the database's lock stops the second."""
    (tmp_path / "sources.yaml").write_text(SOURCES)
    url = postgres.new_database()
    other_machine = Store.open(url)
    try:
        with other_machine.ingest_lock():
            blocked = cli(tmp_path, sites, lock=tmp_path / "this-machine.lock", db=url)
            _, err = blocked.communicate(timeout=120)
    finally:
        other_machine.dispose()
    assert blocked.returncode == 4 and "another ingest run is in progress on this database (levelup ingest, pid" in err


def test_a_run_killed_midway_and_started_again_finishes_with_nothing_lost_or_doubled(tmp_path: Path, setup, database_url: str):
    server = Sites().start()
    build(server, slow=60.0)  # one page hangs, so the run is surely killed mid-way
    try:
        database = Store.open(database_url)
        first = cli(tmp_path, server, db=database_url)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and len(documents(database)) < 2:
            time.sleep(0.5)
        assert len(documents(database)) >= 2, "the first run stored nothing before the deadline"
        first.send_signal(signal.SIGKILL)
        first.wait()
        partial = set(documents(database))
        server.add(f"{UNI}/news/derby", Reply(200, html("university-of-derby-impact-report.html"), {"Content-Type": "text/html"}))
        second = cli(tmp_path, server, db=database_url)
        second.communicate(timeout=300)
        assert second.returncode == 1  # only the 'down' source
        finished = documents(database)
        assert partial <= set(finished) and kept_one_of_each_pair(finished) == STORED  # one copy, whichever a run saw first
        ids = [r.id for r in database._read(select(schema.passages.c.id))]
        assert len(ids) == len(set(ids))
        texts = [r.text for r in database._read(select(schema.documents.c.text))]
        assert len(texts) == len(set(texts))  # no document stored twice under two names
    finally:
        server.stop()
