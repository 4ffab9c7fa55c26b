"""Operations: the nightly ingest job, with machine-readable logs for schedulers."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli import _common as common
from pipeline.cli._common import EXIT_ITEMS_FAILED, EXIT_OK, DbOption
from pipeline.errors import InputError

app = typer.Typer()
log = logging.getLogger("pipeline")


@app.command("ingest")
def ingest_cli(
    ctx: typer.Context,
    sources: Annotated[Path | None, typer.Option("--sources", help="The sources file (default: collect.sources, corpus/sources.yaml).")] = None,
    only: Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable).")] = None,
    db: DbOption = None,
    lock: Annotated[Path | None, typer.Option("--lock", help="Lock file that keeps runs from overlapping (default data/ingest.lock).")] = None,
    time_budget: Annotated[
        str | None,
        typer.Option("--time-budget", help="Stop fetching after this long (e.g. 3600, 90m, 2h; default collect.time_budget_s): what was fetched is stored, the rest is fetched first next run."),
    ] = None,
) -> None:
    """The nightly job: discover and fetch new or changed documents from the sources, then
    segment, extract, tag and store them. Exit 1 if a source failed entirely, 4 if another run
    holds the lock; a run that reaches its time budget ends cleanly (exit 0)."""
    from pipeline.collect.http import Fetcher
    from pipeline.collect.sources import load_sources
    from pipeline.workflow.ingest import ingest, ingest_lock

    params = common.params(ctx)
    budget = duration(time_budget) if time_budget is not None else None
    if not sys.stderr.isatty():
        _json_logs()
    chosen = load_sources(sources or Path(params.collect.sources), only)
    if not params.collect.contact:
        log.warning("collect.contact is not set: site owners cannot reach you; set it in params.yaml")
    store = common.open_store(db)
    fetcher = Fetcher.from_params(params.collect)
    try:
        with ingest_lock(lock), store.ingest_lock():  # the file: this machine; the database's: all of them
            report = ingest(chosen, params, store, fetcher=fetcher, time_budget=budget, track=common.track())
    finally:
        fetcher.close()
    _print_ingest(report)
    log.info("ingest finished", extra={"run": report.run.run_id, "counts": dict(report.run.counts), "failed_sources": report.failed_sources})
    if report.budget_reached:
        skipped = f" (sources not reached: {', '.join(report.skipped_sources)})" if report.skipped_sources else ""
        typer.echo(f"budget reached, {report.left} left{skipped}: the next run fetches them first", err=True)
    elif report.left:
        typer.echo(f"{report.left} new URLs past the sources' page_budget left: the next run fetches them first", err=True)
    raise typer.Exit(EXIT_ITEMS_FAILED if report.failed_sources else EXIT_OK)


_UNITS = {"s": 1, "m": 60, "h": 3600}


def duration(value: str) -> float:
    """Seconds of ``3600``, ``90s``, ``45m`` or ``2h``; anything else is a one-line ``InputError``."""
    text = value.strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise InputError(f"--time-budget '{value}': give a positive duration such as 3600, 90m or 2h")
    return seconds


def _print_ingest(report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ingest run {report.run.run_id}")
    outcomes = ("new", "changed", "unchanged", "duplicate", "failed", "left")
    for column in ("source", "discovered", *outcomes, "status"):
        table.add_column(column, justify="left" if column in ("source", "status") else "right")
    for s in report.sources:
        table.add_row(s.name, str(s.discovered), *(str(s.left if o == "left" else s.counts[o]) for o in outcomes), "FAILED" if s.failed_entirely else "not reached" if s.skipped else "ok")
    Console(stderr=True).print(table)


class _JsonFormatter(logging.Formatter):
    """One JSON object per log line, for schedulers and log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry |= {k: v for k, v in record.__dict__.items() if k in ("run", "counts", "failed_sources")}
        return json.dumps(entry, default=str)


def _json_logs() -> None:
    for handler in logging.getLogger("pipeline").handlers:
        handler.setFormatter(_JsonFormatter())
