"""Benchmark the review app at scale: latency of /queue, /status, a passage page and a decision,
a concurrent-decision test that counts lost and duplicated decisions, and a burst of wrong logins.

Builds a throw-away SQLite evidence database (or loads the empty database ``--db`` names) with ``--passages`` flagged passages (14 goal
suggestions each) and ``--reviews`` review rows by ten reviewers (revisions, skips and undos
included), starts ``levelup review serve`` on it in its own process, and from this process:

1. times ``--requests`` GETs of /queue, of passage pages, and decision POSTs (p50 / p95);
2. has ``--clients`` reviewers decide at once, each on passages of its own, submitting one form
   in three twice (a double click), then counts the reviews stored against the decisions made;
3. sends ``--burst`` wrong passwords for one account at once (one address), while a signed-in
   reviewer keeps loading /queue: how many passwords the server checked (401) and refused (429),
   the server's peak memory (VmHWM) and /queue's latency during the burst.

Prints a table and one JSON line.

    python scripts/bench_review.py                       # 2,000 reviews: about a minute
    python scripts/bench_review.py --reviews 100000      # the full run: about 2 minutes to load
    python scripts/bench_review.py --reviews 100000 --cache /tmp/bench-100k.db   # loads once, reuses after
    python scripts/bench_review.py --reviews 100000 --db postgresql://user:pw@127.0.0.1:5433/empty

For PostgreSQL, start a throw-away server the way tests/postgres.py does (``PostgresServer``:
initdb and pg_ctl on a free loopback port, as the postgres user when run as root), make an empty
database (``new_database()``) and pass its URL with ``--db``; run it all under ``nice``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table

from pipeline.evidence.store import Store, now
from pipeline.progress import rich_track
from pipeline.records import Document, Passage, Suggestion
from pipeline.review import accounts

TAXONOMY = "levelling-up"
PASSWORD = "bench-password-1"
REVIEWERS = [f"reviewer{n}" for n in range(10)]
WORDS = ["apprentices", "skills", "trust", "council", "homes", "digital", "training", "jobs", "young", "people", "local", "students", "health"]


SEED_BATCH = 1000  # passages (with their 14 suggestions each) or reviews written per transaction


def seed(store: Store, passages: int, reviews: int, rng: random.Random) -> None:
    """Documents of 20 passages with 14 suggestions each (one flagged), then ``reviews`` review
    rows and 2 % undos, written through the store's own batch writes (the rows and the kept
    standing the app writes), ``SEED_BATCH`` a transaction."""
    ids = [f"p{n:07d}" for n in range(passages)]
    for start in rich_track(range(0, passages, SEED_BATCH), "passages and suggestions", total=-(-passages // SEED_BATCH)):
        with store.transaction() as tx:
            for first in range(start, min(start + SEED_BATCH, passages), PER_DOCUMENT):
                document, rows, suggestions = _document(ids[first : first + PER_DOCUMENT], first, rng)
                tx.save_document(document, rows, organisation=f"Org {first % 50}")
                tx.save_suggestions(suggestions)
    made: list[dict] = []
    for start in rich_track(range(0, reviews, SEED_BATCH), "reviews", total=-(-reviews // SEED_BATCH)):
        batch = [_review(ids[rng.randrange(passages)], rng) for _ in range(min(SEED_BATCH, reviews - start))]
        made_ids = store.add_reviews(batch)
        made.extend({"id": i, **r} for i, r in zip(made_ids, batch, strict=True))
        undos = rng.sample(made[-len(batch) :], len(batch) // 50)  # 2 % taken back
        store.add_reviews([{**{k: v for k, v in u.items() if k != "id"}, "decision": "undo", "undoes": u["id"], "stands": False, "created_at": now()} for u in undos])


PER_DOCUMENT = 20  # passages per seeded document


def _document(chunk: list[str], start: int, rng: random.Random) -> tuple[Document, list[Passage], list[Suggestion]]:
    texts = [" ".join(rng.choice(WORDS) for _ in range(40)) for _ in chunk]
    document = Document(id=f"d{start}", url=f"https://example.org/{start}", kind="html", text="\n\n".join(texts), content_hash=str(start), title=f"Report {start}")
    rows, at = [], 0
    for ordinal, (pid, text) in enumerate(zip(chunk, texts, strict=True)):
        rows.append(Passage(id=pid, document_id=document.id, ordinal=ordinal, text=text, start=at, end=at + len(text)))
        at += len(text) + 2
    suggestions = []
    for pid in chunk:
        predicted, flagged = set(rng.sample(range(1, 15), rng.choice((0, 1, 1, 2)))), rng.randint(1, 14)
        for goal in range(1, 15):
            marked = goal == flagged
            suggestions.append(
                Suggestion(
                    passage_id=pid, taxonomy=TAXONOMY, goal=goal, score=round(rng.random(), 4), predicted=goal in predicted, model="bench-model",
                    flagged=marked, priority=round(rng.random(), 4) if marked else None, reasons=["uncertain"] if marked else None,
                )
            )
    return document, rows, suggestions


def _review(pid: str, rng: random.Random) -> dict:
    decision = rng.choice(("accept", "accept", "change", "no_goal", "reject", "skip"))
    return {
        "passage_id": pid, "passage_text": "text", "taxonomy": TAXONOMY, "decision": decision, "goals_before": [3], "goals_after": [] if decision in ("no_goal", "reject") else [3],
        "reviewer": rng.choice(REVIEWERS), "note": None, "created_at": now(), "undoes": None, "token": None, "shown": None, "stands": True,
    }


def serve(db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {"LEVELUP_SECRET_KEY": secrets.token_urlsafe(48), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "review", "serve", "--db", db_url, "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the review app did not start within 60 s")


def session(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = csrf(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    if response.status_code != 303:
        raise SystemExit(f"login as {username} failed: HTTP {response.status_code}")
    return client


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def form_of(html: str) -> list[tuple[str, str]]:
    form = html[html.index('id="decide"') : html.index("</form>", html.index('id="decide"'))]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return fields + [("goals", g) for g in re.findall(r'name="goals" value="(\d+)" id="goal-\d+" checked', form)] + [("decision", "accept")]


def post(client: httpx.Client, passage: str, fields: list[tuple[str, str]]) -> httpx.Response:
    return client.post(f"/item/{passage}/decide", content=urlencode(fields), headers={"content-type": "application/x-www-form-urlencoded"})


def timed(call: Callable[[], httpx.Response]) -> float:
    start = time.perf_counter()
    response = call()
    if response.status_code >= 400:
        raise SystemExit(f"HTTP {response.status_code} from {response.request.url}")
    return (time.perf_counter() - start) * 1000


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)}


def latency(base: str, store: Store, requests: int) -> dict[str, dict[str, float]]:
    client = session(base, REVIEWERS[0])
    queue_ms = [timed(partial(client.get, "/queue")) for _ in range(requests)]
    ids = re.findall(r'href="/item/([^"?]+)', client.get("/queue").text)
    item_ms = [timed(partial(client.get, f"/item/{pid}")) for pid in (ids * 3)[:requests]]
    decide_ms = []
    for _ in range(requests):
        pid = re.findall(r'href="/item/([^"?]+)', client.get("/queue").text)[0]
        fields = form_of(client.get(f"/item/{pid}").text)
        decide_ms.append(timed(partial(post, client, pid, fields)))
    status_ms = [timed(partial(client.get, "/status")) for _ in range(requests)]
    return {"queue": percentiles(queue_ms), "status": percentiles(status_ms), "item": percentiles(item_ms), "decide": percentiles(decide_ms)}


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (Linux VmHWM), in MB; None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """Processor time the process has used so far (user + system, Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def login_burst(base: str, store: Store, pid: int, size: int) -> dict[str, float | int | None]:
    """``size`` wrong passwords for one account, released at once, while reviewer0 loads /queue
    from a process of its own (so the burst's client threads do not slow the timing down)."""
    accounts.add_user(store, "burst-target", PASSWORD, "reviewer")
    reader = session(base, REVIEWERS[0])
    before = peak_rss_mb(pid)
    clients = [httpx.Client(base_url=base, timeout=120) for _ in range(size)]
    tokens = [csrf(client.get("/login").text) for client in clients]
    statuses: list[int] = []
    start_line = threading.Barrier(size + 1)
    context = multiprocessing.get_context("spawn")
    ready, go, stop, timings = context.Event(), context.Event(), context.Event(), context.Queue()
    watcher = context.Process(target=watch_queue, args=(base, dict(reader.cookies), ready, go, stop, timings))
    watcher.start()
    if not ready.wait(timeout=120):
        raise SystemExit("the /queue watcher did not start within 120 s")

    def attempt(n: int) -> None:
        start_line.wait()
        response = clients[n].post("/login", data={"csrf_token": tokens[n], "username": "burst-target", "password": "wrong password!"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(size)]
    for thread in threads:
        thread.start()
    cpu_before = cpu_seconds(pid)
    start_line.wait()
    go.set()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cpu_after = cpu_seconds(pid)
    stop.set()
    queue_ms: list[float] = timings.get(timeout=120)
    watcher.join(timeout=30)
    for client in clients:
        client.close()
    return {
        "attempts": size, "checked": statuses.count(401), "limited": statuses.count(429), "other": size - statuses.count(401) - statuses.count(429),
        "seconds": round(seconds, 2), "server_cpu_s": round(cpu_after - cpu_before, 2) if cpu_before is not None and cpu_after is not None else None,
        "peak_rss_mb_before": before, "peak_rss_mb": peak_rss_mb(pid), "queue_during": percentiles(queue_ms) if queue_ms else None,
    }


def watch_queue(base: str, cookies: dict[str, str], ready: Any, go: Any, stop: Any, out: Any) -> None:
    """Load /queue as a signed-in reviewer from ``go`` until ``stop``; put the timings (ms) on ``out``."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        client.get("/queue")  # connected and warm before the burst
        ready.set()
        go.wait()
        found = [timed(partial(client.get, "/queue"))]  # at least one, however short the burst
        while not stop.is_set():
            found.append(timed(partial(client.get, "/queue")))
    out.put(found)


def concurrent(base: str, store: Store, clients: int, per_client: int) -> dict[str, float | int]:
    rows, _ = store.queue_page(TAXONOMY, "load-nobody", limit=clients * per_client)  # passages none of them has decided
    ids = [row["passage_id"] for row in rows]
    users = [f"load{n}" for n in range(clients)]
    for user in users:
        accounts.add_user(store, user, PASSWORD, "reviewer")
    sessions = [session(base, user) for user in users]
    made = [0] * clients
    errors: list[str] = []
    start_line = threading.Barrier(clients)

    def work(n: int) -> None:
        client, mine = sessions[n], ids[n * per_client : (n + 1) * per_client]
        start_line.wait()
        for k, pid in enumerate(mine):
            fields = form_of(client.get(f"/item/{pid}").text)
            for _ in range(2 if k % 3 == 0 else 1):  # one form in three submitted twice
                response = post(client, pid, fields)
                if response.status_code != 303:
                    errors.append(f"{users[n]} {pid}: HTTP {response.status_code}")
            made[n] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    stored = [r for r in store.reviews(TAXONOMY) if r["reviewer"] in set(users)]
    pairs = [(r["reviewer"], r["passage_id"]) for r in stored]
    return {
        "clients": clients, "decisions_made": sum(made), "reviews_stored": len(stored), "lost": sum(made) - len(set(pairs)),
        "duplicated": len(pairs) - len(set(pairs)), "errors": len(errors), "decisions_per_s": round(sum(made) / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=2000, help="review rows to load (100000 for the full run)")
    parser.add_argument("--passages", type=int, default=None, help="flagged passages (default: reviews / 2, at least 500: most decided, a backlog open)")
    parser.add_argument("--requests", type=int, default=40, help="timed requests of each kind")
    parser.add_argument("--clients", type=int, default=20, help="reviewers deciding at once")
    parser.add_argument("--per-client", type=int, default=6, help="decisions per concurrent reviewer")
    parser.add_argument("--burst", type=int, default=100, help="wrong logins sent at once")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", default=None, help="SQLite only: keep a copy of the loaded database in this file, and start from it when it is there (same options)")
    parser.add_argument("--db", default=None, help="an empty database to load and serve (e.g. postgresql://...); default: a throw-away SQLite file")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    passages = args.passages or max(500, args.reviews // 2)
    with tempfile.TemporaryDirectory() as folder:
        db_url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        cached = args.cache and Path(args.cache).is_file() and not args.db
        if cached:  # a copy of the database an earlier run loaded with the same options
            shutil.copyfile(args.cache, Path(folder) / "bench.db")
        store = Store.open(db_url)
        if not cached:
            seed(store, passages, args.reviews, rng)
            for reviewer in REVIEWERS[:1]:
                accounts.add_user(store, reviewer, PASSWORD, "reviewer")
            if args.cache and not args.db:
                store.dispose()
                shutil.copyfile(Path(folder) / "bench.db", args.cache)
        loaded = time.perf_counter() - started
        process, base = serve(db_url)
        try:
            times = latency(base, store, args.requests)
            load = concurrent(base, store, args.clients, args.per_client)
            burst = login_burst(base, store, process.pid, args.burst)
        finally:
            process.terminate()
            process.wait(timeout=30)
    table = Table(title=f"review app: {args.reviews:,} reviews over {passages:,} flagged passages (loaded in {loaded:.0f} s)")
    for column in ("request", "p50 ms", "p95 ms"):
        table.add_column(column)
    for name, figures in times.items():
        table.add_row(name, str(figures["p50_ms"]), str(figures["p95_ms"]))
    Console(stderr=True).print(table)
    Console(stderr=True).print(f"{load['clients']} reviewers at once: {load['decisions_made']} decisions, {load['reviews_stored']} stored, "
                               f"{load['lost']} lost, {load['duplicated']} duplicated, {load['errors']} errors, {load['decisions_per_s']} decisions/s")
    during = burst["queue_during"] or {}
    Console(stderr=True).print(f"{burst['attempts']} wrong logins at once: {burst['checked']} checked, {burst['limited']} limited (429), {burst['other']} other, "
                               f"{burst['seconds']} s, server processor time {burst['server_cpu_s']} s (the /queue loads included); server peak RSS {burst['peak_rss_mb']} MB (before: {burst['peak_rss_mb_before']} MB); "
                               f"/queue meanwhile p50 {during.get('p50_ms')} ms, p95 {during.get('p95_ms')} ms")
    print(json.dumps({"reviews": args.reviews, "passages": passages, "latency": times, "concurrent": load, "login_burst": burst}))


if __name__ == "__main__":
    main()
