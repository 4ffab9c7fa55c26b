"""Fixture web sites for crawling tests, served from one local HTTP server on 127.0.0.1.

The crawler's client uses the server as its HTTP proxy, so tests use real-looking host names
(courlan and trafilatura discard bare IP addresses) while every request stays on loopback.
Each (host, path) maps to a response or to a function of the request.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from pipeline.evidence import schema
from pipeline.evidence.store import Store

SAMPLE = Path(__file__).resolve().parents[2] / "corpus" / "sample"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0
    trickle: float = 0.0  # seconds between chunks of the body (a server dribbling bytes)
    chunk: int = 64  # bytes per trickled chunk
    declared_length: int | None = None  # a Content-Length that lies (larger: the body is cut short)


Route = Reply | Callable[["Request"], Reply]


@dataclass
class Request:
    host: str
    path: str
    headers: dict[str, str]
    time: float = field(default_factory=time.monotonic)


class Sites:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[Request] = []
        self.stopping = threading.Event()  # ends trickles at shutdown
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def proxy(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 server's address
        return f"http://{host}:{port}"

    def start(self) -> Sites:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def add(self, url: str, route: Route) -> None:
        parts = urlsplit(url)
        self.routes[(parts.netloc, parts.path + (f"?{parts.query}" if parts.query else ""))] = route

    def hits(self, url: str) -> int:
        parts = urlsplit(url)
        return sum(1 for r in self.requests if r.host == parts.netloc and r.path == parts.path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                host = parts.netloc or self.headers.get("Host", "")
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                request = Request(host, parts.path, dict(self.headers))
                sites.requests.append(request)
                route = sites.routes.get((host, path))
                if route is None:
                    reply = Reply(404, b"not found", {"Content-Type": "text/plain"})
                else:
                    reply = route(request) if callable(route) else route
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(reply.declared_length or len(reply.body)))
                    self.end_headers()
                    if not reply.trickle:
                        self.wfile.write(reply.body)
                    for start in range(0, len(reply.body) if reply.trickle else 0, reply.chunk):
                        self.wfile.write(reply.body[start : start + reply.chunk])
                        self.wfile.flush()
                        if sites.stopping.wait(reply.trickle):
                            break
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def html(name: str) -> bytes:
    return (SAMPLE / name).read_bytes()


def page(body: bytes, **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": "text/html; charset=utf-8", **headers})


def rss(*links: str) -> Reply:
    items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>news</title><link>https://x</link>{items}</channel></rss>'
    return Reply(200, body.encode(), {"Content-Type": "application/rss+xml"})


def sitemap(*locs: str, index: bool = False) -> Reply:
    tag = "sitemap" if index else "url"
    root = "sitemapindex" if index else "urlset"
    entries = "".join(f"<{tag}><loc>{loc}</loc></{tag}>" for loc in locs)
    body = f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{root}>'
    return Reply(200, body.encode(), {"Content-Type": "application/xml"})


def etagged(body: bytes, etag: str) -> Callable[[Request], Reply]:
    """A page that answers 304 to a request carrying its ETag."""

    def route(request: Request) -> Reply:
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return page(body, ETag=etag)

    return route


# --- the chaos site: the same small site served clean or with faults injected (seeded) ------------

CHAOS_HOSTS = ("http://www.chaos-trust.nhs.uk", "http://news.chaos-college.ac.uk")
CHAOS_PAGES = (
    ("barnsley-council-impact-report.html", "bt-group-impact-report.html", "leonardo-uk-commits.html"),
    ("severn-trent-impact-report.html", "sheffield-teaching-hospitals-impact-report.html", "university-of-derby-impact-report.html"),
)
PRIVATE_PAGE = "impact-report-sodexo.html"  # what robots.txt keeps out: stored, it would be a row too many
RECOVERABLE = ("slow", "flapping", "truncated_once", "lying_charset", "lying_type")  # a run must still store the page
TRAPS = ("trickle", "always_5xx", "truncated", "redirect_to_private", "octet_stream")  # no run can store these


@dataclass(frozen=True)
class Timing:
    """The fetcher limits the chaos is sized against, in seconds (tests keep them short)."""

    timeout: float = 0.5
    deadline: float = 1.0
    retries: int = 2


@dataclass
class Chaos:
    sources: str  # the sources.yaml text for the site
    faults: dict[str, str] = field(default_factory=dict)  # url -> the fault it was given
    served: Counter[str] = field(default_factory=Counter)  # fault responses actually served, by fault
    private: set[str] = field(default_factory=set)  # URLs robots.txt disallows (redirect targets included)

    @property
    def injected(self) -> int:
        return sum(self.served.values())


def chaos_site(sites: Sites, seed: int | None, timing: Timing = Timing()) -> Chaos:
    """Serve the chaos site on ``sites``: clean when ``seed`` is None, else every page given a
    recoverable fault at random (slow, flapping 5xx, cut short once, lying charset or type) and
    the trap URLs their faults (trickling past the deadline, 5xx for ever, always cut short, a
    redirect into a disallowed path, an unsupported type). A clean site answers 404 at the traps."""
    rng = random.Random(seed)
    entries = "".join(f"  - {{name: chaos-{i}, organisation: Chaos Org {i}, kind: feed, start_urls: ['{host}/feed.xml']}}\n" for i, host in enumerate(CHAOS_HOSTS))
    chaos = Chaos(f"sources:\n{entries}")
    for host, names in zip(CHAOS_HOSTS, CHAOS_PAGES, strict=True):
        sites.add(f"{host}/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}))
        urls = [f"{host}/news/{Path(name).stem}" for name in names]
        traps = [f"{host}/news/trap-{trap.replace('_', '-')}" for trap in TRAPS]
        sites.add(f"{host}/private/memo", page(html(PRIVATE_PAGE)))
        chaos.private.add(f"{host}/private/memo")
        sites.add(f"{host}/feed.xml", rss(*urls, *traps, f"{host}/private/memo"))
        for url, name in zip(urls, names, strict=True):
            fault = rng.choice(RECOVERABLE) if seed is not None and rng.random() < 0.8 else None
            sites.add(url, _faulty(html(name), fault, chaos, timing, rng) if fault else page(html(name)))
            if fault:
                chaos.faults[url] = fault
        for url, trap in zip(traps, TRAPS, strict=True):
            if seed is None:
                sites.add(url, Reply(404, b"not found", {"Content-Type": "text/plain"}))
                continue
            sites.add(url, _trap(trap, host, chaos, timing))
            chaos.faults[url] = trap
    return chaos


def _counted(chaos: Chaos, fault: str, reply: Reply) -> Reply:
    chaos.served[fault] += 1
    return reply


def _faulty(body: bytes, fault: str, chaos: Chaos, timing: Timing, rng: random.Random) -> Route:
    if fault == "slow":
        return lambda request: _counted(chaos, fault, Reply(200, body, {"Content-Type": "text/html; charset=utf-8"}, delay=timing.timeout / 3))
    if fault == "lying_charset":  # the server says UTF-8; the bytes (and the page's meta) are Windows-1252
        legacy = re.sub(rb'charset="?utf-8"?', b'charset="windows-1252"', body, flags=re.IGNORECASE)
        encoded = legacy.decode("utf-8").encode("cp1252", errors="xmlcharrefreplace")
        return lambda request: _counted(chaos, fault, Reply(200, encoded, {"Content-Type": "text/html; charset=utf-8"}))
    if fault == "lying_type":
        return lambda request: _counted(chaos, fault, Reply(200, body, {"Content-Type": "text/plain; charset=utf-8"}))
    failures = rng.randint(1, timing.retries) if fault == "flapping" else 1
    calls = Counter[str]()

    def route(request: Request) -> Reply:  # fails the first ``failures`` times, then answers
        calls["n"] += 1
        if calls["n"] > failures:
            return page(body)
        if fault == "flapping":
            return _counted(chaos, fault, Reply(503, b"busy", {"Content-Type": "text/plain", "Retry-After": "0"}))
        return _counted(chaos, fault, Reply(200, body[: len(body) // 2], {"Content-Type": "text/html"}, declared_length=len(body)))

    return route


def _trap(trap: str, host: str, chaos: Chaos, timing: Timing) -> Route:
    filler = b"<html><body>" + b"<p>A paragraph trickled to the crawler one small chunk at a time.</p>" * 40 + b"</body></html>"
    replies = {
        "trickle": Reply(200, filler, {"Content-Type": "text/html"}, trickle=timing.deadline / 4, chunk=64),
        "always_5xx": Reply(503, b"down", {"Content-Type": "text/plain"}),
        "truncated": Reply(200, filler[:300], {"Content-Type": "text/html"}, declared_length=len(filler)),
        "redirect_to_private": Reply(302, b"", {"Location": f"{host}/private/memo", "Content-Type": "text/plain"}),
        "octet_stream": Reply(200, filler, {"Content-Type": "application/octet-stream"}),
    }
    return lambda request: _counted(chaos, trap, replies[trap])


@dataclass(frozen=True)
class Rows:
    """What a run left in the store, to compare with a clean run of the same site."""

    documents: frozenset[tuple[str, str]]  # (url, content hash)
    passages: frozenset[str]  # passage ids (from document and text)
    copies: int  # documents stored more than once under different addresses (same text)

    def compare(self, clean: Rows, disallowed: set[str]) -> dict[str, int]:
        lost = len(clean.documents - self.documents) + len(clean.passages - self.passages)
        extra = len(self.documents - clean.documents) + len(self.passages - clean.passages)
        return {
            "rows_lost": lost,
            "rows_duplicated": extra + self.copies,
            "disallowed_stored": sum(1 for url, _ in self.documents if url in disallowed),
        }


def stored_rows(store: Store) -> Rows:
    documents = store._read(select(schema.documents.c.url, schema.documents.c.content_hash))
    passages = [row.id for row in store._read(select(schema.passages.c.id))]
    hashes = [row.content_hash for row in documents]
    return Rows(frozenset((row.url, row.content_hash) for row in documents), frozenset(passages), len(hashes) - len(set(hashes)))
