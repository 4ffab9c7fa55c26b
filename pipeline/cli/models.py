"""The goal classifier and its measurements: classify (the stdin contract), eval, train,
eval-extract, train-ner, export-encoder, and the experiments DVC tracks."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.cli import _common as common
from pipeline.cli._common import EXIT_ITEMS_FAILED, EXIT_OK, DbOption, ModelOption, TaxonomyOption
from pipeline.progress import terminal_track

app = typer.Typer()

LabelsOption = Annotated[
    list[Path] | None, typer.Option("--labels", help="Labelled passages (repeatable); default corpus/labels/<taxonomy>.jsonl.")
]


@app.command("classify")
def classify_cli(ctx: typer.Context, taxonomy: TaxonomyOption = None, model: ModelOption = None) -> None:
    """Read JSON lines {"id", "text"} on stdin; write {"id", "goals", "scores"} per line, in order
    (or {"id", "error"} for a blank, malformed or undecodable line: one output line per input line)."""
    from pipeline.classify.contract import classify_lines
    from pipeline.jsonl import dump

    failed = 0
    tagger = common.tagger(ctx, taxonomy, model)
    for batch in classify_lines(getattr(sys.stdin, "buffer", sys.stdin), tagger):  # bytes: bad UTF-8 is one line's error
        for record in batch:
            if "error" in record:
                failed += 1
                typer.echo(f"skipped: {record['error']}", err=True)
            dump(record, sys.stdout)
        sys.stdout.flush()
    raise typer.Exit(EXIT_ITEMS_FAILED if failed else EXIT_OK)


@app.command("eval")
def eval_cli(
    ctx: typer.Context,
    labels: Annotated[Path, typer.Option("--labels", help="JSON lines of {\"text\", \"goals\": [int, ...]}.")],
    taxonomy: TaxonomyOption = None,
    model: ModelOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Also break the figures down by this record key (e.g. label_basis), with no-goal figures and named-goal checks.")] = None,
) -> None:
    """Evaluate goal tagging on labelled passages; print macro/micro F1 and per-goal metrics as JSON."""
    from pipeline.classify.evaluate import evaluate_realistic
    from pipeline.classify.experiments import evaluate_tagger
    from pipeline.classify.labels import read_labels

    tagger = common.tagger(ctx, taxonomy, model)
    if by:
        typer.echo(json.dumps(evaluate_realistic(labels, tagger, by=by)))
        return
    metrics = evaluate_tagger(tagger, read_labels(labels, tagger.taxonomy), track=common.track())
    typer.echo(json.dumps(metrics))


@app.command("train")
def train_cli(
    ctx: typer.Context,
    taxonomy: TaxonomyOption = None,
    labels: LabelsOption = None,
    db: DbOption = None,
    no_reviews: Annotated[bool, typer.Option("--no-reviews", help="Ignore staff reviews in the database.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Models folder (default $LEVELUP_MODELS_DIR or the project's models/).")] = None,
    metrics: Annotated[Path | None, typer.Option("--metrics", help="Also write the headline cross-validated metrics here (JSON, for dvc metrics).")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Also write per-goal F1 here (CSV, for dvc plots).")] = None,
) -> None:
    """Train the supervised goal classifier on labels plus staff reviews; write models/<taxonomy>/<version>/."""
    from pipeline.classify.labels import Labelled
    from pipeline.classify.train import train
    from pipeline.report.outputs import per_goal_f1_rows, train_headline, write_csv, write_json
    from pipeline.taxonomy import load_taxonomy

    name = load_taxonomy(common.taxonomy_name(ctx, taxonomy)).name
    reviews: list[Labelled] = []
    if not no_reviews and (db or common.default_db_exists()):
        reviews = [Labelled(text, goals) for text, goals in common.open_store(db).reviewed_labels(name)]
    folder = train(common.params(ctx), taxonomy=name, labels=labels, reviews=reviews, out=out)
    measured = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    _print_training(name, measured)
    typer.echo(f"model written to {folder}", err=True)
    if metrics is not None:
        write_json(metrics, train_headline(measured, folder.name))
    if plots is not None:
        write_csv(plots, ("goal", "model", "f1"), per_goal_f1_rows(measured))


def _print_training(name: str, measured: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from pipeline.classify.train import summary_rows

    table = Table(title=f"{name}: {measured['n']} passages ({measured['from_reviews']} from reviews), cross-validated")
    for column in ("model", "macro-F1", "micro-F1", '"no goal" precision'):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in summary_rows(measured):
        table.add_row(row[0], *(f"{v:.3f}" for v in row[1:]))
    Console(stderr=True).print(table)


@app.command("eval-extract")
def eval_extract_cli(
    ctx: typer.Context,
    gold: Annotated[Path, typer.Option("--gold", help="Hand-labelled passages (see tests/fixtures/extraction-gold.jsonl).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
) -> None:
    """Evaluate organisations, people, places and figures against a gold set: P/R/F1 per type."""
    from pipeline.extract.evaluate import evaluate, read_gold

    metrics = evaluate(read_gold(gold), common.params(ctx).extract)
    if as_json:
        typer.echo(json.dumps(metrics))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Extraction on {gold} ({metrics['n']} passages)")
    for column in ("type", "precision", "recall", "F1", "gold"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for kind in ("ORG", "PERSON", "GPE", "FIGURE"):
        m = metrics[kind]
        table.add_row(kind, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    for name, m in metrics["attributes"].items():
        accuracy = "-" if m["accuracy"] is None else f"{m['accuracy']:.3f}"
        table.add_row(f"{name} (accuracy on matches)", "", "", accuracy, str(m["n"]))
    Console().print(table)


@app.command("train-ner")
def train_ner_cli(
    data: Annotated[Path, typer.Option("--data", help="Annotated passages (extraction-conventions.md).")] = Path("corpus/extraction/extraction-web.jsonl"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder to write (default: the models folder's ner/, where extract.ner_model looks).")] = None,
    config: Annotated[Path, typer.Option("--config", help="spaCy training config.")] = Path("configs/ner.cfg"),
    seed: Annotated[int, typer.Option("--seed")] = 0,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs (fixed: no checkpoint is chosen on held-out rows).")] = 20,
) -> None:
    """Fine-tune en_core_web_sm's NER on annotated passages with `spacy train` (the domain NER model)."""
    from pipeline.config import models_dir
    from pipeline.extract.ner_training import train_ner

    folder = train_ner(data, out or models_dir() / "ner", config=config, seed=seed, epochs=epochs)
    typer.echo(f"NER model written to {folder}", err=True)


