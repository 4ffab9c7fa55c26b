"""The ``run`` stage: collect → segment → extract → tag → store, for new or changed documents.

Documents are processed in batches (:func:`pipeline.workflow.batch.process`); each document is
stored in its own transaction together with its passages, entities, figures and suggestions, so
an interrupted run keeps every finished document and a re-run picks up the rest. Unchanged
documents already tagged by the current model are skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline import classify, collect
from pipeline.collect import Failure
from pipeline.config import Params
from pipeline.evidence.store import Store
from pipeline.progress import Track, no_progress
from pipeline.records import Document, Provenance
from pipeline.workflow.batch import DOCUMENT_BATCH, Batch, KnownGoals, process, save

if TYPE_CHECKING:
    from pipeline.workflow.distributed import Cluster


@dataclass
class RunReport:
    run_id: str
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    @property
    def status(self) -> str:
        """ok; partial: some items failed, others were done (stored, or found unchanged: by
        ``run``, or by ``ingest`` as an unchanged or duplicate page); failed: nothing was."""
        if not self.failures:
            return "ok"
        done = sum(self.counts[key] for key in ("documents_stored", "documents_unchanged", "pages_unchanged", "pages_duplicate"))
        return "failed" if done == 0 else "partial"


def run(
    inputs: list[str],
    params: Params,
    store: Store,
    *,
    force: bool = False,
    track: Track = no_progress,
    cluster: Cluster | None = None,
) -> RunReport:
    """Process ``inputs`` (files, folders, URLs) into the store; bad items are counted, not fatal.

    With a ``cluster`` (``--workers``, ``--scheduler``) the batches are processed on its workers.
    """
    from pipeline.workflow.nightly import collect_needing_work  # hashes first, extracts only what changed

    collect.expand_inputs(inputs)  # a mistyped path stops here, before anything is recorded
    tagger = classify.lazy_tagger(params.tag)  # models load only if a document needs work
    with store.transaction() as tx:
        report = RunReport(tx.start_run("run " + " ".join(inputs)))
    try:
        todo = collect_needing_work(inputs, params.collect, store, taxonomy=tagger.taxonomy.name, model=tagger.model_id, report=report, force=force, track=track)
        known = KnownGoals(store.goals_by_organisation(tagger.taxonomy.name))
        batches = [todo[i : i + DOCUMENT_BATCH] for i in range(0, len(todo), DOCUMENT_BATCH)]
        if cluster is not None:
            cluster.process_and_save(batches, params, store, tagger.model_id, known, report, track=track)
        else:
            for documents in track(batches, "process", len(batches)):
                process_and_save(documents, params, store, tagger, known, report)
    except BaseException as exc:  # record the crash (or Ctrl-C) in the run log, then let it go on
        finish_run(store, report, status="failed", error=f"{exc.__class__.__name__}: {exc}")
        raise
    finish_run(store, report, status=report.status)
    return report


def process_and_save(
    documents: Sequence[Document],
    params: Params,
    store: Store,
    tagger: classify.Tagger,
    known: KnownGoals,
    report: RunReport,
    *,
    provenance: dict[str, Provenance] | None = None,
) -> Batch:
    """One batch through the pipeline into the store, counted in ``report``."""
    batch = process(documents, params, tagger, known, flag_budget=flag_budget_left(params, store, documents))
    save(store, batch, run_id=report.run_id, provenance=provenance)
    count(report, batch)
    return batch


def flag_budget_left(params: Params, store: Store, documents: Sequence[Document]) -> int:
    """How many passages a batch of ``documents`` may flag. The budget caps the review queue, not
    a run: flags still waiting (from any run, a killed one too) count against it; those of the
    documents about to be re-tagged are recomputed, so they do not count."""
    waiting = store.waiting_flags(params.tag.taxonomy, except_documents=[d.id for d in documents])
    return max(params.tag.flag_budget - waiting, 0)


def count(report: RunReport, batch: Batch) -> None:
    suggestions = [s for group in batch.suggestions.values() for s in group]
    report.counts["documents_stored"] += len(batch.documents)
    report.counts["passages"] += sum(len(group) for group in batch.passages.values())
    report.counts["entities"] += sum(len(x.entities) for x in batch.extractions.values())
    report.counts["figures"] += sum(len(x.figures) for x in batch.extractions.values())
    report.counts["goal_suggestions"] += sum(s.predicted for s in suggestions)
    report.counts["passages_flagged"] += len({s.passage_id for s in suggestions if s.flagged})
    if batch.unprocessed:  # past segment.max_passages: stored, not extracted or tagged
        report.counts["documents_capped"] += len(batch.unprocessed)
        report.counts["passages_unprocessed"] += sum(len(group) for group in batch.unprocessed.values())


def finish_run(store: Store, report: RunReport, *, status: str, error: str | None = None) -> None:
    report.counts["failed"] = len(report.failures)
    failures = [{"item": f.item, "reason": f.reason} for f in report.failures]
    if error:
        failures.append({"item": "(run)", "reason": error})
    with store.transaction() as tx:
        tx.finish_run(report.run_id, status=status, counts=dict(report.counts), failures=failures)

