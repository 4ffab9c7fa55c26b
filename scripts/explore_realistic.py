"""Try variants of the goal classifier by cross-validation on the realistic passages, before one
goes into ``levelup train``: each variant is scored exactly as ``levelup experiment realistic``
scores the shipped one (5 folds over web-passages.jsonl and web-passages-2.jsonl grouped by source
page, our own labels always in training, thresholds and the "no goal" rule chosen on the training
fold's out-of-fold scores, themselves grouped by page).

Variants (JSON objects, one per line of the grid; unnamed keys keep params.yaml's value):

- ``weight``: sample weight of realistic rows in every fit (our own labels weigh 1)
- ``c``: the logistic regression's C; ``words``: the TF-IDF word features' weight (0: none)
- ``chars``: the character 3-5-gram TF-IDF features' weight (0: none)
- ``taxonomy_rows``: each goal's description and includes added as labelled training rows
- ``decisions``: ``precision`` (params.yaml's targets) or ``realistic-f1``; with ``realistic-f1``,
  ``no_goal_precision`` is the precision the "no goal" outcome must reach (``train.realistic_no_goal_precision``)

    python scripts/explore_realistic.py '[{}, {"weight": 3}, {"chars": 0.7}, {"taxonomy_rows": true}]'
    python scripts/explore_realistic.py --repeats 3 '[{"chars": 0}, {}]'   # the mean of three splits

Prints a table (macro-F1, "no goal" precision and recall, per-goal F1) and one JSON line per
variant. With ``--repeats N`` each variant is scored over N splits (outer seeds train.seed, +1,
...) and the figures are their means, with each split's macro-F1: one split's figure moves by
about 0.01 with the split alone. The dev set is never read. Takes about 3 minutes a variant and
split on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from pipeline.classify import load_embedder
from pipeline.classify import supervised as model
from pipeline.classify.evaluate import evaluate
from pipeline.classify.experiments import _Data
from pipeline.config import load_params

LABELS = [Path("corpus/labels/levelling-up.jsonl"), Path("corpus/labels/web-passages.jsonl"), Path("corpus/labels/web-passages-2.jsonl")]


def calibrated(c: float, seed: int, folds: int) -> CalibratedClassifierCV:
    """As ``supervised.make_estimator`` builds each goal's classifier (weights passed to fit)."""
    return CalibratedClassifierCV(LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed), method="sigmoid", cv=folds)


def fit_goals(x: Any, y: np.ndarray, w: np.ndarray, c: float, seed: int, folds: int) -> list[CalibratedClassifierCV]:
    return [calibrated(c, seed, folds).fit(x, y[:, j], sample_weight=w) for j in range(y.shape[1])]


def probabilities(models: list[CalibratedClassifierCV], x: Any) -> np.ndarray:
    return np.column_stack([m.predict_proba(x)[:, 1] for m in models])


