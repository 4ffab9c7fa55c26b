"""The extract stage: organisations, people, places, figures and quotes in passages.

    extractions = extract.run(passages, params.extract)

Passages are parsed in batches with ``nlp.pipe``; then, document by document, organisation
names are resolved to one canonical name (acronyms, aliases, short forms, the gazetteer) and
quotes are attributed across paragraphs, and a figure the document repeats is kept once, at its
first mention (``figures.merge_duplicates``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from pipeline.config import ExtractParams
from pipeline.extract.entities import find_entities
from pipeline.extract.figures import find_figures, find_table_figures, merge_duplicates
from pipeline.extract.gazetteer import Gazetteer, load_gazetteer
from pipeline.extract.nlp import load_nlp, model_id, pipeline_name
from pipeline.extract.organisations import resolve_names
from pipeline.extract.quotes import find_quotes
from pipeline.progress import Track, no_progress
from pipeline.records import Entity, Extraction, Passage

if TYPE_CHECKING:  # spaCy loads only when a document needs parsing (a no-op nightly run never does)
    from spacy.language import Language
    from spacy.tokens import Doc

# Passages longer than this are parsed in pieces (split at whitespace) and joined back, so a
# 200-page PDF with no paragraph breaks neither exceeds spaCy's max_length nor its memory.
PIECE_CHARS = 20_000


def run(passages: Sequence[Passage], params: ExtractParams, *, track: Track = no_progress) -> list[Extraction]:
    """One ``Extraction`` per passage, in order."""
    nlp = load_nlp(pipeline_name(params), tuple(params.gazetteers), use_gazetteer=params.use_gazetteer)
    gazetteer = load_gazetteer(tuple(params.gazetteers)) if params.use_gazetteer else None
    labels = set(params.entity_labels)
    model = model_id(nlp)
    found = [
        (find_entities(doc, passage.id, labels), find_table_figures(passage) if passage.table else find_figures(doc, passage.id))
        for passage, doc in zip(track(passages, "extract", len(passages)), parse(nlp, passages, params.batch_size), strict=True)
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
