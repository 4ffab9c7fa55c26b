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

app = typer.Typer()
log = logging.getLogger("pipeline")


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
    from pipeline.collect.sources import load_sources
    from pipeline.workflow.ingest import ingest, ingest_lock

    params = common.params(ctx)
    if not sys.stderr.isatty():
        _json_logs()
    chosen = load_sources(sources or Path(params.collect.sources), only)
    if not params.collect.contact:
        log.warning("collect.contact is not set: site owners cannot reach you; set it in params.yaml")
    store = common.open_store(db)
    fetcher = Fetcher.from_params(params.collect)
    try:
        with ingest_lock(lock), store.ingest_lock():  # the file: this machine; the database's: all of them
            report = ingest(chosen, params, store, fetcher=fetcher, track=common.track())
    finally:
        fetcher.close()
    _print_ingest(report)
    log.info("ingest finished", extra={"run": report.run.run_id, "counts": dict(report.run.counts), "failed_sources": report.failed_sources})
    raise typer.Exit(EXIT_ITEMS_FAILED if report.failed_sources else EXIT_OK)


def _print_ingest(report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ingest run {report.run.run_id}")
    outcomes = ("new", "changed", "unchanged", "duplicate", "failed")
    for column in ("source", "discovered", *outcomes, "status"):
        table.add_column(column, justify="left" if column in ("source", "status") else "right")
    for s in report.sources:
        table.add_row(s.name, str(s.discovered), *(str(s.counts[o]) for o in outcomes), "FAILED" if s.failed_entirely else "ok")
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
