"""The one per-batch function every path shares: segment → extract → attribute → tag.

``levelup run``, the nightly ``levelup ingest`` and ``levelup analyze`` all turn a batch of
documents into a :class:`Batch` with :func:`process`; the first two then write it with
:func:`save` (``levelup store`` writes the stage files' records with :func:`save` too). Which
organisation a document is about is worked out here, once, and handed to the store as data.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pipeline import classify, extract, segment
from pipeline.config import Params
from pipeline.evidence.store import Store
from pipeline.extract.organisations import subject_organisation
from pipeline.progress import Track, no_progress
from pipeline.records import Document, Extraction, Passage, Provenance, Suggestion

DOCUMENT_BATCH = 32  # documents per parse/encode batch: bounds memory on large back-fills

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """Everything the pipeline found in a batch of documents, ready to store or print."""

    documents: list[Document]
    passages: dict[str, list[Passage]]  # by document id, in document order
    extractions: dict[str, Extraction]  # by passage id
    suggestions: dict[str, list[Suggestion]] = field(default_factory=dict)  # by passage id
    organisations: dict[str, str | None] = field(default_factory=dict)  # by document id
    # by document id: passages past segment.max_passages or max_table_cells, stored but neither extracted nor tagged
    unprocessed: dict[str, list[Passage]] = field(default_factory=dict)

    def all_passages(self) -> list[Passage]:
        return [p for d in self.documents for p in self.passages.get(d.id, [])]


class KnownGoals:
    """The goals each organisation already has evidence for, so a goal new to it is flagged.

    Starts from what the store holds (or from nothing, for file-only stages) and learns each
    batch's predictions once that batch is done, so every path flags the same goals as new.
    """

    def __init__(self, by_organisation: Mapping[str, set[int]] | None = None) -> None:
        self.by_organisation: dict[str, set[int]] = {k: set(v) for k, v in (by_organisation or {}).items()}

    def for_passages(self, batch: Batch) -> dict[str, set[int]]:
        known: dict[str, set[int]] = {}
        for document in batch.documents:
            organisation = batch.organisations.get(document.id)
            goals = set(self.by_organisation.get(organisation, set())) if organisation else set()
            for passage in batch.passages.get(document.id, []):
                known[passage.id] = goals
        return known

    def learn(self, batch: Batch) -> None:
        for document in batch.documents:
            organisation = batch.organisations.get(document.id)
            if not organisation:
                continue
            goals = self.by_organisation.setdefault(organisation, set())
            for passage in batch.passages.get(document.id, []):
                goals.update(s.goal for s in batch.suggestions.get(passage.id, []) if s.predicted)


def attribute(documents: Sequence[Document], passages: Mapping[str, Sequence[Passage]], extractions: Mapping[str, Extraction]) -> dict[str, str | None]:
    """Per document id, the organisation it is about, from its title, text and ORG entities."""
    organisations: dict[str, str | None] = {}
    for document in documents:
        names = [
            e.canonical or e.text
            for p in passages.get(document.id, [])
            for e in extractions[p.id].entities
            if e.label == "ORG"
        ]
        organisations[document.id] = subject_organisation(document.title or "", document.text, names)
    return organisations


def process(
    documents: Sequence[Document],
    params: Params,
    tagger: classify.Tagger,
    known: KnownGoals,
    *,
    flag_budget: int | None = None,
    track: Track = no_progress,
) -> Batch:
    """Segment, extract, attribute and tag a batch; ``flag_budget`` overrides ``tag.flag_budget``.

    Only a document's first ``segment.max_passages`` passages, with tables of at most
    ``segment.max_table_cells`` cells in all, are extracted and tagged; the rest go to
    ``Batch.unprocessed`` (stored, marked, counted), so the work per document is bounded.
    """
    by_document: dict[str, list[Passage]] = defaultdict(list)
    for passage in segment.run(documents, params.segment):
        by_document[passage.document_id].append(passage)
    unprocessed = cap_passages(by_document, params.segment.max_passages, params.segment.max_table_cells)
    kept = [p for d in documents for p in by_document.get(d.id, [])]
    found = extract.run(kept, params.extract, track=track)
    batch = Batch(list(documents), dict(by_document), {x.passage_id: x for x in found}, unprocessed=unprocessed)
    batch.organisations = attribute(batch.documents, batch.passages, batch.extractions)
    tag(batch, params, tagger, known, flag_budget=flag_budget, track=track)
    return batch


def cap_passages(by_document: dict[str, list[Passage]], cap: int, max_cells: int | None = None) -> dict[str, list[Passage]]:
    """Cut each document's passages, in place, to those within its budget: at most ``cap``
    passages, and table passages only while their cells add up to at most ``max_cells`` (a table
    past that is cut, the prose after it is not). The cut ones, by document id."""
    rest: dict[str, list[Passage]] = {}
    for document_id, passages in by_document.items():
        kept: list[Passage] = []
        cut: list[Passage] = []
        cells = 0
        for passage in passages:
            size = sum(len(row) for row in passage.table or [])
            within = len(kept) < cap and (max_cells is None or cells + size <= max_cells)
            (kept if within else cut).append(passage)
            cells += size if within else 0
        if cut:
            by_document[document_id], rest[document_id] = kept, cut
            log.warning("document %s has %d passages: %d are extracted and tagged, %d stored unprocessed "
                        "(segment.max_passages %d, segment.max_table_cells %s)", document_id, len(passages), len(kept), len(cut), cap, max_cells)
    return rest


def tag(
    batch: Batch,
    params: Params,
    tagger: classify.Tagger,
    known: KnownGoals,
    *,
    flag_budget: int | None = None,
    track: Track = no_progress,
) -> None:
    """Fill ``batch.suggestions`` and teach ``known`` the goals found."""
    tag_params = params.tag if flag_budget is None else params.tag.model_copy(update={"flag_budget": flag_budget})
    suggestions: dict[str, list[Suggestion]] = defaultdict(list)
    for suggestion in classify.run(batch.all_passages(), tag_params, tagger=tagger, known_goals=known.for_passages(batch), track=track):
        suggestions[suggestion.passage_id].append(suggestion)
    batch.suggestions = dict(suggestions)
    known.learn(batch)


def save(store: Store, batch: Batch, *, run_id: str | None = None, provenance: Mapping[str, Provenance] | None = None) -> None:
    """Store each document of ``batch`` in its own transaction (idempotent: ids come from content).

    ``provenance`` gives, by document id, where the ingest found it; a source's declared
    organisation wins over the one attributed from the text.
    """
    for document in batch.documents:
        mine = batch.passages.get(document.id, [])
        rest = batch.unprocessed.get(document.id, [])
        found = (provenance or {}).get(document.id, Provenance())
        organisation = found.organisation or batch.organisations.get(document.id)
        with store.transaction() as tx:
            tx.save_document(
                document, [*mine, *rest], run_id=run_id, organisation=organisation, provenance=found, unprocessed={p.id for p in rest}
            )
            tx.save_extractions([batch.extractions[p.id] for p in mine if p.id in batch.extractions])
            tx.save_suggestions([s for p in mine for s in batch.suggestions.get(p.id, [])], run_id=run_id)
