import pytest

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


def test_find_entities_links_roles_to_people_and_organisations(nlp):
    text = "Lyn Simpson, Chief Executive of North Cumbria Integrated Care NHS Foundation Trust, said the work mattered."
    [person] = [e for e in find_entities(nlp(text), "p", LABELS) if e.label == "PERSON"]
    assert (person.text, person.role, person.role_org) == ("Lyn Simpson", "Chief Executive", "North Cumbria Integrated Care NHS Foundation Trust")


def test_find_entities_role_before_the_name(nlp):
    found = find_entities(nlp("Launched by former Education Secretary Rt Hon Justine Greening, the goals are new."), "p", LABELS)
    assert [(e.label, e.text, e.title, e.role) for e in found] == [("PERSON", "Justine Greening", "Rt Hon", "former Education Secretary")]


def test_find_entities_titled_names_are_people_even_when_the_model_misses_them(nlp):
    found = entities(nlp, "Former Health and Social Care Minister, Rt Hon Dame Caroline Dinenage MP said:")
    assert ("PERSON", "Caroline Dinenage", "Rt Hon Dame") in found


def test_find_entities_gazetteer_and_name_shapes(nlp):
    found = entities(nlp, "Today Chelsea and Westminster Hospital NHS Foundation Trust, BP and the University of Chester joined Sheffield City Council.")
    assert [text for label, text, _ in found if label == "ORG"] == [
        "Chelsea and Westminster Hospital NHS Foundation Trust", "BP", "University of Chester", "Sheffield City Council",
    ]


def test_find_entities_drops_known_false_positives(nlp):
    found = entities(nlp, "The Levelling Up Impact Report and the Trust's Healthcare Horizons programme were praised by Black and Asian staff.")
    assert not [text for label, text, _ in found if label in ("ORG", "GPE")]


def test_extract_run_resolves_acronyms_and_short_forms_per_document(params):
    texts = [
        "University Hospitals Birmingham NHS Foundation Trust (UHB) has joined the coalition this year.",
        "UHB employs over 20,000 staff. Barts Health NHS Trust runs five hospitals in east London.",
        "Barts Health also trains 300 apprentices a year.",
    ]
    passages = [Passage(id=f"p{i}", document_id="d", ordinal=i, text=t, start=0, end=len(t)) for i, t in enumerate(texts)]
    orgs = [(e.text, e.canonical) for x in extract.run(passages, params.extract) for e in x.entities if e.label == "ORG"]
    assert ("UHB", "University Hospitals Birmingham NHS Foundation Trust") in orgs
    assert ("Barts Health", "Barts Health NHS Trust") in orgs


@pytest.mark.parametrize(
    "repeats",
    [1_500, pytest.param(12_000, marks=pytest.mark.slow)],  # ~70,000 characters (4 pieces); ~550,000: a 200-page PDF
)
def test_extract_run_survives_a_very_long_passage(params, repeats):
    # no paragraph breaks; each figure a different claim (a repeated one is kept once)
    text = "".join(f"The trust employs {20_000 + n:,} staff in Birmingham. " for n in range(repeats))
    [extraction] = extract.run([Passage(id="p", document_id="d", ordinal=0, text=text, start=0, end=len(text))], params.extract)
    assert len(extraction.figures) == repeats
    assert all(text[f.start : f.end] == f.text for f in extraction.figures[-5:])


def test_extract_run_handles_tables_non_english_and_odd_unicode(params):
    texts = [
        "| 2019 | 2020 | 2021 |\n\n| 1,200 | 1,350 | 1,410 |\n\n| 12% | 14% | 15% |",
        "Die Stiftung unterstützt 3.000 Schüler in Köln und Düsseldorf mit Nachhilfe.",
        "The Trust\u00a0employs 300\u00a0apprentices; “smart quotes” and £ alone; \u200b zero-width.",
        "\u00a0\u00a0 ",
    ]
    passages = [Passage(id=f"p{i}", document_id="d", ordinal=i, text=t, start=0, end=len(t)) for i, t in enumerate(texts)]
    extractions = extract.run(passages, params.extract)
    assert [f.value for f in extractions[0].figures] == [1200, 1350, 1410, 0.12, 0.14, 0.15]
    assert [(f.value, f.counted) for f in extractions[2].figures] == [(300, "apprentices")]
    assert extractions[3].entities == [] and extractions[3].figures == []


