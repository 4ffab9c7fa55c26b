from pipeline import extract
from pipeline.extract.entities import find_entities
from pipeline.extract.organisations import subject_organisation
from pipeline.records import Passage

LABELS = {"ORG", "PERSON", "GPE"}


def entities(nlp, text: str) -> list[tuple]:
    return [(e.label, e.text, e.title) for e in find_entities(nlp(text), "p", LABELS)]


def test_find_entities_splits_honorifics_from_names(nlp):
    found = entities(nlp, "Rt Hon Jacqui Smith, Chair of University Hospitals Birmingham NHS Foundation Trust, said it.")
    assert ("PERSON", "Jacqui Smith", "Rt Hon") in found


def test_find_entities_strips_roles_from_organisations(nlp):
    found = entities(nlp, "Rt Hon Jacqui Smith, Chair of University Hospitals Birmingham NHS Foundation Trust (UHB), said it.")
    assert ("ORG", "University Hospitals Birmingham NHS Foundation Trust", None) in found
    assert ("ORG", "UHB", None) in found


def test_find_entities_drops_possessives_and_bullets(nlp):
    found = entities(nlp, "Rt Hon Anne Milton’s Purpose Health Coalition has published a report on Barts Health NHS Trust.")
    assert ("PERSON", "Anne Milton", "Rt Hon") in found
    assert all(not text.endswith("’s") for _, text, _ in found)


def test_find_entities_offsets_index_the_passage(nlp):
    text = "Dame Caroline Dinenage MP visited Leeds Teaching Hospitals NHS Trust in Leeds."
    for entity in find_entities(nlp(text), "p", LABELS):
        assert text[entity.start : entity.end] == entity.text


def test_extract_run_returns_one_extraction_per_passage_in_order(params):
    passages = [
        Passage(id=f"p{i}", document_id="d", ordinal=i, text=text, start=0, end=len(text))
        for i, text in enumerate(["", "Barts Health NHS Trust employs 24,000 people in London.", "£" * 3, "Ceci n'est pas anglais: 12 000 salariés."])
    ]
    extractions = extract.run(passages, params.extract)
    assert [x.passage_id for x in extractions] == ["p0", "p1", "p2", "p3"]
    assert extractions[0].entities == [] and extractions[0].figures == []
    assert [f.value for f in extractions[1].figures] == [24000]
    assert extractions[1].model.startswith("spacy/")


def test_subject_organisation_prefers_the_title_and_resolves_acronyms():
    text = "University Hospitals Birmingham NHS Foundation Trust (UHB) has joined. UHB employs 20,000 staff."
    names = ["University Hospitals Birmingham NHS Foundation Trust", "UHB", "UHB", "Purpose Coalition", "Purpose Coalition", "Purpose Coalition", "BBC"]
    assert subject_organisation("UHB signs up to levelling up framework", text, names) == "University Hospitals Birmingham NHS Foundation Trust"


def test_subject_organisation_merges_short_forms_and_ignores_framework_bodies():
    names = ["Purpose Health Coalition"] * 4 + ["Barts Health NHS Trust", "Barts Health", "Barts Health", "Barts Charity"]
    assert subject_organisation("Report recognises social impact", "", names) == "Barts Health NHS Trust"
    assert subject_organisation("A title", "", ["Purpose Coalition"]) is None
