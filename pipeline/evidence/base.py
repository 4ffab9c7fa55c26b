"""The connection handling every part of the ``Store`` shares: reads and transactions whose
database failures come out as ``StoreError`` with a one-line message (never the SQL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, SQLAlchemyError

from pipeline.errors import DatabaseLocked, InputError, StoreError
from pipeline.evidence import evidence_index
from pipeline.evidence.transaction import Transaction, chunks

_LOCKED = ("database is locked", "database table is locked", "lock timeout", "could not obtain lock")
_READ_ONLY = ("readonly database", "read-only", "read only")


def store_error(action: str, exc: SQLAlchemyError) -> StoreError | InputError:
    """``exc`` as a ``StoreError``: what failed and the database's own reason, one line, without
    the SQL (``-v`` shows it, from the chained exception); a lock is a ``DatabaseLocked``. A value
    the database refuses (a NUL character, an integer out of range: ``DataError``) is bad input,
    an ``InputError`` (HTTP 400), not an unavailable database."""
    orig = str(getattr(exc, "orig", None) or "").strip()
    reason = orig.splitlines()[0] if orig else exc.__class__.__name__
    if isinstance(exc, DataError):
        return InputError(f"a value given cannot be stored or looked up ({reason}); check for NUL characters or numbers too large, and try again")
    return _one_line(action, reason)


def _one_line(action: str, reason: str) -> StoreError:
    if any(marker in reason.lower() for marker in _LOCKED):
        return DatabaseLocked(f"{action}: the database is locked by another process writing to it "
                              "(a run, an ingest or the review app); try again when it has finished")
    if any(marker in reason.lower() for marker in _READ_ONLY):
        return StoreError(f"{action}: the database is read-only ({reason}); check the permissions of the file "
                          "and its folder, or give a writable database with --db")
    return StoreError(f"{action}: {reason}")


def database_error(exc: BaseException) -> StoreError | InputError | None:
    """A database error that escaped the store's own handling, as a one-line ``StoreError``
    (``None`` for anything else): the command line's last line of defence against SQL in messages."""
    if isinstance(exc, SQLAlchemyError):
        return store_error("database error", exc)
    if isinstance(exc, sqlite3.Error):
        return _one_line("database error", str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__)
    return None


class StoreBase:
    """An engine, and the two ways to use it: ``_connect`` to read, ``transaction`` to write."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All writes inside commit together, or not at all."""
        try:
            with self._writing() as connection:
                yield Transaction(connection)
        except SQLAlchemyError as exc:
            raise store_error("database write failed and was rolled back", exc) from exc

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction; before it commits, the explorer's index rows of the passages it
        touched are recomputed, and once it has committed the change is announced
        (``evidence_index.announce``), so explorers reload their snapshot."""
        with self.engine.begin() as connection:
            info = connection.info  # the driver connection's: still there once this one is closed
            info.pop(evidence_index.CHANGED, None)  # left by a transaction that rolled back
            info.pop(evidence_index.PENDING, None)
            yield connection
            evidence_index.flush(connection)  # the index rows of every passage this transaction touched, once
        if info.pop(evidence_index.CHANGED, False):
            with self.engine.begin() as connection:
                evidence_index.announce(connection)

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise store_error("the evidence database could not be read", exc) from exc

    def _read(self, statement: Any) -> list[Any]:
        with self._connect() as connection:
            return list(connection.execute(statement))

    def _dicts(self, statement: Any) -> list[dict[str, Any]]:
        return [dict(row._mapping) for row in self._read(statement)]

    def _dicts_for(self, statement: Callable[[list[str]], Any], ids: Sequence[str], order: Callable[[dict[str, Any]], Any] | None = None) -> list[dict[str, Any]]:
        """The rows of ``statement(chunk)`` for each chunk of ``ids`` (an ``IN`` list per chunk:
        a 100,000-passage document's ids would pass PostgreSQL's 65,535 bind parameters), sorted
        by ``order`` as the one statement's ``ORDER BY`` would have."""
        rows = [row for chunk in chunks(dict.fromkeys(ids)) for row in self._dicts(statement(chunk))]
        return sorted(rows, key=order) if order is not None else rows
