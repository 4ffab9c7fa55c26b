"""The run stage: the flag budget caps the review queue; a monster document's work is bounded."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

from sqlalchemy import func, select

from pipeline.collect import Failure
from pipeline.config import Params
from pipeline.evidence import schema
from pipeline.evidence.store import Store
from pipeline.ids import text_hash
from pipeline.records import Document, Passage, Suggestion
from pipeline.workflow.batch import Batch, KnownGoals, process, save
from pipeline.workflow.run import RunReport, process_and_save, run
from tests.conftest import FIXTURES

run_module = importlib.import_module("pipeline.workflow.run")  # the package exports the function under the same name


def _document(doc_id: str, text: str = "Jobs and apprenticeships for local young people in the town centre this year.") -> Document:
    return Document(doc_id, f"file:///{doc_id}.txt", "txt", text, text_hash(text))


def _budget(budget: int) -> Params:
    params = Params()
    return params.model_copy(update={"tag": params.tag.model_copy(update={"flag_budget": budget})})


def test_the_flag_budget_is_the_budget_less_the_flags_still_waiting(store: Store, monkeypatch):
    waiting = _document("waiting")
    mine = [Passage(f"w{i}", "waiting", i, waiting.text, 0, len(waiting.text)) for i in range(2)]
    with store.transaction() as tx:
        tx.save_document(waiting, mine)
        tx.save_suggestions([Suggestion(p.id, "levelling-up", 8, 0.4, False, "m", flagged=True) for p in mine])
    budgets: list[int | None] = []

    def fake_process(documents, params, tagger, known, *, flag_budget=None, track=None):
        budgets.append(flag_budget)
        return Batch(list(documents), {}, {})

    monkeypatch.setattr(run_module, "process", fake_process)
    tagger = SimpleNamespace(taxonomy=SimpleNamespace(name="levelling-up"))
    process_and_save([_document("new")], _budget(5), store, tagger, KnownGoals(), RunReport("r1"))  # type: ignore[arg-type]
    process_and_save([_document("new")], _budget(1), store, tagger, KnownGoals(), RunReport("r2"))  # type: ignore[arg-type]
    process_and_save([waiting], _budget(5), store, tagger, KnownGoals(), RunReport("r3"))  # type: ignore[arg-type]
    assert budgets == [3, 0, 5]  # the waiting document's own flags are recomputed when it is re-tagged


def _flagged_passages(store: Store) -> int:
    s = schema.suggestions
    with store.engine.connect() as connection:
        return connection.execute(select(func.count(func.distinct(s.c.passage_id))).where(s.c.flagged.is_(True))).scalar_one()


def test_a_second_run_cannot_flag_past_the_budget(store: Store, tagger):
    """Regression (issue 17): the budget was per run, so a re-run (after a kill) flagged it again."""
    params = _budget(2)
    run([str(FIXTURES / "press-release.html")], params, store)
    assert _flagged_passages(store) == 2
    run([str(FIXTURES / "release.txt")], params, store)  # would flag up to 2 more under a per-run budget
    assert _flagged_passages(store) == 2


def _monster(megabytes: float = 5.0) -> Document:
    words = ["the", "council", "trained", "local", "apprentices", "in", "digital", "skills", "and", "opened", "new", "health", "hubs", "for", "residents"]
    paragraphs, size, i = [], 0, 0
    while size < megabytes * 1_000_000:
        i += 1
        paragraph = f"Paragraph {i}: " + " ".join(words[(i + k) % len(words)] for k in range(40)) + f", {i} people helped."
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    text = "\n\n".join(paragraphs)
    return Document("monster", "https://example.org/monster", "html", text, text_hash(text), title="Monster page")


def test_a_5mb_page_is_processed_within_the_passage_cap(store: Store, tagger):
    params = Params()
    params = params.model_copy(update={"segment": params.segment.model_copy(update={"max_passages": 100})})
    monster, small = _monster(), _document("small")
    batch = process([monster, small], params, tagger, KnownGoals())
    total = len(batch.passages["monster"]) + len(batch.unprocessed["monster"])
    assert total > 13_000 and len(batch.passages["monster"]) == 100
    assert "small" in batch.passages and "small" not in batch.unprocessed
    assert len(batch.extractions) == 101 and len(batch.suggestions) == 101  # only the capped passages did the work
    save(store, batch, run_id="r")
    with store.engine.connect() as connection:
        p = schema.passages
        rows = dict(connection.execute(select(p.c.unprocessed, func.count()).where(p.c.document_id == "monster").group_by(p.c.unprocessed)).all())
    assert rows == {False: 100, True: total - 100}  # every passage stored; the rest marked
    assert "monster" in store.tagged_with(tagger.taxonomy.name, tagger.model_id)  # so it is not reprocessed every night
    report = RunReport("r")
    run_module.count(report, batch)
    assert report.counts["passages_unprocessed"] == total - 100 and report.counts["documents_capped"] == 1


def _table_document(cells: int, columns: int = 10) -> Document:
    """Prose, one pipe table of ``cells`` cells (a header and rows of figures), then more prose."""
    header = "| Ward | " + " | ".join(f"Year {2000 + c}" for c in range(columns - 1)) + " |"
    rows = [f"| Ward {r} | " + " | ".join(f"{(r * c) % 997} people" for c in range(1, columns)) + " |" for r in range(cells // columns - 1)]
    before = "The council trained local apprentices in digital skills across the borough this year."
    after = "The council also opened new health hubs for residents in every ward of the borough."
    text = "\n\n".join([before, "\n".join([header, *rows]), after])
    return Document("tables", "https://example.org/tables", "html", text, text_hash(text), title="Ward tables")


def test_a_50000_cell_table_is_stored_unprocessed_and_the_prose_after_it_is_not(store: Store, tagger):
    """Regression (issue 27): a table is one passage whatever its size, so a 50,000-cell table
    passed the passage cap (96 s, ~1 GB, 20,626 figures)."""
    monster, small = _table_document(50_000), _table_document(200)
    batch = process([monster], Params(), tagger, KnownGoals())
    (table,) = batch.unprocessed["tables"]
    assert table.table is not None and sum(len(row) for row in table.table) == 50_000
    assert [p.text[:14] for p in batch.passages["tables"]] == ["The council tr", "The council al"]  # the prose either side
    assert len(batch.extractions) == 2
    small_batch = process([small], Params(), tagger, KnownGoals())
    assert "tables" not in small_batch.unprocessed and len(small_batch.passages["tables"]) == 3  # a small table is extracted
    save(store, batch, run_id="r")
    report = RunReport("r")
    run_module.count(report, batch)
    assert report.counts["passages_unprocessed"] == 1 and report.counts["documents_capped"] == 1


def test_an_ingest_with_no_new_page_and_one_failure_is_partial_not_failed():
    """Regression (issue 27): unchanged pages were not counted as done, so a night with nothing
    new and one bad page was recorded `failed` while the ingest exited 0."""
    report = RunReport("r")
    report.counts.update(pages_unchanged=12, pages_failed=1)
    report.failures.append(Failure("https://example.org/broken", "HTTP 500"))
    assert report.status == "partial"
    report.counts.update(pages_unchanged=-12, pages_duplicate=1)
    assert report.status == "partial"
    assert RunReport("r", failures=[Failure("x", "HTTP 500")]).status == "failed"
