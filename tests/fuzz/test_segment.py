"""The segmenter on random documents (text as the readers produce it: valid Unicode): every
passage indexes the document text exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.config import SegmentParams
from pipeline.ids import text_hash
from pipeline.records import Document
from pipeline.segment import run
from tests.fuzz.strategies import unicode_texts


@st.composite
def documents(draw) -> Document:
    text = "\n\n".join(draw(st.lists(unicode_texts, max_size=12)))
    spans = []
    for _ in range(draw(st.integers(0, 4))):  # heading spans, sometimes nonsense
        start = draw(st.integers(-5, len(text) + 5))
        spans.append([draw(st.integers(-1, 8)), start, start + draw(st.integers(-3, 60))])
    pages = sorted(draw(st.lists(st.integers(0, max(len(text), 0)), max_size=4))) or None
    return Document("d", "fuzz", "txt", text, text_hash(text), title=draw(st.none() | unicode_texts), page_starts=pages, headings=spans or None)


@given(documents(), st.integers(200, 2000), st.integers(1, 20))
def test_passages_index_the_document(document: Document, max_chars: int, min_words: int):
    passages = run([document], SegmentParams(max_chars=max_chars, min_words=min_words))
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    assert len({p.id for p in passages}) == len(passages)
    previous_end = 0
    for passage in passages:
        assert 0 <= passage.start < passage.end <= len(document.text)
        assert passage.start >= previous_end
        assert document.text[passage.start : passage.end] == passage.text
        previous_end = passage.end
