"""The extract stage: organisations, people, places, figures and quotes in passages.

    extractions = extract.run(passages, params.extract)

Passages are parsed in batches with ``nlp.pipe``; then, document by document, organisation
names are resolved to one canonical name (acronyms, aliases, short forms, the gazetteer) and
quotes are attributed across paragraphs, and a figure the document repeats is kept once, at its
first mention (``figures.merge_duplicates``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from pipeline.config import ExtractParams
from pipeline.extract.entities import find_entities
from pipeline.extract.figures import find_figures, find_table_figures, merge_duplicates
from pipeline.extract.gazetteer import Gazetteer, load_gazetteer
from pipeline.extract.language import guess_language, is_english
from pipeline.extract.nlp import load_nlp, model_id, pipeline_name
from pipeline.extract.organisations import resolve_names
from pipeline.extract.quotes import find_quotes
from pipeline.progress import Track, no_progress
from pipeline.records import Entity, Extraction, Passage

if TYPE_CHECKING:  # spaCy loads only when a document needs parsing (a no-op nightly run never does)
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

# Passages longer than this are parsed in pieces (split at whitespace) and joined back, so a
# 200-page PDF with no paragraph breaks neither exceeds spaCy's max_length nor its memory.
PIECE_CHARS = 20_000


def run(passages: Sequence[Passage], params: ExtractParams, *, track: Track = no_progress) -> list[Extraction]:
    """One ``Extraction`` per passage, in order."""
    nlp = load_nlp(pipeline_name(params), tuple(params.gazetteers), use_gazetteer=params.use_gazetteer)
    gazetteer = load_gazetteer(tuple(params.gazetteers)) if params.use_gazetteer else None
    labels = set(params.entity_labels)
    model = model_id(nlp)
    english = [passage.table is not None or is_english(passage.text) for passage in passages]
    _warn_not_english(passages, english)
    found = [
        (find_entities(doc, passage.id, labels), find_table_figures(passage) if passage.table else find_figures(doc, passage.id))
        if readable
        else ([], [])  # the English models read nonsense into other languages: nothing rather than that
        for passage, doc, readable in zip(track(passages, "extract", len(passages)), parse(nlp, passages, params.batch_size), english, strict=True)
    ]
    extractions: list[Extraction] = []
    indexed = list(zip(passages, found, strict=True))
    for _, group in groupby(indexed, key=lambda item: item[0].document_id):
        items = list(group)
        document_passages = [passage for passage, _ in items]
        entities = _canonical([entities for _, (entities, _) in items], document_passages, gazetteer)
        quotes = find_quotes(document_passages, entities)
        figures = merge_duplicates([figures for _, (_, figures) in items])
        extractions.extend(
            Extraction(passage.id, model, entities=mine, figures=theirs, quotes=said)
            for passage, mine, theirs, said in zip(document_passages, entities, figures, quotes, strict=True)
        )
    return extractions


def _warn_not_english(passages: Sequence[Passage], english: Sequence[bool]) -> None:
    """One warning per document with passages not in English (the extractors read English only)."""
    by_document: dict[str, list[Passage]] = {}
    for passage, readable in zip(passages, english, strict=True):
        if not readable:
            by_document.setdefault(passage.document_id, []).append(passage)
    for document_id, foreign in by_document.items():
        total = sum(p.document_id == document_id for p in passages)
        log.warning("document %s: %d of %d passages are %s, not English; no entities or figures are extracted from them "
                    "(the models read English only)", document_id, len(foreign), total, guess_language(" ".join(p.text for p in foreign[:5])) or "in another language")


def parse(nlp: Language, passages: Sequence[Passage], batch_size: int) -> Iterator[Doc]:
    """``nlp.pipe`` over passage texts; overlong texts are parsed in pieces and rejoined."""
    from spacy.tokens import Doc

    pieces: list[str] = []
    counts: list[int] = []
    for passage in passages:
        split = _pieces(passage.text)
        pieces.extend(split)
        counts.append(len(split))
    docs = nlp.pipe(pieces, batch_size=batch_size)
    for count in counts:
        parts = [next(docs) for _ in range(count)]
        yield parts[0] if count == 1 else Doc.from_docs(parts, ensure_whitespace=False)


def _pieces(text: str) -> list[str]:
    """The text cut after whitespace into pieces of at most about ``PIECE_CHARS``; joined, they
    give the text back exactly."""
    pieces = []
    while len(text) > PIECE_CHARS:
        cut = max(text.rfind(" ", 0, PIECE_CHARS), text.rfind("\n", 0, PIECE_CHARS))
        cut = PIECE_CHARS if cut <= 0 else cut + 1
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text]


def _canonical(entities: list[list[Entity]], passages: list[Passage], gazetteer: Gazetteer | None) -> list[list[Entity]]:
    """Give every ORG mention (and every role's organisation) its document-wide canonical name."""
    names = [e.text for group in entities for e in group if e.label == "ORG"]
    names += [e.role_org for group in entities for e in group if e.role_org]
    resolved = resolve_names(names, "\n\n".join(p.text for p in passages), gazetteer)
    return [
        [
            dataclasses.replace(
                e,
                canonical=resolved.get(e.text) if e.label == "ORG" else None,
                role_org=resolved.get(e.role_org, e.role_org) if e.role_org else None,
            )
            for e in group
        ]
        for group in entities
    ]
