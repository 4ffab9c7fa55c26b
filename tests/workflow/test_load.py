"""The file-based (DVC) stages go through the same per-batch functions as ``levelup run``."""

from __future__ import annotations

from pathlib import Path

from pipeline.jsonl import write_records
from pipeline.records import Document, Entity, Extraction, Passage
from pipeline.workflow.load import load_stage_outputs, read_batch, tag_stage

TEXTS = {
    "d1": "Barts Health NHS Trust opened staff wellbeing hubs at every hospital, with mental health support for 20,000 staff.",
    "d2": "Barts Health NHS Trust runs a careers programme and work experience placements for pupils from year 10.",
}


def write_stage_files(folder: Path) -> None:
    documents = [Document(d, f"file:///{d}.txt", "txt", text, f"h-{d}", title=f"Barts Health NHS Trust news {d}") for d, text in TEXTS.items()]
    passages = [Passage(f"{d.id}-p0", d.id, 0, d.text, 0, len(d.text)) for d in documents]
    extractions = [Extraction(p.id, "test", entities=[Entity(p.id, "ORG", "Barts Health NHS Trust", 0, 22)]) for p in passages]
    write_records(folder / "documents.jsonl", (d.to_dict() for d in documents))
    write_records(folder / "passages.jsonl", (p.to_dict() for p in passages))
    write_records(folder / "extractions.jsonl", (x.to_dict() for x in extractions))


def test_read_batch_attributes_each_document_to_its_organisation(tmp_path: Path):
    write_stage_files(tmp_path)
    batch = read_batch(tmp_path / "passages.jsonl", documents=tmp_path / "documents.jsonl", extractions=tmp_path / "extractions.jsonl")
    assert batch.organisations == {"d1": "Barts Health NHS Trust", "d2": "Barts Health NHS Trust"}


def test_tag_stage_flags_goals_new_for_the_organisation_as_run_does(tmp_path: Path, params, tagger):
    write_stage_files(tmp_path)
    batch = read_batch(tmp_path / "passages.jsonl", documents=tmp_path / "documents.jsonl", extractions=tmp_path / "extractions.jsonl")
    suggestions = tag_stage(batch, params, tagger)
    first = [s for s in suggestions if s.predicted and s.passage_id == "d1-p0"]
    assert first, "the zero-shot tagger should find a goal in the first passage"
    assert all("new_for_organisation" in (s.reasons or []) for s in first)  # nothing known yet for the organisation


def test_load_stage_outputs_stores_the_organisation(tmp_path: Path, store):
    write_stage_files(tmp_path)
    assert load_stage_outputs(store, tmp_path) == {"documents": 2, "passages": 2}
    assert store.organisations() == ["Barts Health NHS Trust"]
