"""Measurements behind params.yaml, on our own labels, with the code and values of ``levelup train``.

Each experiment is a function of the params (``train`` and ``tag`` sections) returning a JSON-able
dict for ``dvc metrics``; the ``experiment-*`` stages of dvc.yaml run them, so a changed value in
params.yaml is re-measured by ``dvc repro`` instead of by a script with its own constants:

- ``nested_cv``: every passage held out once (outer k-fold); inside each training fold the
  thresholds and "no goal" rule are chosen as ``levelup train`` chooses them; against the
  zero-shot baseline (``train.c``: compare values with ``dvc exp run -S train.c=...``).
- ``cross_style``: each ``style`` of the labels held out of training in turn
  (``train.no_goal_precision``).
- ``zero_shot_sweep``: the zero-shot threshold and margin that score best (``tag.threshold``,
  ``tag.margin``).

Shared benchmark data are never read here: they judge the tool and must not tune it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.preprocessing import MultiLabelBinarizer

from pipeline.classify import Tagger, classify, load_embedder
from pipeline.classify.evaluate import evaluate, evaluate_by
from pipeline.classify.labels import Labelled
from pipeline.classify.mentions import mentioned_goals
from pipeline.classify.supervised import splits
from pipeline.classify.train import default_labels, fit_model, gather, groups
from pipeline.classify.zeroshot import ZeroShotTagger
from pipeline.config import Params, models_dir
from pipeline.errors import InputError
from pipeline.progress import Track, no_progress
from pipeline.taxonomy import Taxonomy, load_taxonomy

THRESHOLDS = np.round(np.arange(0.25, 0.61, 0.01), 2)  # the zero-shot sweep's grid
MARGINS = (0.02, 0.04, 0.06, 0.08, 0.1, 0.15)


def headline(metrics: dict[str, Any]) -> dict[str, float]:
    """The figures dvc metrics compares: macro/micro F1 and "no goal" precision and recall."""
    return {
        "macro_f1": round(metrics["macro_f1"], 4),
        "micro_f1": round(metrics["micro_f1"], 4),
        "no_goal_precision": round(metrics["no_goal"]["precision"], 4),
        "no_goal_recall": round(metrics["no_goal"]["recall"], 4),
    }


def evaluate_tagger(tagger: Tagger, records: Sequence[Labelled], *, track: Track = no_progress) -> dict[str, Any]:
    """``levelup eval``: metrics of a tagger on labelled passages, the zero-shot baseline beside a trained model."""
    results = classify([r.text for r in records], tagger, track=track)
    gold = [r.goals for r in records]
    goal_ids = tagger.taxonomy.goal_ids
    metrics = evaluate(gold, [[g for g, _ in res.goals] for res in results], goal_ids)
    if all(res.baseline is not None for res in results):
        zero = evaluate(gold, [res.baseline or [] for res in results], goal_ids)
        metrics["zero_shot"] = {key: zero[key] for key in ("macro_f1", "micro_f1", "no_goal")}
    return metrics | {"model": tagger.model_id, "taxonomy": tagger.taxonomy.name}


def export_packaged_encoder(out: Path | None = None) -> Path:
    """The packaged encoder as quantised ONNX, where ``tag.encoder: onnx-int8`` finds it."""
    from pipeline.classify import onnx
    from pipeline.classify.encoder import PACKAGED_ENCODER, resolve_encoder_path

    folder = out or models_dir() / "encoders" / f"{PACKAGED_ENCODER}{onnx.SUFFIX}"
    return onnx.export(resolve_encoder_path(None), folder, source_id=PACKAGED_ENCODER)


def fit_predict(data: _Data, train: Sequence[int] | np.ndarray, test: Sequence[int] | np.ndarray, params: Params) -> list[list[int]]:
    """Train on rows ``train`` exactly as ``levelup train`` does (:func:`fit_model`: word features,
    thresholds and "no goal" rule from out-of-fold scores) and predict the goals of rows ``test``."""
    train, test = list(train), list(test)
    model, _ = fit_model(
        [data.texts[i] for i in train], data.embeddings[train], data.baseline[train], data.y[train], data.realistic[train],
        params.train, taxonomy=data.taxonomy, encoder=data.encoder_id, max_goals=params.tag.max_goals, groups=data.groups[train],
    )  # fmt: skip
    x = model.features([data.texts[i] for i in test], data.embeddings[test], data.baseline[test])
    no_goal = model.no_goal_probability(x) if model.no_goal_estimator is not None else None
    return model.decisions.goals(model.probabilities(x), data.taxonomy.goal_ids, no_goal)


class _Data:
    """Labelled passages as ``levelup train`` gathers them, embedded with the configured encoder."""

    def __init__(self, params: Params, taxonomy: str, labels: Sequence[Path] | None) -> None:
        self.taxonomy: Taxonomy = load_taxonomy(taxonomy)
        self.paths = list(labels or default_labels(self.taxonomy.name))
        self.records, _ = gather(self.taxonomy, self.paths)
        encoder = load_embedder(params.tag)
        self.encoder_id = encoder.id
        self.zero_shot = ZeroShotTagger(self.taxonomy, encoder, threshold=params.tag.threshold, margin=params.tag.margin, max_goals=params.tag.max_goals)
        self.texts = [r.text for r in self.records]
        self.embeddings = encoder.encode(self.texts)
        self.baseline = self.zero_shot.score_embeddings(self.embeddings)
        self.realistic = np.array([r.basis is not None for r in self.records])
        self.groups = groups(self.records)
        self.gold = [r.goals for r in self.records]
        self.y = MultiLabelBinarizer(classes=self.taxonomy.goal_ids).fit_transform(self.gold)

    def about(self, params: Params) -> dict[str, Any]:
        return {"taxonomy": self.taxonomy.name, "n": len(self.records), "encoder": self.encoder_id, "train": params.train.model_dump()}

    def score(self, indices: Sequence[int], predicted: Sequence[list[int]]) -> dict[str, float]:
        return headline(evaluate([self.gold[i] for i in indices], predicted, self.taxonomy.goal_ids))


def nested_cv(params: Params, *, taxonomy: str, labels: Sequence[Path] | None = None) -> dict[str, Any]:
    """Supervised and zero-shot with every passage held out once. Compare values of ``train``
    with DVC experiments: ``dvc exp run -S train.c=16 experiment-classifiers``."""
    data = _Data(params, taxonomy, labels)
    everyone = list(range(len(data.records)))
    predicted: list[list[int]] = [[] for _ in everyone]
    for train, test in splits(data.embeddings, params.train.folds, params.train.seed + 1, data.groups):
        goals = fit_predict(data, train, test, params)
        for i, chosen in zip(test, goals, strict=True):
            predicted[i] = chosen
    results = {"supervised": data.score(everyone, predicted), "zero_shot": data.score(everyone, data.zero_shot.predict(data.baseline))}
    return data.about(params) | {"nested_cv": results}


def realistic_cv(
    params: Params, *, taxonomy: str, labels: Sequence[Path] | None = None, folds: int = 5, repeats: int = 3, track: Track = no_progress
) -> dict[str, Any]:
    """Cross-validation over the realistic passages (labels with a ``label_basis``), grouped by
    source page: no page has passages in training and test at once, in the outer split or in the
    inner folds that choose thresholds and the "no goal" rule. Every model trains on all the other
    labels (our own always) and is scored on real-style text.

    Reported: the mean and spread of ``repeats`` grouped splits (outer seeds ``train.seed``, +1,
    ...), overall, by ``kind`` and by ``label_basis``, without and with the goal-mention signal;
    and once, the same split ungrouped (passages shuffled regardless of page), so the size of the
    leak that grouping removes is known.
    """
    data = _Data(params, taxonomy, labels)
    real = np.flatnonzero(data.realistic)
    if len(np.unique(data.groups[real])) < folds:
        raise InputError(f"realistic_cv needs labels with a label_basis from at least {folds} pages (found {len(real)} passages); add corpus/labels/web-passages.jsonl")
    if repeats < 1:
        raise InputError(f"repeats must be at least 1, got {repeats}")
    runs = [(seed, True) for seed in range(params.train.seed, params.train.seed + repeats)] + [(params.train.seed, False)]
    ticks = iter(track(range(len(runs) * folds), "realistic cross-validation (folds)", total=len(runs) * folds))
    results = [_realistic_split(data, params, real, folds, seed=seed, grouped=grouped, ticks=ticks) for seed, grouped in runs]
    grouped, ungrouped = results[:-1], results[-1]
    return data.about(params) | {
        "realistic": {"n": len(real), "pages": len(np.unique(data.groups[real])), "folds": folds, "repeats": repeats, "grouped_by": "source_url"},
        "model": _mean(data, real, [split["model"] for split in grouped]),
        "model_with_mentions": _mean(data, real, [split["model_with_mentions"] for split in grouped]),
        "ungrouped": _summary(data, real, ungrouped["model"]),
    }


def _realistic_split(data: _Data, params: Params, real: np.ndarray, folds: int, *, seed: int, grouped: bool, ticks: Iterator[int]) -> dict[str, list[list[int]]]:
    """Every realistic passage's predicted goals, by a model trained without it (and, ``grouped``,
    without its page), plain and with the goals the passage names put first."""
    own = np.flatnonzero(~data.realistic)
    predicted: dict[int, list[int]] = {}
    for train, test in splits(real, folds, seed, data.groups[real] if grouped else None):
        next(ticks, None)  # the progress bar
        for i, goals in zip(real[test], fit_predict(data, np.r_[own, real[train]], real[test], params), strict=True):
            predicted[int(i)] = goals
    plain = [predicted[int(i)] for i in real]
    named = [[*sorted(m), *(g for g in p if g not in m)][: max(params.tag.max_goals, len(m))] for p, m in
             zip(plain, (mentioned_goals(data.texts[i], data.taxonomy) for i in real), strict=True)]  # fmt: skip
    return {"model": plain, "model_with_mentions": named}


def _summary(data: _Data, real: np.ndarray, predicted: Sequence[list[int]]) -> dict[str, Any]:
    """Headline figures overall, by ``kind`` and by ``label_basis``."""
    gold, ids = [data.gold[i] for i in real], data.taxonomy.goal_ids
    kinds = evaluate_by(gold, predicted, ids, [data.records[i].kind for i in real])
    bases = evaluate_by(gold, predicted, ids, [data.records[i].basis for i in real])
    return headline(kinds["all"]) | {
        "by_kind": {group: headline(m) for group, m in kinds["by"].items()},
        "by_label_basis": {group: headline(m) for group, m in bases["by"].items()},
    }


def _mean(data: _Data, real: np.ndarray, runs: Sequence[Sequence[list[int]]]) -> dict[str, Any]:
    """The mean of each figure over the splits, with the standard deviation and each split's
    macro-F1 (one split's figure moves by about 0.01 with the split alone)."""
    summaries = [_summary(data, real, predicted) for predicted in runs]

    def average(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items[0].items():
            if isinstance(value, dict):
                out[key] = average([item[key] for item in items if key in item])
            else:
                out[key] = round(float(np.mean([item[key] for item in items])), 4)
        return out

    macro = [s["macro_f1"] for s in summaries]
    return average(summaries) | {"macro_f1_std": round(float(np.std(macro)), 4), "macro_f1_splits": macro}


def cross_style(params: Params, *, taxonomy: str, labels: Sequence[Path] | None = None) -> dict[str, Any]:
    """Each ``style`` of the labels held out in turn: trained on the others, scored on it."""
    data = _Data(params, taxonomy, labels)
    styles = np.array([_styles(data.paths).get(r.text, "unknown") for r in data.records])
    zero = data.zero_shot.predict(data.baseline)
    results: dict[str, Any] = {}
    for style in sorted(set(styles)):
        test, train = np.flatnonzero(styles == style), np.flatnonzero(styles != style)
        if not len(train):
            continue
        goals = fit_predict(data, train, test, params)
        results[style] = {"n": len(test), "supervised": data.score(test.tolist(), goals), "zero_shot": data.score(test.tolist(), [zero[i] for i in test])}
    return data.about(params) | {"held_out_style": results}


def _styles(paths: Sequence[Path]) -> dict[str, str]:
    styles = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                styles[row.get("text", "")] = row.get("style", "unknown")
    return styles


def zero_shot_sweep(params: Params, *, taxonomy: str, labels: Sequence[Path] | None = None, top: int = 10) -> dict[str, Any]:
    """The zero-shot threshold and margin grid, best macro-F1 first, beside the configured pair."""
    data = _Data(params, taxonomy, labels)
    tagger, everyone = data.zero_shot, list(range(len(data.records)))
    rows = []
    for threshold, margin in itertools.product(THRESHOLDS, MARGINS):
        tagger.threshold, tagger.margin = float(threshold), margin
        rows.append({"threshold": float(threshold), "margin": margin, **data.score(everyone, tagger.predict(data.baseline))})
    rows.sort(key=lambda row: (row["macro_f1"], row["no_goal_precision"]), reverse=True)
    tagger.threshold, tagger.margin = params.tag.threshold, params.tag.margin
    configured = {"threshold": params.tag.threshold, "margin": params.tag.margin, **data.score(everyone, tagger.predict(data.baseline))}
    return data.about(params) | {"configured": configured, "best": rows[0], "top": rows[:top]}
