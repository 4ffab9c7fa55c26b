"""Table passages keep their rows through the store, and every passage read says ``table``."""

from __future__ import annotations

from pipeline.evidence.store import Store
from pipeline.ids import text_hash
from pipeline.records import Document, Extraction, Figure, Passage, Suggestion

TABLE_TEXT = "| Measure | 2023 |\n\n| Apprenticeship starts | 120 |"
ROWS = [["Measure", "2023"], ["Apprenticeship starts", "120"]]


def save(store: Store) -> None:
    prose = "Northern Rail runs apprenticeships across the North."
    text = f"{prose}\n\n{TABLE_TEXT}"
    document = Document(id="d1", url="https://example.org/a", kind="html", text=text, content_hash=text_hash(text), title="A")
    passages = [
        Passage(id="p0", document_id="d1", ordinal=0, text=prose, start=0, end=len(prose)),
        Passage(id="p1", document_id="d1", ordinal=1, text=TABLE_TEXT, start=len(prose) + 2, end=len(text), table=ROWS),
    ]
    figure = Figure("p1", "120", 120, "count", 44, 47, counted="Apprenticeship starts (2023)", year=2023, upper=None)
    with store.transaction() as tx:
        tx.save_document(document, passages, organisation="Northern Rail")
        tx.save_extractions([Extraction("p1", "m", figures=[figure])])
        tx.save_suggestions([Suggestion("p1", "levelling-up", 2, 0.9, True, "m", flagged=True, priority=1.0)])


def test_store_keeps_the_rows_of_a_table_passage(store: Store):
    save(store)
    passage = store.passage("p1")
    assert passage is not None and passage["table"] == ROWS and "table_rows" not in passage
    assert store.passage("p0")["table"] is None  # type: ignore[index]


def test_store_every_passage_read_says_table(store: Store):
    save(store)
    assert [n["table"] for n in store.neighbours("p0", "d1", 0)] == [ROWS]
    assert store.passages_with_documents(["p0", "p1"])["p1"]["table"] == ROWS
    assert [row["table"] for row in store.flagged_suggestions("levelling-up")] == [ROWS]


def test_store_keeps_what_a_table_figure_counts(store: Store):
    save(store)
    [figure] = store.figures(["p1"])
    assert (figure["counted"], figure["year"], figure["upper"]) == ("Apprenticeship starts (2023)", 2023, None)
