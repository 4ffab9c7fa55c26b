import pytest

from pipeline import segment
from pipeline.config import SegmentParams
from pipeline.ids import text_hash
from pipeline.records import Document
from pipeline.text import join_paragraphs

BODY = [
    "Read: University of Derby commits to levelling up framework",
    "Sheffield Teaching Hospitals NHS Foundation Trust has opened wellbeing hubs at every hospital for its staff.",
    "Good health and wellbeing",
    "We use cookies to improve your experience. Accept all cookies or manage settings.",
    "| Staff | 18,000 |",
    "| Patients | 2.1 million |",
    "The Trust runs a pre-employment programme with the council for unemployed local people.",
    "Previous Previous",
    "The full report can be found here.",
]


def make_document(paragraphs: list[str], doc_id: str = "doc1", page_starts: list[int] | None = None) -> Document:
    text = join_paragraphs(paragraphs)
    return Document(id=doc_id, url=f"{doc_id}.html", kind="html", text=text, content_hash=text_hash(text), page_starts=page_starts)


def test_segment_drops_boilerplate_and_short_headings():
    passages = segment.run([make_document(BODY)], SegmentParams())
    texts = [p.text for p in passages]
    assert texts == [
        BODY[1],
        "| Staff | 18,000 |\n\n| Patients | 2.1 million |",
        BODY[6],
    ]


def test_segment_offsets_index_the_document_text():
    document = make_document(BODY)
    for passage in segment.run([document], SegmentParams()):
        assert document.text[passage.start : passage.end] == passage.text


def test_segment_ids_are_stable_and_depend_on_content():
    first = segment.run([make_document(BODY)], SegmentParams())
    again = segment.run([make_document(BODY)], SegmentParams())
    edited = segment.run([make_document([*BODY[:6], BODY[6] + " It started in 2021."])], SegmentParams())
    assert [p.id for p in first] == [p.id for p in again]
    assert first[0].id == edited[0].id and first[-1].id != edited[-1].id


def test_segment_repeated_text_gets_distinct_ids():
    sentence = "The council has built 250 new homes for social rent on brownfield land this year."
    passages = segment.run([make_document([sentence, sentence])], SegmentParams())
    assert len({p.id for p in passages}) == 2


def test_segment_splits_long_paragraphs_at_sentence_boundaries():
    sentence = "The trust has trained 250 mental health first aiders to support colleagues on wards. "
    document = make_document([sentence * 40])
    passages = segment.run([document], SegmentParams(max_chars=400))
    assert len(passages) > 1
    assert all(len(p.text) <= 400 for p in passages)
    assert all(p.text.startswith("The trust") and p.text.endswith(".") for p in passages)
    assert all(document.text[p.start : p.end] == p.text for p in passages)


def test_segment_unbroken_text_longer_than_max_is_kept_whole():
    document = make_document(["word " * 400])
    passages = segment.run([document], SegmentParams(max_chars=400))
    assert len(passages) == 1


def test_segment_assigns_pdf_page_numbers():
    paragraphs = [
        "The trust employs 420 apprentices across nursing, estates and finance teams in the city.",
        "Volunteers have helped more than 1,500 patients use the NHS App to book appointments.",
    ]
    text = join_paragraphs(paragraphs)
    document = make_document(paragraphs, page_starts=[0, text.index("Volunteers")])
    assert [p.page for p in segment.run([document], SegmentParams())] == [1, 2]


def test_segment_extra_boilerplate_patterns_from_params():
    params = SegmentParams(boilerplate_patterns=[r"^Sheffield Teaching"])
    assert BODY[1] not in [p.text for p in segment.run([make_document(BODY)], params)]


@pytest.mark.parametrize("text", ["", "Short."])
def test_segment_document_without_passages(text: str):
    assert segment.run([make_document([text])], SegmentParams()) == []