def out_of_fold(x: Any, y: np.ndarray, w: np.ndarray, c: float, seed: int, folds: int, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    goals, none = np.zeros(y.shape), np.zeros(len(y))
    for train, test in model.splits(x, folds, seed, groups):
        goals[test] = probabilities(fit_goals(x[train], y[train], w[train], c, seed, folds), x[test])
        empty = (y[train].sum(axis=1) == 0).astype(int)
        none[test] = calibrated(c, seed, folds).fit(x[train], empty, sample_weight=w[train]).predict_proba(x[test])[:, 1]
    return goals, none


class Explorer:
    def __init__(self) -> None:
        self.params = load_params()
        self.data = _Data(self.params, "levelling-up", LABELS)
        self.ids = self.data.taxonomy.goal_ids
        self.taxonomy_texts = [text for goal in self.data.taxonomy.goals for text in [goal.description, *goal.includes]]
        self.taxonomy_y = np.array([[int(j == goal.id) for j in self.ids] for goal in self.data.taxonomy.goals for _ in [goal.description, *goal.includes]])
        self._taxonomy_embeddings: np.ndarray | None = None

    def taxonomy_embeddings(self) -> np.ndarray:
        if self._taxonomy_embeddings is None:
            self._taxonomy_embeddings = load_embedder(self.params.tag).encode(self.taxonomy_texts)
        return self._taxonomy_embeddings

    def run(self, variant: dict[str, Any], split_seed: int | None = None) -> dict[str, Any]:
        """One variant scored over one split of the realistic passages (``split_seed``: the
        outer folds' seed, params.yaml's ``train.seed`` by default)."""
        settings, data = self.params.train, self.data
        weight, c = float(variant.get("weight", 1.0)), float(variant.get("c", settings.c))
        words, chars = float(variant.get("words", settings.word_features)), float(variant.get("chars", settings.char_features))
        decisions, folds, seed = variant.get("decisions", settings.decisions), settings.folds, settings.seed
        real, own = np.flatnonzero(data.realistic), np.flatnonzero(~data.realistic)
        predicted: dict[int, list[int]] = {}
        for fold_train, fold_test in model.splits(real, 5, seed if split_seed is None else split_seed, data.groups[real]):
            train, test = np.r_[own, real[fold_train]], real[fold_test]
            texts, embeddings, y = [data.texts[i] for i in train], data.embeddings[train], data.y[train]
            realistic, w, groups = data.realistic[train], np.where(data.realistic[train], weight, 1.0), data.groups[train]
            if variant.get("taxonomy_rows"):
                texts = texts + self.taxonomy_texts
                embeddings, y = np.vstack([embeddings, self.taxonomy_embeddings()]), np.vstack([y, self.taxonomy_y])
                realistic, w = np.r_[realistic, np.zeros(len(self.taxonomy_texts), bool)], np.r_[w, np.ones(len(self.taxonomy_texts))]
                groups = np.r_[groups, [f"taxonomy:{i}" for i in range(len(self.taxonomy_texts))]]
            tests = [data.texts[i] for i in test]
            train_parts, test_parts = [], []
            if words > 0 or chars > 0:
                vocabulary = model.WordFeatures.fit(texts, words, chars)
                train_parts.append(vocabulary.transform(texts))
                test_parts.append(vocabulary.transform(tests))
            x_train = model.features(embeddings, None, sparse.hstack(train_parts).tocsr() if train_parts else None)
            x_test = model.features(data.embeddings[test], None, sparse.hstack(test_parts).tocsr() if test_parts else None)
            oof, oof_none = out_of_fold(x_train, y, w, c, seed, folds, groups)
            if decisions == "realistic-f1":
                chosen, _ = model.tune_decisions(
                    oof[realistic], oof_none[realistic], y[realistic], max_goals=self.params.tag.max_goals, per_goal=model.f1_thresholds(oof, y),
                    no_goal_precision=float(variant.get("no_goal_precision", settings.realistic_no_goal_precision)),
                )  # fmt: skip
            else:
                chosen = model.choose_decisions(
                    oof, oof_none, y, self.ids, target_precision=settings.target_precision, no_goal_precision=settings.no_goal_precision,
                    max_goals=self.params.tag.max_goals,
                )  # fmt: skip
            goals = fit_goals(x_train, y, w, c, seed, folds)
            none = calibrated(c, seed, folds).fit(x_train, (y.sum(axis=1) == 0).astype(int), sample_weight=w)
            for i, found in zip(test, chosen.goals(probabilities(goals, x_test), self.ids, none.predict_proba(x_test)[:, 1]), strict=True):
                predicted[int(i)] = found
        metrics = evaluate([data.gold[i] for i in real], [predicted[int(i)] for i in real], self.ids)
        return {
            "variant": variant, "macro_f1": round(metrics["macro_f1"], 4), "no_goal_precision": round(metrics["no_goal"]["precision"], 3),
            "no_goal_recall": round(metrics["no_goal"]["recall"], 3), "per_goal_f1": {g: round(m["f1"], 3) for g, m in metrics["per_goal"].items()},
        }


def repeated(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several splits' results as one: means, with the macro-F1 of each split and their spread."""
    scores = [run["macro_f1"] for run in runs]
    return {
        "variant": runs[0]["variant"], "macro_f1": round(float(np.mean(scores)), 4), "macro_f1_by_split": scores, "macro_f1_sd": round(float(np.std(scores)), 4),
        "no_goal_precision": round(float(np.mean([run["no_goal_precision"] for run in runs])), 3),
        "no_goal_recall": round(float(np.mean([run["no_goal_recall"] for run in runs])), 3),
        "per_goal_f1": {goal: round(float(np.mean([run["per_goal_f1"][goal] for run in runs])), 3) for goal in runs[0]["per_goal_f1"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("grid", help="a JSON list of variants, e.g. '[{}, {\"weight\": 3}]'")
    parser.add_argument("--repeats", type=int, default=1, help="score each variant over this many different splits (outer seeds 0, 1, ...) and report the mean")
    args = parser.parse_args()
    explorer = Explorer()
    table = Table(title="realistic cross-validation (web-passages*.jsonl, 5 folds grouped by source page)")
    for column in ("variant", "macro-F1", "no-goal P", "no-goal R", "seconds"):
        table.add_column(column)
    for variant in json.loads(args.grid):
        started = time.perf_counter()
        runs = [explorer.run(variant, split_seed=explorer.params.train.seed + r) for r in range(args.repeats)]
        result = runs[0] if args.repeats == 1 else repeated(runs)
        print(json.dumps(result), flush=True)
        table.add_row(json.dumps(variant), str(result["macro_f1"]), str(result["no_goal_precision"]), str(result["no_goal_recall"]), f"{time.perf_counter() - started:.0f}")
    Console(stderr=True).print(table)


if __name__ == "__main__":
    main()
