"""Extraction on the shipped sample corpus: what the report and `analyze` show of it.

No place or common word comes out as a person or organisation (issue 24: "people: Yorkshire",
"places: South Yorkshire Police", "Digital" and "Skills" as organisations), and the people the
report lists carry the roles their documents give them.
"""

import pytest

from pipeline import collect, extract, segment
from pipeline.extract.entities import place_names
from pipeline.extract.people import confirmed_people
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def extractions(params):
    documents = collect.run([str(SAMPLE)], params.collect).documents
    return extract.run(segment.run(documents, params.segment), params.extract)


@pytest.fixture(scope="module")
def mentions(extractions):
    return {(e.label, e.text) for x in extractions for e in x.entities}


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("PERSON", "Yorkshire"),
        ("GPE", "South Yorkshire Police"),
        ("GPE", "Hallam"),
        ("ORG", "Digital"),
        ("ORG", "Skills"),
        ("PERSON", "Schools"),
        ("PERSON", "Prison"),
    ],
)
def test_sample_corpus_has_no_word_or_place_as_a_name(mentions, label, text):
    assert (label, text) not in mentions


def test_sample_corpus_names_no_county_or_region_as_a_person_or_organisation(mentions):
    wrong = sorted((label, text) for label, text in mentions if label in ("PERSON", "ORG") and text in place_names())
    assert wrong == []


def test_sample_corpus_police_force_is_an_organisation(mentions):
    assert ("ORG", "South Yorkshire Police") in mentions


def test_sample_corpus_report_people_carry_their_roles(extractions):
    people = confirmed_people([e for x in extractions for e in x.entities], [q for x in extractions for q in x.quotes])
    described = {p.name: (p.title, p.role, p.organisation) for p in people}
    assert described["Helen Marsh"] == ("Dr", "occupational health lead", "Sodexo")
    assert described["Catherine Dunn"][1:] == ("Chief Executive", "Sodexo UK & Ireland")  # the name whole, as written
    with_roles = [p for p in people if p.role]
    assert len(with_roles) >= 0.8 * len(people), [p.describe() for p in people if not p.role]
