"""How well does the classifier carry over to a style of text it was not trained on?

The levelling-up labels come in three styles (the ``style`` key of each line): ``short``
passages, ``segmented`` passages of the sample corpus as ``levelup segment`` cuts them, and
``long`` impact-report paragraphs. Each style in turn is held out: the model is trained on the
other two (thresholds and the "no goal" rule chosen by cross-validation inside them, as
``levelup train`` does) and scored on the held-out style, for each "no goal" rule and for the
zero-shot baseline. Real documents differ from our labels, so this is the check that picks
designs robust to a change of style. Only our own labels are read.

    python scripts/cross_style.py [--labels corpus/labels/levelling-up.jsonl] [--params params.yaml]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402

from pipeline.classify import load_embedder  # noqa: E402
from pipeline.classify.evaluate import evaluate  # noqa: E402
from pipeline.classify.supervised import (  # noqa: E402
    Decisions,
    choose_decisions,
    choose_no_goal_floor,
    choose_no_goal_threshold,
    choose_thresholds,
    make_estimator,
    make_no_goal_estimator,
    no_goal_out_of_fold,
    out_of_fold,
)
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.classify.zeroshot import ZeroShotTagger  # noqa: E402
from pipeline.config import load_params  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=ROOT / "corpus/labels/levelling-up.jsonl")
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    settings = params.train
    taxonomy = load_taxonomy("levelling-up")
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    styles = np.array([row.get("style", "unknown") for row in rows])
    gold = [row["goals"] for row in rows]
    encoder = load_embedder(params.tag)
    x = encoder.encode([row["text"] for row in rows])
    y = MultiLabelBinarizer(classes=taxonomy.goal_ids).fit_transform(gold)
    none = (y.sum(axis=1) == 0).astype(int)
    zero_shot = ZeroShotTagger(taxonomy, encoder, threshold=params.tag.threshold, margin=params.tag.margin, max_goals=3)
    zero = zero_shot.predict(zero_shot.score_embeddings(x))

    table = Table(title=f"Held-out style: trained on the other styles ({encoder.id})")
    for column in ("held out", "n", "design", "macro-F1", '"no goal" P', '"no goal" R'):
        table.add_column(column, justify="left" if column in ("held out", "design") else "right")
    c, folds, seed = settings.c, settings.folds, settings.seed
    for style in sorted(set(styles)):
        test, train = np.flatnonzero(styles == style), np.flatnonzero(styles != style)
        oof = out_of_fold(x[train], y[train], c=c, folds=folds, seed=seed)
        oof_none = no_goal_out_of_fold(x[train], y[train], c=c, folds=folds, seed=seed)
        thresholds = choose_thresholds(oof, y[train], settings.target_precision)
        target = settings.no_goal_precision
        designs = {
            "floor": Decisions(thresholds, choose_no_goal_floor(oof, y[train], target)),
            "classifier": Decisions(thresholds, 0.0, 3, choose_no_goal_threshold(oof_none, y[train], target)),
            "chosen by levelup train": choose_decisions(
                oof, oof_none, y[train], taxonomy.goal_ids, target_precision=settings.target_precision, no_goal_precision=target, max_goals=3
            ),
        }
        probabilities = make_estimator(c, folds, seed).fit(x[train], y[train]).predict_proba(x[test])
        no_goal = make_no_goal_estimator(c, folds, seed).fit(x[train], none[train]).predict_proba(x[test])[:, 1]
        truth = [gold[i] for i in test]
        results = {name: d.goals(probabilities, taxonomy.goal_ids, no_goal) for name, d in designs.items()}
        results["zero-shot baseline"] = [zero[i] for i in test]
        for name, predicted in results.items():
            m = evaluate(truth, predicted, taxonomy.goal_ids)
            label = f"{name} ({designs[name].rule})" if name == "chosen by levelup train" else name
            table.add_row(style, str(len(test)), label, f"{m['macro_f1']:.3f}", f"{m['no_goal']['precision']:.3f}", f"{m['no_goal']['recall']:.3f}")
        print(f"done: {style}", file=sys.stderr, flush=True)
    Console().print(table)


if __name__ == "__main__":
    main()
