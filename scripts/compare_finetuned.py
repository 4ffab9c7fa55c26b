"""Does a fine-tuned encoder beat, or add to, the frozen-embedding tagger on realistic passages?

Grouped cross-validation over the realistic passages (both files of corpus/labels with a
``label_basis``), folds grouped by ``source_url`` (no page in training and test at once), our own
written labels always in training, as ``levelup experiment realistic``. In each outer fold:

- the shipped design (``fit_model``: frozen MiniLM embeddings + word and character TF-IDF,
  calibrated logistic regression, decisions from its grouped out-of-fold scores) is trained on
  the training rows and scores the held-out page group;
- MiniLM is fine-tuned end to end with a linear multi-label head (BCE) on the same rows
  (realistic rows repeated ``--realistic-weight`` times) and scores the same held-out rows;
- the shipped design is trained again with the fine-tuned encoder's sentence embeddings in place
  of the packaged encoder's (SetFit's shape: the product would still run one encoder per passage),
  its own decisions chosen as ``levelup train`` chooses them.

Then, for each held-out fold, the decisions of a combination (per-goal thresholds, the "no goal"
rule, and the weight ``w`` of ``w * frozen + (1 - w) * fine-tuned``) are chosen on the other
folds' held-out scores only (``tune_decisions``, as ``train.decisions: realistic-f1``) and applied
to it. This is stacking cross-validation: the held-out fold's passages are never scored by a model
that saw them or their page, nor used to choose anything applied to them (the models whose scores
choose the weights did see them, which is standard for stacking and leaks far less than a page).

    python scripts/compare_finetuned.py [--repeats 3] [--folds 3] [--epochs 2] [--out metrics/compare-finetuned.json]
    # end to end, as README reports it (49 minutes a split on 2 cores; add --device cuda on a GPU):
    python scripts/compare_finetuned.py --repeats 1 --epochs 3 --train-layers 0 --realistic-weight 3 --encoder-lr 3e-5

The dev set and public benchmark data are never read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.classify.encoder import resolve_encoder_path  # noqa: E402
from pipeline.classify.evaluate import evaluate, evaluate_by  # noqa: E402
from pipeline.classify.experiments import _Data, headline  # noqa: E402
from pipeline.classify.finetune import FinetuneSettings, LowerLayers, resolve_device, train  # noqa: E402
from pipeline.classify.supervised import Decisions, f1_thresholds, splits, tune_decisions  # noqa: E402
from pipeline.classify.train import fit_model  # noqa: E402
from pipeline.config import load_params  # noqa: E402
from pipeline.errors import ConfigError  # noqa: E402

WEIGHTS = (0.0, 0.25, 0.4, 0.5, 0.6, 0.75, 1.0)  # w of the frozen model in the blend; 1.0 is frozen alone
err = Console(stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="grouped splits, outer seeds train.seed, +1, ...")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--encoder-lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=2e-3)
    parser.add_argument("--realistic-weight", type=int, default=2, help="repeat realistic training rows this many times")
    parser.add_argument("--train-layers", type=int, default=2, help="fine-tune the top N of MiniLM's 6 layers (0: all, end to end)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="where the fine-tunes run: cpu, or cuda on a machine with a GPU")
    parser.add_argument("--max-steps", type=int, help="stop each fine-tune after this many steps (timing probe)")
    parser.add_argument("--out", type=Path, default=ROOT / "metrics/compare-finetuned.json")
    args = parser.parse_args()
    try:
        resolve_device(args.device)  # before a minute of training, not after
    except ConfigError as exc:
        parser.error(str(exc))

    params = load_params(ROOT / "params.yaml")
    data = _Data(params, "levelling-up", None)
    ids = data.taxonomy.goal_ids
    real, own = np.flatnonzero(data.realistic), np.flatnonzero(~data.realistic)
    settings = FinetuneSettings(epochs=args.epochs, batch_size=args.batch_size, max_len=args.max_len, encoder_lr=args.encoder_lr,
                                head_lr=args.head_lr, seed=params.train.seed, threads=args.threads, train_layers=args.train_layers or None,
                                device=args.device)  # fmt: skip
    path = resolve_encoder_path(None)
    lower = None
    if settings.train_layers:
        t0 = time.perf_counter()
        torch.set_num_threads(args.threads)
        lower = LowerLayers(path, settings.train_layers, settings.max_len)
        lower(data.texts)
        err.print(f"lower {6 - settings.train_layers} layers run once over {len(data.texts)} texts: {time.perf_counter() - t0:.0f}s")
    err.print(f"{len(real)} realistic passages from {len(np.unique(data.groups[real]))} pages, {len(own)} own labels; "
              f"{args.repeats} x {args.folds} grouped folds, fine-tune {args.epochs} epochs")  # fmt: skip

    runs, started = [], time.perf_counter()
    for repeat in range(args.repeats):
        seed = params.train.seed + repeat
        folds = splits(real, args.folds, seed, data.groups[real])
        n, k = len(real), len(ids)
        p_lr, none_lr, p_ft = np.zeros((n, k), np.float32), np.zeros(n, np.float32), np.zeros((n, k), np.float32)
        p_se, none_se = np.zeros((n, k), np.float32), np.zeros(n, np.float32)
        shipped: list[list[int]] = [[] for _ in range(n)]
        shipped_se: list[list[int]] = [[] for _ in range(n)]
        for f, (train_rows, test_rows) in enumerate(folds):
            rows = np.r_[own, real[train_rows]]
            t0 = time.perf_counter()
            model, _ = fit_model(
                [data.texts[i] for i in rows], data.embeddings[rows], data.baseline[rows], data.y[rows], data.realistic[rows],
                params.train, taxonomy=data.taxonomy, encoder=data.encoder_id, max_goals=params.tag.max_goals, groups=data.groups[rows],
            )  # fmt: skip
            test = real[test_rows]
            x = model.features([data.texts[i] for i in test], data.embeddings[test], data.baseline[test])
            p_lr[test_rows], none_lr[test_rows] = model.probabilities(x), model.no_goal_probability(x)
            for j, goals in zip(test_rows, model.decisions.goals(p_lr[test_rows], ids, none_lr[test_rows]), strict=True):
                shipped[j] = goals
            t1 = time.perf_counter()
            texts = [data.texts[i] for i in own] + [data.texts[i] for i in real[train_rows]] * args.realistic_weight
            y = np.vstack([data.y[own], *([data.y[real[train_rows]]] * args.realistic_weight)])
            tagger = train(path, texts, y, settings, log=lambda s: err.print("    " + s), max_steps=args.max_steps, lower=lower)
            p_ft[test_rows] = tagger.scores([data.texts[i] for i in test])
            t2 = time.perf_counter()
            tuned = tagger.embeddings([data.texts[i] for i in np.r_[rows, test]])
            model_se, _ = fit_model(
                [data.texts[i] for i in rows], tuned[: len(rows)], data.baseline[rows], data.y[rows], data.realistic[rows],
                params.train, taxonomy=data.taxonomy, encoder="fine-tuned", max_goals=params.tag.max_goals, groups=data.groups[rows],
            )  # fmt: skip
            x = model_se.features([data.texts[i] for i in test], tuned[len(rows) :], data.baseline[test])
            p_se[test_rows], none_se[test_rows] = model_se.probabilities(x), model_se.no_goal_probability(x)
            for j, goals in zip(test_rows, model_se.decisions.goals(p_se[test_rows], ids, none_se[test_rows]), strict=True):
                shipped_se[j] = goals
            err.print(f"  split {repeat + 1} fold {f + 1}/{args.folds}: frozen {t1 - t0:.0f}s, fine-tune {t2 - t1:.0f}s, "
                      f"design on its embeddings {time.perf_counter() - t2:.0f}s "
                      f"(total {time.perf_counter() - started:.0f}s)")  # fmt: skip
        runs.append(_combine(data, real, folds, p_lr, none_lr, p_ft, shipped, params.tag.max_goals, p_se, none_se, shipped_se))
        err.print(f"  split {repeat + 1}: " + ", ".join(f"{name} {m['macro_f1']:.3f}" for name, m in runs[-1].items() if name != "weights"))
        _write(args, data, real, runs, started)
    _print(runs, args)


def _combine(data, real, folds, p_lr, none_lr, p_ft, shipped, max_goals, p_se, none_se, shipped_se) -> dict:
    """Every variant's predictions for the split, decisions for each fold chosen on the other folds."""
    ids = data.taxonomy.goal_ids
    y = data.y[real]
    variants: dict[str, list[list[int]]] = {"frozen (shipped decisions)": shipped, "design on fine-tuned embeddings (its decisions)": shipped_se}
    chosen_w: list[float] = []
    # (name, the frozen-side scores and "no goal" probability, the weights w of that side tried)
    for name, p_side, none_side, candidates in (
        ("frozen (F1 decisions)", p_lr, none_lr, [1.0]),
        ("fine-tuned (F1 decisions)", p_lr, none_lr, [0.0]),
        ("blend (w chosen)", p_lr, none_lr, WEIGHTS),
        ("design on fine-tuned embeddings (F1 decisions)", p_se, none_se, [1.0]),
        ("design on fine-tuned embeddings + head (w chosen)", p_se, none_se, WEIGHTS),
    ):
        predicted: list[list[int]] = [[] for _ in range(len(real))]
        for train_rows, test_rows in folds:
            best: tuple[float, float, Decisions] | None = None
            for w in candidates:
                p = w * p_side[train_rows] + (1 - w) * p_ft[train_rows]
                decisions, score = tune_decisions(p, none_side[train_rows], y[train_rows], max_goals=max_goals, per_goal=f1_thresholds(p, y[train_rows]))
                if best is None or score > best[0]:
                    best = (score, w, decisions)
            assert best is not None
            if name == "blend (w chosen)":
                chosen_w.append(best[1])
            p = best[1] * p_side[test_rows] + (1 - best[1]) * p_ft[test_rows]
            for j, goals in zip(test_rows, best[2].goals(p, ids, none_side[test_rows]), strict=True):
                predicted[j] = goals
        variants[name] = predicted
    out = {}
    gold = [data.gold[i] for i in real]
    for name, predicted in variants.items():
        kinds = evaluate_by(gold, predicted, ids, [data.records[i].kind for i in real])
        out[name] = headline(evaluate(gold, predicted, ids)) | {"by_kind": {g: headline(m)["macro_f1"] for g, m in kinds["by"].items()}}
    out["weights"] = chosen_w
    return out


