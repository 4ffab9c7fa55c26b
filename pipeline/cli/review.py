"""``levelup review``: the staff review web app, its users, and review exports and imports."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from pipeline.cli import _common as common
from pipeline.cli._common import EXIT_ITEMS_FAILED, EXIT_OK, DbOption, TaxonomyOption
from pipeline.config import default_db_url

app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="The staff review web app, its users and review exports.")


@app.command("serve")
def review_serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    db: DbOption = None,
    taxonomy: TaxonomyOption = None,
    https: Annotated[bool, typer.Option("--https", help="Mark the session cookie Secure (the app is reached over HTTPS, e.g. behind a reverse proxy).")] = False,
    forwarded_allow_ips: Annotated[
        str | None, typer.Option("--forwarded-allow-ips", help="Trust X-Forwarded-For/-Proto only from these proxy addresses (comma-separated); never trusted by default.")
    ] = None,
    reviewers: Annotated[
        int, typer.Option("--reviewers-per-passage", min=1, help="How many reviewers decide each passage: 1 shares the work out, 2 or more gives overlap for agreement.")
    ] = 1,
) -> None:
    """Serve the review app: log in, work through flagged passages, record decisions."""
    import gc

    import uvicorn

    from pipeline.review.app import create_app, server_options

    _check_port(host, port)  # a busy port: one line and exit 2, before anything starts
    application = create_app(db or default_db_url(), taxonomy=common.taxonomy_name(ctx, taxonomy), https_only=https, reviewers_per_passage=reviewers)
    # What is loaded by now (some 160,000 objects: modules, the app) lives as long as the server;
    # frozen, the full collections Python runs now and then stop walking it on a request's time
    # (70-110 ms each on this machine, the explorer's slowest requests; 2 ms after)
    gc.collect()
    gc.freeze()
    typer.echo(f"review app on http://{host}:{port}/ (database {common.safe_url(db)}); Ctrl+C stops it", err=True)
    uvicorn.run(application, host=host, port=port, log_level="warning", **server_options(forwarded_allow_ips=forwarded_allow_ips))


def _check_port(host: str, port: int) -> None:
    """A ``ConfigError`` when nothing can listen on ``host``:``port`` (in use, not an address here)."""
    import socket

    from pipeline.errors import ConfigError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a port in TIME_WAIT is free
            probe.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot listen on {host}:{port} ({reason}); stop what uses that port or pick another with --port") from None


@app.command("add-user")
def review_add_user(
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[str, typer.Option("--role", help="reviewer, admin or viewer (reads the evidence explorer only).")] = "reviewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")] = False,
    db: DbOption = None,
) -> None:
    """Create a staff user (or reset one's password and role); the password is asked for, hidden."""
    from pipeline.errors import InputError
    from pipeline.review.accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise InputError("no terminal to ask for the password on; pass --password-stdin and pipe it in")
    user = add_user(common.open_store(db), username, password, role)
    typer.echo(f"user '{user.username}' saved with role {user.role}", err=True)


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    labels = "labels"
    label_studio = "label-studio"
    argilla = "argilla"


@app.command("export")
def review_export(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl (reviews); labels (training labels from reviews); label-studio or argilla (the queue as tasks).")] = ExportFormat.jsonl,
    db: DbOption = None,
    taxonomy: TaxonomyOption = None,
    config: Annotated[Path | None, typer.Option("--label-config", help="With label-studio: also write the labelling interface XML here.")] = None,
) -> None:
    """Print reviews (every row, undos included) or the review queue as labelling-tool tasks."""
    from pipeline.review import interop
    from pipeline.review.queue import ReviewQueue
    from pipeline.taxonomy import load_taxonomy

    tax = load_taxonomy(common.taxonomy_name(ctx, taxonomy))
    queue = ReviewQueue(common.open_store(db), tax.name)
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


@app.command("import")
def review_import(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A JSON file of Label Studio tasks or Argilla records, with annotations.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Whose reviews these become.")],
    db: DbOption = None,
    taxonomy: TaxonomyOption = None,
) -> None:
    """Store annotations made in Label Studio or Argilla as reviews (they join training): all or nothing, and a re-run adds nothing."""
    from pipeline.errors import InputError
    from pipeline.review import interop
    from pipeline.review.queue import ReviewQueue
    from pipeline.taxonomy import load_taxonomy

    if not source.is_file():
        raise InputError(f"{source}: no such file; give an exported JSON file of tasks or records")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{source}: not valid JSON ({error})") from error
    tax = load_taxonomy(common.taxonomy_name(ctx, taxonomy))
    imported, problems = interop.import_annotations(ReviewQueue(common.open_store(db), tax.name), data, reviewer=reviewer, goal_ids=tax.goal_ids)
    for problem in problems:
        typer.echo(f"problem: {problem}", err=True)
    if problems:
        typer.echo(f"nothing imported: fix the {len(problems)} problem(s) above and run the import again", err=True)
    else:
        typer.echo(f"{imported} review(s) imported (annotations imported before are not added again)", err=True)
    raise typer.Exit(EXIT_ITEMS_FAILED if problems else EXIT_OK)
