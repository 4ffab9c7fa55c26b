"""The connection handling every part of the ``Store`` shares: reads and transactions whose
database failures come out as ``StoreError`` with a one-line message (never the SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from pipeline.errors import StoreError
from pipeline.evidence.transaction import Transaction


def store_error(action: str, exc: SQLAlchemyError) -> StoreError:
    """``exc`` as a ``StoreError``: what failed and the database's own reason, without the SQL."""
    orig = str(getattr(exc, "orig", None) or "").strip()
    return StoreError(f"{action}: {orig.splitlines()[0] if orig else exc.__class__.__name__}")


class StoreBase:
    """An engine, and the two ways to use it: ``_connect`` to read, ``transaction`` to write."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All writes inside commit together, or not at all."""
        try:
            with self.engine.begin() as connection:
                yield Transaction(connection)
        except SQLAlchemyError as exc:
            raise store_error("database write failed and was rolled back", exc) from exc

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
