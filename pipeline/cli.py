"""The ``levelup`` command line: one sub-command per stage, each a thin wrapper over a function.

Exit codes: 0 ok; 1 finished, but some items failed; 2 usage or configuration error; 3 internal
error (a bug: rerun with -v and report the traceback). Errors are turned into messages here, in
``LevelupGroup.invoke``, and nowhere else.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from enum import Enum
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from pipeline import __version__
from pipeline.config import Params, data_dir, default_db_url, load_params
from pipeline.errors import PipelineError

log = logging.getLogger("pipeline")

EXIT_OK, EXIT_ITEMS_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class LevelupGroup(TyperGroup):
    """Turns library errors into one-line messages and exit codes, in one place."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PipelineError as exc:
            _fail(ctx, f"error: {exc}", exc.exit_code, exc)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer reports these itself
            raise
        except Exception as exc:  # noqa: BLE001 - the last resort: no stack trace for users
            _fail(ctx, f"internal error: {exc.__class__.__name__}: {exc} (rerun with -v for the traceback)", EXIT_INTERNAL, exc)


def _fail(ctx: typer.Context, message: str, code: int, exc: BaseException) -> None:
    if (ctx.obj or {}).get("verbose"):
        log.error(message, exc_info=exc)
    typer.echo(message, err=True)
    raise typer.Exit(code)


app = typer.Typer(
    name="levelup",
    cls=LevelupGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Evidence for the Levelling Up Goals from UK organisations' press releases and reports.",
)

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (SQLAlchemy). Default: $LEVELUP_DB or sqlite:///data/evidence.db.")]
TaxonomyOption = Annotated[str | None, typer.Option("--taxonomy", help="levelling-up (default), sdg, or a taxonomy YAML file.")]
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="A trained model folder (models/<taxonomy>/<version>), 'zero-shot', or a sentence-transformers folder."),
]
InputsArgument = Annotated[
    list[str] | None, typer.Argument(help="Files (.html, .pdf, .txt), folders of them, or http(s) URLs.", show_default=False)
]
ListOption = Annotated[Path | None, typer.Option("--list", help="A text file of inputs (URLs or paths), one per line.")]


def _inputs(inputs: list[str] | None, listed: Path | None) -> list[str]:
    from pipeline.collect.fetch import read_input_list

    everything = [*(inputs or []), *(read_input_list(listed) if listed else [])]
    if not everything:
        raise typer.BadParameter("give at least one file, folder or URL, or --list FILE")
    return everything


def _interim(name: str) -> Path:
    return data_dir() / "interim" / name


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"levelup-evidence {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Debug logs and tracebacks.")] = False,
    params_file: Annotated[Path | None, typer.Option("--params", help="Stage parameters (YAML). Default: ./params.yaml if present.")] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_print_version)
    ] = False,
) -> None:
    _configure_logging(verbose)
    ctx.obj = {"verbose": verbose, "params_file": params_file}


def _params(ctx: typer.Context) -> Params:
    return load_params(ctx.obj["params_file"])


def _configure_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=verbose, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:  # logs for machines: one line each, timestamped
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("pipeline")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _track():  # noqa: ANN202
    from pipeline.progress import terminal_track

    return terminal_track()


def _tagger(params: Params, taxonomy: str | None, model: Path | None):  # noqa: ANN202
    from pipeline.classify import load_tagger

    return load_tagger(params.tag, taxonomy=taxonomy, model_dir=model)


def _report_failures(failures: list[Any]) -> None:
    for failure in failures:
        typer.echo(f"skipped: {failure.reason}", err=True)


# --- stages ----------------------------------------------------------------------------------


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

    output = output or _interim("documents.jsonl")
    result = collect.run(_inputs(inputs, listed), _params(ctx).collect, track=_track())
    written = write_records(output, (d.to_dict() for d in result.documents))
    _report_failures(result.failures)
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

    input, output = input or _interim("documents.jsonl"), output or _interim("passages.jsonl")
    documents = [Document.from_dict(r) for r in read_records(input)]
    written = write_records(output, (p.to_dict() for p in segment.run(documents, _params(ctx).segment)))
    typer.echo(f"segmented {len(documents)} documents into {written} passages in {output}", err=True)


