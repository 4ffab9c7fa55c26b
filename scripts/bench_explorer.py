"""Benchmark the evidence explorer at scale: latency of the search and facet pages, and of the
organisation, goal and coalition pages, over HTTP, on SQLite (and PostgreSQL with ``--db``).

Seeds a throw-away evidence database with ``--passages`` passages (default 200,000) in documents
of 20 passages about 500 organisations of every kind, 2015-2025, html and pdf: texts drawn from a
Zipf-like vocabulary (common, middling and rare words), one to three model suggestions per
passage (most predicted), figures in about a third, and standing reviews and disputes on a few
per cent. Rows go in with bulk inserts (thousands a statement, as ``levelup ingest`` would after
many nights, without running the models); then the explorer's index is built once
(``evidence_index.refresh_all``), as migration 0014 builds it for an existing database.

Then ``levelup review serve`` runs on it in its own process and this process times ``--requests``
GETs of each page kind (p50 / p95): no filter; a new word each time (from the 200 commonest: the
full-text matches are fetched, not reused); a common, a middling and a rare word; two facets; a
word with three facets; the CSV of a narrow filter; an organisation; a goal; the coalition. The
app keeps the matches of its 32 latest searches, so the repeated words after the first time
measure what narrowing by a facet or turning a page costs.
Prints a table and one JSON line.

    nice -n 10 python scripts/bench_explorer.py                         # 200,000 passages on SQLite
    nice -n 10 python scripts/bench_explorer.py --passages 20000        # a quick look
    nice -n 10 python scripts/bench_explorer.py --postgresql                       # on a throw-away PostgreSQL server
    nice -n 10 python scripts/bench_explorer.py --db postgresql://localhost/bench   # an empty database (seeded), or one seeded before (timed again)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_review import PASSWORD, serve, session

from pipeline.evidence import evidence_index, schema
from pipeline.evidence.explorer import EvidenceQuery
from pipeline.evidence.store import Store, now
from pipeline.review import accounts

TAXONOMY = "levelling-up"
PER_DOCUMENT = 20
BATCH = 10_000  # passages per transaction
KINDS = ("NHS Foundation Trust", "University", "Borough Council", "Housing Group", "plc", "Charitable Trust", "Police")
COMMON = ["apprentices", "skills", "training", "jobs", "young", "people", "local", "community", "students", "health", "staff", "support"]


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words and their weights: a dozen common ones, then 3,000 made-up words with Zipf weights."""
    made = ["".join(rng.choice("bcdfghjklmnprstvw") + rng.choice("aeiou") for _ in range(rng.randint(2, 4))) for _ in range(3000)]
    words = COMMON + made
    return words, [1 / (rank + 1) ** 1.05 for rank in range(len(words))]


def organisations() -> list[str]:
    return [f"{place} {KINDS[n % len(KINDS)]}" if KINDS[n % len(KINDS)] != "University" else f"University of {place}" for n, place in enumerate(f"Town{n:03d}" for n in range(500))]


def batches(passages: int, rng: random.Random) -> Iterator[dict[str, list[dict]]]:
    """Rows for each table, ``BATCH`` passages at a time."""
    words, weights = vocabulary(random.Random(1))  # the same words pages() searches for
    names = organisations()
    for start in range(0, passages, BATCH):
        rows: dict[str, list[dict]] = {"documents": [], "passages": [], "suggestions": [], "figures": [], "reviews": [], "passage_standing": []}
        for first in range(start, min(passages, start + BATCH), PER_DOCUMENT):
            doc = f"d{first:08d}"
            organisation = names[rng.randrange(len(names))]
            year = rng.randint(2015, 2025)
            rows["documents"].append({
                "id": doc, "url": f"https://example.org/{doc}", "kind": rng.choice(("html", "html", "pdf")), "title": f"Report {first}", "date": f"{year}-{rng.randint(1, 12):02d}-01",
                "organisation": organisation, "organisation_kind": _kind(organisation), "text": "", "content_hash": doc, "collected_at": now(),
            })  # fmt: skip
            for ordinal in range(min(PER_DOCUMENT, passages - first)):
                pid = f"p{first + ordinal:08d}"
                text = " ".join(rng.choices(words, weights, k=40))
                rows["passages"].append({"id": pid, "document_id": doc, "ordinal": ordinal, "text": text, "start": 0, "end": len(text), "unprocessed": False})
                goals = rng.sample(range(1, 15), rng.choice((1, 2, 3)))
                predicted = set(goals[: rng.choice((0, 1, 1, 1, 2))])
                rows["suggestions"] += [
                    {"id": f"s{pid}{g}", "passage_id": pid, "taxonomy": TAXONOMY, "goal": g, "score": round(rng.uniform(0.5, 1) if g in predicted else rng.random() / 2, 4),
                     "predicted": g in predicted, "model": "bench-model", "created_at": now(), "flagged": False}
                    for g in goals
                ]  # fmt: skip
                if rng.random() < 0.3:
                    value = rng.choice((12, 120, 1500, 20000))
                    rows["figures"].append({"id": f"f{pid}", "passage_id": pid, "text": str(value), "value": value, "unit": "count", "counted": rng.choice(("apprentices", "staff", "homes")), "start": 0, "end": 3, "model": "bench"})
                if rng.random() < 0.03:
                    _review(rows, pid, goals, disputed=rng.random() < 0.2, review_id=len(rows["reviews"]) + start * 4 + 1)
        yield rows


