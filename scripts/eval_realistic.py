"""Goal tagging on a realistic labelled file: macro/micro F1, per-goal and "no goal" precision,
recall and F1, overall and by ``label_basis`` (how each label was decided).

    python scripts/eval_realistic.py [--labels corpus/labels/web-passages.jsonl] [--model DIR] [--by label_basis] [--json]

Evaluating on passages the model was trained on overstates it: use a held-out file (the dev set,
once), or the DVC stage experiment-realistic for cross-validated figures.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console
from rich.table import Table

from pipeline.classify import load_tagger
from pipeline.classify.evaluate import evaluate_realistic
from pipeline.config import load_params

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=ROOT / "corpus/labels/web-passages.jsonl")
    parser.add_argument("--model", type=Path, help="a trained model folder (default: the configured tag.model)")
    parser.add_argument("--taxonomy", default=None)
    parser.add_argument("--by", default="label_basis")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object instead")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml" if (ROOT / "params.yaml").is_file() else None)
    tagger = load_tagger(params.tag, taxonomy=args.taxonomy, model_dir=args.model)
    report = evaluate_realistic(args.labels, tagger, by=args.by)
    if args.json:
        print(json.dumps(report))
        return
    console = Console()
    overview = Table(title=f"{args.labels.name}: {tagger.model_id}")
    for column in (args.by, "n", "macro-F1", "micro-F1", '"no goal" P', '"no goal" R'):
        overview.add_column(column, justify="left" if column == args.by else "right")
    for name, m in [("all", report["all"]), *report["by"].items()]:
        none = m["no_goal"]
        overview.add_row(name, str(m["n"]), f"{m['macro_f1']:.3f}", f"{m['micro_f1']:.3f}", f"{none['precision']:.3f}", f"{none['recall']:.3f}")
    console.print(overview)
    goals = Table(title="per goal (all passages)")
    for column in ("goal", "support", "precision", "recall", "F1"):
        goals.add_column(column, justify="right")
    for goal, m in report["all"]["per_goal"].items():
        goals.add_row(goal, str(m["support"]), f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}")
    console.print(goals)
    console.print(f"passages naming a goal: {report['named']['passages']} ({report['named']['named_goal_is_gold']} with a named goal in the gold labels)")


if __name__ == "__main__":
    main()
