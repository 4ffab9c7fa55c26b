"""sources.yaml validation, and discovery from feeds, sitemaps and listing pages."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from pipeline.collect.discover import discover, normalise
from pipeline.collect.http import Fetcher
from pipeline.collect.sources import Source, load_sources
from pipeline.errors import ConfigError

from .sites import rss, sitemap

SHIPPED = Path(__file__).resolve().parents[2] / "corpus" / "sources.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    return path


def test_the_shipped_sources_file_is_valid():
    sources = load_sources(SHIPPED)
    assert sources and {s.kind for s in sources} >= {"feed", "sitemap", "listing"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources:\n- name: nuh\n  organisation: NUH\n  kind: feed\n  start_urls: [https://x.org/feed]\n  budget: 3\n", "source 'nuh': unknown key 'budget'"),
        ("sources:\n- name: nuh\n  organisation: NUH\n  kind: blog\n  start_urls: [https://x.org/]\n", "source 'nuh': kind:"),
        ("sources:\n- name: nuh\n  organisation: NUH\n  kind: feed\n  start_urls: [ftp://x.org/]\n", "'ftp://x.org/' is not an http(s) URL"),
        ("sources:\n- name: nuh\n  organisation: NUH\n  kind: feed\n  start_urls: [https://x.org/]\n  allow: ['(']\n", "not a valid regular expression"),
        ("sources:\n- organisation: NUH\n  kind: feed\n  start_urls: [https://x.org/]\n", "source #1: name: Field required"),
        ("sources: []\n", "sources"),
        ("feeds: []\n", "unknown top-level key 'feeds'"),
        ("sources: [\n", "not valid YAML"),
    ],
)
def test_a_bad_sources_file_is_one_line_naming_the_source_and_key(tmp_path: Path, text: str, message: str):
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        load_sources(write(tmp_path, text))
    assert "\n" not in str(error.value)


def test_unknown_source_names_are_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="no source named nope"):
        load_sources(SHIPPED, ["nope"])


def test_normalise_drops_fragments_and_tracking():
    assert normalise("HTTPS://News.Example.ORG/a/b?utm_source=x&id=2#top") == "https://news.example.org/a/b?id=2"
    assert normalise("mailto:someone@example.org") is None


def routed(routes: dict[str, httpx.Response]) -> Fetcher:
    def handler(request: httpx.Request) -> httpx.Response:
        return routes.get(str(request.url), httpx.Response(404))

    return Fetcher(httpx.Client(transport=httpx.MockTransport(handler)), delay=0, sleep=lambda s: None)


def as_httpx(reply) -> httpx.Response:
    return httpx.Response(reply.status, content=reply.body, headers=reply.headers)


def test_feed_discovery_filters_and_caps_at_the_budget():
    base = "https://www.trust.nhs.uk"
    feed = rss(f"{base}/news/a?utm_source=rss", f"{base}/news/b", f"{base}/events/c", f"{base}/news/d", f"{base}/news/e")
    fetcher = routed({f"{base}/feed.xml": as_httpx(feed)})
    source = Source(name="t", organisation="T", kind="feed", start_urls=[f"{base}/feed.xml"], allow=["/news/"], deny=["/news/d"], page_budget=2)
    found = discover(source, fetcher)
    assert found.urls == [f"{base}/news/a", f"{base}/news/b"] and found.pages == 1


def test_sitemap_discovery_follows_a_sitemap_index():
    base = "https://www.uni.ac.uk"
    fetcher = routed(
        {
            f"{base}/sitemap.xml": as_httpx(sitemap(f"{base}/sitemap-news.xml", index=True)),
            f"{base}/sitemap-news.xml": as_httpx(sitemap(f"{base}/news/one", f"{base}/news/two")),
        }
    )
    found = discover(Source(name="u", organisation="U", kind="sitemap", start_urls=[f"{base}/sitemap.xml"]), fetcher)
    assert found.urls == [f"{base}/news/one", f"{base}/news/two"] and found.pages == 2


def test_listing_crawl_follows_pagination_to_its_depth():
    base = "https://www.company.co.uk"

    def listing(links: list[str], next_page: str | None) -> httpx.Response:
        anchors = "".join(f'<a href="{link}">story</a>' for link in links)
        more = f'<a href="{next_page}">next</a>' if next_page else ""
        return httpx.Response(200, text=f"<html><body>{anchors}{more}<a href='/about'>about</a></body></html>", headers={"Content-Type": "text/html"})

    fetcher = routed(
        {
            f"{base}/news": listing(["/news/2026/one", "/news/2026/two"], "/news?page=2"),
            f"{base}/news?page=2": listing(["/news/2026/three"], "/news?page=3"),
            f"{base}/news?page=3": listing(["/news/2026/four"], None),
        }
    )
    source = Source(name="c", organisation="C", kind="listing", start_urls=[f"{base}/news"], link_pattern=r"/news/\d{4}/", follow=[r"\?page=\d+"], max_depth=1)
    found = discover(source, fetcher)
    assert found.urls == [f"{base}/news/2026/one", f"{base}/news/2026/two", f"{base}/news/2026/three"]  # page 3 is too deep


def test_a_failing_or_empty_feed_is_reported():
    fetcher = routed({"https://www.x.org/empty.xml": httpx.Response(200, text="<rss></rss>", headers={"Content-Type": "application/rss+xml"})})
    found = discover(Source(name="x", organisation="X", kind="feed", start_urls=["https://www.x.org/feed.xml", "https://www.x.org/empty.xml"]), fetcher)
    assert found.urls == [] and len(found.failures) == 2
    assert "HTTP 404" in found.failures[0][1] and "no links found" in found.failures[1][1]
