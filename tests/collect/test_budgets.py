"""Deadlines and time budgets hold on every path (issue 27): `levelup run URL` applied no total
deadline (a trickled page was accepted after 43 s with deadline_s 15), and a `Retry-After: 100`
overran `--time-budget 10` (102 s, exit 1) where a clean stop (exit 0) is promised."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from pipeline.collect.http import Fetcher
from pipeline.collect.sources import Source
from pipeline.config import CollectParams, Params
from pipeline.evidence.store import Store
from pipeline.workflow.ingest import RawStore, ingest
from pipeline.workflow.nightly import collect_needing_work
from pipeline.workflow.run import RunReport

from .sites import Reply, Sites

HOST = "http://www.slow-trust.nhs.uk"
PAGE = b"<html><body><article>" + b"<p>The trust trained 1,200 apprentices in digital skills this year across the town.</p>" * 20 + b"</article></body></html>"


@pytest.fixture
def sites():
    server = Sites().start()
    yield server
    server.stop()


def test_run_on_a_url_gives_up_on_a_trickled_page_at_the_deadline(sites: Sites, tmp_path: Path):
    sites.add(f"{HOST}/news/trickle", Reply(200, PAGE, trickle=0.1, chunk=32))  # ~6 s in all
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    report = RunReport("r")
    started = time.monotonic()
    with httpx.Client(proxy=sites.proxy, timeout=5) as client:
        todo = collect_needing_work([f"{HOST}/news/trickle"], CollectParams(deadline_s=1.0), store, taxonomy="levelling-up", model="m", report=report, client=client)
    assert time.monotonic() - started < 3
    assert todo == [] and len(report.failures) == 1 and "not complete within 1 s" in report.failures[0].reason
    store.dispose()


def test_a_long_retry_after_stops_the_ingest_cleanly_within_its_time_budget(sites: Sites, tmp_path: Path):
    sites.add(f"{HOST}/robots.txt", Reply(404, b"", {"Content-Type": "text/plain"}))
    sites.add(f"{HOST}/news/busy", Reply(503, b"busy", {"Content-Type": "text/plain", "Retry-After": "100"}))
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    source = Source(name="busy", organisation="Busy Trust", kind="urls", start_urls=[f"{HOST}/news/busy"])
    sleeps: list[float] = []
    fetcher = Fetcher(httpx.Client(proxy=sites.proxy, timeout=5), delay=0, retries=3, sleep=sleeps.append)
    report = ingest([source], Params(), store, fetcher=fetcher, raw=RawStore(tmp_path / "raw"), time_budget=10)
    fetcher.close()
    assert all(wait < 10 for wait in sleeps), sleeps  # never a wait past the budget
    assert report.budget_reached and report.left == 1 and report.failed_sources == []  # a clean stop: exit 0
    assert sites.hits(f"{HOST}/news/busy") == 1
    assert store.runs()[-1]["status"] == "ok"
    store.dispose()
