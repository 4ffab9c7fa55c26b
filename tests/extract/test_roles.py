"""Roles and their organisations read around a person's name (extraction-conventions.md)."""

import pytest

from pipeline.extract.entities import find_entities

LABELS = {"ORG", "PERSON", "GPE"}


def role_of(nlp, text, name):
    found = [e for e in find_entities(nlp(text), "p", LABELS) if e.label == "PERSON" and e.text == name]
    assert found, (name, [(e.label, e.text) for e in find_entities(nlp(text), "p", LABELS)])
    return found[0].role, found[0].role_org


@pytest.mark.parametrize(
    ("text", "name", "role", "role_org"),
    [
        # apposition after the name, lower-case role, organisation after "of"
        ("Margaret Jones, chief executive of Leeds City Council, said the plans were ambitious.", "Margaret Jones", "chief executive", "Leeds City Council"),
        # apposition with a possessive organisation
        ("Peter Evans, the Royal Mail's chief operating officer, said the depot would open in May.", "Peter Evans", "chief operating officer", "Royal Mail"),
        # "the agency's" names no organisation
        ("Sarah Patel, the agency's chair, said flood defences had protected homes.", "Sarah Patel", "chair", None),
        # role before the name, organisation opening it
        ("Network Rail chief executive Andrew Haines said the line would reopen.", "Andrew Haines", "chief executive", "Network Rail"),
        # possessive before a comma and the name
        ("Barclays' head of community banking, John Morris, said branches would stay open.", "John Morris", "head of community banking", "Barclays"),
        # a title inside the role's reach
        ("Vice-chancellor Professor Jane Harrington said the campus would grow.", "Jane Harrington", "Vice-chancellor", None),
        # "and" inside a title
        ("Health and Social Care Secretary Sajid Javid visited the hospital.", "Sajid Javid", "Health and Social Care Secretary", None),
        # after a quote
        ("“We are proud of our apprentices,” said Tom Baker, director of people at Severn Trent.", "Tom Baker", "director of people", "Severn Trent"),
        # a function after "for" stays in the role (MP for a constituency, minister for a brief)
        ("Chloe Smith, Minister for Skills, opened the centre.", "Chloe Smith", "Minister for Skills", None),
        # "its" before the role: no organisation named
        ("The charity said its head of fundraising Laura Hughes had welcomed the gift.", "Laura Hughes", "head of fundraising", None),
    ],
)
def test_role_and_organisation(nlp, text, name, role, role_org):
    assert role_of(nlp, text, name) == (role, role_org)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mary Clarke said the trust had recruited 40 nurses.", "Mary Clarke"),  # nothing next to the name
        ("Emma Green, who grew up in Leeds, said she was delighted.", "Emma Green"),  # a clause, not a job
    ],
)
def test_no_role_where_the_text_gives_none(nlp, text, name):
    assert role_of(nlp, text, name) == (None, None)


@pytest.mark.parametrize(
    ("text", "word", "label"),
    [
        ("Kate Lowe, Director of Resourcing & Skills, spoke to staff.", "Resourcing & Skills", "ORG"),
        ("Raj Shah, Cabinet Member for Housing, presented the report.", "Housing", "ORG"),
    ],
)
def test_department_words_in_job_titles_are_not_organisations(nlp, text, word, label):
    assert (label, word) not in [(e.label, e.text) for e in find_entities(nlp(text), "p", LABELS)]