@app.command("extract")
def extract_cli(
    ctx: typer.Context,
    input: Annotated[Path | None, typer.Option("--input", "-i", help="Passages from 'levelup segment'.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Entities and figures per passage.")] = None,
) -> None:
    """Find organisations, people, places and figures in passages."""
    from pipeline import extract
    from pipeline.jsonl import read_records, write_records
    from pipeline.records import Passage

    input, output = input or _interim("passages.jsonl"), output or _interim("extractions.jsonl")
    passages = [Passage.from_dict(r) for r in read_records(input)]
    extractions = extract.run(passages, _params(ctx).extract, track=_track())
    written = write_records(output, (x.to_dict() for x in extractions))
    typer.echo(f"extracted entities and figures from {written} passages into {output}", err=True)


@app.command("tag")
def tag_cli(
    ctx: typer.Context,
    input: Annotated[Path | None, typer.Option("--input", "-i", help="Passages from 'levelup segment'.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Goal suggestions as JSON lines.")] = None,
    documents: Annotated[Path | None, typer.Option("--documents", help="Documents from 'levelup collect', to know each passage's organisation. Default: beside --input.")] = None,
    extractions: Annotated[Path | None, typer.Option("--extractions", help="Entities from 'levelup extract', to know each passage's organisation. Default: beside --input.")] = None,
    taxonomy: TaxonomyOption = None,
    model: ModelOption = None,
) -> None:
    """Score every passage against every goal and mark the goals it is evidence for."""
    from pipeline.jsonl import write_records
    from pipeline.workflow.load import read_batch, tag_stage

    params = _params(ctx)
    input, output = input or _interim("passages.jsonl"), output or _interim("suggestions.jsonl")
    batch = read_batch(input, documents=documents or input.with_name("documents.jsonl"), extractions=extractions or input.with_name("extractions.jsonl"))
    suggestions = tag_stage(batch, params, _tagger(params, taxonomy, model), track=_track())
    write_records(output, (s.to_dict() for s in suggestions))
    predicted = sum(s.predicted for s in suggestions)
    typer.echo(f"tagged {len(batch.all_passages())} passages ({predicted} goal suggestions) into {output}", err=True)


@app.command("embed")
def embed_cli(
    ctx: typer.Context,
    input: Annotated[Path | None, typer.Option("--input", "-i", help="Passages from 'levelup segment'.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Embeddings as Parquet (passage id, encoder, vector).")] = None,
) -> None:
    """Embed every passage with the configured encoder (batched, through the embedding cache)."""
    import pandas as pd

    from pipeline.classify import load_embedder
    from pipeline.jsonl import read_records

    params = _params(ctx)
    input, output = input or _interim("passages.jsonl"), output or _interim("embeddings.parquet")
    records = list(read_records(input))
    encoder = load_embedder(params.tag)
    vectors = encoder.encode([r["text"] for r in records])
    output.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"passage_id": [r["id"] for r in records], "encoder": encoder.id, "vector": list(vectors)}).to_parquet(output, index=False)
    typer.echo(f"embedded {len(records)} passages with {encoder.id} into {output}", err=True)


@app.command("store")
def store_cli(
    input_dir: Annotated[Path | None, typer.Option("--input-dir", help="Folder holding the stage outputs. Default: data/interim.")] = None,
    db: DbOption = None,
) -> None:
    """Load the outputs of collect, segment, extract and tag into the evidence database."""
    from pipeline.workflow.load import load_stage_outputs

    store = _open_store(db)
    counts = load_stage_outputs(store, input_dir or data_dir() / "interim")
    typer.echo(f"stored {counts['documents']} documents, {counts['passages']} passages into {_safe_url(db)}", err=True)
    _print_counts(store.counts())


@app.command("run")
def run_cli(
    ctx: typer.Context,
    inputs: InputsArgument = None,
    listed: ListOption = None,
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Reprocess unchanged documents too.")] = False,
    show_report: Annotated[bool, typer.Option("--report/--no-report", help="Print the evidence table at the end.")] = True,
) -> None:
    """Run collect → segment → extract → tag → store on new or changed inputs, then report."""
    from pipeline.workflow import run

    params = _params(ctx)
    store = _open_store(db)
    report = run(_inputs(inputs, listed), params, store, force=force, track=_track())
    _report_failures(report.failures)
    counts = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in sorted(report.counts.items()))
    typer.echo(f"run {report.run_id} {report.status}: {counts}", err=True)
    if show_report:
        _print_evidence_table(store, params.tag.taxonomy)
    raise typer.Exit(EXIT_ITEMS_FAILED if report.failures else EXIT_OK)


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"
    md = "md"


