"""Fixture web sites for crawling tests, served from one local HTTP server on 127.0.0.1.

The crawler's client uses the server as its HTTP proxy, so tests use real-looking host names
(courlan and trafilatura discard bare IP addresses) while every request stays on loopback.
Each (host, path) maps to a response or to a function of the request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SAMPLE = Path(__file__).resolve().parents[2] / "corpus" / "sample"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0


Route = Reply | Callable[["Request"], Reply]


@dataclass
class Request:
    host: str
    path: str
    headers: dict[str, str]


class Sites:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[Request] = []
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
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

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
