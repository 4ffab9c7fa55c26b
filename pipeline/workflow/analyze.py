"""``levelup analyze``: the whole pipeline on local files, no database, one record per passage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pipeline import classify, collect
from pipeline.collect import Failure
from pipeline.config import Params
from pipeline.progress import Track, no_progress
from pipeline.records import Suggestion
from pipeline.workflow.batch import KnownGoals, process


@dataclass
class AnalyzeResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def analyze(files: list[str], params: Params, tagger: classify.Tagger, *, track: Track = no_progress) -> AnalyzeResult:
    """Records in the ``levelup analyze`` contract of design.md."""
    collected = collect.run(files, params.collect, track=track)
    urls = {d.id: d.url for d in collected.documents}
    batch = process(collected.documents, params, tagger, KnownGoals(), track=track)
    passages = batch.all_passages()
    extractions = [batch.extractions[p.id] for p in passages]
    by_passage: dict[str, list[Suggestion]] = defaultdict(list, batch.suggestions)
    records = [
        {
            "doc": urls[passage.document_id],
            "passage": passage.ordinal,
            "text": passage.text,
            "goals": [_goal(s) for s in sorted(by_passage[passage.id], key=lambda s: -s.score) if s.predicted],
            "review": [{"goal": s.goal, "score": s.score, "reasons": s.reasons} for s in by_passage[passage.id] if s.flagged],
            "entities": [_without_passage(e.to_dict()) for e in extraction.entities],
            "figures": [_without_passage(f.to_dict()) for f in extraction.figures],
            "quotes": [_without_passage(q.to_dict()) for q in extraction.quotes],
            "id": passage.id,
            "start": passage.start,
            "end": passage.end,
            "page": passage.page,
            "headings": passage.headings,
        }
        for passage, extraction in zip(passages, extractions, strict=True)
    ]
    return AnalyzeResult(records, collected.failures)


def _goal(suggestion: Suggestion) -> dict[str, Any]:
    """A predicted goal as in ``levelup classify``, with why: nearest examples and key phrases."""
    goal: dict[str, Any] = {"goal": suggestion.goal, "score": suggestion.score}
    if suggestion.explanation:
        goal["why"] = {key: value for key, value in suggestion.explanation.items() if key != "goal"}
    return goal


def _without_passage(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "passage_id"}