@app.command("report")
def report_cli(
    ctx: typer.Context,
    db: DbOption = None,
    taxonomy: TaxonomyOption = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="table, csv or json: the evidence table; html or md: one organisation's report (--org).")] = ReportFormat.table,
    org: Annotated[str | None, typer.Option("--org", help="One organisation's evidence report, goal by goal (with --format html or md).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report to this file instead of standard output.")] = None,
) -> None:
    """Print passages of evidence per organisation and goal, or one organisation's evidence report."""
    from pipeline.taxonomy import load_taxonomy
    from pipeline.errors import InputError

    store = _open_store(db)
    name = taxonomy or _params(ctx).tag.taxonomy
    if org is not None or fmt in (ReportFormat.html, ReportFormat.md):
        if org is None:
            raise InputError("--format html and md make one organisation's report: add --org NAME")
        from pipeline.report import organisation

        text = organisation.render(organisation.build(store, load_taxonomy(name), org), "html" if fmt is ReportFormat.table else fmt.value)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            typer.echo(f"report written to {out}", err=True)
        else:
            sys.stdout.write(text)
        return
    if fmt is ReportFormat.table:
        _print_evidence_table(store, name)
        return
    from pipeline.report.summary import evidence_table

    table = evidence_table(store, load_taxonomy(name))
    typer.echo(table.to_csv() if fmt is ReportFormat.csv else table.reset_index().to_json(orient="records"))


@app.command("export")
def export_cli(
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the tables (default data/exports).")] = None,
    formats: Annotated[list[str] | None, typer.Option("--format", help="parquet and/or csv (repeatable; default both).")] = None,
    metrics: Annotated[Path | None, typer.Option("--metrics", help="Also write row counts per table here (JSON, for dvc metrics).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also write passages of evidence per goal here (CSV, for dvc plots).")] = None,
    taxonomy: TaxonomyOption = None,
) -> None:
    """Write documents, passages, entities, figures, quotes, suggestions and reviews as tidy
    Parquet and CSV tables (columns documented in README.md)."""
    from pipeline.report.export import FORMATS, export

    folder = out or data_dir() / "exports"
    store = _open_store(db)
    written = export(store, folder, formats or list(FORMATS))
    typer.echo(f"{len(written)} files written to {folder}", err=True)
    if metrics is not None:
        metrics.parent.mkdir(parents=True, exist_ok=True)
        metrics.write_text(json.dumps(store.counts(), indent=2) + "\n", encoding="utf-8")
    if plot is not None:
        from pipeline.taxonomy import load_taxonomy
        from pipeline.report.summary import evidence_links

        tax = load_taxonomy(taxonomy or "levelling-up")
        links = evidence_links(store, tax)
        per_goal = links.groupby("goal")["passage_id"].nunique() if len(links) else {}
        plot.parent.mkdir(parents=True, exist_ok=True)
        rows = ["goal,title,passages"] + [f'{g.id},"{g.title}",{int(per_goal.get(g.id, 0))}' for g in tax.goals]
        plot.write_text("\n".join(rows) + "\n", encoding="utf-8")


# --- the contracts of design.md ------------------------------------------------------------


@app.command("classify")
def classify_cli(ctx: typer.Context, taxonomy: TaxonomyOption = None, model: ModelOption = None) -> None:
    """Read JSON lines {"id", "text"} on stdin; write {"id", "goals", "scores"} per line, in order."""
    from pipeline.classify import classify
    from pipeline.jsonl import dump, parse_lines

    tagger = _tagger(_params(ctx), taxonomy, model)
    failed = 0
    for batch in _batches(parse_lines(sys.stdin), 1024):  # big enough to sort by length, small enough to stream
        good = [line for line in batch if _valid_classify_line(line)]
        results = iter(classify([line.value["text"] for line in good], tagger))
        for line in batch:
            if _valid_classify_line(line):
                dump(next(results).to_contract(line.value.get("id")), sys.stdout)
            else:
                failed += 1
                reason = line.error or f"line {line.number}: expected {{\"id\", \"text\"}} with a string text"
                typer.echo(f"skipped: {reason}", err=True)
                dump({"id": _id_of(line), "error": reason}, sys.stdout)
        sys.stdout.flush()
    raise typer.Exit(EXIT_ITEMS_FAILED if failed else EXIT_OK)


def _valid_classify_line(line: Any) -> bool:
    return line.error is None and isinstance(line.value, dict) and isinstance(line.value.get("text"), str)