@app.command("export-encoder")
def export_encoder_cli(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder to write (default models/encoders/all-MiniLM-L6-v2-onnx-int8, where tag.encoder onnx-int8 looks).")] = None,
) -> None:
    """Export the packaged encoder to quantised ONNX (tag.encoder: onnx-int8), replacing any old copy."""
    from pipeline.classify.experiments import export_packaged_encoder

    folder = export_packaged_encoder(out)
    typer.echo(f"encoder exported to {folder}", err=True)


class Experiment(StrEnum):
    classifiers = "classifiers"
    cross_style = "cross-style"
    zero_shot = "zero-shot"
    realistic = "realistic"


@app.command("experiment")
def experiment_cli(
    ctx: typer.Context,
    name: Annotated[Experiment, typer.Argument(help="classifiers (nested cross-validation, supervised vs zero-shot), cross-style (each style of the labels held out of training), zero-shot (threshold and margin sweep) or realistic (cross-validation over the realistic passages, by label_basis).")],
    taxonomy: TaxonomyOption = None,
    labels: LabelsOption = None,
    metrics: Annotated[Path | None, typer.Option("--metrics", help="Write the results here (JSON, for dvc metrics); default: print them.")] = None,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="realistic only: grouped cross-validation splits to average (outer seeds train.seed, +1, ...).")] = 3,
) -> None:
    """Measure a design choice of params.yaml on our own labels, with the training code and values of 'levelup train'."""
    from pipeline.classify import experiments
    from pipeline.report.outputs import write_json

    run = {Experiment.classifiers: experiments.nested_cv, Experiment.cross_style: experiments.cross_style, Experiment.zero_shot: experiments.zero_shot_sweep, Experiment.realistic: experiments.realistic_cv}[name]
    options: dict[str, Any] = {"repeats": repeats, "track": terminal_track()} if name is Experiment.realistic else {}
    result = run(common.params(ctx), taxonomy=common.taxonomy_name(ctx, taxonomy), labels=labels, **options)
    if metrics is None:
        typer.echo(json.dumps(result, indent=2))
    else:
        write_json(metrics, result)
        typer.echo(f"{name.value}: results written to {metrics}", err=True)
