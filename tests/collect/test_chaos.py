"""Ingest against the chaos site: slow, trickling, cut-short, lying and flapping answers, and
redirects across robots.txt rules. Nothing hangs past its deadline, nothing disallowed is stored,
retries recover what can be recovered, and the rows equal a clean run's."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from pipeline.collect.http import Fetched, Fetcher
from pipeline.collect.sources import load_sources
from pipeline.config import Params
from pipeline.evidence import schema
from pipeline.evidence.store import Store
from pipeline.workflow.ingest import RawStore, ingest

from .sites import CHAOS_HOSTS, TRAPS, Reply, Sites, Timing, chaos_site, html, page, rss, stored_rows

TIMING = Timing(timeout=0.5, deadline=1.0, retries=2)


class TimedFetcher(Fetcher):
    """Records how long each fetch took, whatever came of it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.took: dict[str, float] = {}

    def fetch(self, url: str, **options) -> Fetched:
        started = time.monotonic()
        try:
            return super().fetch(url, **options)
        finally:
            self.took[url] = time.monotonic() - started


def fetcher(sites: Sites, timing: Timing = TIMING) -> TimedFetcher:
    client = httpx.Client(proxy=sites.proxy, timeout=timing.timeout)
    return TimedFetcher(client, delay=0, deadline=timing.deadline, retries=timing.retries, max_bytes=1_000_000, contact="ops@example.org", sleep=lambda s: None)


def run_site(tmp_path: Path, name: str, sources: str, sites: Sites, **options):
    (tmp_path / f"{name}.yaml").write_text(sources)
    store = Store.open(f"sqlite:///{tmp_path / name}.db")
    crawler = fetcher(sites)
    report = ingest(load_sources(tmp_path / f"{name}.yaml"), Params(), store, fetcher=crawler, raw=RawStore(tmp_path / "raw"), **options)
    return store, report, crawler


def outcomes(store: Store) -> dict[str, tuple[str, str | None]]:
    f = schema.fetches
    return {row.url: (row.outcome, row.error) for row in store._read(select(f.c.url, f.c.outcome, f.c.error).order_by(f.c.id))}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, tagger):
    sites = Sites().start()
    try:
        chaos = chaos_site(sites, seed=None, timing=TIMING)
        store, _, _ = run_site(tmp_path_factory.mktemp("clean"), "clean", chaos.sources, sites)
        return stored_rows(store)
    finally:
        sites.stop()


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_chaos_run_stores_exactly_what_a_clean_run_stores(tmp_path: Path, clean, seed: int):
    sites = Sites().start()
    try:
        chaos = chaos_site(sites, seed=seed, timing=TIMING)
        store, report, crawler = run_site(tmp_path, "chaos", chaos.sources, sites)
    finally:
        sites.stop()
    assert len(clean.documents) == 6 and chaos.injected > len(TRAPS) * 2
    assert stored_rows(store).compare(clean, chaos.private) == {"rows_lost": 0, "rows_duplicated": 0, "disallowed_stored": 0}
    assert all(sites.hits(url) == 0 for url in chaos.private)  # the redirect into /private/ was never followed

    seen = outcomes(store)
    traps = {url: fault for url, fault in chaos.faults.items() if fault in TRAPS}
    assert {fault: seen[url][0] for url, fault in traps.items()} == dict.fromkeys(TRAPS, "failed")
    reasons = {fault: seen[url][1] or "" for url, fault in traps.items()}
    assert "deadline" in reasons["trickle"] and "robots.txt disallows" in reasons["redirect_to_private"]
    assert "gave up after 2 retries" in reasons["always_5xx"] and "cut short" in reasons["truncated"]
    for url, fault in traps.items():
        assert sites.hits(url) == (TIMING.retries + 1 if fault in ("always_5xx", "truncated") else 1), fault  # a trickle is not retried
    # nothing hangs: no fetch, retries included, took longer than its attempts' deadlines allow
    assert max(crawler.took.values()) < (TIMING.retries + 1) * 2 * TIMING.deadline
    assert report.run.counts["pages_failed"] == (len(TRAPS) + 1) * len(CHAOS_HOSTS)  # the traps and the links into /private/


