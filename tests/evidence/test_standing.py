"""Which review decisions stand, defined once in SQL (pipeline/evidence/standing.py), and every
read built on it: the standing rows, training labels, each passage's decision in the evidence
tables, and each organisation's known goals."""

from __future__ import annotations

import pytest

from pipeline.evidence.store import Store
from tests.review.conftest import seed

TAXONOMY = "levelling-up"


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)  # passages p0-p4 of one document about "Example NHS Trust"
    return store


def review(store: Store, passage: str, decision: str, after: list[int] = (), *, reviewer: str = "rita", undoes: int | None = None) -> int:
    return store.add_review(
        passage_id=passage, passage_text=f"text of {passage}", taxonomy=TAXONOMY, decision=decision,
        goals_before=[3], goals_after=list(after), reviewer=reviewer, undoes=undoes,
    )


def test_standing_reviews_leave_out_undos_and_what_they_take_back(seeded: Store):
    accept = review(seeded, "p0", "accept", [3])
    change = review(seeded, "p0", "change", [5])
    review(seeded, "p0", "undo", [3], undoes=change)
    skip = review(seeded, "p1", "skip", [3])
    assert [r["id"] for r in seeded.standing_reviews(TAXONOMY)] == [accept, skip]
    assert seeded.standing_reviews("sdg") == []


def test_standing_reviews_leave_out_undos_and_what_they_took_back(seeded: Store):
    first = review(seeded, "p0", "accept", [3])
    review(seeded, "p0", "undo", [3], undoes=first)
    second = review(seeded, "p0", "no_goal", [])
    third = review(seeded, "p1", "reject", [], reviewer="ada")
    review(seeded, "p0", "undo", [], undoes=second)
    fourth = review(seeded, "p2", "change", [10, 14])
    assert [r["id"] for r in seeded.standing_reviews(TAXONOMY)] == [third, fourth]


def test_reviewed_labels_use_the_latest_standing_labelling_decision(seeded: Store):
    review(seeded, "p0", "accept", [3])
    change = review(seeded, "p0", "change", [14, 5])
    review(seeded, "p1", "no_goal", [])
    review(seeded, "p1", "skip", [3])  # decides nothing
    review(seeded, "p2", "reject", [])  # not a training label: the right goals are unknown
    assert seeded.reviewed_labels(TAXONOMY) == [("text of p0", [5, 14]), ("text of p1", [])]
    review(seeded, "p0", "undo", [3], undoes=change)
    assert seeded.reviewed_labels(TAXONOMY)[0] == ("text of p0", [3])


def test_an_undo_chain_back_to_nothing_leaves_no_label(seeded: Store):
    ids = [review(seeded, "p0", decision, goals) for decision, goals in (("accept", [3]), ("change", [4]), ("no_goal", []))]
    for taken_back in reversed(ids):
        review(seeded, "p0", "undo", [3], undoes=taken_back)
    assert seeded.reviewed_labels(TAXONOMY) == []
    assert seeded.reviewed_goals(TAXONOMY).empty


def test_reviewed_goals_take_the_latest_standing_decision_but_a_skip(seeded: Store):
    review(seeded, "p0", "accept", [3])
    review(seeded, "p0", "reject", [])  # counts here: none of the suggested goals apply
    review(seeded, "p1", "change", [14])
    review(seeded, "p1", "skip", [3, 5])
    decided = seeded.reviewed_goals(TAXONOMY).set_index("passage_id")
    assert decided.loc["p0", "goals_after"] == [] and decided.loc["p1", "goals_after"] == [14]
    assert set(decided["organisation"]) == {"Example NHS Trust"}


def test_goals_by_organisation_join_model_goals_and_standing_labelling_reviews(seeded: Store):
    predicted = {3, 5, 10, 13}  # the seed's predicted goals
    assert seeded.goals_by_organisation(TAXONOMY) == {"Example NHS Trust": predicted}
    change = review(seeded, "p2", "change", [12])
    review(seeded, "p3", "reject", [])
    assert seeded.goals_by_organisation(TAXONOMY) == {"Example NHS Trust": predicted | {12}}
    review(seeded, "p2", "undo", [10], undoes=change)
    assert seeded.goals_by_organisation(TAXONOMY) == {"Example NHS Trust": predicted}


def test_goals_by_organisation_take_an_administrators_settled_label_over_the_reviewers(seeded: Store):
    predicted = {3, 5, 10, 13}
    review(seeded, "p2", "change", [12], reviewer="rita")
    review(seeded, "p2", "change", [11], reviewer="ada")  # disputed: neither reviewer's label stands until settled
    assert seeded.goals_by_organisation(TAXONOMY) == {"Example NHS Trust": predicted}
    assert seeded.reviewed_labels(TAXONOMY) == []
    review(seeded, "p2", "settle", [7], reviewer="admin")
    assert seeded.goals_by_organisation(TAXONOMY) == {"Example NHS Trust": predicted | {7}}


