"""The HTML, PDF and plain-text readers on random and hostile bytes: they return text with valid
heading and page offsets, or raise the documented ``ExtractionError``, and nothing else."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from pipeline.collect.html import ExtractedText, extract_html
from pipeline.collect.pdf import extract_pdf
from pipeline.collect.plain import extract_text
from pipeline.errors import ExtractionError
from tests.conftest import FIXTURES
from tests.fuzz.strategies import html_like, raw_bytes, texts

ARTICLE = "<html><body><article>" + "<p>The council trained 1,200 apprentices in digital skills this year across the town.</p>" * 8


def check(extracted: ExtractedText) -> None:
    text = extracted.text
    assert isinstance(text, str) and text
    text.encode("utf-8")  # storable: no lone surrogates
    for level, start, end in extracted.headings or []:
        assert 1 <= level <= 6 and 0 <= start < end <= len(text)
    starts = extracted.page_starts or []
    assert starts == sorted(starts) and all(0 <= s <= len(text) for s in starts)


def read(reader, content, **kwargs) -> None:
    try:
        check(reader(content, url="fuzz", **kwargs))
    except ExtractionError as error:
        assert str(error).startswith("fuzz:")


@given(st.one_of(raw_bytes, html_like.map(lambda s: s.encode("utf-8", "surrogatepass")), html_like))
def test_html_reader(content):
    read(extract_html, content)


@given(html_like, st.sampled_from([None, "utf-8", "latin-1", "cp1252", "shift_jis", "no-such-charset"]))
def test_html_reader_around_a_real_article(noise: str, charset: str | None):
    page = (ARTICLE + noise + "</article></body></html>").encode("utf-8", "surrogatepass")
    read(extract_html, page, charset=charset)


@given(st.one_of(raw_bytes, texts.map(lambda s: s.encode("utf-8", "surrogatepass"))))
def test_plain_text_reader(content: bytes):
    read(extract_text, content)


PDF = (FIXTURES / "report.pdf").read_bytes()


@given(st.one_of(raw_bytes, raw_bytes.map(lambda b: b"%PDF-1.4\n" + b)), )
def test_pdf_reader_on_random_bytes(content: bytes):
    read(extract_pdf, content)


@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.sampled_from(["flip", "truncate", "splice"]))
def test_pdf_reader_on_damaged_real_pdfs(seed: int, damage: int, how: str):
    rng = random.Random(seed)
    content = bytearray(PDF)
    if how == "flip":
        for _ in range(damage):
            content[rng.randrange(len(content))] = rng.randrange(256)
    elif how == "truncate":
        del content[rng.randrange(len(content)):]
    else:
        at = rng.randrange(len(content))
        content[at:at] = rng.randbytes(damage * 10)
    read(extract_pdf, bytes(content))
