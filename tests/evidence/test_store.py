import sys
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select

from pipeline.errors import StoreError
from pipeline.evidence import migrate, schema
from pipeline.evidence.store import Store
from pipeline.ids import text_hash
from pipeline.records import Document, Entity, Extraction, Figure, Passage, Suggestion


def document(text: str = "Alpha passage here.\n\nBeta passage here.") -> Document:
    return Document(id="d1", url="a.html", kind="html", text=text, content_hash=text_hash(text), title="Barts Health report")


def passages(doc: Document) -> list[Passage]:
    out, start = [], 0
    for i, para in enumerate(doc.text.split("\n\n")):
        start = doc.text.index(para, start)
        out.append(Passage(id=f"{doc.id}-{para[:5]}", document_id=doc.id, ordinal=i, text=para, start=start, end=start + len(para)))
    return out


def save_all(store: Store, doc: Document) -> list[Passage]:
    mine = passages(doc)
    with store.transaction() as tx:
        tx.save_document(doc, mine, organisation="Barts Health NHS Trust")
        tx.save_extractions(
            [
                Extraction(
                    p.id,
                    "spacy/test",
                    entities=[Entity(p.id, "ORG", "Barts Health NHS Trust", 0, 5)],
                    figures=[Figure(p.id, "20", 20, "count", 0, 2)],
                )
                for p in mine
            ]
        )
        tx.save_suggestions([Suggestion(p.id, "levelling-up", g, 0.5, g == 8, "m") for p in mine for g in (8, 14)])
    return mine


def test_store_open_migrates_to_head(store: Store):
    assert migrate.current_revision(store.engine) == migrate.head_revision()


def test_store_migrations_match_the_schema(store: Store):
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"include_object": migrate.include_object}), schema.metadata) == []


def test_store_open_twice_is_harmless(db_url: str):
    Store.open(db_url).dispose()
    Store.open(db_url).dispose()


def test_store_saving_twice_changes_no_counts(store: Store):
    save_all(store, document())
    first = store.counts()
    save_all(store, document())
    assert store.counts() == first
    assert first["documents"] == 1 and first["passages"] == 2 and first["entities"] == 2
    assert first["figures"] == 2 and first["suggestions"] == 4


def test_store_changed_document_replaces_gone_passages_but_keeps_reviews(store: Store):
    save_all(store, document())
    with store.engine.begin() as connection:
        connection.execute(
            insert(schema.reviews).values(
                passage_id="d1-Alpha", passage_text="Alpha passage here.", taxonomy="levelling-up",
                decision="accept", goals_before=[8], goals_after=[8], reviewer="ann", created_at=datetime.now(UTC),
            )
        )
    save_all(store, document("Beta passage here.\n\nGamma passage here."))
    counts = store.counts()
    assert counts["passages"] == 2 and counts["entities"] == 2 and counts["suggestions"] == 4
    with store.engine.connect() as connection:
        ids = set(connection.execute(select(schema.passages.c.id)).scalars())
    assert ids == {"d1-Beta ", "d1-Gamma"}
    assert counts["reviews"] == 1


def test_store_keeps_the_organisation_it_is_given(store: Store):
    save_all(store, document())
    with store.engine.connect() as connection:
        assert connection.execute(select(schema.documents.c.organisation)).scalar_one() == "Barts Health NHS Trust"


def test_store_failed_transaction_leaves_database_as_it_was(store: Store):
    save_all(store, document())
    before = store.counts()
    bad = Passage(id="x", document_id="missing-document", ordinal=0, text="t", start=0, end=1)
    with pytest.raises(StoreError, match="rolled back"), store.transaction() as tx:
        tx.save_document(document("Alpha passage here."), passages(document("Alpha passage here.")))
        tx.connection.execute(insert(schema.passages).values(**bad.to_dict()))
    assert store.counts() == before


def test_store_tagged_with_lists_documents_fully_tagged_by_a_model(store: Store):
    save_all(store, document())
    assert store.tagged_with("levelling-up", "m") == {"d1"}
    assert store.tagged_with("levelling-up", "other") == set()


def test_store_bad_url_is_a_store_error():
    with pytest.raises(StoreError, match="not a database URL"):
        Store.open("not a url")


def test_store_unwritable_location_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store.open(f"sqlite:///{blocker}/sub/evidence.db")