def test_a_disagreement_is_no_standing_label_until_settled_and_agreeing_again_ends_it(seeded: Store):
    review(seeded, "p2", "no_goal", [], reviewer="rita")
    assert seeded.reviewed_labels(TAXONOMY) == [("text of p2", [])]
    review(seeded, "p2", "change", [3, 5, 8], reviewer="ada")  # the last reviewer does not win
    assert seeded.disputed(TAXONOMY, "p2") and seeded.reviewed_labels(TAXONOMY) == []
    assert seeded.reviewed_goals(TAXONOMY).empty  # reports: no reviewed goals for it
    assert [d["passage_id"] for d in seeded.disagreements(TAXONOMY)] == ["p2"]
    review(seeded, "p2", "no_goal", [], reviewer="ada")  # ada comes round: agreement, the label stands
    assert not seeded.disputed(TAXONOMY, "p2") and seeded.reviewed_labels(TAXONOMY) == [("text of p2", [])]


def kept_rows(store: Store) -> dict[str, tuple[int | None, int | None, float | None]]:
    """passage id -> (standing decision, standing label, queue priority) as kept in passage_standing."""
    from sqlalchemy import select

    from pipeline.evidence import schema

    with store.engine.connect() as connection:
        rows = connection.execute(select(schema.passage_standing).where(schema.passage_standing.c.taxonomy == TAXONOMY)).all()
    return {row.passage_id: (row.decided_id, row.label_id, row.priority) for row in rows}


def test_each_passage_standing_decision_is_kept_in_its_own_row_on_every_write(seeded: Store):
    queued = {"p0": (None, None, 0.9), "p1": (None, None, 0.7), "p2": (None, None, 0.5), "p3": (None, None, 0.3)}  # flagged, p4 not
    assert kept_rows(seeded) == queued
    accept = review(seeded, "p0", "accept", [3])
    reject = review(seeded, "p0", "reject", [])
    review(seeded, "p1", "skip", [3])  # decides nothing
    assert kept_rows(seeded) == queued | {"p0": (reject, accept, 0.9)}
    review(seeded, "p0", "undo", [], undoes=reject)
    assert kept_rows(seeded)["p0"] == (accept, accept, 0.9)
    review(seeded, "p0", "undo", [], undoes=accept)
    assert kept_rows(seeded) == queued
    review(seeded, "p4", "change", [13])  # a passage reviewed without a flag: a decision, no place in the queue
    assert kept_rows(seeded)["p4"][2] is None
    assert seeded.decided_passages(TAXONOMY) == {"p4"} and seeded.decided_by(TAXONOMY, "rita") == {"p1", "p4"}


def test_the_queue_follows_flags_raised_cleared_and_deleted_with_their_passages(seeded: Store):
    from pipeline.records import Document, Passage, Suggestion

    decided = review(seeded, "p2", "accept", [10])

    def flag(passage: str, priority: float | None, *, goal: int = 8) -> None:
        with seeded.transaction() as tx:
            tx.save_suggestions([Suggestion(passage_id=passage, taxonomy=TAXONOMY, goal=goal, score=0.5, predicted=False, model="m2",
                                            flagged=priority is not None, priority=priority, reasons=["uncertain"] if priority is not None else None)])

    flag("p4", 0.95)  # a re-tag flags p4: it joins the queue first
    assert [row["passage_id"] for row in seeded.queue_page(TAXONOMY, "rita")[0]] == ["p4", "p0", "p1", "p3"]
    flag("p3", None)  # and clears p3's only flag: it leaves the queue and its row goes
    assert "p3" not in kept_rows(seeded)
    flag("p2", None, goal=10)  # p2's flag cleared: its decision stays, its place in the queue goes
    assert kept_rows(seeded)["p2"] == (decided, decided, None)
    keep = [Passage(id="p0", document_id="doc1", ordinal=0, text="kept", start=0, end=4)]
    with seeded.transaction() as tx:  # a new version of the document without p1 and p4
        tx.save_document(Document(id="doc1", url="https://example.org/news/<b>1</b>", kind="html", text="kept", content_hash="h2"), keep)
    assert set(kept_rows(seeded)) == {"p0", "p2"}
    rows, total = seeded.queue_page(TAXONOMY, "rita")
    assert [row["passage_id"] for row in rows] == ["p0"] and total == 1


def test_the_migration_marks_what_stands_in_an_existing_history(tmp_path):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import MetaData, Table, create_engine, insert, select

    from pipeline.evidence import migrate, schema

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine, "0006")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    history = [("p0", "accept", None), ("p0", "change", None), ("p0", "undo", 2), ("p1", "no_goal", None), ("p1", "reject", None), ("p2", "skip", None)]
    old_reviews = Table("reviews", MetaData(), autoload_with=engine)  # as it was before 0007
    with engine.begin() as connection:
        for number, (passage, decision, undoes) in enumerate(history):
            connection.execute(
                insert(old_reviews).values(
                    id=number + 1, passage_id=passage, passage_text="t", taxonomy=TAXONOMY, decision=decision, goals_before=[], goals_after=[],
                    reviewer="rita", created_at=start + timedelta(minutes=number), undoes=undoes,
                )
            )
    engine.dispose()
    store = Store.open(f"sqlite:///{tmp_path / 'old.db'}")
    assert [r["id"] for r in store.standing_reviews(TAXONOMY)] == [1, 4, 5, 6]
    with store.engine.connect() as connection:
        kept = {row.passage_id: (row.decided_id, row.label_id) for row in connection.execute(select(schema.passage_standing))}
    assert kept == {"p0": (1, 1), "p1": (5, 4)}


