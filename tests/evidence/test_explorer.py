"""The evidence explorer's index and reads: the index holds exactly what the evidence export
holds, kept through every write, and searches and facets count the same rows."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.evidence.explorer import EvidenceQuery
from pipeline.evidence.store import Store
from pipeline.records import Document, Extraction, Figure, Passage
from pipeline.report.export import evidence_frame
from tests.review.conftest import seed

TAXONOMY = "levelling-up"


@pytest.fixture
def store(db_url: str):
    opened = Store.open(db_url)
    seed(opened)
    yield opened
    opened.dispose()


def review(store: Store, passage: str, reviewer: str, decision: str, goals: list[int]) -> int:
    return store.add_review(passage_id=passage, passage_text="t", taxonomy=TAXONOMY, decision=decision, goals_before=[], goals_after=goals, reviewer=reviewer)


def index_rows(store: Store) -> dict[tuple[str, int], str]:
    return {(row["passage_id"], row["goal"]): row["source"] for row in store.evidence_passages(TAXONOMY, [f"p{i}" for i in range(5)]) for row in row["goals"]}


def export_rows(store: Store) -> dict[tuple[str, int], str]:
    frame = evidence_frame(store, [TAXONOMY])
    return {(row.passage_id, int(row.goal)): row.source for row in frame.itertuples()}


def test_the_index_holds_what_the_export_holds_through_reviews_disputes_settles_and_undos(store: Store):
    assert index_rows(store) == export_rows(store) == {("p0", 3): "model", ("p1", 3): "model", ("p1", 5): "model", ("p2", 10): "model", ("p4", 13): "model"}
    review(store, "p0", "rita", "change", [3, 7])
    review(store, "p1", "rita", "accept", [3, 5])
    review(store, "p1", "ada", "change", [5])  # a dispute: the model's goals, marked
    wrong = review(store, "p2", "rita", "no_goal", [])
    assert index_rows(store) == export_rows(store)
    assert index_rows(store)[("p0", 7)] == "review" and index_rows(store)[("p1", 5)] == "disputed" and ("p2", 10) not in index_rows(store)
    store.add_review(passage_id="p2", passage_text="t", taxonomy=TAXONOMY, decision="undo", goals_before=[], goals_after=[], reviewer="rita", undoes=wrong)
    review(store, "p1", "ada", "settle", [5, 14])
    assert index_rows(store) == export_rows(store)
    assert index_rows(store)[("p1", 14)] == "review" and index_rows(store)[("p2", 10)] == "model"


def test_a_new_version_of_a_document_and_new_figures_move_the_index(store: Store):
    passage = Passage(id="p4", document_id="doc1", ordinal=4, text="Heat pumps were fitted to 1,150 council homes across the city.", start=0, end=10)
    with store.transaction() as tx:
        tx.save_document(Document(id="doc1", url="https://example.org/news/<b>1</b>", kind="pdf", text="x", content_hash="h2", date="2021-03-04"), [passage], organisation="Renamed Council")
        tx.save_extractions([Extraction(passage_id="p4", model="t", figures=[Figure(passage_id="p4", text="1,150", value=1150, unit="count", start=26, end=31, counted="homes")])])
    query = EvidenceQuery(TAXONOMY)
    assert store.evidence_count(query) == 1  # p0-p3 are gone with their suggestions
    facets = store.evidence_facets(query)
    assert facets["organisation"] == [("Renamed Council", 1)] and facets["year"] == [(2021, 1)] and facets["kind"] == [("pdf", 1)] and facets["figures"] == [(True, 1)]


def test_search_and_facets_count_the_same_rows(store: Store):
    everything = EvidenceQuery(TAXONOMY)
    assert store.evidence_count(everything) == 5
    assert dict(store.evidence_facets(everything)["goal"]) == {3: 2, 5: 1, 10: 1, 13: 1}
    words = EvidenceQuery(TAXONOMY, text="apprentice local")  # stemmed: "apprentices"
    assert store.evidence_count(words) == 1 and [p["passage_id"] for p in store.evidence_page(words, 10, 0)] == ["p0"]
    assert store.evidence_count(EvidenceQuery(TAXONOMY, text="apprentices nowhere")) == 0  # every word must be there
    assert store.evidence_count(EvidenceQuery(TAXONOMY, text='"); DROP TABLE passages; -- OR NEAR(*')) == 0  # no query syntax from the user
    narrowed = EvidenceQuery(TAXONOMY, goals=(3, 5), figures=False)
    assert store.evidence_count(narrowed) == sum(n for _, n in store.evidence_facets(narrowed)["goal"]) == 2
    assert Counter(goal for _, goal in store.evidence_keys(narrowed)) == {3: 1, 5: 1}


def test_search_finds_the_passages_stored_before_migration_0015(store: Store, db_url: str):
    """On PostgreSQL 0015 numbers the passages already stored (a search reads its matches as
    those numbers); on SQLite it changes nothing."""
    from alembic import command
    from sqlalchemy import create_engine

    from pipeline.evidence import migrate
    from pipeline.evidence.store import sqlalchemy_url

    store.dispose()
    engine = create_engine(sqlalchemy_url(db_url))
    try:
        with engine.begin() as connection:
            command.downgrade(migrate.alembic_config(connection), "0014")
    finally:
        engine.dispose()
    reopened = Store.open(db_url)  # up to 0015 again, over the stored passages
    try:
        assert [p["passage_id"] for p in reopened.evidence_page(EvidenceQuery(TAXONOMY, text="apprentices"), 10, 0)] == ["p0"]
        assert [p["passage_id"] for p in reopened.evidence_page(EvidenceQuery(TAXONOMY, text="council homes"), 10, 0)] == ["p4"]
    finally:
        reopened.dispose()


def test_pages_are_newest_first_and_carry_goals_entities_and_figures(store: Store):
    page = store.evidence_page(EvidenceQuery(TAXONOMY), 2, 0)
    rest = store.evidence_page(EvidenceQuery(TAXONOMY), 10, 2)
    assert len(page) == 2 and {p["passage_id"] for p in page + rest} == {"p0", "p1", "p2", "p4"}
    first = next(p for p in page + rest if p["passage_id"] == "p0")
    assert first["organisation"] == "Example NHS Trust" and first["figures"][0]["counted"] == "apprentices" and first["entities"][0]["label"] == "ORG"
    assert [g["goal"] for g in first["goals"]] == [3] and first["goals"][0]["score"] == pytest.approx(0.8)


def test_the_strongest_passages_of_each_goal_are_the_highest_scored_first(store: Store):
    assert store.evidence_strongest_by_goal(EvidenceQuery(TAXONOMY), 2) == {3: ["p0", "p1"], 5: ["p1"], 10: ["p2"], 13: ["p4"]}  # equal scores: by id
    review(store, "p2", "rita", "change", [3])  # the model scored goal 3 low for p2
    assert store.evidence_strongest_by_goal(EvidenceQuery(TAXONOMY), 5)[3] == ["p0", "p1", "p2"]
    assert store.evidence_strongest_by_goal(EvidenceQuery(TAXONOMY, goals=(3,)), 1) == {3: ["p0"]}


def test_an_explorer_sees_what_another_process_wrote(store: Store, db_url: str):
    query = EvidenceQuery(TAXONOMY, goals=(7,))
    assert store.evidence_count(query) == 0
    other = Store.open(db_url)  # another process: the review app, an ingest
    review(other, "p0", "rita", "change", [3, 7])
    other.dispose()
    assert store.evidence_count(query) == 1


def test_a_slow_snapshot_is_reloaded_in_the_background_while_the_old_one_serves(store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch):
    import time

    from pipeline.evidence import explorer

    query = EvidenceQuery(TAXONOMY, goals=(7,))
    assert store.evidence_count(query) == 0
    monkeypatch.setattr(explorer, "SYNC_LOAD_S", 0.0)  # every load counts as slow
    review(store, "p0", "rita", "change", [3, 7])
    counts = [store.evidence_count(query)]
    deadline = time.monotonic() + 10
    while counts[-1] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        counts.append(store.evidence_count(query))
    assert counts[0] == 0 and counts[-1] == 1  # the old snapshot answered at once, the new one came
