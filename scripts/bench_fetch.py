"""Benchmark the collection path: pages per second through fetch + extraction, from loopback.

Serves the sample corpus's HTML pages from a local HTTP server (as a proxy, so the crawler sees
ordinary host names) under ``--pages`` distinct URLs spread over ``--hosts`` hosts, then fetches
and extracts every one through the same ``Fetcher`` and extraction code ``levelup ingest`` uses,
with ``--concurrency`` worker threads. The per-host politeness delay is set to 0 here: with the
default 1 s, a crawl is bound by the delay (one page per second per host), not by this code.
Prints a table and one JSON line.

    python scripts/bench_fetch.py [--pages 400] [--hosts 8] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx
from rich.console import Console
from rich.table import Table

from pipeline.collect.http import Fetcher
from pipeline.config import Params
from pipeline.workflow.ingest import _document

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    bodies = [p.read_bytes() for p in sorted((ROOT / "corpus" / "sample").glob("*.html"))]
    urls = [f"http://www.site-{i % args.hosts}.org.uk/news/story-{i}" for i in range(args.pages)]
    served = {urlsplit(u).netloc + urlsplit(u).path: bodies[i % len(bodies)] for i, u in enumerate(urls)}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"

    params = Params()
    client = httpx.Client(proxy=proxy, timeout=30, limits=httpx.Limits(max_connections=args.concurrency * 2))
    fetcher = Fetcher(client, delay=0.0, contact="bench@example.org")
    for host in {urlsplit(u).netloc for u in urls}:  # robots.txt once per host, not timed
        fetcher.allowed(f"http://{host}/")

    fetch_seconds = extract_seconds = 0.0
    lock = threading.Lock()

    def one(url: str) -> int:
        nonlocal fetch_seconds, extract_seconds
        started = time.perf_counter()
        fetched = fetcher.fetch(url)
        middle = time.perf_counter()
        document = _document(fetched, params)
        ended = time.perf_counter()
        with lock:
            fetch_seconds += middle - started
            extract_seconds += ended - middle
        return len(document.text)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        chars = sum(pool.map(one, urls))
    seconds = time.perf_counter() - started
    server.shutdown()
    fetcher.close()

    result = {
        "pages": len(urls),
        "hosts": args.hosts,
        "concurrency": args.concurrency,
        "cores": os.cpu_count(),
        "seconds": round(seconds, 2),
        "pages_per_second": round(len(urls) / seconds, 1),
        "fetch_ms_per_page": round(1000 * fetch_seconds / len(urls), 1),
        "extract_ms_per_page": round(1000 * extract_seconds / len(urls), 1),
        "mean_chars": round(chars / len(urls)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    table = Table(title=f"fetch + extraction from loopback: {len(urls)} pages, {args.hosts} hosts, {args.concurrency} threads")
    for column in ("pages/s", "fetch ms/page", "extract ms/page", "peak RSS MB"):
        table.add_column(column, justify="right")
    table.add_row(str(result["pages_per_second"]), str(result["fetch_ms_per_page"]), str(result["extract_ms_per_page"]), str(result["peak_rss_mb"]))
    table.caption = f"{result['cores']} cores; politeness delay 0 here (the default 1 s caps a crawl at one page per second per host)"
    Console(stderr=True).print(table)
    print(json.dumps(result))


def _handler(served: dict[str, bytes]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            body = served.get(parts.netloc + parts.path)
            status, kind = (200, "text/html; charset=utf-8") if body is not None else (404, "text/plain")
            body = body if body is not None else b"not found"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


if __name__ == "__main__":
    main()
