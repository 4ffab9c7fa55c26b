"""The file-based stages (as DVC runs them): tag stage files, and load stage files into the store.

Both go through the same per-batch functions as ``levelup run`` (:mod:`pipeline.workflow.batch`),
so organisation attribution and "new goal for this organisation" flags are the same on every path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from pipeline import classify
from pipeline.config import Params
from pipeline.errors import InputError
from pipeline.evidence.store import Store
from pipeline.jsonl import read_records
from pipeline.progress import Track, no_progress
from pipeline.records import Document, Extraction, Passage, Suggestion
from pipeline.workflow.batch import Batch, KnownGoals, attribute, save, tag

T = TypeVar("T")

STAGE_FILES = {
    "documents": "documents.jsonl",
    "passages": "passages.jsonl",
    "extractions": "extractions.jsonl",
    "suggestions": "suggestions.jsonl",
}


def read_batch(passages: Path, *, documents: Path | None = None, extractions: Path | None = None, suggestions: Path | None = None) -> Batch:
    """The stage files as one :class:`Batch`; documents, extractions and suggestions are optional.

    Without a documents file, each passage's document is known only by id (no organisation).
    """
    by_document = _grouped(passages, Passage.from_dict, lambda p: p.document_id)
    if documents is not None and documents.is_file():
        docs = [Document.from_dict(r) for r in read_records(documents)]
    else:
        docs = [Document(id=doc_id, url="", kind="", text="", content_hash="") for doc_id in by_document]
    found = {x.passage_id: x for group in _grouped(extractions, Extraction.from_dict, lambda x: x.passage_id).values() for x in group}
    batch = Batch(docs, dict(by_document), found, dict(_grouped(suggestions, Suggestion.from_dict, lambda s: s.passage_id)))
    if documents is not None and documents.is_file() and found:
        batch.organisations = attribute(batch.documents, batch.passages, _complete(batch))
    return batch


def tag_stage(batch: Batch, params: Params, tagger: classify.Tagger, *, track: Track = no_progress) -> list[Suggestion]:
    """The ``tag`` stage over stage files: goals new to an organisation within the corpus are flagged."""
    tag(batch, params, tagger, KnownGoals(), track=track)
    return [s for p in batch.all_passages() for s in batch.suggestions.get(p.id, [])]


def load_stage_outputs(store: Store, folder: Path) -> dict[str, int]:
    """Upsert documents with their passages, then extractions and suggestions if present.

    Documents and passages are required; the later stages' files are optional, so a researcher
    can store what has been computed so far. Each document goes in its own transaction.
    """
    paths = {name: folder / file for name, file in STAGE_FILES.items()}
    for required in ("documents", "passages"):
        if not paths[required].is_file():
            raise InputError(f"{paths[required]}: missing; run 'levelup collect' and 'levelup segment' first")
    batch = read_batch(paths["passages"], documents=paths["documents"], extractions=paths["extractions"], suggestions=paths["suggestions"])
    save(store, batch)
    return {"documents": len(batch.documents), "passages": len(batch.all_passages())}


def _complete(batch: Batch) -> dict[str, Extraction]:
    """Extractions for every passage (an empty one where the extract stage has none)."""
    return {p.id: batch.extractions.get(p.id) or Extraction(p.id, "") for p in batch.all_passages()}


def _grouped(path: Path | None, parse: Callable[[dict[str, Any]], T], key: Callable[[T], str]) -> dict[str, list[T]]:
    groups: dict[str, list[T]] = defaultdict(list)
    if path is not None and path.is_file():
        for item in _parsed(read_records(path), parse):
            groups[key(item)].append(item)
    return groups


def _parsed(records: Iterable[dict[str, Any]], parse: Callable[[dict[str, Any]], T]) -> Iterable[T]:
    return (parse(record) for record in records)
