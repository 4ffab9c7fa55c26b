"""One very large document (100,000 passages: a 5 MB page of short paragraphs) stores on both
databases, in bounded memory: no statement carries one bind parameter per passage (SQLite allows
32,766, PostgreSQL 65,535), and the rows are built a chunk at a time."""

from __future__ import annotations

import tracemalloc

import pytest
from sqlalchemy import func, select

from pipeline.config import SegmentParams
from pipeline.evidence import schema
from pipeline.evidence.store import Store
from pipeline.ids import text_hash
from pipeline.records import Document, Extraction, Figure
from pipeline.segment import Segmenter

PASSAGES = 100_000
MEMORY_LIMIT_MB = 40  # one save allocates ~10 MB on top of the passages it is given (all rows at once: 125 MB)


def big_document(version: str) -> Document:
    """``PASSAGES`` paragraphs; the first half differs between versions, the second half does not."""
    paragraphs = [
        f"Paragraph {i} of the {version if i < PASSAGES // 2 else 'same'} report tells of apprentices in the town."
        for i in range(PASSAGES)
    ]
    text = "\n\n".join(paragraphs)
    return Document(id="big", url="https://example.org/big.html", kind="html", text=text, content_hash=text_hash(text))


def stored_passages(store: Store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(schema.passages)).scalar_one()


@pytest.mark.slow
def test_save_document_stores_a_100000_passage_document_in_bounded_memory(store: Store):
    segmenter = Segmenter(SegmentParams())
    first = big_document("first")
    passages = segmenter.segment(first)
    assert len(passages) == PASSAGES
    with store.transaction() as tx:
        tx.save_document(first, passages, unprocessed={p.id for p in passages[2000:]})
        tx.save_extractions([Extraction(p.id, "m", figures=[Figure(p.id, "2", 2, "count", 10, 11)]) for p in passages[:2000]])
    assert stored_passages(store) == PASSAGES

    second = Document(**(first.to_dict() | {"text": big_document("second").text}))
    changed = segmenter.segment(second)
    # memory is measured on SQLite only: the rows are built by the same code for both, and
    # tracing every allocation triples the time of the (slower) PostgreSQL save
    measure = store.engine.dialect.name == "sqlite"
    if measure:
        tracemalloc.start()
    try:
        with store.transaction() as tx:  # half the passages are gone, half new, half the same
            tx.save_document(second, changed)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored_passages(store) == PASSAGES
    with store.engine.connect() as connection:
        ids = set(connection.execute(select(schema.passages.c.id)).scalars())
        figures = connection.execute(select(func.count()).select_from(schema.figures)).scalar_one()
    assert ids == {p.id for p in changed}
    assert figures == 0  # the first 2,000 passages were replaced, with their figures
    every = [p.id for p in changed]  # reads by passage id: an IN list per chunk, not one of 100,000
    assert len(store.passages_with_documents(every)) == PASSAGES and store.figures(every) == [] and store.scores(every, "levelling-up") == {}
    assert peak < MEMORY_LIMIT_MB * 2**20, f"one save allocated {peak / 2**20:.0f} MB"
