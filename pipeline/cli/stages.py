"""The pipeline's stages, as researchers and DVC run them: collect, segment, extract, embed, tag,
store, and the whole chain (run, analyze)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli import _common as common
from pipeline.cli._common import (
    EXIT_ITEMS_FAILED,
    EXIT_OK,
    DbOption,
    InputsArgument,
    ListOption,
    ModelOption,
    TaxonomyOption,
)
from pipeline.config import data_dir

app = typer.Typer()

InputPassages = Annotated[Path | None, typer.Option("--input", "-i", help="Passages from 'levelup segment'.")]


@app.command("collect")
def collect_cli(
    ctx: typer.Context,
    inputs: InputsArgument = None,
    listed: ListOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Documents as JSON lines.")] = None,
) -> None:
    """Read files, folders and URLs into documents (clean text and metadata)."""
    from pipeline import collect
    from pipeline.jsonl import write_records

    output = output or common.interim("documents.jsonl")
    result = collect.run(common.inputs(inputs, listed), common.params(ctx).collect, track=common.track())
    written = write_records(output, (d.to_dict() for d in result.documents))
    common.report_failures(result.failures)
    typer.echo(f"collected {written} documents into {output}; {len(result.failures)} failed", err=True)
    raise typer.Exit(EXIT_ITEMS_FAILED if result.failures else EXIT_OK)


@app.command("segment")
def segment_cli(
    ctx: typer.Context,
    input: Annotated[Path | None, typer.Option("--input", "-i", help="Documents from 'levelup collect'.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Passages as JSON lines.")] = None,
) -> None:
    """Split documents into passages with stable ids and character offsets, dropping boilerplate."""
    from pipeline import segment
    from pipeline.jsonl import read_records, write_records
    from pipeline.records import Document

    input, output = input or common.interim("documents.jsonl"), output or common.interim("passages.jsonl")
    documents = [Document.from_dict(r) for r in read_records(input)]
    written = write_records(output, (p.to_dict() for p in segment.run(documents, common.params(ctx).segment)))
    typer.echo(f"segmented {len(documents)} documents into {written} passages in {output}", err=True)


@app.command("extract")
def extract_cli(
    ctx: typer.Context,
    input: InputPassages = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Entities and figures per passage.")] = None,
) -> None:
    """Find organisations, people, places and figures in passages."""
    from pipeline import extract
    from pipeline.jsonl import read_records, write_records
    from pipeline.records import Passage

    input, output = input or common.interim("passages.jsonl"), output or common.interim("extractions.jsonl")
    passages = [Passage.from_dict(r) for r in read_records(input)]
    extractions = extract.run(passages, common.params(ctx).extract, track=common.track())
    written = write_records(output, (x.to_dict() for x in extractions))
    typer.echo(f"extracted entities and figures from {written} passages into {output}", err=True)


@app.command("tag")
def tag_cli(
    ctx: typer.Context,
    input: InputPassages = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Goal suggestions as JSON lines.")] = None,
    documents: Annotated[Path | None, typer.Option("--documents", help="Documents from 'levelup collect', to know each passage's organisation. Default: beside --input.")] = None,
    extractions: Annotated[Path | None, typer.Option("--extractions", help="Entities from 'levelup extract', to know each passage's organisation. Default: beside --input.")] = None,
    taxonomy: TaxonomyOption = None,
    model: ModelOption = None,
) -> None:
    """Score every passage against every goal and mark the goals it is evidence for."""
    from pipeline.jsonl import write_records
    from pipeline.workflow.load import read_batch, tag_stage

    input, output = input or common.interim("passages.jsonl"), output or common.interim("suggestions.jsonl")
    batch = read_batch(input, documents=documents or input.with_name("documents.jsonl"), extractions=extractions or input.with_name("extractions.jsonl"))
    suggestions = tag_stage(batch, common.params(ctx), common.tagger(ctx, taxonomy, model), track=common.track())
    write_records(output, (s.to_dict() for s in suggestions))
    predicted = sum(s.predicted for s in suggestions)
    typer.echo(f"tagged {len(batch.all_passages())} passages ({predicted} goal suggestions) into {output}", err=True)


@app.command("embed")
def embed_cli(
    ctx: typer.Context,
    input: InputPassages = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Embeddings as Parquet (passage id, encoder, vector).")] = None,
) -> None:
    """Embed every passage with the configured encoder (batched, through the embedding cache)."""
    import pandas as pd

    from pipeline.classify import load_embedder
    from pipeline.jsonl import read_records
    from pipeline.report.outputs import write_parquet

    input, output = input or common.interim("passages.jsonl"), output or common.interim("embeddings.parquet")
    records = read_records(input)
    encoder = load_embedder(common.params(ctx).tag)
    vectors = encoder.encode([r["text"] for r in records])
    write_parquet(output, pd.DataFrame({"passage_id": [r["id"] for r in records], "encoder": encoder.id, "vector": list(vectors)}))
    typer.echo(f"embedded {len(records)} passages with {encoder.id} into {output}", err=True)


@app.command("store")
def store_cli(
    input_dir: Annotated[Path | None, typer.Option("--input-dir", help="Folder holding the stage outputs. Default: data/interim.")] = None,
    db: DbOption = None,
) -> None:
    """Load the outputs of collect, segment, extract and tag into the evidence database."""
    from pipeline.workflow.load import load_stage_outputs

    store = common.open_store(db)
    counts = load_stage_outputs(store, input_dir or data_dir() / "interim")
    typer.echo(f"stored {counts['documents']} documents, {counts['passages']} passages into {common.safe_url(db)}", err=True)
    common.print_counts(store.counts())


@app.command("run")
def run_cli(
    ctx: typer.Context,
    inputs: InputsArgument = None,
    listed: ListOption = None,
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Reprocess unchanged documents too.")] = False,
    show_report: Annotated[bool, typer.Option("--report/--no-report", help="Print the evidence table at the end.")] = True,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Process on a local Dask cluster of N worker processes (one thread each).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Process on an existing Dask cluster, e.g. tcp://scheduler:8786.")] = None,
) -> None:
    """Run collect → segment → extract → tag → store on new or changed inputs, then report."""
    from pipeline.collect import expand_inputs
    from pipeline.workflow import run

    params = common.params(ctx)
    given = common.inputs(inputs, listed)
    expand_inputs(given)  # a mistyped path stops here, before a database is created for nothing
    store = common.open_store(db)
    if workers is None and scheduler is None:
        report = run(given, params, store, force=force, track=common.track())
    else:
        from pipeline.workflow.distributed import connect

        with connect(workers=workers, scheduler=scheduler) as cluster:
            report = run(given, params, store, force=force, track=common.track(), cluster=cluster)
    common.report_failures(report.failures)
    counts = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in sorted(report.counts.items()))
    typer.echo(f"run {report.run_id} {report.status}: {counts}", err=True)
    if show_report:
        common.print_evidence_table(store, params.tag.taxonomy)
    raise typer.Exit(EXIT_ITEMS_FAILED if report.failures else EXIT_OK)


@app.command("analyze")
def analyze_cli(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(help="Local files (.html, .pdf, .txt) or folders.")],
    taxonomy: TaxonomyOption = None,
    model: ModelOption = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="text: passages with their goals, why, entities and figures, to read; json: one JSON line per passage. Default: text on a terminal, json when piped.")
    ] = None,
) -> None:
    """Run the whole pipeline on local files without a database; print each passage with its goals
    (text on a terminal) or one JSON line per passage (when piped, or with --format json)."""
    from pipeline.errors import InputError
    from pipeline.jsonl import dump
    from pipeline.workflow.analyze import analyze

    chosen = fmt or ("text" if common.on_terminal() else "json")
    if chosen not in ("text", "json"):
        raise InputError(f"unknown analyze format '{chosen}'; use text or json")
    result = analyze(files, common.params(ctx), common.tagger(ctx, taxonomy, model), track=common.track())
    if chosen == "json":
        for record in result.records:
            dump(record, sys.stdout)
    else:
        from rich.console import Console

        from pipeline.report.render import analyze_text
        from pipeline.taxonomy import load_taxonomy

        console = Console(file=sys.stdout, soft_wrap=False)
        for panel in analyze_text(result.records, load_taxonomy(common.taxonomy_name(ctx, taxonomy))):
            console.print(panel)
    common.report_failures(result.failures)
    raise typer.Exit(EXIT_ITEMS_FAILED if result.failures else EXIT_OK)
