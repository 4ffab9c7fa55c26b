"""Compare goal-tagger designs by cross-validation on realistic passages (web-passages).

Folds run over the realistic passages only: each is held out once, and every model is trained
on our own written labels (always) plus the other folds' realistic passages; all its decisions
(thresholds, the "no goal" rule) come from out-of-fold scores inside that training set. The dev
set and public benchmark data are never read here.

    python scripts/compare_realistic.py [--folds 5] [--seeds 0 1] [--out metrics/compare-realistic.json]

Designs: the model as ``levelup train`` built it before (own labels only, precision targets);
the same with realistic passages added to training; decisions tuned for F1 on realistic rows
(what ``levelup train`` does now); each with the goal-mention signal on top; zero-shot features.
Prints a table (macro-F1, micro-F1, "no goal" F1, recall of positive passages) and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.model_selection import KFold
from sklearn.preprocessing import MultiLabelBinarizer

from pipeline.classify import load_embedder
from pipeline.classify.evaluate import evaluate
from pipeline.classify.labels import read_labels
from pipeline.classify.mentions import mentioned_goals
from pipeline.classify.supervised import (
    choose_decisions,
    features,
    make_estimator,
    make_no_goal_estimator,
    no_goal_out_of_fold,
    out_of_fold,
)
from pipeline.classify.train import fit
from pipeline.classify.zeroshot import ZeroShotTagger
from pipeline.config import load_params
from pipeline.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
Design = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool], list[list[int]]]
# The folds re-fit calibrated one-vs-rest models (about a minute each on 2 cores): 3 designs x 5 folds.


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--own", type=Path, default=ROOT / "corpus/labels/levelling-up.jsonl")
    parser.add_argument("--realistic", type=Path, default=ROOT / "corpus/labels/web-passages.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--zero-shot-features", action="store_true", help="also try zero-shot similarities as features")
    parser.add_argument("--only", nargs="+", help="run only the designs whose names contain one of these")
    parser.add_argument("--out", type=Path, default=ROOT / "metrics/compare-realistic.json")
    args = parser.parse_args()

    params = load_params(ROOT / "params.yaml")
    tax = load_taxonomy("levelling-up")
    own, real = read_labels(args.own, tax), read_labels(args.realistic, tax)
    encoder = load_embedder(params.tag)
    started = time.perf_counter()
    e_own, e_real = encoder.encode([r.text for r in own]), encoder.encode([r.text for r in real])
    zero = ZeroShotTagger(tax, encoder, threshold=params.tag.threshold, margin=params.tag.margin, max_goals=params.tag.max_goals)
    z_own, z_real = zero.score_embeddings(e_own), zero.score_embeddings(e_real)
    binarizer = MultiLabelBinarizer(classes=tax.goal_ids)
    y_own, y_real = binarizer.fit_transform([r.goals for r in own]), binarizer.transform([r.goals for r in real])
    mentions = [set(mentioned_goals(r.text, tax)) for r in real]
    Console(stderr=True).print(f"embedded {len(own) + len(real)} passages in {time.perf_counter() - started:.0f}s")

    settings, max_goals, ids = params.train, params.tag.max_goals, tax.goal_ids

    def precision_design(x_train, y_train, x_test, realistic, _zs) -> list[list[int]]:
        oof = out_of_fold(x_train, y_train, c=settings.c, folds=settings.folds, seed=settings.seed)
        none = no_goal_out_of_fold(x_train, y_train, c=settings.c, folds=settings.folds, seed=settings.seed)
        decisions = choose_decisions(oof, none, y_train, ids, target_precision=settings.target_precision,
                                     no_goal_precision=settings.no_goal_precision, max_goals=max_goals)  # fmt: skip
        estimator = make_estimator(settings.c, settings.folds, settings.seed).fit(x_train, y_train)
        none_estimator = make_no_goal_estimator(settings.c, settings.folds, settings.seed).fit(x_train, (y_train.sum(axis=1) == 0).astype(int))
        return decisions.goals(estimator.predict_proba(x_test), ids, none_estimator.predict_proba(x_test)[:, 1])

    def f1_design(x_train, y_train, x_test, realistic, _zs) -> list[list[int]]:
        fitted = fit(x_train, y_train, realistic, settings, max_goals=max_goals, goal_ids=ids)
        none = fitted.no_goal_estimator.predict_proba(x_test)[:, 1] if fitted.no_goal_estimator is not None else None
        return fitted.decisions.goals(fitted.estimator.predict_proba(x_test), ids, none)

    designs: dict[str, tuple[Design, bool, bool]] = {  # design, realistic passages in training, zero-shot features
        "before: own labels, precision targets": (precision_design, False, False),
        "own + realistic, precision targets": (precision_design, True, False),
        "own + realistic, F1 decisions on realistic": (f1_design, True, False),
    }
    if args.zero_shot_features:
        designs["... + zero-shot features"] = (f1_design, True, True)
    if args.only:
        designs = {name: design for name, design in designs.items() if any(part in name for part in args.only)}
    results: dict[str, dict[str, object]] = {}
    gold = [r.goals for r in real]
    for name, (design, with_real, zs) in designs.items():
        started = time.perf_counter()
        plain, named = [], []
        for seed in args.seeds:
            predicted: list[list[int]] = [[] for _ in real]
            if not with_real:  # trained on own labels only: one model predicts every realistic passage
                predicted = design(_x(e_own, z_own, zs), y_own, _x(e_real, z_real, zs), np.zeros(len(own), bool), zs)
            else:
                for train, test in KFold(args.folds, shuffle=True, random_state=seed).split(e_real):
                    x_train = _x(np.vstack([e_own, e_real[train]]), np.vstack([z_own, z_real[train]]), zs)
                    y_train = np.vstack([y_own, y_real[train]])
                    realistic = np.r_[np.zeros(len(own), bool), np.ones(len(train), bool)]
                    for i, goals in zip(test, design(x_train, y_train, _x(e_real[test], z_real[test], zs), realistic, zs), strict=True):
                        predicted[i] = goals
            plain.append(_metrics(gold, predicted, ids))
            named.append(_metrics(gold, [_with_mentions(p, m) for p, m in zip(predicted, mentions, strict=True)], ids))
        seconds = round(time.perf_counter() - started, 1)
        results[name] = _mean(plain) | {"seconds": seconds}
        results[name + " + goal mentions"] = _mean(named) | {"seconds": seconds}
        Console(stderr=True).print(f"{name}: macro-F1 {results[name]['macro_f1']:.3f}, with mentions {results[name + ' + goal mentions']['macro_f1']:.3f}")
    _print(results, len(real), args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _with_mentions(predicted: list[int], named: set[int]) -> list[int]:
    return [*sorted(named), *(g for g in predicted if g not in named)]


def _x(embeddings: np.ndarray, zero_shot: np.ndarray, with_zero_shot: bool) -> np.ndarray:
    return features(embeddings, zero_shot if with_zero_shot else None)


def _metrics(gold: list[list[int]], predicted: list[list[int]], ids: list[int]) -> dict[str, float]:
    m = evaluate(gold, predicted, ids)
    none = m["no_goal"]
    positives = [p for g, p in zip(gold, predicted, strict=True) if g]
    return {
        "macro_f1": m["macro_f1"],
        "micro_f1": m["micro_f1"],
        "no_goal_f1": round(2 * none["precision"] * none["recall"] / max(none["precision"] + none["recall"], 1e-9), 4),
        "positives_with_a_goal": round(sum(bool(p) for p in positives) / len(positives), 4),
    }


def _mean(scores: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(float(np.mean([s[key] for s in scores])), 4) for key in scores[0]}


def _print(results: dict[str, dict[str, object]], n: int, args: argparse.Namespace) -> None:
    table = Table(title=f"{args.folds}-fold CV over {n} realistic passages (seeds {args.seeds}); own labels always in training")
    for column in ("design", "macro-F1", "micro-F1", '"no goal" F1', "positives given a goal", "seconds"):
        table.add_column(column, justify="left" if column == "design" else "right")
    for name, m in results.items():
        table.add_row(name, *(f"{m[k]:.3f}" for k in ("macro_f1", "micro_f1", "no_goal_f1", "positives_with_a_goal")), f"{m['seconds']:.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