def test_the_migration_gives_every_flagged_passage_its_place_in_the_queue(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, select

    from pipeline.evidence import migrate, schema
    from tests.review.conftest import seed

    old = Store.open(f"sqlite:///{tmp_path / 'old.db'}")
    seed(old)
    review(old, "p0", "accept", [3])
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0010")  # as it was before the queue was kept
    engine.dispose()
    store = Store.open(f"sqlite:///{tmp_path / 'old.db'}")
    with store.engine.connect() as connection:
        kept = {row.passage_id: (row.decided_id is not None, row.priority) for row in connection.execute(select(schema.passage_standing))}
    assert kept == {"p0": (True, 0.9), "p1": (False, 0.7), "p2": (False, 0.5), "p3": (False, 0.3)}
    assert [row["passage_id"] for row in store.queue_page(TAXONOMY, None)[0]] == ["p1", "p2", "p3"]


def test_a_queue_row_left_behind_by_a_race_with_a_deletion_is_not_shown(seeded: Store):
    from sqlalchemy import insert

    from pipeline.evidence import schema

    with seeded.engine.begin() as connection:  # as if a reviewer's refresh committed after a re-ingest deleted the passage
        connection.execute(insert(schema.passage_standing).values(taxonomy=TAXONOMY, passage_id="gone", reviewers=0, priority=0.99))
    rows, _ = seeded.queue_page(TAXONOMY, "rita")
    assert [row["passage_id"] for row in rows] == ["p0", "p1", "p2", "p3"]


def test_a_batch_of_reviews_keeps_what_one_by_one_writes_keep_in_a_few_statements(tmp_path):
    """The bench (and an import) writes thousands of reviews at once: the kept standing, queue and
    /status counts are the rows that writing them one at a time, as the app does, leaves."""
    import random
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import event, select

    from pipeline.evidence import schema

    rng, start = random.Random(5), datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {"passage_id": rng.choice(["p0", "p1", "p2", "p3", "p4", "gone"]), "passage_text": "t", "taxonomy": TAXONOMY,
         "decision": (decision := rng.choice(["accept", "change", "no_goal", "reject", "skip"])), "goals_before": [3],
         "goals_after": [] if decision in ("no_goal", "reject") else sorted(rng.sample(range(1, 15), 2)), "reviewer": rng.choice(["rita", "ada", "bob"]),
         "created_at": start + timedelta(minutes=n), "token": f"t{n % 90}", "stands": True}
        for n in range(120)
    ]  # tokens repeat: a form sent twice is one review
    undos = [{**rows[n], "decision": "undo", "undoes": n + 1, "token": None, "stands": False, "created_at": start + timedelta(hours=5, minutes=n)} for n in (3, 10, 40)]
    stores = [Store.open(f"sqlite:///{tmp_path / name}.db") for name in ("one", "batch")]
    for store in stores:
        seed(store)
    one, batch = stores
    made = [one.add_reviews([row])[0] for row in rows] + [one.add_reviews([row])[0] for row in undos]
    statements = []
    event.listen(batch.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert batch.add_reviews(rows) + batch.add_reviews(undos) == made and len(set(made)) == 93
    kept = [s for s in statements if not s.startswith("INSERT INTO reviews")]  # SQLite numbers new rows one statement each
    assert len(kept) < 30  # what stands is kept in a few statements, not a few per review
    for table in (schema.reviews, schema.passage_standing, schema.review_counts):
        key = list(table.primary_key.columns)
        assert [tuple(r) for r in one._read(select(table).order_by(*key))] == [tuple(r) for r in batch._read(select(table).order_by(*key))], table.name


def test_a_passages_reviews_are_read_through_the_passage_index_on_sqlite(tmp_path):
    """With the taxonomy in the condition SQLite walked a taxonomy-led index over every review:
    a decision took 1.6 s at 100,000 reviews (bench_review)."""
    from sqlalchemy import event

    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    seed(store)
    seen: list[tuple[str, tuple]] = []
    event.listen(store.engine, "before_cursor_execute", lambda _c, _k, statement, parameters, *_: seen.append((statement, parameters)))
    review(store, "p0", "accept", [3])
    store.passage_reviews(TAXONOMY, "p0")
    reads = [(s, p) for s, p in seen if s.lstrip().startswith("SELECT") and "FROM reviews" in s and "reviews.passage_id" in s]
    assert len(reads) == 2  # the refresh after the write, and the page's read
    with store.engine.connect() as connection:
        for statement, parameters in reads:
            plan = " ".join(str(row) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all())
            assert "ix_reviews_passage_id" in plan, plan
