"""Multi-label evaluation of goal tagging: per-goal precision, recall and F1, and the "no goal" outcome."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

PRIMARY_METRIC = "macro_f1"


def evaluate(gold: Sequence[Sequence[int]], predicted: Sequence[Sequence[int]], goal_ids: Sequence[int]) -> dict[str, Any]:
    """Metrics in the shape of ``levelup eval`` (design.md), plus the "no goal" outcome.

    ``macro_f1`` averages F1 over the goals that occur in the gold labels (a goal absent from a
    test set has no defined recall); ``per_goal`` lists every goal of the taxonomy.
    """
    binarizer = MultiLabelBinarizer(classes=list(goal_ids))
    y_true = binarizer.fit_transform(gold)
    y_pred = binarizer.transform(predicted)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    present = support > 0
    micro = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
    return {
        "macro_f1": round(float(f1[present].mean()) if present.any() else 0.0, 4),
        "micro_f1": round(float(micro[2]), 4),
        "n": len(gold),
        "per_goal": {
            str(goal): {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, goal in enumerate(goal_ids)
        },
        "no_goal": _no_goal(gold, predicted),
    }


def _no_goal(gold: Sequence[Sequence[int]], predicted: Sequence[Sequence[int]]) -> dict[str, float | int]:
    """Precision and recall of predicting "no goal" (an empty label set)."""
    true_none = np.array([not g for g in gold])
    pred_none = np.array([not p for p in predicted])
    hits = int((true_none & pred_none).sum())
    return {
        "precision": round(hits / pred_none.sum(), 4) if pred_none.any() else 0.0,
        "recall": round(hits / true_none.sum(), 4) if true_none.any() else 0.0,
        "support": int(true_none.sum()),
    }


def evaluate_by(
    gold: Sequence[Sequence[int]], predicted: Sequence[Sequence[int]], goal_ids: Sequence[int], groups: Sequence[str | None]
) -> dict[str, Any]:
    """``evaluate`` on everything, plus the same metrics for each group (e.g. ``label_basis``:
    "inferred", "explicit", "negative"); a group of "no goal" passages has no goal F1, only its
    "no goal" precision and recall. Returns ``{"all": {...}, "by": {group: {...}}}``."""
    by: dict[str, Any] = {}
    for group in sorted({g or "unknown" for g in groups}):
        rows = [i for i, g in enumerate(groups) if (g or "unknown") == group]
        by[group] = evaluate([gold[i] for i in rows], [predicted[i] for i in rows], goal_ids)
    return {"all": evaluate(gold, predicted, goal_ids), "by": by}


def evaluate_realistic(path: Path, tagger: Any, *, by: str = "label_basis") -> dict[str, Any]:
    """Tag a realistic labelled file (``{"text", "goals", "label_basis", ...}`` per line) and report
    ``evaluate_by`` grouped by the record key ``by``; also the passages that name a goal and
    whether they got it (``named``)."""
    from pipeline.classify import classify
    from pipeline.errors import InputError
    from pipeline.jsonl import parse_lines

    if not path.is_file():
        raise InputError(f"{path}: no such labels file; give a JSON lines file of {{\"text\", \"goals\"}} records")
    with path.open("rb") as stream:
        lines = list(parse_lines(stream))
    for line in lines:
        if line.undecodable:
            raise InputError(f"{path}: {line.error}")
    records = [line.value for line in lines if isinstance(line.value, dict) and isinstance(line.value.get("text"), str)]
    headings = [r.get("headings") if isinstance(r.get("headings"), list) else None for r in records]
    results = classify([r["text"] for r in records], tagger, headings=headings)
    gold = [sorted(r.get("goals") or []) for r in records]
    predicted = [[g for g, _ in res.goals] for res in results]
    report = evaluate_by(gold, predicted, tagger.taxonomy.goal_ids, [str(r.get(by)) if r.get(by) is not None else None for r in records])
    named = [(set(res.named), set(g)) for res, g in zip(results, gold, strict=True) if res.named]
    report["named"] = {"passages": len(named), "named_goal_is_gold": sum(bool(n & g) for n, g in named)}
    report["model"] = tagger.model_id
    return report
