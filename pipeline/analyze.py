"""``levelup analyze``: the whole pipeline on local files, no database, one record per passage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline import classify, collect, extract
from pipeline.collect import Failure
from pipeline.config import Params
from pipeline.extract import segment
from pipeline.progress import Track, no_progress


@dataclass
class AnalyzeResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def analyze(files: list[str], params: Params, tagger: classify.Tagger, *, track: Track = no_progress) -> AnalyzeResult:
    """Records in the ``levelup analyze`` contract of design.md."""
    collected = collect.run(files, params.collect, track=track)
    urls = {d.id: d.url for d in collected.documents}
    passages = segment.run(collected.documents, params.segment)
    extractions = extract.run(passages, params.extract, track=track)
    results = classify.classify([p.text for p in passages], tagger, track=track)
    records = [
        {
            "doc": urls[passage.document_id],
            "passage": passage.ordinal,
            "text": passage.text,
            "goals": result.to_contract(None)["goals"],
            "entities": [_without_passage(e.to_dict()) for e in extraction.entities],
            "figures": [_without_passage(f.to_dict()) for f in extraction.figures],
            "quotes": [_without_passage(q.to_dict()) for q in extraction.quotes],
            "id": passage.id,
            "start": passage.start,
            "end": passage.end,
            "page": passage.page,
        }
        for passage, extraction, result in zip(passages, extractions, results, strict=True)
    ]
    return AnalyzeResult(records, collected.failures)


def _without_passage(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "passage_id"}
