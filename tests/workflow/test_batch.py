"""The per-batch function every path shares: organisation attribution and known goals."""

from __future__ import annotations

from pipeline.records import Document, Entity, Extraction, Passage, Suggestion
from pipeline.workflow.batch import Batch, KnownGoals, attribute


def make_batch() -> Batch:
    documents = [
        Document("d1", "file:///a.txt", "txt", "Barts Health NHS Trust opens wellbeing hubs.", "h1", title="Barts Health NHS Trust opens hubs"),
        Document("d2", "file:///b.txt", "txt", "Barts Health NHS Trust hires apprentices.", "h2", title="Barts Health NHS Trust hires"),
    ]
    passages = {d.id: [Passage(f"{d.id}-p", d.id, 0, d.text, 0, len(d.text))] for d in documents}
    extractions = {
        p.id: Extraction(p.id, "test", entities=[Entity(p.id, "ORG", "Barts Health NHS Trust", 0, 22)])
        for group in passages.values()
        for p in group
    }
    return Batch(documents, passages, extractions)


def test_attribute_names_the_organisation_a_document_is_about():
    batch = make_batch()
    assert attribute(batch.documents, batch.passages, batch.extractions) == {"d1": "Barts Health NHS Trust", "d2": "Barts Health NHS Trust"}


def test_known_goals_start_from_the_store_and_learn_each_batch():
    batch = make_batch()
    batch.organisations = attribute(batch.documents, batch.passages, batch.extractions)
    known = KnownGoals({"Barts Health NHS Trust": {14}})
    assert known.for_passages(batch) == {"d1-p": {14}, "d2-p": {14}}
    batch.suggestions = {"d1-p": [Suggestion("d1-p", "levelling-up", 8, 0.9, True, "m"), Suggestion("d1-p", "levelling-up", 5, 0.1, False, "m")]}
    known.learn(batch)
    assert known.by_organisation == {"Barts Health NHS Trust": {8, 14}}


def test_known_goals_ignore_documents_without_an_organisation():
    batch = make_batch()
    batch.organisations = {"d1": None, "d2": None}
    known = KnownGoals()
    assert known.for_passages(batch) == {"d1-p": set(), "d2-p": set()}
    batch.suggestions = {"d1-p": [Suggestion("d1-p", "levelling-up", 8, 0.9, True, "m")]}
    known.learn(batch)
    assert known.by_organisation == {}
