"""Compare goal-classifier designs by nested cross-validation on our own labels.

Every figure comes from passages the model and its thresholds never saw: an outer k-fold split
holds each passage out once; inside each outer training fold, out-of-fold probabilities choose
the thresholds (as ``levelup train`` does). The shared benchmark data is never read here.

    python scripts/compare_classifiers.py [--taxonomy levelling-up] [--labels FILE]

Prints a table: macro-F1, micro-F1 and "no goal" precision/recall per design.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402

from pipeline.classify import load_embedder  # noqa: E402
from pipeline.classify.evaluate import evaluate  # noqa: E402
from pipeline.classify.labels import read_labels  # noqa: E402
from pipeline.classify.supervised import (  # noqa: E402
    Decisions,
    choose_decisions,
    choose_no_goal_floor,
    choose_thresholds,
    features,
    make_estimator,
    make_no_goal_estimator,
    no_goal_out_of_fold,
    out_of_fold,
)
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.classify.zeroshot import ZeroShotTagger  # noqa: E402
from pipeline.config import Params  # noqa: E402

DESIGNS = {
    # name: (features, C, target precision, no-goal rule)
    "emb, C=1, p=0.7, floor+best": ("emb", 1.0, 0.7, "floor"),
    "emb, C=4, p=0.7, floor+best": ("emb", 4.0, 0.7, "floor"),
    "emb, C=16, p=0.7, floor+best": ("emb", 16.0, 0.7, "floor"),
    "emb, C=4, p=0.6, floor+best": ("emb", 4.0, 0.6, "floor"),
    "emb, C=4, p=0.7, thresholds only": ("emb", 4.0, 0.7, "thresholds"),
    "emb, C=4, p=0.7, no-goal rule chosen (levelup train)": ("emb", 4.0, 0.7, "chosen"),
    "emb+zs, C=4, p=0.7, floor+best": ("emb+zs", 4.0, 0.7, "floor"),
    "emb+zs, C=16, p=0.7, floor+best": ("emb+zs", 16.0, 0.7, "floor"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taxonomy", default="levelling-up")
    parser.add_argument("--labels", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    params = Params()
    taxonomy = load_taxonomy(args.taxonomy)
    records = read_labels(args.labels or Path("corpus/labels") / f"{taxonomy.name}.jsonl", taxonomy)
    encoder = load_embedder(params.tag)
    zero_shot = ZeroShotTagger(taxonomy, encoder, threshold=params.tag.threshold, margin=params.tag.margin, max_goals=3)
    embeddings = encoder.encode([r.text for r in records])
    baseline = zero_shot.score_embeddings(embeddings)
    gold = [r.goals for r in records]
    y = MultiLabelBinarizer(classes=taxonomy.goal_ids).fit_transform(gold)

    table = Table(title=f"{taxonomy.name}: {len(records)} passages, nested {args.folds}-fold cross-validation")
    for column in ("design", "macro-F1", "micro-F1", '"no goal" P', '"no goal" R'):
        table.add_column(column, justify="left" if column == "design" else "right")
    zero = evaluate(gold, zero_shot.predict(baseline), taxonomy.goal_ids)
    table.add_row("zero-shot baseline", *_cells(zero))
    for name, (kind, c, target, rule) in DESIGNS.items():
        x = embeddings if kind == "emb" else features(embeddings, baseline)
        predicted: list[list[int]] = [[] for _ in records]
        for train, test in KFold(args.folds, shuffle=True, random_state=1).split(x):
            oof = out_of_fold(x[train], y[train], c=c, folds=args.folds, seed=0)
            if rule == "chosen":
                oof_none = no_goal_out_of_fold(x[train], y[train], c=c, folds=args.folds, seed=0)
                decisions = choose_decisions(
                    oof, oof_none, y[train], taxonomy.goal_ids, target_precision=target, no_goal_precision=0.9, max_goals=3
                )
                model = make_estimator(c, args.folds, 0).fit(x[train], y[train])
                none = (y[train].sum(axis=1) == 0).astype(int)
                no_goal = make_no_goal_estimator(c, args.folds, 0).fit(x[train], none).predict_proba(x[test])[:, 1]
                for i, goals in zip(test, decisions.goals(model.predict_proba(x[test]), taxonomy.goal_ids, no_goal), strict=True):
                    predicted[i] = goals
                continue
            floor = choose_no_goal_floor(oof, y[train], 0.9) if rule == "floor" else 1.01
            decisions = Decisions(choose_thresholds(oof, y[train], target), floor if rule == "floor" else 0.0)
            model = make_estimator(c, args.folds, 0).fit(x[train], y[train])
            probabilities = model.predict_proba(x[test])
            if rule == "thresholds":
                chosen = [[taxonomy.goal_ids[j] for j in np.argsort(-row) if row[j] >= decisions.thresholds[j]][:3] for row in probabilities]
            else:
                chosen = decisions.goals(probabilities, taxonomy.goal_ids)
            for i, goals in zip(test, chosen, strict=True):
                predicted[i] = goals
        table.add_row(name, *_cells(evaluate(gold, predicted, taxonomy.goal_ids)))
        print(f"done: {name}", file=sys.stderr, flush=True)
    Console().print(table)


def _cells(metrics: dict) -> list[str]:
    return [f"{metrics['macro_f1']:.3f}", f"{metrics['micro_f1']:.3f}", f"{metrics['no_goal']['precision']:.3f}", f"{metrics['no_goal']['recall']:.3f}"]


if __name__ == "__main__":
    main()