def test_store_suggestions_with_equal_scores_come_in_goal_order(store: Store):
    """Regression: ties came back in insertion order on SQLite and in any order on PostgreSQL,
    so the review app recorded "the goals shown" as [5, 3] on one and [3, 5] on the other."""
    mine = save_all(store, document())
    assert [s["goal"] for s in store.suggestions([mine[0].id], "levelling-up")] == [8, 14]
    with store.transaction() as tx:
        tx.save_suggestions([Suggestion(mine[0].id, "levelling-up", g, 0.5, True, "m") for g in (14, 3, 8)])
    assert [s["goal"] for s in store.suggestions([mine[0].id], "levelling-up")] == [3, 8, 14]


def test_store_times_read_back_in_utc(store: Store):
    """The test PostgreSQL server runs at UTC+14 (tests/postgres.py): times still come back UTC."""
    before = datetime.now(UTC)
    save_all(store, document())
    collected = store.table_frame("documents", ["collected_at"])["collected_at"][0]
    assert collected.tzinfo is None  # naive UTC on every database
    assert abs(collected.to_pydatetime().replace(tzinfo=UTC) - before).total_seconds() < 60


@pytest.mark.postgresql
def test_store_open_plain_postgresql_url_uses_psycopg(postgres):
    url = postgres.new_database()
    assert url.startswith("postgresql://")
    store = Store.open(url)
    try:
        assert (store.engine.dialect.name, store.engine.dialect.driver) == ("postgresql", "psycopg")
        assert migrate.current_revision(store.engine) == migrate.head_revision()
    finally:
        store.dispose()


@pytest.mark.postgresql
def test_store_wrong_password_is_one_line_with_the_password_hidden(postgres):
    url = postgres.new_database()
    wrong = url.replace(postgres.password, "not-the-password-42")
    with pytest.raises(StoreError, match="password authentication failed") as caught:
        Store.open(wrong)
    message = str(caught.value)
    assert "\n" not in message and "not-the-password-42" not in message and "***" in message


def test_store_unreachable_server_is_one_line_with_the_password_hidden():
    pytest.importorskip("psycopg")
    from tests.postgres import free_port

    url = f"postgresql://ann:s3cret-pw@127.0.0.1:{free_port()}/evidence"  # nothing listens there
    with pytest.raises(StoreError, match=r"cannot open database postgresql://ann:\*\*\*@127.0.0.1") as caught:
        Store.open(url)
    message = str(caught.value)
    assert "\n" not in message and "s3cret-pw" not in message and "refused" in message


def test_store_missing_postgresql_driver_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    with pytest.raises(StoreError, match=r"pip install 'levelup-evidence\[postgresql\]'") as caught:
        Store.open("postgresql://ann:s3cret-pw@127.0.0.1:5432/evidence")
    assert "s3cret-pw" not in str(caught.value)
def test_waiting_flags_count_flagged_passages_no_decision_has_settled(store: Store):
    doc = document("Alpha passage here.\n\nBeta passage here.\n\nGamma passage here.")
    mine = passages(doc)
    with store.transaction() as tx:
        tx.save_document(doc, mine)
        tx.save_suggestions([Suggestion(p.id, "levelling-up", g, 0.5, True, "m", flagged=p.ordinal < 2) for p in mine for g in (3, 8)])
    assert store.waiting_flags("levelling-up") == 2  # passages, not suggestions
    assert store.waiting_flags("sdg") == 0
    assert store.waiting_flags("levelling-up", except_documents=["d1"]) == 0

    def review(decision: str, undoes: int | None = None) -> int:
        return store.add_review(passage_id=mine[0].id, passage_text=mine[0].text, taxonomy="levelling-up", decision=decision,
                                goals_before=[3, 8], goals_after=[8], reviewer="ann", undoes=undoes)

    review("skip")
    assert store.waiting_flags("levelling-up") == 2  # a skip settles nothing
    accepted = review("accept")
    assert store.waiting_flags("levelling-up") == 1
    review("undo", undoes=accepted)
    assert store.waiting_flags("levelling-up") == 2  # an undone decision settles nothing either


def test_unprocessed_passages_are_stored_marked_and_do_not_make_a_document_untagged(store: Store):
    doc = document()
    first, rest = passages(doc)
    with store.transaction() as tx:
        tx.save_document(doc, [first, rest], unprocessed={rest.id})
        tx.save_suggestions([Suggestion(first.id, "levelling-up", 8, 0.5, True, "m")])
    with store.engine.connect() as connection:
        marks = dict(connection.execute(select(schema.passages.c.id, schema.passages.c.unprocessed)).all())
    assert marks == {first.id: False, rest.id: True}
    assert store.tagged_with("levelling-up", "m") == {"d1"}
