"""Throughput of `levelup run --workers N` on the article-extraction benchmark's real pages.

    python scripts/bench_scale.py                       # 96 pages (3 batches of 32), 1 and 2 workers
    python scripts/bench_scale.py --pages 0 --workers 1 2 4 8   # all 181 pages, up to 8 workers
    python scripts/bench_scale.py --workers 0 1 2       # 0: the single-process path, for comparison

Work goes to workers in batches of 32 documents, so fewer than 64 pages keep one worker busy and
the others idle. Each run starts cold (an empty data folder: no embedding cache, no extraction memo, a fresh
SQLite database) and prints wall time, passages, passages per second and the peak memory (RSS)
of the driver and of each worker process (sampled twice a second with psutil; without psutil,
only the largest process's peak, from ``resource``). Pages come from
``../shared/data/article-extraction-benchmark/html/*.html.gz`` (or ``--benchmark DIR``).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = ROOT.parent / "shared" / "data" / "article-extraction-benchmark"


@dataclass
class Result:
    workers: int
    seconds: float
    passages: int
    driver_mb: float
    worker_mb: list[float] = field(default_factory=list)

    def line(self) -> str:
        label = "single process" if self.workers == 0 else f"{self.workers} worker{'s' * (self.workers > 1)}"
        per_worker = ", ".join(f"{mb:.0f}" for mb in self.worker_mb) or "-"
        rate = self.passages / self.seconds if self.seconds else 0.0
        return f"{label:>15}: {self.seconds:7.1f} s  {self.passages:6d} passages  {rate:6.1f} passages/s  driver {self.driver_mb:.0f} MB  workers [{per_worker}] MB"


def pages(benchmark: Path, count: int, out: Path) -> Path:
    """The first ``count`` pages (0: all), unzipped into ``out``."""
    files = sorted((benchmark / "html").glob("*.html.gz"))
    if not files:
        sys.exit(f"no pages in {benchmark / 'html'}; pass --benchmark DIR")
    out.mkdir(parents=True, exist_ok=True)
    for file in files[:count] if count else files:
        (out / file.name.removesuffix(".gz")).write_bytes(gzip.decompress(file.read_bytes()))
    return out


def run(folder: Path, workers: int, scratch: Path) -> Result:
    data = scratch / f"data-{workers}"
    env = os.environ | {"LEVELUP_DATA_DIR": str(data), "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "pipeline", "run", str(folder), "--db", f"sqlite:///{data / 'evidence.db'}", "--no-report"]
    command += ["--workers", str(workers)] if workers else []
    log = scratch / f"run-{workers}.log"
    started = time.monotonic()
    with log.open("w") as stderr:  # a file, not a pipe: a chatty run can never block on a full pipe
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr, text=True)
        peaks = _watch(process)
        process.wait()
    seconds = time.monotonic() - started
    err = log.read_text(encoding="utf-8", errors="replace")
    if process.returncode not in (0, 1):
        sys.exit(f"levelup run failed ({process.returncode}):\n{err[-2000:]}")
    found = re.search(r"passages (\d+)", err)
    driver = peaks.pop(process.pid, 0.0)
    if not peaks and driver == 0.0:  # no psutil: the largest child's peak, all we can know
        driver = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return Result(workers, seconds, int(found.group(1)) if found else 0, driver, sorted(peaks.values(), reverse=True)[: workers or 0])


def _watch(process: subprocess.Popen[str]) -> dict[int, float]:
    """Peak RSS in MB of the driver (by its pid) and of each worker process, until it ends."""
    try:
        import psutil
    except ImportError:
        process.wait()
        return {}
    peaks: dict[int, float] = {}
    driver = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            tree = [driver, *(p for p in driver.children(recursive=True) if _is_worker(p))]
            for member in tree:
                peaks[member.pid] = max(peaks.get(member.pid, 0.0), member.memory_info().rss / 2**20)
        except psutil.Error:  # a process ended between listing and reading it
            pass
        time.sleep(0.5)
    return peaks


def _is_worker(process) -> bool:
    command = " ".join(process.cmdline())
    return "spawn_main" in command and "resource_tracker" not in command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=96, help="how many benchmark pages (0: all 181); a batch is 32 documents, the unit of work a worker takes")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run (0: single process)")
    parser.add_argument("--benchmark", type=Path, default=BENCHMARK)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        folder = pages(args.benchmark, args.pages, Path(scratch) / "pages")
        print(f"{len(list(folder.iterdir()))} pages, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
        for workers in args.workers:
            print(run(folder, workers, Path(scratch)).line(), flush=True)


if __name__ == "__main__":
    main()