def _id_of(line: Any) -> Any:
    return line.value.get("id") if isinstance(line.value, dict) else None


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@app.command("analyze")
def analyze_cli(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(help="Local files (.html, .pdf, .txt) or folders.")],
    taxonomy: TaxonomyOption = None,
    model: ModelOption = None,
) -> None:
    """Run the whole pipeline on local files without a database; print one JSON line per passage."""
    from pipeline.workflow.analyze import analyze
    from pipeline.jsonl import dump

    params = _params(ctx)
    result = analyze(files, params, _tagger(params, taxonomy, model), track=_track())
    for record in result.records:
        dump(record, sys.stdout)
    _report_failures(result.failures)
    raise typer.Exit(EXIT_ITEMS_FAILED if result.failures else EXIT_OK)


@app.command("eval")
def eval_cli(
    ctx: typer.Context,
    labels: Annotated[Path, typer.Option("--labels", help="JSON lines of {\"text\", \"goals\": [int, ...]}.")],
    taxonomy: TaxonomyOption = None,
    model: ModelOption = None,
) -> None:
    """Evaluate goal tagging on labelled passages; print macro/micro F1 and per-goal metrics as JSON."""
    from pipeline.classify import classify
    from pipeline.classify.evaluate import evaluate
    from pipeline.classify.labels import read_labels

    tagger = _tagger(_params(ctx), taxonomy, model)
    records = read_labels(labels, tagger.taxonomy)
    results = classify([r.text for r in records], tagger, track=_track())
    gold = [r.goals for r in records]
    metrics = evaluate(gold, [[g for g, _ in res.goals] for res in results], tagger.taxonomy.goal_ids)
    if all(res.baseline is not None for res in results):  # a trained model: the zero-shot baseline beside it
        zero = evaluate(gold, [res.baseline or [] for res in results], tagger.taxonomy.goal_ids)
        metrics["zero_shot"] = {key: zero[key] for key in ("macro_f1", "micro_f1", "no_goal")}
    typer.echo(json.dumps(metrics | {"model": tagger.model_id, "taxonomy": tagger.taxonomy.name}))


@app.command("train")
def train_cli(
    ctx: typer.Context,
    taxonomy: TaxonomyOption = None,
    labels: Annotated[
        list[Path] | None, typer.Option("--labels", help="Labelled passages (repeatable); default corpus/labels/<taxonomy>.jsonl.")
    ] = None,
    db: DbOption = None,
    no_reviews: Annotated[bool, typer.Option("--no-reviews", help="Ignore staff reviews in the database.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Models folder (default $LEVELUP_MODELS_DIR or ./models).")] = None,
    metrics: Annotated[Path | None, typer.Option("--metrics", help="Also write the headline cross-validated metrics here (JSON, for dvc metrics).")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Also write per-goal F1 here (CSV, for dvc plots).")] = None,
) -> None:
    """Train the supervised goal classifier on labels plus staff reviews; write models/<taxonomy>/<version>/."""
    from rich.console import Console
    from rich.table import Table

    from pipeline.classify.labels import Labelled
    from pipeline.taxonomy import load_taxonomy
    from pipeline.classify.train import summary_rows, train

    params = _params(ctx)
    name = load_taxonomy(taxonomy or params.tag.taxonomy).name
    reviews: list[Labelled] = []
    if not no_reviews and (db or _default_db_exists()):
        store = _open_store(db)
        reviews = [Labelled(text, goals) for text, goals in store.reviewed_labels(name)]
    folder = train(params, taxonomy=name, labels=labels, reviews=reviews, out=out)
    measured = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    table = Table(title=f"{name}: {measured['n']} passages ({measured['from_reviews']} from reviews), cross-validated")
    for column in ("model", "macro-F1", "micro-F1", '"no goal" precision'):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in summary_rows(measured):
        table.add_row(row[0], *(f"{v:.3f}" for v in row[1:]))
    Console(stderr=True).print(table)
    typer.echo(f"model written to {folder}", err=True)
    cv = measured["cross_validated"]
    if metrics is not None:
        metrics.parent.mkdir(parents=True, exist_ok=True)
        headline = {
            model: {"macro_f1": m["macro_f1"], "micro_f1": m["micro_f1"], "no_goal_precision": m["no_goal"]["precision"], "no_goal_recall": m["no_goal"]["recall"]}
            for model, m in cv.items()
        }
        metrics.write_text(json.dumps({"taxonomy": name, "version": folder.name, "n": measured["n"], **headline}, indent=2) + "\n", encoding="utf-8")
    if plots is not None:
        plots.parent.mkdir(parents=True, exist_ok=True)
        rows = ["goal,model,f1"] + [f"{goal},{model},{m['per_goal'][goal]['f1']}" for model, m in cv.items() for goal in m["per_goal"]]
        plots.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _default_db_exists() -> bool:
    from pipeline.config import default_db_url

    url = default_db_url()
    return not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).is_file()


