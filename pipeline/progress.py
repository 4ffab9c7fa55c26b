"""Progress display as an injectable seam.

Stage functions accept ``track``: a callable wrapping an iterable with a description and an
optional total. The library default shows nothing; the command line passes ``rich_track`` when
standard error is a terminal, so batch jobs and CI logs stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")


class Track(Protocol):
    def __call__(self, items: Iterable[T], description: str, total: int | None = None) -> Iterable[T]: ...


def no_progress(items: Iterable[T], description: str, total: int | None = None) -> Iterable[T]:
    return items


def rich_track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    from rich.progress import track

    yield from track(items, description=description, total=total, transient=True, console=_console())


def _console() -> Console:  # rich is imported only when progress is shown
    from rich.console import Console

    return Console(stderr=True)


def terminal_track() -> Track:
    """``rich_track`` on an interactive terminal, ``no_progress`` otherwise."""
    return rich_track if sys.stderr.isatty() else no_progress
