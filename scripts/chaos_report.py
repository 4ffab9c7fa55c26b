"""The chaos report: ``levelup ingest`` against a loopback site that misbehaves, compared with a
clean run of the same site.

The chaos site (``tests/collect/sites.py``: ``chaos_site``) serves six article pages on two hosts
with robots.txt rules. Each seed gives most pages a fault a crawler must recover from (slow
answers, 5xx that flap up to the retry limit, a body cut short once, a charset or content type
that lies) and adds traps no run can store (a page trickled past the deadline, 5xx for ever, a
body always cut short, a redirect into a disallowed path, an unsupported type). Each seed's run
is compared with a clean run: rows lost and rows duplicated (documents and passages) must be
zero, no disallowed page stored, every trap failed, and no fetch longer than its deadlines allow.

    python scripts/chaos_report.py [--seeds 3] [--json]

The fetcher is sized small so the run is quick: 0.5 s per read, a 1 s deadline per request,
2 retries, no politeness delay (the loopback server is ours). Prints a table (and with
``--json`` one JSON line per seed); exits 1 when any run lost, duplicated or leaked a row.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the chaos site lives with the tests

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from pipeline.collect.http import Fetched, Fetcher
from pipeline.collect.sources import load_sources
from pipeline.config import Params
from pipeline.evidence import schema
from pipeline.evidence.store import Store
from pipeline.workflow.ingest import IngestReport, RawStore, ingest
from tests.collect.sites import TRAPS, Chaos, Rows, Sites, Timing, chaos_site, stored_rows

TIMING = Timing(timeout=0.5, deadline=1.0, retries=2)


class TimedFetcher(Fetcher):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.longest = 0.0

    def fetch(self, url: str, **options: object) -> Fetched:
        started = time.monotonic()
        try:
            return super().fetch(url, **options)  # type: ignore[arg-type]
        finally:
            self.longest = max(self.longest, time.monotonic() - started)


def run_once(folder: Path, seed: int | None) -> tuple[Chaos, Store, IngestReport, TimedFetcher, Sites]:
    sites = Sites().start()
    try:
        chaos = chaos_site(sites, seed=seed, timing=TIMING)
        (folder / "sources.yaml").write_text(chaos.sources)
        store = Store.open(f"sqlite:///{folder / 'evidence.db'}")
        client = httpx.Client(proxy=sites.proxy, timeout=TIMING.timeout)
        crawler = TimedFetcher(client, delay=0, deadline=TIMING.deadline, retries=TIMING.retries, contact="ops@example.org", sleep=lambda s: None)
        report = ingest(load_sources(folder / "sources.yaml"), Params(), store, fetcher=crawler, raw=RawStore(folder / "raw"))
        crawler.close()
    finally:
        sites.stop()
    return chaos, store, report, crawler, sites


def score(seed: int, clean: Rows, folder: Path) -> dict[str, object]:
    chaos, store, report, crawler, sites = run_once(folder, seed)
    rows = stored_rows(store)
    f = schema.fetches
    outcome = {row.url: row.outcome for row in store._read(select(f.c.url, f.c.outcome).order_by(f.c.id))}
    traps = [url for url, fault in chaos.faults.items() if fault in TRAPS]
    recoverable = [url for url, fault in chaos.faults.items() if fault not in TRAPS]
    return {
        "seed": seed,
        "runs": 1,
        "faults_injected": chaos.injected,
        "pages_with_faults": len(recoverable),
        "recovered": sum(1 for url in recoverable if outcome.get(url) == "new"),
        "traps_failed": f"{sum(1 for url in traps if outcome.get(url) == 'failed')}/{len(traps)}",
        **rows.compare(clean, chaos.private),
        "disallowed_requested": sum(sites.hits(url) for url in chaos.private),
        "longest_fetch_s": round(crawler.longest, 2),
        "fetch_limit_s": (TIMING.retries + 1) * 2 * TIMING.deadline,
        "documents": len(rows.documents),
        "passages": len(rows.passages),
        "status": report.run.status,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="chaos runs, seeds 1..N (default 3)")
    parser.add_argument("--json", action="store_true", help="also print one JSON line per seed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        root = Path(tmp)
        os.environ["LEVELUP_DATA_DIR"] = str(root / "data")
        (root / "clean").mkdir()
        _, store, _, _, _ = run_once(root / "clean", None)
        clean = stored_rows(store)
        results = []
        for seed in range(1, args.seeds + 1):
            (root / str(seed)).mkdir()
            results.append(score(seed, clean, root / str(seed)))
    table = Table(title=f"chaos report: {args.seeds} chaos runs against a clean run ({len(clean.documents)} documents, {len(clean.passages)} passages)")
    columns = ["seed", "runs", "faults_injected", "recovered", "traps_failed", "rows_lost", "rows_duplicated", "disallowed_stored", "disallowed_requested", "longest_fetch_s"]
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for result in results:
        table.add_row(*(str(result[c]) if c != "recovered" else f"{result['recovered']}/{result['pages_with_faults']}" for c in columns))
    totals = {k: sum(int(r[k]) for r in results) for k in ("runs", "faults_injected", "rows_lost", "rows_duplicated", "disallowed_stored", "disallowed_requested")}  # type: ignore[call-overload]
    table.add_row("total", *(str(totals.get(c, "")) for c in columns[1:]))
    Console(width=160).print(table)
    if args.json:
        for result in results:
            print(json.dumps(result))
    bad = totals["rows_lost"] + totals["rows_duplicated"] + totals["disallowed_stored"] + totals["disallowed_requested"]
    late = any(float(r["longest_fetch_s"]) >= float(r["fetch_limit_s"]) for r in results)  # type: ignore[arg-type]
    return 1 if bad or late else 0


if __name__ == "__main__":
    sys.exit(main())
