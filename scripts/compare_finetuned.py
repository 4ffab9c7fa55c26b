"""Does fine-tuning the encoder end to end beat the frozen-embedding tagger on realistic passages?

Same protocol as the DVC stage experiment-realistic (pipeline/classify/experiments.realistic_cv): K folds (``KFold(shuffle=True, random_state=seed)``)
over the realistic passages (corpus/labels/web-passages.jsonl); each fold trains on ALL our own
written labels plus the other folds' realistic passages and predicts the held-out fold. Decisions
(a global threshold and a top-1 floor) are chosen on an inner split of the training fold's
realistic rows (``--inner`` of them, held out of fine-tuning); the test fold is never used for
any choice. The dev set and public benchmark data are never read.

    python scripts/compare_finetuned.py [--folds 5] [--epochs 3] [--max-len 128] [--out metrics/compare-finetuned.json]

Also times inference of the fine-tuned model (torch fp32, batch 32) on the realistic passages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from sklearn.model_selection import KFold
from sklearn.preprocessing import MultiLabelBinarizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.classify.encoder import resolve_encoder_path  # noqa: E402
from pipeline.classify.evaluate import evaluate  # noqa: E402
from pipeline.classify.finetune import FinetuneSettings, choose_decisions, train  # noqa: E402
from pipeline.classify.labels import read_labels  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

# frozen-embedding logistic regression, measured by experiment-realistic and its predecessor script
BASELINES = {
    "frozen LR: own labels only, precision targets": {"macro_f1": 0.690},
    "frozen LR: own + realistic, precision targets": {"macro_f1": 0.701},
    "frozen LR: own + realistic, F1 decisions": {"macro_f1": 0.691},
}
err = Console(stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--own", type=Path, default=ROOT / "corpus/labels/levelling-up.jsonl")
    parser.add_argument("--realistic", type=Path, default=ROOT / "corpus/labels/web-passages.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only-folds", type=int, help="run only the first N folds (timing / partial runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--encoder-lr", type=float, default=3e-5)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument(
        "--inner", type=float, default=0.2, help="share of the training fold's realistic rows held out for decisions"
    )
    parser.add_argument(
        "--realistic-weight", type=int, default=2, help="repeat realistic training rows this many times"
    )
    parser.add_argument("--max-steps", type=int, help="stop training after this many steps (timing probe)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is ~6x faster than 2 when the other core is busy)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "metrics/compare-finetuned.json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    tax = load_taxonomy("levelling-up")
    ids = list(tax.goal_ids)
    own, real = read_labels(args.own, tax), read_labels(args.realistic, tax)
    binarizer = MultiLabelBinarizer(classes=ids)
    y_own, y_real = binarizer.fit_transform([r.goals for r in own]), binarizer.transform([r.goals for r in real])
    gold = [r.goals for r in real]
    path = resolve_encoder_path(None)
    settings = FinetuneSettings(epochs=args.epochs, batch_size=args.batch_size, max_len=args.max_len,
                                encoder_lr=args.encoder_lr, head_lr=args.head_lr, seed=args.seed, threads=args.threads)  # fmt: skip

    def objective(g, p) -> float:
        m = evaluate(g, p, ids)
        return 0.5 * m["macro_f1"] + 0.5 * m["micro_f1"]  # macro alone is too noisy on ~40 rows

    predicted: list[list[int] | None] = [None] * len(real)
    folds, tagger = [], None
    splits = list(KFold(args.folds, shuffle=True, random_state=args.seed).split(np.arange(len(real))))
    for k, (train_rows, test_rows) in enumerate(splits[: args.only_folds or args.folds]):
        started = time.perf_counter()
        rng = np.random.default_rng(args.seed + k)
        shuffled = rng.permutation(train_rows)
        n_inner = round(len(train_rows) * args.inner)
        inner, fit_rows = np.sort(shuffled[:n_inner]), np.sort(shuffled[n_inner:])
        texts = [r.text for r in own] + [real[i].text for i in fit_rows] * args.realistic_weight
        y = np.vstack([y_own, *([y_real[fit_rows]] * args.realistic_weight)])
        err.print(f"fold {k + 1}/{args.folds}: fine-tuning on {len(own)} own + {len(fit_rows)} realistic (x{args.realistic_weight}), "
                  f"{len(inner)} realistic held out for decisions, {len(test_rows)} test")  # fmt: skip
        tagger = train(path, texts, y, settings, log=lambda s: err.print("  " + s), max_steps=args.max_steps)
        trained = time.perf_counter() - started
        decisions, value = choose_decisions(
            tagger.scores([real[i].text for i in inner]), [gold[i] for i in inner], ids, objective
        )
        for i, goals in zip(
            test_rows, decisions.goals(tagger.scores([real[i].text for i in test_rows]), ids), strict=True
        ):
            predicted[i] = goals
        fold_m = _metrics([gold[i] for i in test_rows], [predicted[i] for i in test_rows], ids)
        seconds = time.perf_counter() - started
        folds.append({"fold": k + 1, "train_seconds": round(trained, 1), "seconds": round(seconds, 1),
                      "threshold": decisions.threshold, "floor": decisions.floor, "inner_objective": round(value, 4)} | fold_m)  # fmt: skip
        err.print(f"  fold {k + 1}: threshold {decisions.threshold}, floor {decisions.floor}; test macro-F1 {fold_m['macro_f1']:.3f}, "
                  f"micro {fold_m['micro_f1']:.3f}; {seconds:.0f}s")  # fmt: skip
        args.out.parent.mkdir(parents=True, exist_ok=True)  # partial results, in case the run is cut short
        args.out.with_suffix(".partial.json").write_text(
            json.dumps({"folds": folds}, indent=2) + "\n", encoding="utf-8"
        )

    done = [i for i, p in enumerate(predicted) if p is not None]
    name = (
        f"fine-tuned MiniLM + linear head ({args.epochs} ep, max_len {args.max_len}, {len(folds)}/{args.folds} folds)"
    )
    results = {name: _metrics([gold[i] for i in done], [predicted[i] for i in done], ids)  # type: ignore[misc]
               | {"seconds": round(sum(f["seconds"] for f in folds), 1), "passages_scored": len(done)}}  # fmt: skip

    assert tagger is not None
    texts = [r.text for r in real]
    tagger.scores(texts[:32])  # warm-up
    started = time.perf_counter()
    tagger.scores(texts, batch_size=32)
    speed = len(texts) / (time.perf_counter() - started)
    err.print(f"inference: {speed:.0f} passages/s (torch fp32, batch 32, {args.threads} threads)")

    _print(results, folds, speed, len(real), args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "protocol": f"{args.folds}-fold KFold(shuffle, random_state={args.seed}) over {len(real)} realistic passages; "
        f"own labels ({len(own)}) always in training; decisions on {args.inner:.0%} of the training fold's realistic rows",
        "settings": vars(args) | {"own": str(args.own), "realistic": str(args.realistic), "out": str(args.out)},
        "results": results,
        "baselines": BASELINES,
        "folds": folds,
        "inference_passages_per_second": round(speed, 1),
        "per_goal": evaluate([gold[i] for i in done], [predicted[i] for i in done], ids)["per_goal"],  # type: ignore[misc]
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".partial.json").unlink(missing_ok=True)


def _metrics(gold: list[list[int]], predicted: list[list[int]], ids: list[int]) -> dict[str, float]:
    """As ``pipeline.classify.experiments.realistic_cv``."""
    m = evaluate(gold, predicted, ids)
    none = m["no_goal"]
    positives = [p for g, p in zip(gold, predicted, strict=True) if g]
    return {
        "macro_f1": m["macro_f1"],
        "micro_f1": m["micro_f1"],
        "no_goal_f1": round(2 * none["precision"] * none["recall"] / max(none["precision"] + none["recall"], 1e-9), 4),
        "positives_with_a_goal": round(sum(bool(p) for p in positives) / max(len(positives), 1), 4),
    }


def _print(results: dict, folds: list[dict], speed: float, n: int, args: argparse.Namespace) -> None:
    table = Table(
        title=f"{args.folds}-fold CV over {n} realistic passages (seed {args.seed}); own labels always in training"
    )
    for column in ("design", "macro-F1", "micro-F1", '"no goal" F1', "positives given a goal", "seconds"):
        table.add_column(column, justify="left" if column == "design" else "right")
    for name, m in BASELINES.items():
        table.add_row(name, f"{m['macro_f1']:.3f}", "", "", "", "")
    for name, m in results.items():
        table.add_row(
            name,
            *(f"{m[k]:.3f}" for k in ("macro_f1", "micro_f1", "no_goal_f1", "positives_with_a_goal")),
            f"{m['seconds']:.0f}",
        )
    Console().print(table)
    per_fold = Table(title=f"per fold; inference {speed:.0f} passages/s (torch fp32, batch 32, {args.threads} threads)")
    for column in ("fold", "train s", "threshold", "floor", "macro-F1", "micro-F1", '"no goal" F1'):
        per_fold.add_column(column, justify="right")
    for f in folds:
        per_fold.add_row(str(f["fold"]), f"{f['train_seconds']:.0f}", f"{f['threshold']:.3f}", f"{f['floor']:.3f}",
                         f"{f['macro_f1']:.3f}", f"{f['micro_f1']:.3f}", f"{f['no_goal_f1']:.3f}")  # fmt: skip
    Console().print(per_fold)


if __name__ == "__main__":
    main()
