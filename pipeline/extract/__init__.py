"""The extract stage: organisations, people, places and figures in passages.

    extractions = extract.run(passages, params.extract)
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.config import ExtractParams
from pipeline.extract.entities import find_entities
from pipeline.extract.figures import find_figures
from pipeline.extract.nlp import load_nlp, model_id
from pipeline.progress import Track, no_progress
from pipeline.records import Extraction, Passage


def run(passages: Sequence[Passage], params: ExtractParams, *, track: Track = no_progress) -> list[Extraction]:
    """Parse passages in batches and return one ``Extraction`` per passage, in order."""
    nlp = load_nlp(params.spacy_model)
    labels = set(params.entity_labels)
    model = model_id(nlp)
    docs = nlp.pipe((p.text for p in passages), batch_size=params.batch_size)
    return [
        Extraction(
            passage_id=passage.id,
            model=model,
            entities=find_entities(doc, passage.id, labels),
            figures=find_figures(doc, passage.id),
        )
        for passage, doc in zip(track(passages, "extract", len(passages)), docs, strict=True)
    ]
