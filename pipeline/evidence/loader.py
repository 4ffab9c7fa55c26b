"""Loading the file outputs of the stages (JSON lines, as DVC tracks them) into the database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pipeline.errors import InputError
from pipeline.evidence.store import Store
from pipeline.jsonl import read_records
from pipeline.records import Document, Extraction, Passage, Suggestion

T = TypeVar("T")

STAGE_FILES = {
    "documents": "documents.jsonl",
    "passages": "passages.jsonl",
    "extractions": "extractions.jsonl",
    "suggestions": "suggestions.jsonl",
}


def load_stage_outputs(store: Store, folder: Path) -> dict[str, int]:
    """Upsert documents with their passages, then extractions and suggestions if present.

    Documents and passages are required; the later stages' files are optional, so a researcher
    can store what has been computed so far. Each document goes in its own transaction.
    """
    paths = {name: folder / file for name, file in STAGE_FILES.items()}
    for required in ("documents", "passages"):
        if not paths[required].is_file():
            raise InputError(f"{paths[required]}: missing; run 'levelup collect' and 'levelup segment' first")
    documents = [Document.from_dict(r) for r in read_records(paths["documents"])]
    passages = _grouped(paths["passages"], Passage.from_dict, lambda p: p.document_id)
    extractions = _grouped(paths["extractions"], Extraction.from_dict, lambda x: x.passage_id)
    suggestions = _grouped(paths["suggestions"], Suggestion.from_dict, lambda s: s.passage_id)
    for document in documents:
        mine = passages.get(document.id, [])
        with store.transaction() as tx:
            tx.save_document(document, mine)
            tx.save_extractions([x for p in mine for x in extractions.get(p.id, [])])
            tx.save_suggestions([s for p in mine for s in suggestions.get(p.id, [])])
            tx.assign_organisation(document.id)
    return {"documents": len(documents), "passages": sum(len(v) for v in passages.values())}


def _grouped(path: Path, parse: Callable[[dict[str, Any]], T], key: Callable[[T], str]) -> dict[str, list[T]]:
    groups: dict[str, list[T]] = defaultdict(list)
    if path.is_file():
        for record in read_records(path):
            item = parse(record)
            groups[key(item)].append(item)
    return groups
