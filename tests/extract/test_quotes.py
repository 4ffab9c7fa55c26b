from pipeline import extract
from pipeline.records import Passage


def passages(*texts: str, document: str = "d") -> list[Passage]:
    return [Passage(id=f"{document}{i}", document_id=document, ordinal=i, text=t, start=0, end=len(t)) for i, t in enumerate(texts)]


def quotes(params, *texts: str) -> list[tuple]:
    return [
        (q.speaker, q.title, q.role, q.organisation, q.part, q.text[:20])
        for x in extract.run(passages(*texts), params.extract)
        for q in x.quotes
    ]


def test_quote_with_speaker_before(params):
    found = quotes(params, "Rt Hon Jacqui Smith, Chair of University Hospitals Birmingham NHS Foundation Trust, said: “We are very keen to address these inequalities.”")
    assert found == [("Jacqui Smith", "Rt Hon", "Chair", "University Hospitals Birmingham NHS Foundation Trust", 1, "We are very keen to ")]


def test_quote_with_speaker_after(params):
    found = quotes(params, "“Our staff look after 2.1 million patients a year,” said Dr Jane Smith, Chief Executive of Sheffield Teaching Hospitals NHS Foundation Trust.")
    assert found == [("Jane Smith", "Dr", "Chief Executive", "Sheffield Teaching Hospitals NHS Foundation Trust", 1, "Our staff look after")]


def test_multi_paragraph_quote_keeps_its_speaker(params):
    found = quotes(
        params,
        "Justine Greening said: “It is great to be working with the Trust on its first report.",
        "“Health plays an absolutely fundamental role in the levelling up agenda.”",
        "The report will be published next year with the Purpose Coalition.",
        "“This is a sentence nobody is credited with saying here.”",
    )
    assert [(q[0], q[4]) for q in found] == [("Justine Greening", 1), ("Justine Greening", 2), (None, 1)]


def test_surname_mention_gets_the_fuller_description(params):
    found = quotes(
        params,
        "Rt Hon Anne Milton, Chair of the Purpose Health Coalition, visited the hospital in March with staff.",
        "Milton said: “Hospital trusts are so much more than places where people are treated.”",
    )
    assert found[0][:4] == ("Anne Milton", "Rt Hon", "Chair", "Purpose Health Coalition")


def test_speaker_named_in_the_paragraph_before(params):
    found = quotes(params, "Former Health and Social Care Minister, Rt Hon Dame Caroline Dinenage MP said:", "\"As we recover from the pandemic, tackling health inequalities is more important than ever.\"")
    assert found[0][0] == "Caroline Dinenage" and found[0][1] == "Rt Hon Dame"


def test_scare_quotes_are_not_quotes(params):
    assert quotes(params, "The trust wants to ‘level up’ and “do more” for its communities in the region.") == []


def test_quote_offsets_index_the_passage(params):
    text = "Justine Greening said: “NHS organisations play a key role in their local communities.”"
    [extraction] = extract.run(passages(text), params.extract)
    quote = extraction.quotes[0]
    assert text[quote.start : quote.end] == quote.text
