"""One polite HTTP seam for crawling: robots.txt, per-host delay, retries, limits, conditional GETs.

Every request of a crawl goes through ``Fetcher.fetch``:

- robots.txt is fetched once per host (at most ``ROBOTS_MAX_BYTES`` of it, as Google reads) and
  obeyed (its ``Crawl-delay`` too) for the first URL *and every redirect hop*: redirects are
  followed by hand, so an allowed page that redirects into a disallowed path is refused, not
  fetched; a robots.txt that answers 5xx means "disallow all" for the run (RFC 9309), a 4xx
  means "allow all";
- one request at a time per host, at least ``delay`` seconds apart; different hosts may be
  fetched concurrently by the caller's threads;
- a timeout per read *and* a total ``deadline`` per request (per attempt, redirects included):
  a page trickled a byte at a time is abandoned once the deadline passes (each read is bounded by
  the time left, so no attempt runs past about twice the deadline, however slow the server);
- up to ``retries`` retries with exponential backoff on 429, 5xx, timeouts and
  connection errors, honouring ``Retry-After`` (seconds or an HTTP date, capped);
- at most five redirects (a loop is an error), a size limit, a content-type check;
- ``If-None-Match`` / ``If-Modified-Since`` from the last fetch: a 304 means unchanged;
- a User-Agent with a contact address from configuration.

The clock and ``sleep`` are injected, so tests never wait for real.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from pipeline.config import CollectParams
from pipeline.errors import FetchError, OutOfTime

DOCUMENT_TYPES = {"text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf", "text/plain": "txt"}
DISCOVERY_TYPES = {
    "application/rss+xml": "xml",
    "application/atom+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/feed+json": "json",
    "application/json": "json",
    "text/plain": "txt",
    "text/html": "html",
    "application/xhtml+xml": "html",
}
RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB of a robots.txt and ignores the rest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    url: str  # what was asked for
    final_url: str  # after redirects
    status: int
    kind: str | None  # html | pdf | txt | xml | json; None when unchanged
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    unchanged: bool = False  # a 304 answer to a conditional request
    charset: str | None = None  # from the Content-Type header


class Fetcher:
    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        user_agent: str = "levelup-evidence/0.1",
        contact: str | None = None,
        delay: float = 1.0,
        timeout: float = 30.0,
        deadline: float = 120.0,
        max_bytes: int = 50_000_000,
        retries: int = 3,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        agent = f"{user_agent} (+mailto:{contact})" if contact else user_agent
        self.client = client or httpx.Client(timeout=timeout)
        self.client.headers["User-Agent"] = agent
        self.user_agent = agent
        self.delay = delay
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self._hosts: dict[str, threading.Lock] = {}
        self._next: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._delays: dict[str, float] = {}
        self._guard = threading.Lock()

    @classmethod
    def from_params(cls, params: CollectParams, client: httpx.Client | None = None) -> Fetcher:
        """The fetcher ``collect`` settings describe (params.yaml): agent, contact, delay, limits."""
        return cls(
            client,
            user_agent=params.user_agent,
            contact=params.contact,
            delay=params.delay_s,
            timeout=params.timeout_s,
            deadline=params.deadline_s,
            max_bytes=int(params.max_file_mb * 1_000_000),
            retries=params.retries,
        )

    def close(self) -> None:
        self.client.close()

    # --- the one public request ------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        types: dict[str, str] = DOCUMENT_TYPES,
        etag: str | None = None,
        last_modified: str | None = None,
        time_left: Callable[[], float | None] | None = None,
    ) -> Fetched:
        """GET ``url`` politely; raises ``FetchError`` with a one-line reason.

        ``time_left`` gives the seconds left of the caller's time budget (None: no limit): a retry
        whose wait (a ``Retry-After: 100``, say) would end past it is not waited for; the fetch
        stops with ``OutOfTime``, so the caller can leave the URL for its next run.
        """
        if not self.allowed(url):
            raise FetchError(url, "robots", "disallowed by robots.txt; not fetched")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                return self._follow(url, headers, types)
            except _Retry as retry:
                attempt += 1
                if attempt > self.retries:
                    raise FetchError(url, retry.reason, f"{retry.detail}; gave up after {self.retries} retries", retry.status) from None
                wait = min(retry.after if retry.after is not None else self.backoff * 2 ** (attempt - 1), self.max_wait)
                left = time_left() if time_left is not None else None
                if left is not None and wait >= left:
                    raise OutOfTime(url, "budget", f"{retry.detail}; a retry in {wait:g} s would end past the time budget ({max(left, 0):.0f} s left)", retry.status) from None
                self.sleep(wait)

    def allowed(self, url: str) -> bool:
        host = _host(url)
        with self._guard:
            known = host in self._robots
        if not known:
            self._load_robots(url)
        robots = self._robots[host]
        return True if robots is None else robots.can_fetch(self.user_agent, url)

    # --- internals ---------------------------------------------------------------------------

    def _follow(self, url: str, headers: dict[str, str], types: dict[str, str]) -> Fetched:
        """One attempt: the request and its redirects, each hop checked against robots.txt,
        all within one deadline (politeness waits between hops do not count)."""
        budget = _Budget(self.deadline)
        current, visited = url, {url}
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._get(url, current, headers, types, budget)
            if isinstance(answer, Fetched):
                return answer
            if answer in visited:
                break
            if not self.allowed(answer):
                log.warning("%s redirects to %s, which robots.txt disallows; not fetched", url, answer)
                raise FetchError(url, "robots", f"redirects to {answer}, which robots.txt disallows; not fetched")
            visited.add(answer)
            current = answer
        raise FetchError(url, "redirects", "too many redirects (a redirect loop?)")

    def _get(self, url: str, current: str, headers: dict[str, str], types: dict[str, str], budget: _Budget) -> Fetched | str:
        """One hop: the ``Fetched`` answer, or the absolute URL a redirect points to."""
        host = _host(current)
        with self._lock(host):
            self._wait_turn(host)
            started = self.clock()
            try:
                with self.client.stream("GET", current, headers=headers, follow_redirects=False, timeout=self._timeout(budget.left)) as response:
                    if response.status_code in REDIRECT_STATUSES:
                        return _location(url, response)
                    return self._read(url, response, types, started + budget.left)
            except httpx.TimeoutException as exc:
                if self.clock() - started >= budget.left:
                    raise FetchError(url, "deadline", f"no complete answer within the {self.deadline:g} s deadline") from None
                raise _Retry("timeout", f"timed out ({exc.__class__.__name__})") from None
            except httpx.ConnectError as exc:
                if "SSL" in str(exc) or "certificate" in str(exc).lower():
                    raise FetchError(url, "tls", f"TLS error: {exc}") from None
                raise _Retry("connect", f"could not connect: {exc}") from None
            except httpx.RemoteProtocolError as exc:  # a body cut short (fewer bytes than Content-Length), a dropped connection
                raise _Retry("truncated", f"answer cut short ({exc})") from None
            except httpx.HTTPError as exc:
                raise FetchError(url, "http", f"{exc.__class__.__name__}: {exc}") from None
            finally:
                budget.left -= self.clock() - started
                self._next[host] = self.clock() + self._delays.get(host, self.delay)

    def _timeout(self, left: float) -> httpx.Timeout:
        """The client's timeouts, none longer than the time left of the deadline."""
        base = self.client.timeout
        left = max(left, 0.001)

        def bound(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(connect=bound(base.connect), read=bound(base.read), write=bound(base.write), pool=bound(base.pool))

    def _read(self, url: str, response: httpx.Response, types: dict[str, str], ends: float) -> Fetched:
        status = response.status_code
        if status == 304:
            return Fetched(url, str(response.url), 304, None, b"", "", response.headers.get("etag"), response.headers.get("last-modified"), True)
        if status in RETRY_STATUSES:
            raise _Retry("http", f"HTTP {status}", status, _retry_after(response.headers.get("retry-after")))
        if status >= 400:
            raise FetchError(url, "http", f"HTTP {status}", status)
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        kind = types.get(media_type)
        if kind is None:
            raise FetchError(url, "content_type", f"unsupported content type '{media_type or 'none'}'", status)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(url, "too_large", f"{int(declared) / 1e6:.1f} MB is over the {self.max_bytes / 1e6:.0f} MB limit", status)
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > self.max_bytes:
                raise FetchError(url, "too_large", f"response over the {self.max_bytes / 1e6:.0f} MB limit", status)
            if self.clock() > ends:
                raise FetchError(url, "deadline", f"not complete within the {self.deadline:g} s deadline ({len(body)} bytes read); a trickling server?", status)
        if not body.strip():
            raise FetchError(url, "empty", "empty response body", status)
        kind = _sniff(url, kind, body, types)
        return Fetched(
            url, str(response.url), status, kind, bytes(body), media_type,
            response.headers.get("etag"), response.headers.get("last-modified"), charset=response.charset_encoding,
        )  # fmt: skip

    def _load_robots(self, url: str) -> None:
        parts = urlsplit(url)
        host = _host(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser: urllib.robotparser.RobotFileParser | None = None
        rules = urllib.robotparser.RobotFileParser(robots_url)
        try:
            with self._lock(host):
                self._wait_turn(host)
                try:
                    status, text = self._read_robots(robots_url)
                finally:
                    self._next[host] = self.clock() + self.delay
            if status >= 500 or text is None:
                rules.disallow_all = True  # type: ignore[attr-defined]  # set by parse(); typeshed omits it
                parser = rules
            elif status >= 400:
                parser = None  # no robots.txt: everything allowed
            else:
                rules.parse(text.splitlines())
                parser = rules
                crawl_delay = rules.crawl_delay(self.user_agent)
                if crawl_delay:
                    self._delays[host] = max(self.delay, float(crawl_delay))
        except httpx.HTTPError:
            parser = None  # unreachable: the page fetch itself will report the problem
        with self._guard:
            self._robots[host] = parser

    def _read_robots(self, robots_url: str) -> tuple[int, str | None]:
        """Status and the first ``ROBOTS_MAX_BYTES`` of robots.txt (a cut-off last line dropped);
        ``None`` for a robots.txt not read within the deadline (then nothing is allowed)."""
        started = self.clock()
        body = bytearray()
        with self.client.stream("GET", robots_url, follow_redirects=True, timeout=self._timeout(self.deadline)) as response:
            if response.status_code >= 400:
                return response.status_code, ""
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) >= ROBOTS_MAX_BYTES:
                    log.warning("%s is over %d KiB; only the first %d KiB are read", robots_url, ROBOTS_MAX_BYTES // 1024, ROBOTS_MAX_BYTES // 1024)
                    del body[body.rfind(b"\n", 0, ROBOTS_MAX_BYTES) + 1 :]
                    break
                if self.clock() - started > self.deadline:
                    log.warning("%s not read within the %g s deadline: the host is treated as disallowed for this run", robots_url, self.deadline)
                    return response.status_code, None
        return response.status_code, body.decode("utf-8", errors="replace")

    def _lock(self, host: str) -> threading.Lock:
        with self._guard:
            return self._hosts.setdefault(host, threading.Lock())

    def _wait_turn(self, host: str) -> None:
        wait = self._next.get(host, 0.0) - self.clock()
        if wait > 0:
            self.sleep(wait)


_SIGNATURES = ((b"%PDF-", "pdf"), (b"<!doctype html", "html"), (b"<html", "html"))


def _sniff(url: str, kind: str, body: bytearray, types: dict[str, str]) -> str:
    """The kind the body's first bytes show when the Content-Type says another (a PDF served as
    text/html, a page as text/plain): the bytes win, with a warning, if that kind is accepted."""
    head = bytes(body[:512]).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for signature, found in _SIGNATURES:
        if head.startswith(signature) and found != kind and found in types.values():
            log.warning("%s: served as %s but the body is %s; read as %s", url, kind, found, found)
            return found
    return kind


@dataclass
class _Budget:
    left: float  # seconds of network time left to one attempt


def _location(url: str, response: httpx.Response) -> str:
    location = response.headers.get("location")
    if not location:
        raise FetchError(url, "http", f"HTTP {response.status_code} redirect without a Location", response.status_code)
    return urljoin(str(response.url), location.strip())


class _Retry(Exception):
    def __init__(self, reason: str, detail: str, status: int | None = None, after: float | None = None) -> None:
        self.reason, self.detail, self.status, self.after = reason, detail, status, after


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def accepts(types: Collection[str]) -> dict[str, str]:
    """The content types to accept for a set of kinds (``{"xml", "html"}``...)."""
    return {media: kind for media, kind in {**DISCOVERY_TYPES, **DOCUMENT_TYPES}.items() if kind in types}