@app.command("eval-extract")
def eval_extract_cli(
    ctx: typer.Context,
    gold: Annotated[Path, typer.Option("--gold", help="Hand-labelled passages (see tests/fixtures/extraction-gold.jsonl).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
) -> None:
    """Evaluate organisations, people, places and figures against a gold set: P/R/F1 per type."""
    from pipeline.extract.evaluate import evaluate, read_gold

    metrics = evaluate(read_gold(gold), _params(ctx).extract)
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


# --- nightly ingestion -------------------------------------------------------------------------


@app.command("ingest")
def ingest_cli(
    ctx: typer.Context,
    sources: Annotated[Path | None, typer.Option("--sources", help="The sources file (default: collect.sources, corpus/sources.yaml).")] = None,
    only: Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable).")] = None,
    db: DbOption = None,
    lock: Annotated[Path | None, typer.Option("--lock", help="Lock file that keeps runs from overlapping (default data/ingest.lock).")] = None,
) -> None:
    """The nightly job: discover and fetch new or changed documents from the sources, then
    segment, extract, tag and store them. Exit 1 if a source failed entirely, 4 if another run
    holds the lock."""
    from pipeline.collect.http import Fetcher
    from pipeline.workflow.ingest import ingest, ingest_lock
    from pipeline.collect.sources import load_sources

    params = _params(ctx)
    if not sys.stderr.isatty():
        _json_logs()
    chosen = load_sources(sources or Path(params.collect.sources), only)
    if not params.collect.contact:
        log.warning("collect.contact is not set: site owners cannot reach you; set it in params.yaml")
    store = _open_store(db)
    c = params.collect
    fetcher = Fetcher(
        user_agent=c.user_agent, contact=c.contact, delay=c.delay_s, timeout=c.timeout_s, max_bytes=int(c.max_file_mb * 1_000_000), retries=c.retries
    )
    try:
        with ingest_lock(lock):
            report = ingest(chosen, params, store, fetcher=fetcher, track=_track())
    finally:
        fetcher.close()
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ingest run {report.run.run_id}")
    outcomes = ("new", "changed", "unchanged", "duplicate", "failed")
    for column in ("source", "discovered", *outcomes, "status"):
        table.add_column(column, justify="left" if column in ("source", "status") else "right")
    for s in report.sources:
        table.add_row(s.name, str(s.discovered), *(str(s.counts[o]) for o in outcomes), "FAILED" if s.failed_entirely else "ok")
    Console(stderr=True).print(table)
    log.info("ingest finished", extra={"run": report.run.run_id, "counts": dict(report.run.counts), "failed_sources": report.failed_sources})
    raise typer.Exit(EXIT_ITEMS_FAILED if report.failed_sources else EXIT_OK)


class _JsonFormatter(logging.Formatter):
    """One JSON object per log line, for schedulers and log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry |= {k: v for k, v in record.__dict__.items() if k in ("run", "counts", "failed_sources")}
        return json.dumps(entry, default=str)


def _json_logs() -> None:
    for handler in logging.getLogger("pipeline").handlers:
        handler.setFormatter(_JsonFormatter())


# --- the review app --------------------------------------------------------------------------

review_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="The staff review web app, its users and review exports.")
app.add_typer(review_app, name="review")


@review_app.command("serve")
def review_serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    db: DbOption = None,
    taxonomy: TaxonomyOption = None,
) -> None:
    """Serve the review app: log in, work through flagged passages, record decisions."""
    import uvicorn

    from pipeline.review.app import create_app

    application = create_app(db or default_db_url(), taxonomy=taxonomy or "levelling-up")
    typer.echo(f"review app on http://{host}:{port}/ (database {_safe_url(db)}); Ctrl+C stops it", err=True)
    uvicorn.run(application, host=host, port=port, log_level="warning")


@review_app.command("add-user")
def review_add_user(
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[str, typer.Option("--role", help="reviewer or admin.")] = "reviewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")] = False,
    db: DbOption = None,
) -> None:
    """Create a staff user (or reset one's password and role); the password is asked for, hidden."""
    from pipeline.review.accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        from pipeline.errors import InputError

        raise InputError("no terminal to ask for the password on; pass --password-stdin and pipe it in")
    user = add_user(_open_store(db), username, password, role)
    typer.echo(f"user '{user.username}' saved with role {user.role}", err=True)


class ExportFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"
    labels = "labels"
    label_studio = "label-studio"
    argilla = "argilla"


@review_app.command("export")
def review_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl (reviews); labels (training labels from reviews); label-studio or argilla (the queue as tasks).")] = ExportFormat.jsonl,
    db: DbOption = None,
    taxonomy: TaxonomyOption = None,
    config: Annotated[Path | None, typer.Option("--label-config", help="With label-studio: also write the labelling interface XML here.")] = None,
) -> None:
    """Print reviews (every row, undos included) or the review queue as labelling-tool tasks."""
    from pipeline.taxonomy import load_taxonomy
    from pipeline.review import interop
    from pipeline.review.queue import ReviewQueue

    tax = load_taxonomy(taxonomy or "levelling-up")
    queue = ReviewQueue(_open_store(db), tax.name)
    if fmt is ExportFormat.labels:  # training labels {"text", "goals"}, as levelup train reads them
        for text, goals in queue.store.reviewed_labels(tax.name):
            sys.stdout.write(json.dumps({"text": text, "goals": goals}, ensure_ascii=False) + "\n")
    elif fmt is ExportFormat.csv:
        sys.stdout.write(interop.reviews_csv(queue.history()))
    elif fmt is ExportFormat.jsonl:
        sys.stdout.write(interop.reviews_jsonl(queue.history()))
    else:
        ids = [item.passage_id for item in queue.items(None, limit=1_000_000)]
        tasks = interop.label_studio_tasks(queue, ids) if fmt is ExportFormat.label_studio else interop.argilla_records(queue, ids)
        typer.echo(json.dumps(tasks, indent=1, ensure_ascii=False))
        if config is not None and fmt is ExportFormat.label_studio:
            config.write_text(interop.label_studio_config(tax), encoding="utf-8")


@review_app.command("import")
def review_import(
    source: Annotated[Path, typer.Argument(help="A JSON file of Label Studio tasks or Argilla records, with annotations.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Whose reviews these become.")],
    db: DbOption = None,
    taxonomy: TaxonomyOption = None,
) -> None:
    """Store annotations made in Label Studio or Argilla as reviews (they join training)."""
    from pipeline.taxonomy import load_taxonomy
    from pipeline.errors import InputError
    from pipeline.review import interop
    from pipeline.review.queue import ReviewQueue

    if not source.is_file():
        raise InputError(f"{source}: no such file; give an exported JSON file of tasks or records")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{source}: not valid JSON ({error})") from error
    tax = load_taxonomy(taxonomy or "levelling-up")
    imported, problems = interop.import_annotations(ReviewQueue(_open_store(db), tax.name), data, reviewer=reviewer, goal_ids=tax.goal_ids)
    for problem in problems:
        typer.echo(f"skipped: {problem}", err=True)
    typer.echo(f"{imported} review(s) imported, {len(problems)} skipped", err=True)
    raise typer.Exit(EXIT_ITEMS_FAILED if problems else EXIT_OK)


# --- helpers ---------------------------------------------------------------------------------


def _open_store(db: str | None):  # noqa: ANN202
    from pipeline.evidence.store import Store

    return Store.open(db or default_db_url())


def _safe_url(db: str | None) -> str:
    from sqlalchemy.engine import make_url

    return make_url(db or default_db_url()).render_as_string(hide_password=True)


def _print_counts(counts: dict[str, int]) -> None:
    typer.echo(", ".join(f"{table} {n}" for table, n in counts.items()), err=True)


def _print_evidence_table(store: Any, taxonomy_name: str) -> None:
    from rich.console import Console

    from pipeline.taxonomy import load_taxonomy
    from pipeline.report.render import evidence_rich_table
    from pipeline.report.summary import evidence_table

    taxonomy = load_taxonomy(taxonomy_name)
    Console(width=max(160, Console().width)).print(evidence_rich_table(evidence_table(store, taxonomy), taxonomy))


def main() -> None:
    """Console-script entry point."""
    app()
