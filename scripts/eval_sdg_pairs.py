"""Accuracy on the task of the SDG Classification Benchmark, measured on our own held-out passages.

The benchmark gives a text and one SDG and asks: is that SDG present? Its data is not shipped,
so the pairs are built from ``corpus/labels/sdg-heldout.jsonl`` (written for this project in a
different style from the training file, never trained or tuned on):

- a **positive** pair for every SDG a passage is labelled with;
- a **negative** pair per passage, with an SDG it is not labelled with, chosen two ways:
  ``random`` (seeded) and ``confusable`` (the unlabelled SDG whose description in the taxonomy
  is closest to the passage's own SDG, e.g. clean energy for a climate passage: harder).
  "No goal" passages get a random SDG in both.

A pair is answered "present" when the tagger predicts that SDG for the passage. The trained
model and the zero-shot baseline are both scored. Prints a table and one JSON line.

    python scripts/eval_sdg_pairs.py [--labels corpus/labels/sdg-heldout.jsonl] [--model DIR] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from rich.console import Console
from rich.table import Table

from pipeline.classify import classify, load_tagger
from pipeline.classify.labels import read_labels
from pipeline.config import Params

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=ROOT / "corpus/labels/sdg-heldout.jsonl")
    parser.add_argument("--model", type=Path, help="a trained model folder (default: the latest sdg model)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tagger = load_tagger(Params().tag, taxonomy="sdg", model_dir=args.model)
    taxonomy = tagger.taxonomy
    records = read_labels(args.labels, taxonomy)
    results = classify([r.text for r in records], tagger)
    predicted = {"model": [{g for g, _ in r.goals} for r in results]}
    if all(r.baseline is not None for r in results):
        predicted["zero-shot baseline"] = [set(r.baseline or []) for r in results]

    closest = _confusable(tagger)
    rng = random.Random(args.seed)
    pairs: dict[str, list[tuple[int, int, bool]]] = {"random": [], "confusable": []}
    for i, record in enumerate(records):
        others = [g for g in taxonomy.goal_ids if g not in record.goals]
        for goal in record.goals:
            for kind in pairs:
                pairs[kind].append((i, goal, True))
        random_goal = rng.choice(others)
        pairs["random"].append((i, random_goal, False))
        near = next((g for g in closest[record.goals[0]] if g not in record.goals), random_goal) if record.goals else random_goal
        pairs["confusable"].append((i, near, False))

    rows = {}
    table = Table(title=f"SDG benchmark task on {args.labels.name}: {len(records)} passages, held out")
    for column in ("tagger", "negatives", "pairs", "accuracy", "precision", "recall"):
        table.add_column(column, justify="left" if column in ("tagger", "negatives") else "right")
    for name, goals in predicted.items():
        for kind, kind_pairs in pairs.items():
            scores = _scores(kind_pairs, goals)
            rows[f"{name}/{kind}"] = scores
            table.add_row(name, kind, str(scores["pairs"]), f"{scores['accuracy']:.3f}", f"{scores['precision']:.3f}", f"{scores['recall']:.3f}")
    table.caption = f"model: {tagger.model_id}; published accuracies on the public benchmark: OSDG 0.70, Aurora 0.79, text2sdg 0.83, GPT-4o 0.87"
    Console(stderr=True).print(table)
    print(json.dumps({"labels": str(args.labels), "model": tagger.model_id, "results": rows}))


def _confusable(tagger) -> dict[int, list[int]]:
    """For each SDG, the other SDGs ordered by how close their taxonomy descriptions are."""
    ids = tagger.taxonomy.goal_ids
    vectors = tagger.encoder.encode([goal.prototypes()[0] for goal in tagger.taxonomy.goals])
    similarity = vectors @ vectors.T
    return {g: [ids[j] for j in np.argsort(-similarity[i]) if j != i] for i, g in enumerate(ids)}


def _scores(pairs: list[tuple[int, int, bool]], goals: list[set[int]]) -> dict[str, float | int]:
    tp = sum(1 for i, g, present in pairs if present and g in goals[i])
    fp = sum(1 for i, g, present in pairs if not present and g in goals[i])
    fn = sum(1 for i, g, present in pairs if present and g not in goals[i])
    correct = sum(1 for i, g, present in pairs if (g in goals[i]) == present)
    return {
        "pairs": len(pairs),
        "accuracy": round(correct / len(pairs), 4),
        "precision": round(tp / max(tp + fp, 1), 4),
        "recall": round(tp / max(tp + fn, 1), 4),
    }


if __name__ == "__main__":
    main()
