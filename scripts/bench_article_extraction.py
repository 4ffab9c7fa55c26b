"""Benchmark HTML body-text extraction on the Scrapinghub article-extraction benchmark.

Scores ``pipeline.collect.html.extract_html`` (our trafilatura settings) against plain
``trafilatura.extract(html)`` with default settings, and trafilatura as the benchmark's own
``extractors/run_trafilatura.py`` runs it (``include_comments=False``; the published F1 0.958
for trafilatura 2.0.0 is for this call). Prints a table to stderr and one JSON line to stdout.

    python scripts/bench_article_extraction.py [--limit N] [--benchmark ../shared/data/article-extraction-benchmark]

Data: https://github.com/scrapinghub/article-extraction-benchmark (MIT): ``html/<id>.html.gz``
(gzip, UTF-8, fetched with JS disabled) and ``ground-truth.json`` mapping ``<id>`` to
``{"articleBody": ..., "url": ...}``. Evaluation data only; nothing is tuned on it.

Scoring mirrors upstream ``evaluate.py`` (commit 7d95432), not a plain bag-of-words F1:

* tokens are ``re.findall(r"\\w+", text)`` (Unicode, case kept: IGNORECASE does not fold the
  tokens themselves); no lower-casing, punctuation dropped;
* a page is compared as multisets of 4-token shingles (consecutive 4-grams; a text of 1-3
  tokens is one shorter shingle, an empty text none); tp = sum of min counts, fp/fn the excess
  on either side, then tp, fp, fn are divided by tp+fp+fn so each page weighs the same;
* precision = mean of per-page tp/(tp+fp) over pages with tp+fp > 0 (a page with no prediction
  is left out of precision, but scores recall 0); recall = mean of per-page tp/(tp+fn) over
  pages with tp+fn > 0; both are 1 when fp == fn == 0;
* F1 = harmonic mean of those two means (NOT the mean of per-page F1s; that is reported too,
  as ``f1_page_mean``, and used to rank the worst pages);
* accuracy = share of pages whose token list equals the ground truth's exactly;
* ``±`` = standard deviation over ``--n-bootstrap`` resamples of the pages (seeded here).

Extraction that raises ``ExtractionError`` (our extractor's "no article text", under
MIN_ARTICLE_WORDS words) or returns None/empty counts as an empty prediction; any other
exception is counted under ``errors`` and also scored as empty. ms/page is the wall time of the
extraction call alone (decompressing is not timed), after one untimed warm-up call; our
extractor gets the page's bytes and URL as ``pipeline.collect`` passes them, the trafilatura
rows get the UTF-8-decoded string as upstream does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.collect.html import extract_html
from pipeline.errors import ExtractionError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BENCHMARK = REPO_ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
PUBLISHED_TRAFILATURA = {"version": "2.0.0", "f1": 0.958, "precision": 0.938, "recall": 0.978, "accuracy": 0.293}
NGRAM_N = 4
_TOKEN_RE = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: bytes
    truth: str


@dataclass
class Run:
    name: str
    texts: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


# --- scoring, as upstream evaluate.py -------------------------------------------------------


def tokenize(text: str) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def shingles(text: str, n: int = NGRAM_N) -> Counter[tuple[str, ...]]:
    tokens = tokenize(text)
    grams = (tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    """Shingle matching for one page, normalised so that every page weighs the same."""
    t, p = shingles(true), shingles(pred)
    tp = fp = fn = 0.0
    for key in t.keys() | p.keys():
        tc, pc = t.get(key, 0), p.get(key, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total > 0 else (tp, fp, fn)


def precision_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def page_f1(counts: tuple[float, float, float]) -> float:
    p, r = precision_score(*counts), recall_score(*counts)
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def metrics(counts: list[tuple[float, float, float]], exact: list[float]) -> dict[str, float]:
    precisions = [precision_score(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [recall_score(*c) for c in counts if c[0] + c[2] > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "accuracy": statistics.mean(exact),
        "f1_page_mean": statistics.mean(page_f1(c) for c in counts),
    }


def evaluate(pages: list[Page], run: Run, n_bootstrap: int, seed: int) -> dict[str, float]:
    counts = [tp_fp_fn(page.truth, run.texts[page.id]) for page in pages]
    exact = [float(tokenize(page.truth) == tokenize(run.texts[page.id])) for page in pages]
    result = metrics(counts, exact)
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(n_bootstrap):
        idx = [rng.randrange(len(pages)) for _ in pages]
        for key, value in metrics([counts[i] for i in idx], [exact[i] for i in idx]).items():
            samples.setdefault(key, []).append(value)
    for key, values in samples.items():
        if len(values) > 1:
            result[f"{key}_std"] = statistics.stdev(values)
    return result


# --- extractors ------------------------------------------------------------------------------


def ours(page: Page) -> str:
    try:
        return extract_html(page.html, url=page.url).text
    except ExtractionError:
        return ""


def trafilatura_default(page: Page) -> str:
    return trafilatura.extract(page.html.decode("utf-8")) or ""


def trafilatura_upstream(page: Page) -> str:
    return trafilatura.extract(page.html.decode("utf-8"), include_comments=False) or ""


EXTRACTORS: dict[str, Callable[[Page], str]] = {
    "ours (extract_html)": ours,
    "trafilatura default": trafilatura_default,
    "trafilatura upstream cfg": trafilatura_upstream,
}


def load_pages(benchmark: Path, limit: int | None) -> list[Page]:
    truth_path, html_dir = benchmark / "ground-truth.json", benchmark / "html"
    if not truth_path.is_file() or not html_dir.is_dir():
        sys.exit(f"{benchmark}: expected ground-truth.json and html/ there; pass --benchmark PATH")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit] if limit is not None else sorted(truth)
    pages = []
    for page_id in ids:
        path = html_dir / f"{page_id}.html.gz"
        if not path.is_file():
            path = html_dir / f"{page_id}.html"
        raw = path.read_bytes()
        html = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        pages.append(Page(page_id, truth[page_id].get("url", ""), html, truth[page_id].get("articleBody", "")))
    return pages


def run_extractor(name: str, extract: Callable[[Page], str], pages: list[Page], progress: Progress) -> Run:
    run = Run(name)
    extract(pages[0])  # warm-up: lazy imports and caches are not the work measured
    task = progress.add_task(name, total=len(pages))
    for page in pages:
        started = time.perf_counter()
        try:
            text = extract(page)
        except Exception as exc:  # noqa: BLE001 -- a crash on one page is a result, not a stop
            text = ""
            run.errors[page.id] = f"{type(exc).__name__}: {exc}"
        run.seconds[page.id] = time.perf_counter() - started
        run.texts[page.id] = text or ""
        progress.advance(task)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages (by id)")
    parser.add_argument("--benchmark", type=Path, default=DEFAULT_BENCHMARK)
    parser.add_argument("--n-bootstrap", type=int, default=1000, help="resamples for the ± (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worst", type=int, default=5, help="list our N worst pages by page F1")
    args = parser.parse_args()
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 150)  # piped: do not squeeze to 80
    pages = load_pages(args.benchmark, args.limit)
    if not pages:
        sys.exit("no pages to score")

    started = time.perf_counter()
    columns = (TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        runs = [run_extractor(name, fn, pages, progress) for name, fn in EXTRACTORS.items()]
    wall = time.perf_counter() - started

    results = {}
    for run in runs:
        scores = evaluate(pages, run, args.n_bootstrap, args.seed)
        scores["empty_pages"] = sum(1 for p in pages if not run.texts[p.id].strip())
        scores["errors"] = len(run.errors)
        scores["ms_per_page"] = 1000 * statistics.mean(run.seconds.values())
        scores["ms_per_page_median"] = 1000 * statistics.median(run.seconds.values())
        results[run.name] = scores

    def pm(scores: dict[str, float], key: str) -> str:
        std = scores.get(f"{key}_std")
        return f"{scores[key]:.3f}" + (f" ± {std:.3f}" if std is not None else "")

    table = Table(title=f"Article-extraction benchmark, {len(pages)} pages (trafilatura {trafilatura.__version__})")
    for header in ("extractor", "precision", "recall", "F1", "F1 page mean", "accuracy", "empty", "errors", "ms/page"):
        table.add_column(header, justify="left" if header == "extractor" else "right")
    for name, s in results.items():
        table.add_row(
            name, pm(s, "precision"), pm(s, "recall"), pm(s, "f1"), f"{s['f1_page_mean']:.3f}",
            pm(s, "accuracy"), str(s["empty_pages"]), str(s["errors"]), f"{s['ms_per_page']:.1f}",
        )
    pub = PUBLISHED_TRAFILATURA
    table.add_row(
        f"[dim]published trafilatura {pub['version']}[/dim]", f"[dim]{pub['precision']:.3f}[/dim]",
        f"[dim]{pub['recall']:.3f}[/dim]", f"[dim]{pub['f1']:.3f}[/dim]", "", f"[dim]{pub['accuracy']:.3f}[/dim]",
        "", "", "",
    )
    console.print(table)

    ours_run = runs[0]
    worst = sorted(pages, key=lambda p: page_f1(tp_fp_fn(p.truth, ours_run.texts[p.id])))[: args.worst]
    if worst:
        detail = Table(title=f"Worst {len(worst)} pages for {ours_run.name} (page F1)")
        for header in ("id", "url", "P", "R", "F1", "F1 traf. default", "words ours", "words truth"):
            detail.add_column(header)
        for page in worst:
            c = tp_fp_fn(page.truth, ours_run.texts[page.id])
            ref = page_f1(tp_fp_fn(page.truth, runs[1].texts[page.id]))
            detail.add_row(
                page.id[:12], page.url[:70], f"{precision_score(*c):.2f}", f"{recall_score(*c):.2f}",
                f"{page_f1(c):.2f}", f"{ref:.2f}", str(len(tokenize(ours_run.texts[page.id]))),
                str(len(tokenize(page.truth))),
            )
        console.print(detail)
    for run in runs:
        for page_id, error in run.errors.items():
            console.print(f"[red]{run.name}: {page_id}: {error}[/red]")

    print(json.dumps({
        "pages": len(pages),
        "trafilatura_version": trafilatura.__version__,
        "seconds": round(wall, 2),
        "extractors": {
            name: {key: round(value, 4) if isinstance(value, float) else value for key, value in s.items()}
            for name, s in results.items()
        },
        "published_trafilatura": PUBLISHED_TRAFILATURA,
        "worst_pages_ours": [p.id for p in worst],
    }))


if __name__ == "__main__":
    main()
