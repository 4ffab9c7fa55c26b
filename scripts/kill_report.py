"""Kill -9 `levelup run` and `levelup ingest` at random points, run them again, and compare the
rows with a clean run: nothing lost, nothing duplicated.

For each scenario a clean run gives the reference rows and its duration. Then, per seed, the
command is started, killed with SIGKILL after a random share of the clean duration (as many
times as --kills), and finally run to completion; its rows are compared with the reference:

- rows lost: ids in the clean database missing after the kills and re-run;
- rows extra: ids after the kills that the clean run does not have;
- rows duplicated: rows whose natural key (a document's URL, a passage's span in its document,
  an entity's, figure's or quote's span in its passage, a suggestion's goal) is stored twice;
- runs left running: killed runs not marked "interrupted" by the next start.

`ingest` crawls a loopback site (tests/collect/sites.py) through a local proxy; nothing leaves
the machine. Both scenarios load the real models in each process, so a seed takes a minute or so.

    python scripts/kill_report.py                    # 3 seeds, 1 kill each, both scenarios
    python scripts/kill_report.py --seeds 5 --kills 2 --scenario ingest
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.collect.sites import Sites, html, page, rss  # noqa: E402 - after the path is set

SAMPLE = ROOT / "corpus" / "sample"
RUN_INPUTS = [
    "nottingham-university-hospitals-commits.html",
    "walsall-healthcare-impact-report.html",
    "leeds-building-society-commits.txt",
    "cadent-levelling-up-summary.pdf",
    "sheffield-hallam-university-commits.html",
]
INGEST_PAGES = [
    "barnsley-council-impact-report.html",
    "bt-group-impact-report.html",
    "severn-trent-impact-report.html",
    "university-of-derby-impact-report.html",
    "leonardo-uk-commits.html",
]
SITE = "http://www.kill-test.org.uk"

# natural keys: the same thing stored twice under two ids would repeat one of these
NATURAL_KEYS = {
    "documents": ("url",),
    "passages": ("document_id", "start", "end"),
    "entities": ("passage_id", "label", "start", "end"),
    "figures": ("passage_id", "start", "end"),
    "quotes": ("passage_id", "start", "end"),
    "suggestions": ("passage_id", "taxonomy", "goal"),
}


@dataclass
class Outcome:
    scenario: str
    seed: int
    runs: int = 0
    kills: int = 0
    lost: int = 0
    extra: int = 0
    duplicated: int = 0
    left_running: int = 0
    rows: int = 0
    notes: list[str] = field(default_factory=list)


def rows(db: Path) -> dict[str, set[str]]:
    with sqlite3.connect(db) as connection:
        found = {}
        for table in NATURAL_KEYS:
            found[table] = {row[0] for row in connection.execute(f"SELECT id FROM {table}")}  # noqa: S608 - table names are constants
        return found


def duplicated(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        total = 0
        for table, key in NATURAL_KEYS.items():
            columns = ", ".join(f'"{c}"' for c in key)
            total += connection.execute(
                f"SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM {table} GROUP BY {columns})"  # noqa: S608 - constants
            ).fetchone()[0]
        return int(total)


def left_running(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()[0])


@dataclass
class Scenario:
    name: str
    command: Callable[[Path], list[str]]  # the command line for a database folder
    env: Callable[[Path], dict[str, str]]


def run_scenario(work: Path) -> Scenario:
    inputs = [str(SAMPLE / name) for name in RUN_INPUTS]
    return Scenario(
        "run",
        lambda folder: [sys.executable, "-m", "pipeline", "run", *inputs, "--no-report", "--db", f"sqlite:///{folder / 'evidence.db'}"],
        lambda folder: {"LEVELUP_DATA_DIR": str(folder / "data")},
    )


def ingest_scenario(work: Path, sites: Sites) -> Scenario:
    sites.add(f"{SITE}/robots.txt", page(b"User-agent: *\nAllow: /\n", **{"Content-Type": "text/plain"}))
    sites.add(f"{SITE}/feed.xml", rss(*(f"{SITE}/news/{name.removesuffix('.html')}" for name in INGEST_PAGES)))
    for name in INGEST_PAGES:
        sites.add(f"{SITE}/news/{name.removesuffix('.html')}", page(html(name)))
    sources = work / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: kill-test\n    organisation: Kill Test Council\n    kind: feed\n    start_urls: [{SITE}/feed.xml]\n"
    )
    params = work / "ingest-params.yaml"
    params.write_text("collect:\n  delay_s: 0\n  retries: 1\n  timeout_s: 5\n  contact: ops@example.org\n")

    def command(folder: Path) -> list[str]:
        return [sys.executable, "-m", "pipeline", "--params", str(params), "ingest", "--sources", str(sources),
                "--db", f"sqlite:///{folder / 'evidence.db'}", "--lock", str(folder / "ingest.lock")]  # fmt: skip

    proxy = {"HTTP_PROXY": sites.proxy, "http_proxy": sites.proxy, "NO_PROXY": "", "no_proxy": ""}
    return Scenario("ingest", command, lambda folder: {**proxy, "LEVELUP_DATA_DIR": str(folder / "data")})


def start(scenario: Scenario, folder: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **scenario.env(folder)}
    return subprocess.Popen(scenario.command(folder), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 900) -> None:
    _, err = process.communicate(timeout=timeout)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"exit {process.returncode}: {err.strip().splitlines()[-1:] if err else ''}")


def clean_run(scenario: Scenario, folder: Path) -> tuple[dict[str, set[str]], float]:
    folder.mkdir(parents=True)
    began = time.monotonic()
    finish(start(scenario, folder))
    return rows(folder / "evidence.db"), time.monotonic() - began


def killed_runs(scenario: Scenario, folder: Path, seed: int, kills: int, duration: float, reference: dict[str, set[str]]) -> Outcome:
    """Kill ``kills`` times at random shares of ``duration``, then finish, and compare with ``reference``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    outcome = Outcome(scenario.name, seed)
    for _ in range(kills):
        process = start(scenario, folder)
        time.sleep(rng.uniform(0.1, 0.8) * duration)  # model loading takes the first ~10-20%
        outcome.runs += 1
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            outcome.kills += 1
        process.wait()
    finish(start(scenario, folder))
    outcome.runs += 1
    db = folder / "evidence.db"
    found = rows(db)
    outcome.lost = sum(len(reference[t] - found[t]) for t in NATURAL_KEYS)
    outcome.extra = sum(len(found[t] - reference[t]) for t in NATURAL_KEYS)
    outcome.duplicated = duplicated(db)
    outcome.left_running = left_running(db)
    outcome.rows = sum(len(found[t]) for t in NATURAL_KEYS)
    return outcome