def _review(rows: dict[str, list[dict]], pid: str, goals: list[int], *, disputed: bool, review_id: int) -> None:
    """A standing review of the passage (accepting its first goal), or two that disagree."""
    base = {"passage_id": pid, "passage_text": "t", "taxonomy": TAXONOMY, "goals_before": goals[:1], "note": None, "created_at": now(), "stands": True}
    rows["reviews"].append(base | {"id": review_id, "decision": "accept", "goals_after": goals[:1], "reviewer": "r1"})
    if disputed:
        rows["reviews"].append(base | {"id": review_id + 1, "decision": "change", "goals_after": goals[1:2] or [14], "reviewer": "r2"})
    rows["passage_standing"].append({"taxonomy": TAXONOMY, "passage_id": pid, "decided_id": review_id + disputed, "label_id": review_id + disputed, "reviewers": 1 + disputed, "disputed": disputed})


def _kind(name: str) -> str:
    from pipeline.evidence.organisation_kind import organisation_kind

    return organisation_kind(name) or "company"


def seed(store: Store, passages: int, rng: random.Random) -> int:
    """Bulk-load the rows, then build the explorer's index; the number of evidence rows."""
    for rows in batches(passages, rng):
        with store.transaction() as tx:
            for table, found in rows.items():
                if found:
                    tx.connection.execute(insert(schema.metadata.tables[table]), found)
        print(f"loaded {rows['passages'][-1]['id']}", file=sys.stderr, flush=True)
    with store.transaction() as tx:
        return evidence_index.refresh_all(tx.connection)


def timed(client: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code} from {path}")
    return (time.perf_counter() - start) * 1000


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)}


def pages(store: Store) -> dict[str, list[str]]:
    """The URLs timed, a few variants of each kind (cycled through)."""
    words, _ = vocabulary(random.Random(1))
    names = sorted(name for name, _ in store.evidence_facets(EvidenceQuery(TAXONOMY), ("organisation",), limit=1000)["organisation"] if name)
    kinds = ("nhs", "university", "council", "housing", "company", "charity", "public body")
    return {
        "search: no filter": ["/evidence", "/evidence?page=3"],
        "search: a new word each time": [f"/evidence?q={w}" for w in words[:200:4]],  # never one the app has just searched
        "search: common word": [f"/evidence?q={w}" for w in COMMON[:4]],
        "search: middling word": [f"/evidence?q={w}" for w in words[60:64]],
        "search: rare word": [f"/evidence?q={w}" for w in words[2500:2504]],
        "facets: goal + year": [f"/evidence?goal={g}&year={y}" for g, y in ((5, 2023), (3, 2019), (10, 2025), (1, 2016))],
        "facets: word + 3 facets": [f"/evidence?q={COMMON[i]}&organisation_kind={kinds[i]}&figures=yes&source=model" for i in range(4)],
        "facets: organisation + goal": [f"/evidence?organisation={names[i * 7]}&goal={i + 1}" for i in range(4)],
        "CSV of a narrow filter": [f"/evidence.csv?organisation={names[i * 11]}&goal={i + 2}" for i in range(4)],
        "organisation page": [f"/organisation?name={names[i * 13]}" for i in range(4)],
        "goal page": [f"/goals/{g}" for g in (2, 6, 9, 13)],
        "coalition overview": ["/coalition"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests of each page kind")
    parser.add_argument("--db", default=None, help="an empty database URL to seed (default: a throw-away SQLite file)")
    parser.add_argument("--postgresql", action="store_true", help="run on a throw-away PostgreSQL server (tests/postgres.py: initdb, pg_ctl)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.postgresql:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.postgres import PostgresServer, postgres_bindir

        bindir = postgres_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL is not installed (initdb, pg_ctl): apt-get install postgresql")
        server = PostgresServer(bindir)
        server.start()
        try:
            args.db = server.new_database()
            run(args)
        finally:
            server.stop()
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        db_url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        store = Store.open(db_url)
        started = time.perf_counter()
        evidence = store.evidence_count(EvidenceQuery(TAXONOMY))
        if evidence:  # a database seeded by an earlier run (--db): time it again as it is
            print(f"reusing {db_url}: {evidence:,} evidence rows", file=sys.stderr)
        else:
            evidence = seed(store, args.passages, rng)
        accounts.add_user(store, "reviewer0", PASSWORD, "viewer")  # replaced on a second run
        loaded = time.perf_counter() - started
        process, base = serve(db_url)
        try:
            client = session(base, "reviewer0")
            times = {}
            for name, urls in pages(store).items():
                timed(client, urls[0])  # warm
                times[name] = percentiles([timed(client, urls[n % len(urls)]) for n in range(args.requests)])
        finally:
            process.terminate()
            process.wait(timeout=30)
    backend = "PostgreSQL" if db_url.startswith("postgres") else "SQLite"
    table = Table(title=f"evidence explorer on {backend}: {args.passages:,} passages, {evidence:,} evidence rows (loaded and indexed in {loaded:.0f} s)")
    for column in ("page", "p50 ms", "p95 ms"):
        table.add_column(column)
    for name, figures in times.items():
        table.add_row(name, str(figures["p50_ms"]), str(figures["p95_ms"]))
    Console(stderr=True).print(table)
    print(json.dumps({"backend": backend, "passages": args.passages, "evidence_rows": evidence, "load_s": round(loaded), "latency": times}))


if __name__ == "__main__":
    main()
