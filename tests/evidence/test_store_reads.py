"""The store's named reads and writes for the review queue, accounts and reports, and database
failures as one-line ``StoreError``s."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from pipeline.errors import InputError, StoreError
from pipeline.evidence.store import Store, display_url
from tests.review.conftest import seed

TAXONOMY = "levelling-up"


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def test_store_organisations_lists_each_once_alphabetically(seeded: Store):
    assert seeded.organisations() == ["Example NHS Trust"]
    assert [d["id"] for d in seeded.documents_of("Example NHS Trust")] == ["doc1"]
    assert seeded.documents_of("Nobody") == []


def test_store_passage_comes_with_its_document_and_neighbours(seeded: Store):
    passage = seeded.passage("p2")
    assert passage is not None and passage["organisation"] == "Example NHS Trust" and passage["sitename"] == "example.org"
    assert [n["id"] for n in seeded.neighbours("p2", "doc1", passage["ordinal"])] == ["p0", "p1", "p3", "p4"]
    assert seeded.passage("missing") is None


def test_store_finds_what_was_extracted_and_suggested(seeded: Store):
    assert [e["canonical"] for e in seeded.entities(["p0"])] == ["Example <NHS> Trust"]
    assert seeded.entities(["p0"], label="PERSON") == []
    assert [f["value"] for f in seeded.figures(["p0", "p1"])] == [120]
    assert seeded.quotes(["p0"]) == []
    scores = [s["score"] for s in seeded.suggestions(["p0"], TAXONOMY)]
    assert len(scores) == 14 and scores == sorted(scores, reverse=True)
    assert seeded.scores(["p0"], TAXONOMY)[("p0", 3)] == 0.8


@pytest.mark.parametrize(
    ("filters", "passages"),
    [
        ({}, {"p0", "p1", "p2", "p3"}),
        ({"goal": 10}, {"p2"}),
        ({"organisation": "Nobody"}, set()),
        ({"source": "EXAMPLE.org"}, {"p0", "p1", "p2", "p3"}),
        ({"date_from": "2026-05-01", "date_to": "2026-05-01"}, {"p0", "p1", "p2", "p3"}),
        ({"date_from": "2026-05-02"}, set()),
    ],
)
def test_store_flagged_suggestions_filter(seeded: Store, filters: dict, passages: set[str]):
    assert {row["passage_id"] for row in seeded.flagged_suggestions(TAXONOMY, **filters)} == passages


def test_store_flagged_passages(seeded: Store):
    assert seeded.flagged_passages(TAXONOMY) == {"p0", "p1", "p2", "p3"}


def test_store_users_are_saved_and_updated_in_place(store: Store):
    store.save_user("rita", "hash-1", "reviewer")
    first = store.user("rita")
    store.save_user("rita", "hash-2", "admin")
    store.set_password_hash(first.id, "hash-3")
    assert store.user("rita") == type(first)(first.id, "rita", "admin", "hash-3")
    assert [u.username for u in store.users()] == ["rita"] and store.user("nobody") is None


def test_store_report_frames(seeded: Store):
    predicted = seeded.predicted_goals(TAXONOMY)
    assert list(predicted.columns) == ["organisation", "document_id", "passage_id", "goal"]
    assert set(predicted["goal"]) == {3, 5, 10, 13}
    assert seeded.document_organisations().to_dict("records") == [{"document_id": "doc1", "organisation": "Example NHS Trust"}]
    suggestions = seeded.table_frame("suggestions", ["passage_id", "reasons"])
    assert '["uncertain"]' in set(suggestions["reasons"])  # JSON columns as JSON text
    with pytest.raises(InputError, match="no table 'nope'"):
        seeded.table_frame("nope", ["id"])


def test_store_read_failure_is_a_one_line_store_error(tmp_path: Path):
    broken = Store(create_engine(f"sqlite:///{tmp_path / 'missing' / 'evidence.db'}"))
    for read in (broken.organisations, lambda: broken.user("rita"), lambda: broken.standing_reviews(TAXONOMY)):
        with pytest.raises(StoreError, match="could not be read: unable to open database file") as caught:
            read()
        assert "\n" not in str(caught.value) and "SELECT" not in str(caught.value)


def test_store_write_failure_is_a_one_line_store_error(tmp_path: Path):
    broken = Store(create_engine(f"sqlite:///{tmp_path / 'missing' / 'evidence.db'}"))
    with pytest.raises(StoreError, match="rolled back") as caught:
        broken.save_user("rita", "hash", "reviewer")
    assert "\n" not in str(caught.value) and "INSERT" not in str(caught.value)


def test_display_url_hides_the_password():
    assert display_url("postgresql://ann:secret@db/evidence") == "postgresql://ann:***@db/evidence"
    with pytest.raises(StoreError, match="not a database URL"):
        display_url("not a url")
