"""Discovery: the document URLs a source offers, through trafilatura's feed and sitemap support
and a focused crawl of listing pages; URLs normalised with courlan.

Every request goes through the caller's ``Fetcher`` (robots.txt, delays, retries). The result is
newest first: a feed's items by their dates (in the feed's own order when some item has none),
other sources in the order they list them. ``Discovered.urls`` is what fits the source's page
budget; ``Discovered.beyond`` the rest, so the caller can fetch URLs never tried before those
it has (and report what it left), instead of the same first ``page_budget`` every night.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import courlan
import lxml.html
from trafilatura.feeds import FeedParameters, find_links, handle_link_list
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
    urls: list[str] = field(default_factory=list)  # newest first, at most the source's page budget
    beyond: list[str] = field(default_factory=list)  # wanted too, past the page budget (newest first)
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
        (found.urls if len(found.urls) < source.page_budget else found.beyond).append(canonical)
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
        links = feed_links(text.lstrip("\ufeff").strip(), feed_url)
        if not links:
            found.failures.append((feed_url, f"{feed_url}: no links found; is it an RSS, Atom or JSON feed?"))
        urls.extend(links)
    return urls


def feed_links(text: str, feed_url: str) -> list[str]:
    """The item links of an RSS, Atom or JSON feed, newest first, checked as trafilatura checks
    them (its own ``extract_links`` sorts them alphabetically: a budget would then keep the same
    URLs every night and never reach a new item whose address sorts late)."""
    parts = urlsplit(feed_url)
    params = FeedParameters(f"{parts.scheme}://{parts.netloc}", courlan.extract_domain(feed_url) or parts.netloc, feed_url)
    raw = list(dict.fromkeys(link.strip() for link in find_links(text, params)))
    dates = item_dates(text)
    if dates and None not in dates.values():  # every item dated; links that are not items (the channel's own) go last
        oldest = datetime.min.replace(tzinfo=UTC)
        raw.sort(key=lambda link: dates.get(link) or oldest, reverse=True)  # stable: ties keep the feed's order
    checked = (link for item in raw for link in handle_link_list([item], params))
    return [link for link in checked if link != feed_url and link.count("/") > 2]


_ITEM = re.compile(r"<(item|entry)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_ITEM_LINK = re.compile(r"<link\b[^>]*?href=[\"']([^\"']+)[\"'][^>]*>|<link>\s*(?:<!\[CDATA\[)?\s*([^<\]]+?)\s*(?:\]\]>)?\s*</link>", re.IGNORECASE)
_ITEM_DATE = re.compile(r"<(pubDate|dc:date|published|updated|a10:updated)>\s*([^<]+?)\s*</\1>", re.IGNORECASE)


def item_dates(text: str) -> dict[str, datetime | None]:
    """Each feed item's link and date (RSS ``pubDate`` or ``dc:date``, Atom ``published`` or
    ``updated``, JSON Feed ``date_published`` or ``date_modified``); None for an item without one."""
    if text.startswith("{"):
        try:
            items = json.loads(text).get("items", [])
        except (ValueError, AttributeError, RecursionError):
            return {}
        pairs = [
            (item.get("url") or item.get("id"), item.get("date_published") or item.get("date_modified"))
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
        ]
    else:
        pairs = []
        for match in _ITEM.finditer(text):
            link, date = _ITEM_LINK.search(match.group()), _ITEM_DATE.search(match.group())
            pairs.append(((link.group(1) or link.group(2)) if link else None, date.group(2) if date else None))
    dates: dict[str, datetime | None] = {}
    for link, value in pairs:
        if isinstance(link, str):
            dates.setdefault(link.strip(), _parse_date(value) if isinstance(value, str) else None)
    return dates


def _parse_date(value: str) -> datetime | None:
    """An RFC 822 (RSS) or ISO 8601 (Atom, JSON Feed) date, in UTC; None if it is neither."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


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
