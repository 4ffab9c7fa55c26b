"""Quality gate: our HTML body extraction on the article-extraction benchmark (181 real pages),
scored as that benchmark scores. Needs ../shared/data; skips cleanly where it is absent."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.conftest import ROOT, SHARED

BENCHMARK = SHARED / "data" / "article-extraction-benchmark"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BENCHMARK / "ground-truth.json").is_file(), reason=f"{BENCHMARK} is not here (evaluation data outside the repo)"),
]


def _script():
    spec = importlib.util.spec_from_file_location("bench_article_extraction", ROOT / "scripts" / "bench_article_extraction.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_scoring_matches_the_benchmark_definition():
    bench = _script()
    assert bench.tp_fp_fn("one two three four five", "one two three four five") == (1.0, 0.0, 0.0)
    tp, fp, fn = bench.tp_fp_fn("one two three four five", "one two three four")
    assert tp > 0 and fp == 0 and fn > 0


def test_body_extraction_keeps_the_quality_of_trafilatura():
    bench = _script()
    pages = bench.load_pages(BENCHMARK, None)
    from rich.progress import Progress

    with Progress(disable=True) as progress:
        run = bench.run_extractor("ours", bench.ours, pages, progress)
    result = bench.evaluate(pages, run, n_bootstrap=0, seed=0)
    assert len(pages) == 181
    assert result["f1"] >= 0.95, result  # trafilatura alone: 0.958 published
