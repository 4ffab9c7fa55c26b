"""Migrations (pipeline/evidence/migrate.py and migrations/versions) on SQLite and PostgreSQL:
every step up, every step down, and up again to a schema equal to ``schema.py``."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from pipeline.evidence import migrate, schema
from pipeline.evidence.store import Store, sqlalchemy_url


def engine_for(url: str):
    return create_engine(sqlalchemy_url(url))


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_migrations_step_up_down_and_up_again(db_url: str):
    engine = engine_for(db_url)
    try:
        for revision in revisions():
            migrate.upgrade(engine, revision)
            assert migrate.current_revision(engine) == revision
        for revision in reversed(["base", *revisions()[:-1]]):
            with engine.begin() as connection:
                command.downgrade(migrate.alembic_config(connection), revision)
            assert migrate.current_revision(engine) == (None if revision == "base" else revision)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), schema.metadata) == []
    finally:
        engine.dispose()


def test_a_database_at_an_old_revision_keeps_its_rows_through_the_upgrade(db_url: str):
    engine = engine_for(db_url)
    try:
        migrate.upgrade(engine, "0004")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO documents (id, url, kind, text, content_hash, collected_at)"
                " VALUES ('d1', 'https://example.org/a', 'html', 'Text.', 'h', '2026-01-02 03:04:05+00')"
            )
    finally:
        engine.dispose()
    store = Store.open(db_url)  # migrates the rest of the way
    try:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert store.document_hashes() == {"d1": "h"}
    finally:
        store.dispose()


def test_a_migration_that_fails_half_way_leaves_no_half_schema(db_url: str, monkeypatch):
    """The upgrade is one transaction, DDL included (a process killed mid-migration, as in
    tests/workflow/test_kill.py, must not leave tables without the revision that made them)."""
    from alembic.operations import Operations

    engine = engine_for(db_url)
    try:
        create_table = Operations.create_table
        made: list[str] = []

        def create_then_fail(self, name, *columns, **kw):
            made.append(name)
            if len(made) == 3:
                raise RuntimeError("killed")
            return create_table(self, name, *columns, **kw)

        monkeypatch.setattr(Operations, "create_table", create_then_fail)
        with pytest.raises(RuntimeError, match="killed"):
            migrate.upgrade(engine)
        assert len(made) == 3
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert migrate.current_revision(engine) is None
        monkeypatch.undo()
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == revisions()[-1]
    finally:
        engine.dispose()
