"""Cross-validate the domain NER model on extraction-web.jsonl, grouped by page, and print the table.

For each of K folds (rows grouped by ``source_url``: pipeline/extract/ner_training.py) a model is
trained with `spacy train configs/ner.cfg` on the other folds (``levelup train-ner``'s function) and the whole extraction stage
(gazetteer, rules, roles, figures) is run on the held-out fold with it and with the stock
pipeline. Held-out extractions from all folds are pooled and scored once per pipeline.

    python scripts/cv_ner.py [--data corpus/extraction/extraction-web.jsonl] [--folds 5] [--epochs 20] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pipeline import extract
from pipeline.config import Params
from pipeline.extract.evaluate import GoldPassage, gold_passages, score
from pipeline.extract.ner_training import fold_of, read_rows, train_ner
from pipeline.records import Extraction

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (("ORG F1", "ORG", "f1"), ("GPE F1", "GPE", "f1"), ("PERSON F1", "PERSON", "f1"), ("figure F1", "FIGURE", "f1"))
ATTRIBUTES = ("role", "role_org", "title", "counted")


def row(name: str, metrics: dict) -> list[str]:
    cells = [f"{metrics[kind][key]:.3f}" for _, kind, key in COLUMNS]
    cells += [f"{metrics['attributes'][a]['accuracy']:.3f}" if metrics["attributes"][a]["accuracy"] is not None else "-" for a in ATTRIBUTES]
    return [name, *cells]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "corpus" / "extraction" / "extraction-web.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "ner.cfg")
    parser.add_argument("--work", type=Path, default=None, help="keep the fold models here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, default=None, help="also write the pooled metrics here")
    args = parser.parse_args()
    rows = read_rows(args.data)
    params = Params().extract
    work = args.work or Path(tempfile.mkdtemp(prefix="cv_ner-"))
    pooled: dict[str, tuple[list[GoldPassage], list[Extraction]]] = {"stock": ([], []), "domain": ([], [])}
    lines = []
    for fold in range(args.folds):
        train = [r for r in rows if fold_of(r, args.folds) != fold]
        held = [GoldPassage(r["id"], r["text"], r["entities"], r["figures"]) for r in rows if fold_of(r, args.folds) == fold]
        model = train_ner(train, work / f"model{fold}", config=args.config, seed=args.seed, epochs=args.epochs)
        for name, update in (("stock", {"ner_model": None}), ("domain", {"ner_model": str(model)})):
            found = extract.run(gold_passages(held), params.model_copy(update=update))
            pooled[name][0].extend(held)
            pooled[name][1].extend(found)
            lines.append(row(f"fold {fold} {name} (n={len(held)})", score(held, found)))
    totals = {name: score(gold, found) for name, (gold, found) in pooled.items()}
    lines += [row(f"pooled {name} (n={len(gold)})", totals[name]) for name, (gold, _) in pooled.items()]
    header = ["", *(c for c, _, _ in COLUMNS), *(f"{a} acc" for a in ATTRIBUTES)]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    for line in [header, *lines]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
    if args.json:
        args.json.write_text(json.dumps(totals, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
