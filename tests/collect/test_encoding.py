"""Declared encodings are believed; bytes that do not fit are replaced and reported, never re-read
as another script."""

from __future__ import annotations

import logging

import pytest

from pipeline.collect.encoding import decode, decode_html, meta_charset
from pipeline.collect.html import extract_html
from pipeline.collect.plain import extract_text

ARTICLE = "<p>The trust’s £4.8m programme supported 2,400 apprentices across Nottingham this year, and more will follow.</p>"


def page(meta: str, body: bytes) -> bytes:
    return f"<html><head>{meta}<title>Apprentices</title></head><body>".encode() + body + b"</body></html>"


def test_a_page_declaring_utf8_with_invalid_bytes_is_flagged_not_mojibake(caplog):
    content = page('<meta charset="utf-8">', ARTICLE.encode("utf-8").replace(b"2,400", b"2,\xff00"))
    with caplog.at_level(logging.WARNING):
        extracted = extract_html(content, url="https://a.example.org/x")
    assert "trust’s £4.8m" in extracted.text  # the valid UTF-8 around the bad byte is kept as written
    assert "2,\ufffd00" in extracted.text and "Ã" not in extracted.text and "â€" not in extracted.text
    assert extracted.encoding_warning == "1 invalid byte sequence(s) in declared utf-8, replaced with U+FFFD"
    assert "https://a.example.org/x: 1 invalid byte" in caplog.text


def test_a_clean_page_has_no_warning_and_its_meta_charset_is_used():
    content = page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">', ARTICLE.encode("cp1252"))
    extracted = extract_html(content, url="https://a.example.org/x")
    assert "trust’s £4.8m" in extracted.text and extracted.encoding_warning is None
    assert meta_charset(content) == "windows-1252"


def test_a_lying_server_charset_loses_to_the_page_that_fits_with_a_warning():
    content = page('<meta charset="windows-1252">', ARTICLE.encode("cp1252"))
    decoded = decode_html(content, url="u", charset="utf-8")
    assert "trust’s £4.8m" in decoded.text and decoded.encoding == "cp1252"
    assert decoded.warning == "utf-8 declared, but the bytes are cp1252 (also declared); read as cp1252"


def test_a_lying_server_charset_with_nothing_better_is_replaced_and_flagged():
    decoded = decode_html(page("", ARTICLE.encode("cp1252")), url="u", charset="utf-8")
    assert decoded.encoding == "utf-8" and decoded.text.count("\ufffd") == 2
    assert decoded.warning and decoded.warning.startswith("2 invalid byte sequence(s) in declared utf-8")


@pytest.mark.parametrize(
    ("content", "encoding", "warned"),
    [
        ("naïve café £5".encode(), "utf-8", False),
        ("naïve café £5".encode("cp1252"), "cp1252", False),  # legacy English text: no guessing game
        ("naïve café £5 and 3 more".encode() + b"\x80", "utf-8", True),  # UTF-8 with one broken byte
        (b"\xef\xbb\xbfhello", "utf-8-sig", False),
    ],
)
def test_undeclared_text_is_utf8_or_windows_1252(content: bytes, encoding: str, warned: bool):
    decoded = decode(content, url="u")
    assert decoded.encoding == encoding and bool(decoded.warning) == warned
    assert "Ã" not in decoded.text


def test_plain_text_with_a_declared_charset_reports_bad_bytes():
    text = b"Apprentices\n\nThe trust supported 2,400 apprentices across Nottingham this year." + b"\xfe"
    extracted = extract_text(text, url="notes.txt", charset="utf-8")
    assert extracted.encoding_warning and extracted.text.endswith("year.\ufffd")
    assert extract_text(b"Title\n\nBody text that is clean.", url="n.txt").encoding_warning is None


def test_latin1_labels_are_read_as_windows_1252_as_browsers_do():
    assert decode("it’s".encode("cp1252"), url="u", declared=["iso-8859-1"]).text == "it’s"


def test_counting_stops_at_a_thousand_bad_sequences():
    decoded = decode(b"\xff" * 5000, url="u", declared=["utf-8"])
    assert decoded.text == "\ufffd" * 5000 and decoded.warning and decoded.warning.startswith("1000+ invalid")
