"""The store stage: the evidence database (SQLite by default, PostgreSQL by URL), and the only
way to it. Callers use named methods and get plain values back; no SQL outside this package.

    store = Store.open("sqlite:///data/evidence.db")    # migrates to the latest schema
    with store.transaction() as tx:
        tx.save_document(document, passages)
    store.organisations(); store.standing_reviews("levelling-up")

The methods live in modules by concern: ``documents`` (documents, passages, what was found in
them, the fetch log), ``reviews`` (decisions; which stand is ``standing``), ``users``,
``reports`` (DataFrames for reports and exports), ``transaction`` (batch writes), ``locks``
(the ingest lock, held in the database). A database failure comes out of any of them as a
``StoreError`` with a one-line message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from pipeline.errors import StoreError
from pipeline.evidence import migrate
from pipeline.evidence.base import StoreBase, store_error
from pipeline.evidence.documents import TABLES, DocumentReads, IndexedDocument
from pipeline.evidence.explorer import ExplorerReads
from pipeline.evidence.locks import LockStore
from pipeline.evidence.reports import ReportReads
from pipeline.evidence.reviews import ReviewStore
from pipeline.evidence.standing import DECIDING, LABELLING_DECISIONS, SETTLE
from pipeline.evidence.transaction import FetchLog, Transaction, now
from pipeline.evidence.users import StoredUser, UserStore

__all__ = [
    "DECIDING",
    "LABELLING_DECISIONS",
    "SETTLE",
    "TABLES",
    "FetchLog",
    "IndexedDocument",
    "Store",
    "StoredUser",
    "Transaction",
    "display_url",
    "now",
    "sqlalchemy_url",
]


class Store(DocumentReads, ReviewStore, UserStore, ReportReads, ExplorerReads, LockStore, StoreBase):
    """A migrated evidence database."""

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect and migrate to the latest schema; a bad URL, an unwritable file, a server that
        cannot be reached or refuses the login is a ``StoreError`` (with the password hidden)."""
        shown = display_url(url)
        parsed = sqlalchemy_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") and not _sqlite_uri(parsed):
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {parsed.database}: {exc.strerror}; check the --db path") from exc
        try:
            engine = _engine(parsed)
        except ImportError as exc:
            raise StoreError(f"cannot use database URL '{shown}': {exc}{_driver_hint(parsed)}") from exc
        except ArgumentError as exc:
            raise StoreError(f"cannot use database URL '{shown}': {exc}") from exc
        try:
            migrate.upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise store_error(f"cannot open database {shown}", exc) from exc
        return cls(engine)

    def dispose(self) -> None:
        self.engine.dispose()


POSTGRESQL_DRIVER = "psycopg"  # psycopg 3: the `postgresql` extra (pip install 'levelup-evidence[postgresql]')
CONNECT_TIMEOUT_S = 10  # an unreachable server fails the command in seconds, not minutes


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"'{url}' is not a database URL; use e.g. sqlite:///data/evidence.db or postgresql://…") from exc


def sqlalchemy_url(url: str) -> URL:
    """``url`` as SQLAlchemy should read it: ``postgresql://`` and ``postgres://`` use psycopg 3
    (SQLAlchemy 2.0 would pick psycopg2, which is not installed)."""
    parsed = _parse(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername=f"postgresql+{POSTGRESQL_DRIVER}")
    return parsed


def _sqlite_uri(url: URL) -> bool:
    """Whether an SQLite URL names its file as an SQLite URI (``sqlite:///file:/path?mode=ro&uri=true``):
    SQLite opens exactly what it says (read-only, say), and it is no folder path to create."""
    return str(url.query.get("uri", "")).lower() in ("true", "1") and str(url.database or "").startswith("file:")


def _engine(url: URL) -> Engine:
    if url.get_backend_name() == "postgresql":
        # Times are stored and read as UTC whatever the server's own time zone (exports say UTC);
        # pre-ping: the review app keeps connections for days, across server restarts.
        connect_args: dict[str, Any] = {"options": "-c timezone=UTC"} if "options" not in url.query else {}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _driver_hint(url: URL) -> str:
    if url.get_backend_name() == "postgresql":
        return "; install the PostgreSQL driver: pip install 'levelup-evidence[postgresql]' (bash scripts/setup.sh does)"
    return ""


def display_url(url: str) -> str:
    """``url`` with its password hidden, for messages and logs."""
    return _parse(url).render_as_string(hide_password=True)
BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another writer before DatabaseLocked


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # cascades from documents to passages to entities
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the review app) never block a run
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