def _mean(runs: list[dict]) -> dict:
    names = [name for name in runs[0] if name != "weights"]
    out = {}
    for name in names:
        macro = [run[name]["macro_f1"] for run in runs]
        out[name] = {key: round(float(np.mean([run[name][key] for run in runs])), 4) for key in ("macro_f1", "micro_f1", "no_goal_precision", "no_goal_recall")}
        out[name] |= {"macro_f1_std": round(float(np.std(macro)), 4), "macro_f1_splits": macro,
                      "by_kind": {kind: round(float(np.mean([run[name]["by_kind"][kind] for run in runs])), 4) for kind in runs[0][name]["by_kind"]}}  # fmt: skip
    return out


def _write(args, data, real, runs, started) -> None:
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "protocol": f"{args.folds}-fold GroupKFold by source_url over {len(real)} realistic passages, {len(runs)} of {args.repeats} splits; "
        "own labels always in training; stacking: decisions and blend weight chosen on the other folds' held-out scores",
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "seconds": round(time.perf_counter() - started),
        "mean": _mean(runs),
        "splits": runs,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _print(runs: list[dict], args: argparse.Namespace) -> None:
    mean = _mean(runs)
    table = Table(title=f"grouped {args.folds}-fold CV, mean of {len(runs)} splits (realistic passages)")
    kinds = sorted(next(iter(mean.values()))["by_kind"])
    for column in ("design", "macro-F1", "sd", "splits", "micro-F1", '"no goal" P / R', *kinds):
        table.add_column(column, justify="left" if column == "design" else "right")
    for name, m in mean.items():
        table.add_row(name, f"{m['macro_f1']:.3f}", f"{m['macro_f1_std']:.3f}", " / ".join(f"{v:.3f}" for v in m["macro_f1_splits"]),
                      f"{m['micro_f1']:.3f}", f"{m['no_goal_precision']:.2f} / {m['no_goal_recall']:.2f}",
                      *(f"{m['by_kind'][k]:.3f}" for k in kinds))  # fmt: skip
    Console().print(table)
    Console().print(f"blend weight of the frozen model chosen per fold: {[run['weights'] for run in runs]}")


if __name__ == "__main__":
    main()
