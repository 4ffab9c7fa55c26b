"""Several writers on one database at once lose nothing: two reviewers deciding while an ingest
stores documents, each through a store of its own (as the review app and a nightly run would)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pipeline.evidence.store import Store
from pipeline.records import Document, Extraction, Figure, Passage, Suggestion
from tests.review.conftest import seed

DOCUMENTS = 20  # the ingest's documents, three passages each
DECISIONS = 25  # per reviewer


def ingest_documents(store: Store) -> None:
    """Per-document transactions, each document stored twice (a re-run: upserts, no duplicates)."""
    for round_ in range(2):
        for n in range(DOCUMENTS):
            doc = Document(f"doc-{n}", f"https://example.org/{n}", "html", f"Text {n}.", f"hash-{n}-{round_}", title=f"News {n}")
            passages = [Passage(f"doc-{n}-p{i}", doc.id, i, f"Passage {i} of {n}.", 0, 10) for i in range(3)]
            with store.transaction() as tx:
                tx.save_document(doc, passages, organisation=f"Trust {n % 3}")
                tx.save_extractions([Extraction(p.id, "m", figures=[Figure(p.id, "3", 3, "count", 0, 1)]) for p in passages])
                tx.save_suggestions(Suggestion(p.id, "levelling-up", goal, 0.4, goal == 3, "m", flagged=goal == 5) for p in passages for goal in (3, 5))


def decide(store: Store, reviewer: str) -> Callable[[], None]:
    def run() -> None:
        for n in range(DECISIONS):
            passage = f"p{n % 4}"
            store.standing_reviews("levelling-up")  # reviewers read the queue between decisions
            store.add_review(passage_id=passage, passage_text="text", taxonomy="levelling-up", decision="change",
                             goals_before=[3], goals_after=[3, n % 14 + 1], reviewer=reviewer)  # fmt: skip

    return run


def test_two_reviewers_and_an_ingest_at_once_lose_nothing(db_url: str):
    with_data = Store.open(db_url)
    seed(with_data)  # the review queue: passages p0-p4
    before = with_data.counts()
    stores = [Store.open(db_url) for _ in range(3)]
    work = [lambda: ingest_documents(stores[0]), decide(stores[1], "rita"), decide(stores[2], "sam")]
    start = threading.Barrier(len(work))

    def together(job: Callable[[], None]) -> None:
        start.wait(timeout=60)
        job()

    with ThreadPoolExecutor(len(work)) as pool:
        for future in [pool.submit(together, job) for job in work]:
            future.result(timeout=300)  # a writer's error fails the test here
    counts = with_data.counts()
    assert counts["documents"] == before["documents"] + DOCUMENTS
    assert counts["passages"] == before["passages"] + 3 * DOCUMENTS
    assert counts["figures"] == before["figures"] + 3 * DOCUMENTS
    assert counts["suggestions"] == before["suggestions"] + 3 * DOCUMENTS * 2
    reviews = with_data.reviews("levelling-up")
    assert len(reviews) == 2 * DECISIONS
    assert sorted(r["goals_after"][1] for r in reviews if r["reviewer"] == "rita") == sorted(n % 14 + 1 for n in range(DECISIONS))
    assert len({r["id"] for r in reviews}) == 2 * DECISIONS
    assert len(with_data.flagged_passages("levelling-up")) == 4 + 3 * DOCUMENTS
    for store in [with_data, *stores]:
        store.dispose()
