"""Schema migrations with Alembic, run programmatically (no alembic.ini to carry around)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from pipeline.errors import StoreError

SCRIPT_LOCATION = "pipeline.evidence:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; a database already there is left untouched, and one
    stamped with a migration this levelup does not know (a newer one) is a ``StoreError``.

    The whole upgrade is one transaction, DDL included: a process killed half way leaves the
    database at the revision it started from, and the next open migrates it again."""
    with engine.connect() as connection:
        if revision == "head" and MigrationContext.configure(connection).get_current_heads() == (head_revision(),):
            return  # nothing to do: no write lock taken
        connection.rollback()
        with atomic(connection):
            check_known(connection)
            command.upgrade(alembic_config(connection), revision)


@contextmanager
def atomic(connection: Connection) -> Iterator[None]:
    """A transaction that holds DDL too. Python's sqlite3 commits before each CREATE or ALTER on
    its own (a killed migration would leave half a schema), so on SQLite the transaction is
    begun by hand, IMMEDIATE (one migrating process at a time; the others wait, then find the
    work done), with the driver's own transaction handling off for its length."""
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    if raw is None:
        with connection.begin():
            yield
        return
    saved = raw.isolation_level
    raw.isolation_level = None
    try:
        with connection.begin():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield
    finally:
        raw.isolation_level = saved


def check_known(connection: Connection) -> None:
    """Refuse a database at a migration this code does not have, before alembic trips on it."""
    script = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = [rev for rev in MigrationContext.configure(connection).get_current_heads() if rev not in known]
    if unknown:
        raise StoreError(
            f"database is at migration {', '.join(unknown)}, newer than this levelup (latest {script.get_current_head()}): upgrade levelup"
        )


# full-text search (migration 0014) and PostgreSQL's passages.rowid (0015), outside schema.metadata
SEARCH_OBJECTS = ("passages_fts", "ix_passages_fts", "text_search", "rowid")


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What schema comparisons look at: everything but the full-text search objects, which
    SQLAlchemy cannot describe or must not write (an FTS5 virtual table and its shadow tables,
    PostgreSQL's generated ``passages.text_search`` column and its GIN index, and its
    ``passages.rowid`` identity column)."""
    return not (name or "").startswith(SEARCH_OBJECTS)
