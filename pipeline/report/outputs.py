"""Files for DVC: metrics as JSON, plots as CSV, tables as Parquet, each written atomically
(``*.tmp`` then ``os.replace``), so an interrupted stage never leaves half a file for DVC to hash."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from pipeline.csvcells import neutralise_row


def _atomic(path: Path, write: Callable[[IO[str]], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as stream:
        write(stream)
    os.replace(tmp, path)
    return path


def write_json(path: Path, data: Any) -> Path:
    """Pretty JSON with a final newline."""
    def write(stream: IO[str]) -> None:
        json.dump(data, stream, indent=2, ensure_ascii=False)
        stream.write("\n")

    return _atomic(path, write)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """CSV through the csv module: titles with commas or quotes are quoted properly, and text
    cells a spreadsheet would run as formulas are neutralised (:mod:`pipeline.csvcells`)."""

    def write(stream: IO[str]) -> None:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(neutralise_row(row) for row in rows)

    return _atomic(path, write)


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return path


def write_arrow(path: Path, table: Any) -> Path:
    """A ``pyarrow.Table`` as Parquet, its column types as given."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return path


def train_headline(measured: Mapping[str, Any], version: str) -> dict[str, Any]:
    """The cross-validated figures of a model's metrics.json that ``dvc metrics`` shows."""
    headline = {
        model: {
            "macro_f1": m["macro_f1"],
            "micro_f1": m["micro_f1"],
            "no_goal_precision": m["no_goal"]["precision"],
            "no_goal_recall": m["no_goal"]["recall"],
        }
        for model, m in measured["cross_validated"].items()
    }
    return {"taxonomy": measured["taxonomy"], "version": version, "n": measured["n"], **headline}


def per_goal_f1_rows(measured: Mapping[str, Any]) -> list[tuple[str, str, float]]:
    """``(goal, model, f1)`` rows, for the per-goal F1 plot of ``levelup train``."""
    return [(goal, model, m["per_goal"][goal]["f1"]) for model, m in measured["cross_validated"].items() for goal in m["per_goal"]]


def evidence_per_goal_rows(store: Any, taxonomy: Any) -> list[tuple[int, str, int]]:
    """``(goal, title, passages)`` for every goal of the taxonomy, zero where none: the export plot."""
    from pipeline.report.summary import evidence_links

    links = evidence_links(store, taxonomy)
    per_goal = links.groupby("goal")["passage_id"].nunique() if len(links) else {}
    return [(goal.id, goal.title, int(per_goal.get(goal.id, 0))) for goal in taxonomy.goals]
