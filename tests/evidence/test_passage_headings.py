"""The heading path of a passage is stored with it (passages.headings, migration 0006)."""

from sqlalchemy import select

from pipeline.evidence import schema
from pipeline.evidence.store import Store
from pipeline.ids import text_hash
from pipeline.records import Document, Passage


def test_store_keeps_each_passages_heading_path(store: Store):
    text = "Goal 3: Positive destinations post 16+\n\nThe company recruited 85 apprentices last year.\n\nA passage with no heading above it."
    document = Document(id="d1", url="a.html", kind="html", text=text, content_hash=text_hash(text), headings=[[2, 0, 38]])
    passages = [
        Passage(id="p1", document_id="d1", ordinal=0, text=text[40:87], start=40, end=87, headings=["Report", "Goal 3: Positive destinations post 16+"]),
        Passage(id="p2", document_id="d1", ordinal=1, text=text[89:], start=89, end=len(text)),
    ]
    with store.transaction() as tx:
        tx.save_document(document, passages)
    with store.engine.connect() as connection:
        rows = dict(connection.execute(select(schema.passages.c.id, schema.passages.c.headings)).all())
    assert rows == {"p1": ["Report", "Goal 3: Positive destinations post 16+"], "p2": []}
