"""Discovery: the document URLs a source offers, through trafilatura's feed and sitemap support
and a focused crawl of listing pages; URLs normalised with courlan.

Every request goes through the caller's ``Fetcher`` (robots.txt, delays, retries). The result is
capped at the source's page budget, in the order the source lists them (newest first, usually).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import courlan
import lxml.html
from trafilatura.feeds import FeedParameters, extract_links
from trafilatura.sitemaps import SitemapObject

from pipeline.collect.http import Fetcher, accepts
from pipeline.collect.sources import Source
from pipeline.errors import FetchError

log = logging.getLogger(__name__)

MAX_SITEMAPS = 20  # nested sitemaps followed per source and run
FEED_TYPES = accepts({"xml", "json", "html", "txt"})
PAGE_TYPES = accepts({"html"})


@dataclass
class Discovered:
    urls: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason) of discovery pages
    pages: int = 0  # discovery pages fetched


def normalise(url: str) -> str | None:
    """A canonical form of a URL (lower-case scheme and host, no fragment, tracking parameters
    dropped, query sorted), or None for a URL that is not an http(s) address."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not urlsplit(url.strip()).netloc:
        return None
    url = scheme.lower() + sep + rest.split("#", 1)[0]
    checked = courlan.check_url(url, strict=False)
    # courlan refuses links to documents it does not crawl (.pdf): those are reports, keep them
    return courlan.normalize_url(checked[0] if checked else url, strict=True)


def discover(source: Source, fetcher: Fetcher) -> Discovered:
    found = Discovered()
    if source.kind == "urls":
        candidates = list(source.start_urls)
    elif source.kind == "feed":
        candidates = _from_feeds(source, fetcher, found)
    elif source.kind == "sitemap":
        candidates = _from_sitemaps(source, fetcher, found)
    else:
        candidates = _from_listings(source, fetcher, found)
    seen: set[str] = set()
    for url in candidates:
        canonical = normalise(url)
        if canonical is None or canonical in seen or not source.wants(canonical):
            continue
        seen.add(canonical)
        found.urls.append(canonical)
        if len(found.urls) >= source.page_budget:
            break
    return found


def _get(url: str, fetcher: Fetcher, found: Discovered, types: dict[str, str]) -> str | None:
    try:
        page = fetcher.fetch(url, types=types)
    except FetchError as error:
        log.warning("discovery page failed: %s", error)
        found.failures.append((url, str(error)))
        return None
    found.pages += 1
    return page.content.decode("utf-8", errors="replace")


def _from_feeds(source: Source, fetcher: Fetcher, found: Discovered) -> list[str]:
    urls: list[str] = []
    for feed_url in source.start_urls:
        text = _get(feed_url, fetcher, found, FEED_TYPES)
        if text is None:
            continue
        parts = urlsplit(feed_url)
        domain = courlan.extract_domain(feed_url) or parts.netloc
        links = extract_links(text.lstrip("\ufeff"), FeedParameters(f"{parts.scheme}://{parts.netloc}", domain, feed_url))
        if not links:
            found.failures.append((feed_url, f"{feed_url}: no links found; is it an RSS, Atom or JSON feed?"))
        urls.extend(links)
    return urls


def _from_sitemaps(source: Source, fetcher: Fetcher, found: Discovered) -> list[str]:
    urls: list[str] = []
    queue = list(source.start_urls)
    visited: set[str] = set()
    while queue and len(visited) < MAX_SITEMAPS and len(urls) < source.page_budget * 4:
        sitemap_url = queue.pop(0)
        if sitemap_url in visited:
            continue
        visited.add(sitemap_url)
        text = _get(sitemap_url, fetcher, found, FEED_TYPES)
        if text is None:
            continue
        parts = urlsplit(sitemap_url)
        sitemap = SitemapObject(f"{parts.scheme}://{parts.netloc}", courlan.extract_domain(sitemap_url) or parts.netloc, [])
        sitemap.current_url = sitemap_url
        sitemap.content = text.lstrip("\ufeff")
        sitemap.process()
        if not sitemap.urls and not sitemap.sitemap_urls:
            found.failures.append((sitemap_url, f"{sitemap_url}: no links found; is it an XML or text sitemap?"))
        urls.extend(sitemap.urls)
        queue.extend(u for u in sitemap.sitemap_urls if u not in visited)
    return urls


def _from_listings(source: Source, fetcher: Fetcher, found: Discovered) -> list[str]:
    """Breadth-first over listing pages: links matching ``link_pattern`` (else the allow
    patterns) are documents; same-host links matching a ``follow`` pattern are listing pages
    to read next, up to ``max_depth``."""
    document = re.compile(source.link_pattern) if source.link_pattern else None
    urls: list[str] = []
    frontier = [(url, 0) for url in source.start_urls]
    visited: set[str] = set()
    while frontier and len(urls) < source.page_budget:
        page_url, depth = frontier.pop(0)
        if page_url in visited:
            continue
        visited.add(page_url)
        text = _get(page_url, fetcher, found, PAGE_TYPES)
        if text is None:
            continue
        for link in _links(text, page_url):
            if document.search(link) if document else source.wants(link):
                urls.append(link)
            elif depth < source.max_depth and _same_host(link, page_url) and any(re.search(p, link) for p in source.follow):
                frontier.append((link, depth + 1))
    return urls


def _links(html: str, base: str) -> list[str]:
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    out = []
    for element in tree.iter("a"):
        href = (element.get("href") or "").strip()
        if href and not href.startswith(("#", "mailto:", "javascript:", "tel:")):
            out.append(urljoin(base, href).split("#", 1)[0])
    return out


def _same_host(a: str, b: str) -> bool:
    return urlsplit(a).netloc.lower() == urlsplit(b).netloc.lower()
