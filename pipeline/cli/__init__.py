"""The ``levelup`` command line: one sub-command per stage, each a thin wrapper over a function.

The commands live in one module per audience: ``stages`` (the pipeline, run by researchers and
DVC), ``models`` (classify, evaluate, train, experiments), ``research`` (reports and exports),
``ops`` (the nightly ingest) and ``review`` (the staff web app). This module holds the app and
the global options.

Exit codes (the README's table): 0 ok; 1 finished, but some items failed; 2 usage, input,
configuration or database error (including a database at a newer migration, a labels file that
is not UTF-8, a read-only database); 3 internal error (a bug: rerun with -v and report the
traceback); 4 busy: another ingest holds the lock, or the database stayed locked by another
writer (try again later). A ``PipelineError`` exits with its own ``exit_code``
(pipeline/errors.py); a database error that escaped the store is still one line, without SQL.
Errors are turned into one-line messages here, in ``LevelupGroup.invoke``, and nowhere else;
``-v`` logs the traceback (with the SQL) as well.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from pipeline import __version__
from pipeline.cli import models, ops, research, review, stages
from pipeline.cli._common import EXIT_INTERNAL
from pipeline.errors import PipelineError

log = logging.getLogger("pipeline")


START_HERE = ("run", "report", "analyze")  # what a newcomer needs first, listed first in --help
PANELS = {"stages": "Stages, one at a time", "research": "Reports and exports", "models": "Models", "ops": "Operations"}


class LevelupGroup(TyperGroup):
    """Turns library errors into one-line messages and exit codes, in one place; lists the
    commands a newcomer needs first in ``--help``, the rest by audience."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first = {name: self.commands[name] for name in START_HERE if name in self.commands}
        self.commands = first | {name: command for name, command in self.commands.items() if name not in first}
        for name, command in self.commands.items():
            if name not in first and not getattr(command, "rich_help_panel", None):
                command.rich_help_panel = _PANEL_OF.get(name, PANELS["ops"])  # type: ignore[attr-defined]  # typer's own attribute
        tidy_help(self)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]  # typer passes its own Context; the base names its vendored click one
        try:
            return super().invoke(ctx)
        except PipelineError as exc:
            _fail(ctx, f"error: {exc}", exc.exit_code, exc)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer reports these itself
            raise
        except Exception as exc:  # noqa: BLE001 - the last resort: no stack trace for users
            from pipeline.evidence.base import database_error

            translated = database_error(exc)
            if translated is not None:
                _fail(ctx, f"error: {translated}", translated.exit_code, exc)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            _fail(ctx, f"internal error: {exc.__class__.__name__}: {first} (rerun with -v for the traceback)", EXIT_INTERNAL, exc)


def _fail(ctx: typer.Context, message: str, code: int, exc: BaseException) -> None:
    if (ctx.obj or {}).get("verbose"):
        log.error(message, exc_info=exc)
    typer.echo(message, err=True)
    raise typer.Exit(code)


def tidy_help(command: Any) -> None:  # a command of typer's own click
    """Help that reads well: paragraphs unwrapped (a docstring's line breaks cut sentences in two
    in the rich layout) and no "<bool>" type shown for a flag, which takes no value."""
    if command.help:
        command.help = re.sub(r"(?<!\n)\n(?!\n)", " ", command.help.strip())
    for param in command.params:
        if getattr(param, "is_flag", False) and param.metavar is None:  # typer's options are its own click's
            param.metavar = ""
    original = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = original(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option  # the --help flag, made anew per call
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)


app = typer.Typer(
    name="levelup",
    cls=LevelupGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Evidence for the Levelling Up Goals from UK organisations' press releases and reports.\n\n"
    "Start here: 'levelup run corpus/sample' runs the whole pipeline on the sample corpus into the database; "
    "'levelup report' shows the evidence it found, per organisation and goal; "
    "'levelup analyze FILE' runs one file through the pipeline without a database.",
)
_PANEL_OF: dict[str, str] = {}
for _name, _module in (("stages", stages), ("research", research), ("models", models), ("ops", ops)):
    app.registered_commands.extend(_module.app.registered_commands)
    _PANEL_OF |= {info.name or (info.callback.__name__ if info.callback else ""): PANELS[_name] for info in _module.app.registered_commands}
app.add_typer(review.app, name="review")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"levelup-evidence {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Debug logs and tracebacks.")] = False,
    params_file: Annotated[Path | None, typer.Option("--params", help="Stage parameters (YAML). Default: ./params.yaml if present.")] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Neither read nor write the embedding cache (data/cache/embeddings.sqlite), whatever tag.cache says "
            "(DVC stages: they read only what they declare).",
        ),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_print_version)
    ] = False,
) -> None:
    _configure_logging(verbose)
    ctx.obj = {"verbose": verbose, "params_file": params_file, "no_cache": no_cache}


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


def main() -> None:
    """Console-script entry point."""
    app()
