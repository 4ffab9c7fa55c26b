"""What the command modules share: option types, parameters, the database, the taxonomy, output."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.config import Params, data_dir, default_db_url, load_params

EXIT_OK, EXIT_ITEMS_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (SQLAlchemy). Default: $LEVELUP_DB, else evidence.db in the data folder ($LEVELUP_DATA_DIR or the project's data/).")]
TaxonomyOption = Annotated[str | None, typer.Option("--taxonomy", help="levelling-up (default), sdg, or a taxonomy YAML file.")]
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="A trained model folder (models/<taxonomy>/<version>), 'zero-shot', or a sentence-transformers folder."),
]
InputsArgument = Annotated[
    list[str] | None, typer.Argument(help="Files (.html, .pdf, .txt), folders of them, or http(s) URLs.", show_default=False)
]
ListOption = Annotated[Path | None, typer.Option("--list", help="A text file of inputs (URLs or paths), one per line.")]


def params(ctx: typer.Context) -> Params:
    """params.yaml (or --params), with the embedding cache off under the global --no-cache."""
    loaded = load_params(ctx.obj["params_file"])
    if ctx.obj.get("no_cache"):
        return loaded.model_copy(update={"tag": loaded.tag.model_copy(update={"cache": False})})
    return loaded


def taxonomy_name(ctx: typer.Context, explicit: str | None) -> str:
    """The taxonomy a command works on: ``--taxonomy`` if given, else ``tag.taxonomy`` of the params."""
    return explicit or params(ctx).tag.taxonomy


def inputs(given: list[str] | None, listed: Path | None) -> list[str]:
    from pipeline.collect.fetch import read_input_list

    everything = [*(given or []), *(read_input_list(listed) if listed else [])]
    if not everything:
        raise typer.BadParameter("give at least one file, folder or URL, or --list FILE")
    return everything


def interim(name: str) -> Path:
    return data_dir() / "interim" / name


def track():
    from pipeline.progress import terminal_track

    return terminal_track()


def tagger(ctx: typer.Context, taxonomy: str | None, model: Path | None):
    from pipeline.classify import load_tagger

    return load_tagger(params(ctx).tag, taxonomy=taxonomy_name(ctx, taxonomy), model_dir=model)


def report_failures(failures: list[Any]) -> None:
    for failure in failures:
        typer.echo(f"skipped: {failure.reason}", err=True)


def open_store(db: str | None):
    from pipeline.evidence.store import Store

    return Store.open(db or default_db_url())


def default_db_exists() -> bool:
    url = default_db_url()
    return not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).is_file()


def safe_url(db: str | None) -> str:
    from pipeline.evidence.store import display_url

    return display_url(db or default_db_url())


def print_counts(counts: dict[str, int]) -> None:
    typer.echo(", ".join(f"{table} {n}" for table, n in counts.items()), err=True)


def print_evidence_table(store: Any, taxonomy_name: str) -> None:
    from rich.console import Console

    from pipeline.report.render import evidence_rich_table
    from pipeline.report.summary import evidence_table
    from pipeline.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(taxonomy_name)
    Console(width=max(160, Console().width)).print(evidence_rich_table(evidence_table(store, taxonomy), taxonomy))


def on_terminal() -> bool:
    """Whether standard output is a terminal (a person reading) rather than a pipe or a file."""
    return sys.stdout.isatty()


def write_bytes(data: bytes, out: Path) -> None:
    """A binary file (announced on stderr), written whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    typer.echo(f"report written to {out}", err=True)


def write_text(text: str, out: Path | None) -> None:
    """To a file (announced on stderr) or to standard output."""
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"report written to {out}", err=True)