def test_segment_gives_each_passage_the_heading_path_above_it():
    paragraphs = [
        "Impact report",
        "Goal 3: Positive destinations post 16+",
        "Apprenticeships",
        "The company recruited 85 apprentices last year into engineering and science roles.",
        "Work experience",
        "Every summer the company offers a week of paid work experience to local pupils.",
        "Extending enterprise",
        "The company spends more than half of its procurement budget with local small firms.",
    ]
    text = join_paragraphs(paragraphs)
    levels = {"Impact report": 1, "Goal 3: Positive destinations post 16+": 2, "Apprenticeships": 3, "Work experience": 3, "Extending enterprise": 2}
    spans = [[levels[p], text.index(p), text.index(p) + len(p)] for p in paragraphs if p in levels]
    document = Document(id="d", url="d.html", kind="html", text=text, content_hash=text_hash(text), headings=spans)
    passages = segment.run([document], SegmentParams(min_words=1))  # headings are no passages even when long enough
    goal = "Goal 3: Positive destinations post 16+"
    assert [p.headings for p in passages] == [
        ["Impact report", goal, "Apprenticeships"],
        ["Impact report", goal, "Work experience"],
        ["Impact report", "Extending enterprise"],
    ]
    assert [p.ordinal for p in passages] == [0, 1, 2]
    assert all(document.text[p.start : p.end] == p.text for p in passages)


def test_segment_without_headings_gives_empty_paths():
    assert all(p.headings == [] for p in segment.run([make_document(BODY)], SegmentParams()))


@pytest.mark.parametrize(
    "line",
    [
        "By Jane Smith",
        "Posted by admin on 12 March 2024",
        "By Rt Hon Justine Greening, Chair of the Purpose Coalition and former Secretary of State for Education",
        "12 March 2024",
        "LONDON, 12 March 2024 –",
        "Published: Tuesday 12 March 2024, 10:00",
        "March 12, 2024",
    ],
)
def test_segment_drops_bylines_and_datelines(line: str):
    body = "The Trust runs a pre-employment programme with the council for unemployed local people."
    assert [p.text for p in segment.run([make_document([line, body])], SegmentParams(min_words=1))] == [body]


@pytest.mark.parametrize(
    "line",
    [
        "By 2030 the Trust will have trained 500 apprentices.",
        "By March 2025, 300 more people will be in work",
        "By working with the council, the Trust has opened wellbeing hubs.",
        "12 March 2024 saw 300 people start work",
        "120 apprentices",
    ],
)
def test_segment_keeps_sentences_that_start_like_bylines_or_dates(line: str):
    assert [p.text for p in segment.run([make_document([line])], SegmentParams())] == [line]


def test_segment_a_table_is_one_passage_with_its_rows():
    document = make_document(["Intro paragraph about the apprenticeship programme here.", "| Measure | 2023 |", "|---|---|", "| Starts | 120 |", "| Completions | 80 |", "Closing paragraph."])
    table = [p for p in segment.run([document], SegmentParams()) if p.table]
    assert len(table) == 1
    assert table[0].table == [["Measure", "2023"], ["Starts", "120"], ["Completions", "80"]]
    assert document.text[table[0].start : table[0].end] == table[0].text


def test_segment_a_long_table_is_split_by_rows_repeating_caption_and_header():
    rows = [f"| Apprenticeship starts at site number {n} in the region | {n * 10} |" for n in range(1, 13)]
    document = make_document(["| Apprenticeships at a glance | |", "| Measure | 2023 |", *rows])
    pieces = segment.run([document], SegmentParams(max_chars=300))
    assert len(pieces) > 1
    for piece in pieces:
        assert piece.table is not None and piece.table[:2] == [["Apprenticeships at a glance", ""], ["Measure", "2023"]]
        assert document.text[piece.start : piece.end] == piece.text
    body = [row for piece in pieces for row in (piece.table or [])[2:]]
    assert [row[1] for row in body] == [str(n * 10) for n in range(1, 13)]


def test_segment_prose_passages_have_no_table():
    assert all(p.table is None for p in segment.run([make_document(BODY)], SegmentParams()) if not p.text.startswith("|"))
