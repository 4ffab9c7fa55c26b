"""Reading the evidence out: the evidence table, one organisation's report, tidy exports."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli import _common as common
from pipeline.cli._common import DbOption, TaxonomyOption
from pipeline.config import data_dir

app = typer.Typer()


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"
    md = "md"
    docx = "docx"


ORGANISATION_FORMATS = (ReportFormat.html, ReportFormat.md, ReportFormat.docx)


@app.command("report")
def report_cli(
    ctx: typer.Context,
    db: DbOption = None,
    taxonomy: TaxonomyOption = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="table, csv or json: the evidence table; html, md or docx (Word): one organisation's report (--org).")] = ReportFormat.table,
    org: Annotated[str | None, typer.Option("--org", help="One organisation's impact report draft (--format html, md or docx; html by default).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report to this file instead of standard output (docx: default <organisation>-impact-report.docx; --all: a folder, default data/reports).")] = None,
    every: Annotated[bool, typer.Option("--all", help="One draft per organisation (--format html, md or docx; html by default) and an index comparing them goal by goal, in the --out folder.")] = False,
) -> None:
    """Print passages of evidence per organisation and goal, or one organisation's evidence report."""
    from pipeline.errors import InputError
    from pipeline.taxonomy import load_taxonomy

    store = common.open_store(db)
    name = common.taxonomy_name(ctx, taxonomy)
    if every:
        if org is not None:
            raise InputError("--all drafts every organisation's report: leave out --org NAME (or --all for one)")
        if fmt not in (*ORGANISATION_FORMATS, ReportFormat.table):
            raise InputError(f"--all writes html, md or docx drafts, not {fmt.value}")
        from pipeline.report.coalition import write_all

        folder = out or data_dir() / "reports"
        written = write_all(store, load_taxonomy(name), folder, "html" if fmt is ReportFormat.table else fmt.value)
        typer.echo(f"{len(written) - 1} drafts and {written[-1].name} written to {folder}", err=True)
        return
    if org is not None or fmt in ORGANISATION_FORMATS:
        if org is None:
            raise InputError("--format html, md and docx make one organisation's report: add --org NAME")
        from pipeline.report import organisation

        report = organisation.build(store, load_taxonomy(name), org)
        if fmt is ReportFormat.docx:
            from pipeline.report.word import render_docx

            common.write_bytes(render_docx(report), out or Path(f"{_slug(report.organisation)}-impact-report.docx"))
            return
        if fmt not in ORGANISATION_FORMATS and fmt is not ReportFormat.table:
            raise InputError(f"--org makes a report as html, md or docx, not {fmt.value}")
        common.write_text(organisation.render(report, "html" if fmt is ReportFormat.table else fmt.value), out)
        return
    if fmt is ReportFormat.table:
        common.print_evidence_table(store, name)
        return
    from pipeline.csvcells import neutralise_frame
    from pipeline.report.summary import evidence_table

    table = evidence_table(store, load_taxonomy(name))
    typer.echo(neutralise_frame(table).to_csv() if fmt is ReportFormat.csv else table.reset_index().to_json(orient="records"))


@app.command("export")
def export_cli(
    ctx: typer.Context,
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the tables (default data/exports).")] = None,
    formats: Annotated[list[str] | None, typer.Option("--format", help="parquet and/or csv (repeatable; default both).")] = None,
    metrics: Annotated[Path | None, typer.Option("--metrics", help="Also write row counts per table here (JSON, for dvc metrics).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also write passages of evidence per goal here (CSV, for dvc plots).")] = None,
    taxonomy: TaxonomyOption = None,
) -> None:
    """Write documents, passages, entities, figures, quotes, suggestions, reviews and the evidence
    that stands (one row per passage and goal) as typed Parquet and CSV tables (columns in README.md)."""
    from pipeline.report.export import FORMATS, export
    from pipeline.report.outputs import evidence_per_goal_rows, write_csv, write_json

    folder = out or data_dir() / "exports"
    store = common.open_store(db)
    written = export(store, folder, formats or list(FORMATS), taxonomies=None if taxonomy is None else [_taxonomy(ctx, taxonomy)])
    typer.echo(f"{len(written)} files written to {folder}", err=True)
    if metrics is not None:
        write_json(metrics, store.counts())
    if plot is not None:
        from pipeline.taxonomy import load_taxonomy

        rows = evidence_per_goal_rows(store, load_taxonomy(common.taxonomy_name(ctx, taxonomy)))
        write_csv(plot, ("goal", "title", "passages"), rows)


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "organisation"


def _taxonomy(ctx: typer.Context, taxonomy: str | None) -> str:
    from pipeline.taxonomy import load_taxonomy

    return load_taxonomy(common.taxonomy_name(ctx, taxonomy)).name