def report(scenarios: list[str], seeds: int, kills: int, work: Path, say: Callable[[str], None] = print) -> list[Outcome]:
    outcomes: list[Outcome] = []
    sites = Sites().start()
    try:
        for name in scenarios:
            scenario = run_scenario(work) if name == "run" else ingest_scenario(work, sites)
            reference, duration = clean_run(scenario, work / f"{name}-clean")
            say(f"{name}: clean run {duration:.0f} s, {sum(len(v) for v in reference.values())} rows")
            for seed in range(seeds):
                outcome = killed_runs(scenario, work / f"{name}-seed{seed}", seed, kills, duration, reference)
                say(f"{name} seed {seed}: {outcome.kills} kill(s), {outcome.rows} rows, lost {outcome.lost}, extra {outcome.extra}, "
                    f"duplicated {outcome.duplicated}, runs left running {outcome.left_running}")
                outcomes.append(outcome)
    finally:
        sites.stop()
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    header = ("scenario", "seed", "runs", "kills", "rows", "rows lost", "rows extra", "rows duplicated", "runs left running")
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for o in outcomes:
        lines.append(" | ".join(str(v) for v in (o.scenario, o.seed, o.runs, o.kills, o.rows, o.lost, o.extra, o.duplicated, o.left_running)))
    total = [sum(getattr(o, k) for o in outcomes) for k in ("runs", "kills", "rows", "lost", "extra", "duplicated", "left_running")]
    lines.append(" | ".join(["total", "", *map(str, total)]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--kills", type=int, default=1, help="kills per seed before the run that finishes")
    parser.add_argument("--scenario", choices=["run", "ingest", "both"], default="both")
    args = parser.parse_args()
    scenarios = ["run", "ingest"] if args.scenario == "both" else [args.scenario]
    with tempfile.TemporaryDirectory(prefix="levelup-kill-") as work:
        outcomes = report(scenarios, args.seeds, args.kills, Path(work), say=lambda line: print(line, file=sys.stderr))
    print(table(outcomes))
    bad = sum(o.lost + o.extra + o.duplicated + o.left_running for o in outcomes)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
