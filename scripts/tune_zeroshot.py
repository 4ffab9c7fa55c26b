"""Choose the zero-shot tagger's threshold and margin on our own labelled passages.

Scores every passage of corpus/labels/<taxonomy>.jsonl once, then sweeps thresholds and margins
and prints a table of macro-F1 and "no goal" precision, best first. The values in params.yaml
(tag.threshold, tag.margin) were chosen with this script. Never point it at shared benchmark
data: those sets judge the tool and must not tune it.

    python scripts/tune_zeroshot.py [--labels corpus/labels/levelling-up.jsonl] [--taxonomy levelling-up]
"""

from __future__ import annotations

import argparse
import itertools
import os
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pipeline.classify import load_tagger  # noqa: E402
from pipeline.classify.evaluate import evaluate  # noqa: E402
from pipeline.classify.labels import read_labels  # noqa: E402
from pipeline.config import TagParams  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=Path("corpus/labels/levelling-up.jsonl"))
    parser.add_argument("--taxonomy", default="levelling-up")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    tagger = load_tagger(TagParams(taxonomy=args.taxonomy))
    records = read_labels(args.labels, tagger.taxonomy)
    scores = tagger.score([r.text for r in records])
    gold = [r.goals for r in records]
    rows = []
    for threshold, margin in itertools.product(np.arange(0.25, 0.61, 0.01), (0.02, 0.04, 0.06, 0.08, 0.1, 0.15)):
        tagger.threshold, tagger.margin = float(threshold), margin
        metrics = evaluate(gold, tagger.predict(scores), tagger.taxonomy.goal_ids)
        rows.append((metrics["macro_f1"], metrics["no_goal"]["precision"], metrics["micro_f1"], threshold, margin))
    rows.sort(reverse=True)
    table = Table(title=f"zero-shot sweep on {args.labels} ({len(records)} passages)")
    for column in ("macro F1", "no-goal precision", "micro F1", "threshold", "margin"):
        table.add_column(column, justify="right")
    for row in rows[: args.top]:
        table.add_row(*(f"{value:.3f}" for value in row))
    Console().print(table)


if __name__ == "__main__":
    main()
