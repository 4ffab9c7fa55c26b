"""Feeds give their newest items first, and a page budget leaves the oldest new items for the
next run, reported (issue 27: trafilatura sorted feed links alphabetically, so a 50-item feed with
budget 40 fetched the same 40 URLs every night and reported ``left: 0``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from pipeline.collect.discover import discover, feed_links
from pipeline.collect.http import Fetcher
from pipeline.collect.sources import Source
from pipeline.config import Params
from pipeline.evidence.store import Store
from pipeline.workflow.ingest import RawStore, ingest

from .sites import Reply, Sites

HOST = "http://www.council.gov.uk"
DAY0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def dated_rss(items: list[tuple[str, datetime]]) -> bytes:
    entries = "".join(f"<item><title>t</title><link>{link}</link><pubDate>{format_datetime(when)}</pubDate></item>" for link, when in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>news</title><link>{HOST}</link>{entries}</channel></rss>'.encode()


def test_feed_links_are_newest_first_by_item_date_in_rss_atom_and_json():
    rss = dated_rss([(f"{HOST}/news/b-old", DAY0), (f"{HOST}/news/c-new", DAY0 + timedelta(days=2)), (f"{HOST}/news/a-mid", DAY0 + timedelta(days=1))])
    assert feed_links(rss.decode(), f"{HOST}/feed.xml") == [f"{HOST}/news/c-new", f"{HOST}/news/a-mid", f"{HOST}/news/b-old"]
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>n</title>'
        f'<entry><title>t</title><link href="{HOST}/news/a-old"/><updated>2026-01-01T00:00:00Z</updated></entry>'
        f'<entry><title>t</title><link href="{HOST}/news/z-new"/><updated>2026-03-01T00:00:00+01:00</updated></entry></feed>'
    )
    assert feed_links(atom, f"{HOST}/feed.atom") == [f"{HOST}/news/z-new", f"{HOST}/news/a-old"]
    json_feed = f'{{"version": "https://jsonfeed.org/version/1.1", "items": [{{"url": "{HOST}/news/a-old", "date_published": "2026-01-01T00:00:00Z"}}, {{"url": "{HOST}/news/z-new", "date_published": "2026-02-01T00:00:00Z"}}]}}'
    assert feed_links(json_feed, f"{HOST}/feed.json") == [f"{HOST}/news/z-new", f"{HOST}/news/a-old"]


def test_an_undated_feed_keeps_its_own_order_not_the_alphabet():
    undated = f'<?xml version="1.0"?><rss version="2.0"><channel><title>n</title><link>{HOST}</link>' + "".join(
        f"<item><title>t</title><link>{HOST}/news/{slug}</link></item>" for slug in ("zebra", "apple", "mango")
    ) + "</channel></rss>"
    assert feed_links(undated, f"{HOST}/feed.xml") == [f"{HOST}/news/{slug}" for slug in ("zebra", "apple", "mango")]


def test_discovery_keeps_what_is_past_the_page_budget():
    items = [(f"{HOST}/news/{i:02d}", DAY0 + timedelta(days=i)) for i in range(5)]
    fetcher = Fetcher(httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=dated_rss(items), headers={"Content-Type": "application/rss+xml"}))), delay=0, sleep=lambda s: None)
    found = discover(Source(name="c", organisation="C", kind="feed", start_urls=[f"{HOST}/feed.xml"], page_budget=3), fetcher)
    assert found.urls == [f"{HOST}/news/04", f"{HOST}/news/03", f"{HOST}/news/02"] and found.beyond == [f"{HOST}/news/01", f"{HOST}/news/00"]


@pytest.fixture
def sites():
    server = Sites().start()
    yield server
    server.stop()


def test_a_50_item_feed_with_budget_40_fetches_the_newest_first_and_reports_what_it_left(sites: Sites, tmp_path: Path):
    # slugs sort the other way round from their dates: alphabetical order would pick the oldest
    items = [(f"{HOST}/news/{chr(ord('a') + i // 2)}{i % 2}-story", DAY0 + timedelta(days=i)) for i in range(50)]
    sites.add(f"{HOST}/feed.xml", Reply(200, dated_rss(items), {"Content-Type": "application/rss+xml"}))  # the pages: 404s, quick to "fetch"
    source = Source(name="council", organisation="Council", kind="feed", start_urls=[f"{HOST}/feed.xml"], page_budget=40)
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")

    def night() -> tuple[set[str], int, int]:
        before = len(sites.requests)
        client = httpx.Client(proxy=sites.proxy, timeout=5)
        fetcher = Fetcher(client, delay=0, retries=0, sleep=lambda s: None)
        report = ingest([source], Params(), store, fetcher=fetcher, raw=RawStore(tmp_path / "raw"))
        fetcher.close()
        asked = {HOST + r.path for r in sites.requests[before:] if r.path.startswith("/news/")}
        return asked, report.left, store.runs()[-1]["counts"].get("left_for_next_run", 0)

    newest_first = [url for url, _ in sorted(items, key=lambda item: item[1], reverse=True)]
    asked, left, recorded = night()
    assert asked == set(newest_first[:40]) and left == recorded == 10
    asked, left, recorded = night()  # the ten older ones are fetched first now; nothing new is left
    assert set(newest_first[40:]) <= asked and len(asked) == 40 and left == recorded == 0
    store.dispose()
