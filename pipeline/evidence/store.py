"""The store stage: the evidence database (SQLite by default, PostgreSQL by URL), and the only
way to it. Callers use named methods and get plain values back; no SQL outside this package.

    store = Store.open("sqlite:///data/evidence.db")    # migrates to the latest schema
    with store.transaction() as tx:
        tx.save_document(document, passages)
    store.organisations(); store.standing_reviews("levelling-up")

The methods live in modules by concern: ``documents`` (documents, passages, what was found in
them, the fetch log), ``reviews`` (decisions; which stand is ``standing``), ``users``,
``reports`` (DataFrames for reports and exports), ``transaction`` (batch writes). A database
failure comes out of any of them as a ``StoreError`` with a one-line message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from pipeline.errors import StoreError
from pipeline.evidence import migrate
from pipeline.evidence.base import StoreBase, store_error
from pipeline.evidence.documents import TABLES, DocumentReads, IndexedDocument
from pipeline.evidence.reports import ReportReads
from pipeline.evidence.reviews import ReviewStore
from pipeline.evidence.standing import DECIDING, LABELLING_DECISIONS
from pipeline.evidence.transaction import FetchLog, Transaction, now
from pipeline.evidence.users import StoredUser, UserStore

__all__ = [
    "DECIDING",
    "LABELLING_DECISIONS",
    "TABLES",
    "FetchLog",
    "IndexedDocument",
    "Store",
    "StoredUser",
    "Transaction",
    "display_url",
    "now",
]


class Store(DocumentReads, ReviewStore, UserStore, ReportReads, StoreBase):
    """A migrated evidence database."""

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect and migrate to the latest schema; a bad URL or unwritable file is a ``StoreError``."""
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"'{url}' is not a database URL; use e.g. sqlite:///data/evidence.db or postgresql://…") from exc
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {parsed.database}: {exc.strerror}; check the --db path") from exc
        try:
            engine = create_engine(parsed)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use database URL '{url}': {exc}") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        try:
            migrate.upgrade(engine)
        except SQLAlchemyError as exc:
            raise store_error(f"cannot open database {parsed.render_as_string(hide_password=True)}", exc) from exc
        return cls(engine)

    def dispose(self) -> None:
        self.engine.dispose()


def display_url(url: str) -> str:
    """``url`` with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError as exc:
        raise StoreError(f"'{url}' is not a database URL; use e.g. sqlite:///data/evidence.db or postgresql://…") from exc


BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another writer before DatabaseLocked


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # cascades from documents to passages to entities
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the review app) never block a run
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