def test_hosts_are_crawled_at_the_same_time(tmp_path: Path, tagger):
    slow, fast = "http://www.slow-host.org.uk", "http://www.fast-host.org.uk"
    sites = Sites().start()
    names = ("bt-group-impact-report.html", "leonardo-uk-commits.html")
    try:
        for host, delay in ((slow, 0.4), (fast, 0.0)):
            sites.add(f"{host}/feed.xml", rss(*(f"{host}/news/{i}" for i in range(len(names)))))
            for i, name in enumerate(names):
                sites.add(f"{host}/news/{i}", Reply(200, html(name).replace(b"<title>", f"<title>{host} ".encode()), {"Content-Type": "text/html"}, delay=delay))
        sources = "sources:\n" + "".join(f"  - {{name: s{i}, organisation: O{i}, kind: feed, start_urls: ['{h}/feed.xml']}}\n" for i, h in enumerate((slow, fast)))
        run_site(tmp_path, "hosts", sources, sites)
    finally:
        sites.stop()
    slow_pages = [r.time for r in sites.requests if r.host == "www.slow-host.org.uk" and r.path.startswith("/news/")]
    fast_pages = [r.time for r in sites.requests if r.host == "www.fast-host.org.uk" and r.path.startswith("/news/")]
    assert max(fast_pages) < max(slow_pages)  # the fast host did not wait for the slow one (listed first) to finish


def test_a_near_duplicate_in_the_same_run_and_source_is_recorded_in_also_at(tmp_path: Path, tagger):
    host = "http://www.copies.org.uk"
    original = html("severn-trent-impact-report.html")
    sites = Sites().start()
    try:
        sites.add(f"{host}/feed.xml", rss(f"{host}/news/a", f"{host}/news/b", f"{host}/news/c"))
        sites.add(f"{host}/news/a", page(original))
        sites.add(f"{host}/news/b", page(original.replace(b"Severn Trent", b"Severn Trent Water", 1)))  # nearly the same
        sites.add(f"{host}/news/c", page(original))  # exactly the same
        store, _, _ = run_site(tmp_path, "copies", f"sources:\n  - {{name: c, organisation: C, kind: feed, start_urls: ['{host}/feed.xml']}}\n", sites)
    finally:
        sites.stop()
    rows = store._read(select(schema.documents.c.url, schema.documents.c.also_at))
    assert [(row.url, sorted(row.also_at)) for row in rows] == [(f"{host}/news/a", [f"{host}/news/b", f"{host}/news/c"])]
    assert {url: outcome for url, (outcome, _) in outcomes(store).items()} == {f"{host}/news/a": "new", f"{host}/news/b": "duplicate", f"{host}/news/c": "duplicate"}


def test_a_time_budget_ends_the_run_cleanly_and_the_next_run_fetches_what_was_left_first(tmp_path: Path, tagger):
    host = "http://www.budget.org.uk"
    names = ("barnsley-council-impact-report.html", "bt-group-impact-report.html", "leonardo-uk-commits.html", "severn-trent-impact-report.html")
    sites = Sites().start()
    sources = f"sources:\n  - {{name: b, organisation: B, kind: feed, start_urls: ['{host}/feed.xml']}}\n"
    try:
        sites.add(f"{host}/feed.xml", rss(*(f"{host}/news/{i}" for i in range(len(names)))))
        for i, name in enumerate(names):
            sites.add(f"{host}/news/{i}", Reply(200, html(name), {"Content-Type": "text/html"}, delay=0.4))
        store, report, _ = run_site(tmp_path, "budget", sources, sites, time_budget=0.5)
        first = {url for url, (outcome, _) in outcomes(store).items() if outcome == "new"}
        assert report.budget_reached and 0 < report.left < len(names) and len(first) == len(names) - report.left
        assert {row.url for row in store._read(select(schema.documents.c.url))} == first  # what was fetched is stored
        assert report.run.counts["left_for_next_run"] == report.left
        run_status = store._read(select(schema.runs.c.status).where(schema.runs.c.id == report.run.run_id))[0].status
        assert run_status == "ok"

        asked = len(sites.requests)
        (tmp_path / "budget.yaml").write_text(sources)
        again = ingest(load_sources(tmp_path / "budget.yaml"), Params(), store, fetcher=fetcher(sites), raw=RawStore(tmp_path / "raw"))
        order = [f"{host}{r.path}" for r in sites.requests[asked:] if r.path.startswith("/news/")]
    finally:
        sites.stop()
    assert not again.budget_reached and again.left == 0
    assert set(order[: report.left]) == {f"{host}/news/{i}" for i in range(len(names))} - first  # the rest first
    assert len(store._read(select(schema.documents.c.url))) == len(names)
