"""The ``run`` stage: collect → segment → extract → tag → store, for new or changed documents.

Documents are processed in batches; each document is stored in its own transaction together with
its passages, entities, figures and suggestions, so an interrupted run keeps every finished
document and a re-run picks up the rest. Unchanged documents already tagged by the current model
are skipped.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline import classify, collect, extract
from pipeline.collect import Failure
from pipeline.config import Params
from pipeline.evidence.store import Store
from pipeline.extract import segment
from pipeline.progress import Track, no_progress
from pipeline.extract.organisations import subject_organisation
from pipeline.records import Document, Extraction, Passage

log = logging.getLogger(__name__)

DOCUMENT_BATCH = 32  # documents per parse/encode batch: bounds memory on large back-fills


@dataclass
class RunReport:
    run_id: str
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.failures:
            return "ok"
        return "failed" if self.counts["documents_stored"] == 0 and self.counts["documents_unchanged"] == 0 else "partial"


def run(
    inputs: list[str],
    params: Params,
    store: Store,
    *,
    force: bool = False,
    track: Track = no_progress,
) -> RunReport:
    """Process ``inputs`` (files, folders, URLs) into the store; bad items are counted, not fatal."""
    collect.expand_inputs(inputs)  # a mistyped path stops here, before anything is recorded
    tagger = classify.load_tagger(params.tag)
    with store.transaction() as tx:
        report = RunReport(tx.start_run("run " + " ".join(inputs)))
    try:
        collected = collect.run(inputs, params.collect, track=track)
        report.failures.extend(collected.failures)
        report.counts["inputs"] = len(collected.documents) + len(collected.failures)
        todo = _needing_work(collected.documents, store, tagger.taxonomy.name, tagger.model_id, force, report)
        batches = [todo[i : i + DOCUMENT_BATCH] for i in range(0, len(todo), DOCUMENT_BATCH)]
        for batch in track(batches, "process", len(batches)):
            process_batch(batch, params, store, tagger, report)
    except BaseException as exc:  # record the crash (or Ctrl-C) in the run log, then let it go on
        finish_run(store, report, status="failed", error=f"{exc.__class__.__name__}: {exc}")
        raise
    finish_run(store, report, status=report.status)
    return report


def finish_run(store: Store, report: RunReport, *, status: str, error: str | None = None) -> None:
    report.counts["failed"] = len(report.failures)
    failures = [{"item": f.item, "reason": f.reason} for f in report.failures]
    if error:
        failures.append({"item": "(run)", "reason": error})
    with store.transaction() as tx:
        tx.finish_run(report.run_id, status=status, counts=dict(report.counts), failures=failures)


def _known_goals(
    documents: Sequence[Document],
    by_document: dict[str, list[Passage]],
    extractions: dict[str, Extraction],
    store: Store,
    taxonomy: str,
) -> dict[str, set[int]]:
    """Per passage id, the goals its document's organisation already has evidence for."""
    by_organisation = store.goals_by_organisation(taxonomy)
    known: dict[str, set[int]] = {}
    for document in documents:
        mine = by_document[document.id]
        names = [e.canonical or e.text for p in mine for e in extractions[p.id].entities if e.label == "ORG"]
        organisation = subject_organisation(document.title or "", document.text, names)
        for passage in mine:
            known[passage.id] = by_organisation.get(organisation, set()) if organisation else set()
    return known


def _needing_work(
    documents: list[Document], store: Store, taxonomy: str, model: str, force: bool, report: RunReport
) -> list[Document]:
    stored = store.document_hashes()
    tagged = store.tagged_with(taxonomy, model)
    todo = []
    for document in documents:
        known = stored.get(document.id)
        if not force and known == document.content_hash and document.id in tagged:
            report.counts["documents_unchanged"] += 1
            continue
        report.counts["documents_new" if known is None else "documents_changed"] += 1
        todo.append(document)
    return todo


def process_batch(
    documents: Sequence[Document],
    params: Params,
    store: Store,
    tagger: classify.Tagger,
    report: RunReport,
) -> None:
    passages = segment.run(documents, params.segment)
    extractions = {x.passage_id: x for x in extract.run(passages, params.extract)}
    by_document = defaultdict(list)
    for passage in passages:
        by_document[passage.document_id].append(passage)
    known = _known_goals(documents, by_document, extractions, store, tagger.taxonomy.name)
    budget = max(params.tag.flag_budget - report.counts["passages_flagged"], 0)  # the budget is per run
    suggestions = defaultdict(list)
    for suggestion in classify.run(passages, params.tag.model_copy(update={"flag_budget": budget}), tagger=tagger, known_goals=known):
        suggestions[suggestion.passage_id].append(suggestion)
    for document in documents:
        mine = by_document[document.id]
        found = [extractions[p.id] for p in mine]
        tagged = [s for p in mine for s in suggestions[p.id]]
        with store.transaction() as tx:
            tx.save_document(document, mine, run_id=report.run_id)
            tx.save_extractions(found)
            tx.save_suggestions(tagged, run_id=report.run_id)
            tx.assign_organisation(document.id)
        report.counts["documents_stored"] += 1
        report.counts["passages"] += len(mine)
        report.counts["entities"] += sum(len(x.entities) for x in found)
        report.counts["figures"] += sum(len(x.figures) for x in found)
        report.counts["goal_suggestions"] += sum(s.predicted for s in tagged)
        report.counts["passages_flagged"] += len({s.passage_id for s in tagged if s.flagged})
