"""Benchmark `levelup classify` end to end: passages per second on 2 cores, and peak memory.

Runs the real command (``levelup classify``) in a subprocess pinned to two cores (``taskset``)
with torch limited to two threads, on unique passages (the sample corpus's passages and the
labelled passages, each made unique, so nothing is answered from the embedding cache), with a
fresh data folder. Each run is timed twice: cold (every passage embedded) and warm (the same
input again: every embedding comes from the cache). Process start and model loading are timed
by a one-passage run and reported apart. Prints a table and one JSON line.

    python scripts/bench_classify.py [--passages 2000] [--taxonomy levelling-up] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
CORES = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=2000)
    parser.add_argument("--taxonomy", default="levelling-up")
    parser.add_argument("--model", help="passed to --model (default: the configured tag.model)")
    args = parser.parse_args()

    texts = _texts(args.passages)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one = folder / "one.jsonl"
        many = folder / "many.jsonl"
        _write(one, texts[:1])
        _write(many, texts)
        env = os.environ | {
            "LEVELUP_DATA_DIR": str(folder / "data"),  # a fresh embedding cache
            "OMP_NUM_THREADS": str(CORES),
            "MKL_NUM_THREADS": str(CORES),
            "TOKENIZERS_PARALLELISM": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        command = [*_pin(), str(Path(sys.executable).parent / "levelup"), "classify", "--taxonomy", args.taxonomy]
        if args.model:
            command += ["--model", args.model]
        startup = _timed(command, one, env)
        cold = _timed(command, many, env)
        warm = _timed(command, many, env)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    n = len(texts)
    words = sum(len(t.split()) for t in texts) / n
    result = {
        "passages": n,
        "mean_words": round(words, 1),
        "cores": CORES if _pin() else os.cpu_count(),
        "startup_s": round(startup, 2),
        "cold_s": round(cold, 2),
        "warm_s": round(warm, 2),
        "cold_passages_per_s": round(n / (cold - startup), 1),
        "cold_passages_per_s_with_startup": round(n / cold, 1),
        "warm_passages_per_s_with_startup": round(n / warm, 1),
        "peak_rss_mb": round(peak_mb),
    }
    table = Table(title=f"levelup classify --taxonomy {args.taxonomy}: {n} unique passages (mean {words:.0f} words)")
    for column in ("run", "seconds", "passages/s"):
        table.add_column(column, justify="left" if column == "run" else "right")
    table.add_row("start-up and model loading (1 passage)", f"{startup:.1f}", "")
    table.add_row("cold cache: every passage embedded", f"{cold:.1f}", f"{result['cold_passages_per_s']:.0f}")
    table.add_row("warm cache: embeddings from the cache", f"{warm:.1f}", f"{result['warm_passages_per_s_with_startup']:.0f} (with start-up)")
    table.caption = f"{result['cores']} cores; cold passages/s exclude start-up ({result['cold_passages_per_s_with_startup']:.0f} with it); peak RSS {result['peak_rss_mb']} MB"
    Console(stderr=True).print(table)
    print(json.dumps(result))


def _texts(count: int) -> list[str]:
    """Real passage text: the segmented sample corpus and the labelled passages, made unique."""
    from pipeline import collect, segment
    from pipeline.config import Params

    params = Params()
    base = [p.text for p in segment.run(collect.run([str(ROOT / "corpus/sample")], params.collect).documents, params.segment)]
    for name in ("levelling-up.jsonl", "sdg.jsonl"):
        base += [json.loads(line)["text"] for line in (ROOT / "corpus/labels" / name).read_text(encoding="utf-8").splitlines()]
    return [f"{base[i % len(base)]} (ref {i})" for i in range(count)]


def _write(path: Path, texts: list[str]) -> None:
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")


def _pin() -> list[str]:
    return ["taskset", "-c", ",".join(str(c) for c in range(CORES))] if shutil.which("taskset") and (os.cpu_count() or 1) >= CORES else []


def _timed(command: list[str], source: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    with source.open("rb") as stdin:
        done = subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"levelup classify failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