def test_subject_organisation_resolves_aliases_and_a_first_word_to_the_canonical_name():
    from pipeline.extract.organisations import subject_organisation

    title = "Barnsley Council’s Levelling Up Impact Report shows regeneration working"
    names = ["Barnsley Metropolitan Borough Council", "BMBC", "Barnsley", "Barnsley", "Purpose Coalition"]
    assert subject_organisation(title, "", names) == "Barnsley Council"
    assert subject_organisation("", "", ["Derby", "Derby", "Derby", "Derby Guarantee", "University of Derby"]) == "Derby"  # a programme is no formal name


def _with_ents(nlp, text: str, names: list[tuple[str, str]]):
    """``text`` parsed, with the entities set as a model that split the names would set them."""

    doc = nlp(text)
    spans = []
    for name, label in names:
        start = text.index(name)
        span = doc.char_span(start, start + len(name), label=label)
        assert span is not None, name
        spans.append(span)
    doc.ents = spans
    return doc


@pytest.mark.parametrize(
    ("text", "split", "whole"),
    [
        ("Barking, Havering and Redbridge University Hospitals NHS Trust (BHRUT) opened a unit.",
         [("Barking", "GPE"), ("Havering and Redbridge University Hospitals NHS Trust", "ORG")],
         ["Barking, Havering and Redbridge University Hospitals NHS Trust", "BHRUT"]),
        ("The plan went to City of York Council last week.", [("York Council", "ORG")], ["City of York Council"]),
        ("The bid from Redditch Borough Council won.", [("Borough Council", "ORG")], ["Redditch Borough Council"]),
        ("Work by National Grid Electricity Distribution began.", [("National Grid", "ORG")], ["National Grid Electricity Distribution"]),
        ("The contract went to Balfour Beatty VINCI in May.", [("Balfour Beatty", "ORG"), ("VINCI", "ORG")], ["Balfour Beatty VINCI"]),
        ("Lancashire and South Cumbria NHS Foundation Trust, known as LSCft, now trains nurses.",
         [("Lancashire and South Cumbria NHS Foundation Trust", "ORG")], ["Lancashire and South Cumbria NHS Foundation Trust", "LSCft"]),
        # left alone: two councils, a word that is no name, a lending fund
        ("Leeds City Council and Bradford Council agreed.", [("Leeds City Council", "ORG"), ("Bradford Council", "ORG")], ["Leeds City Council", "Bradford Council"]),
        ("It opened the HSBC SME lending fund.", [("HSBC", "ORG")], ["HSBC"]),
        ("Their Chief Executive said Acme Homes Chief Executive Jo Bloggs agreed.", [("Acme Homes", "ORG")], ["Acme Homes"]),
    ],
)  # fmt: skip
def test_whole_names_puts_split_organisation_names_back_together(nlp, text, split, whole):
    from pipeline.extract.entities import whole_names

    assert [e.text for e in whole_names(_with_ents(nlp, text, split)) if e.label_ == "ORG"] == whole


def test_an_organisation_named_with_a_possessive_keeps_it_and_a_title_makes_a_person(nlp):
    from pipeline.extract.entities import find_entities

    doc = _with_ents(nlp, "Sainsbury's is to create 1,000 jobs, National Grid's chief executive told Cllr Lowe.",
                     [("Sainsbury's", "ORG"), ("National Grid's", "ORG"), ("Cllr Lowe", "ORG")])  # fmt: skip
    found = [(e.label, e.text, e.title) for e in find_entities(doc, "p", {"ORG", "PERSON", "GPE"})]
    assert found == [("ORG", "Sainsbury's", None), ("ORG", "National Grid", None), ("PERSON", "Lowe", "Cllr")]
