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
            assert compare_metadata(MigrationContext.configure(connection, opts={"include_object": migrate.include_object}), schema.metadata) == []
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


def test_0012_marks_passages_reviewers_disagree_on_as_disputed_and_keeps_the_status_counts(db_url: str):
    """Reviews made before 0012: a disagreement stops standing, and /status's sums are filled in."""
    engine = engine_for(db_url)
    try:
        migrate.upgrade(engine, "0011")
        from datetime import UTC, datetime

        from sqlalchemy import MetaData, Table, insert

        with engine.begin() as connection:
            reviews = Table("reviews", MetaData(), autoload_with=connection)
            kept = Table("passage_standing", MetaData(), autoload_with=connection)
            made = [("p1", "rita", []), ("p1", "bob", [3, 5]), ("p2", "rita", [3]), ("p2", "bob", [3])]
            connection.execute(insert(reviews), [
                {"id": number, "passage_id": passage, "passage_text": "text", "taxonomy": "levelling-up", "decision": "change", "goals_before": [3],
                 "goals_after": goals, "reviewer": reviewer, "created_at": datetime(2026, 1, number, tzinfo=UTC), "stands": True}
                for number, (passage, reviewer, goals) in enumerate(made, start=1)
            ])  # fmt: skip
            connection.execute(insert(kept), [
                {"taxonomy": "levelling-up", "passage_id": "p1", "decided_id": 2, "label_id": 2, "reviewers": 2},
                {"taxonomy": "levelling-up", "passage_id": "p2", "decided_id": 4, "label_id": 4, "reviewers": 2},
            ])  # fmt: skip
    finally:
        engine.dispose()
    store = Store.open(db_url)  # migrates the rest of the way
    try:
        assert store.disputed("levelling-up", "p1") and not store.disputed("levelling-up", "p2")
        assert store.reviewed_labels("levelling-up") == [("text", [3])]  # p2 only: p1's last reviewer does not win
        sums = {(kind, key): (n, m) for kind, key, n, m, _ in store.status_counts("levelling-up", *_days())["sums"]}
        assert sums[("pair", "")] == (2, 1) and sums[("reviewer", "rita")] == (2, 1) and sums[("goal", "3")] == (2, 1)
    finally:
        store.dispose()


def _days():
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)


def test_0013_gives_stored_documents_their_organisation_kind(db_url: str):
    """Documents stored before 0013 get the kind their organisation's name (or address) says."""
    engine = engine_for(db_url)
    try:
        migrate.upgrade(engine, "0012")
        from datetime import UTC, datetime

        from sqlalchemy import MetaData, Table, insert

        with engine.begin() as connection:
            documents = Table("documents", MetaData(), autoload_with=connection)
            stored = [("d1", "https://www.sth.nhs.uk/news/1", "Sheffield Teaching Hospitals NHS Foundation Trust"),
                      ("d2", "https://www.shu.ac.uk/news/2", "Sheffield Hallam University"),
                      ("d3", "https://uk.sodexo.com/3", "Sodexo"), ("d4", "https://example.org/4", None)]  # fmt: skip
            connection.execute(insert(documents), [
                {"id": i, "url": url, "kind": "html", "text": "t", "content_hash": "h" + i, "organisation": organisation, "collected_at": datetime(2026, 1, 1, tzinfo=UTC)}
                for i, url, organisation in stored
            ])  # fmt: skip
    finally:
        engine.dispose()
    store = Store.open(db_url)
    try:
        assert store.organisation_kinds() == {"Sheffield Teaching Hospitals NHS Foundation Trust": "nhs", "Sheffield Hallam University": "university", "Sodexo": "company"}
    finally:
        store.dispose()
