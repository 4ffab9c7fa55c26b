"""The JSON-lines readers and the classify contract on random lines: one answer per line, never
an exception, and every answer writable as UTF-8 JSON."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from pipeline.classify.contract import classify_lines
from pipeline.jsonl import parse_lines
from tests.fuzz.strategies import texts

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
record_lines = st.fixed_dictionaries({"id": json_values, "text": texts | json_values}, optional={"headings": json_values}).map(
    lambda record: json.dumps(record, ensure_ascii=True)  # surrogates become \\udXXX escapes
)
hostile = st.sampled_from([b"", b"   ", b"\xff\xfe", b'{"text": "\\ud800"}', b"[" * 5000, b"1" * 5000, b'{"id": 1}', b"null", b"{"])
lines = st.lists(
    st.one_of(record_lines.map(lambda s: s.encode()), hostile, st.binary(max_size=80), texts.map(lambda s: s.encode("utf-8", "surrogatepass"))),
    max_size=12,
).map(lambda ls: [line.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n" for line in ls])


@given(lines)
def test_parse_lines_answers_every_line(raw: list[bytes]):
    parsed = list(parse_lines(raw, keep_blank=True))
    assert [line.number for line in parsed] == list(range(1, len(raw) + 1))
    for line in parsed:
        assert line.error is None or line.value is None  # a value, or an error saying why not
        json.dumps(line.value, ensure_ascii=False).encode("utf-8")


@given(lines, st.integers(1, 5))
def test_classify_contract_answers_every_line(tagger, raw: list[bytes], batch_size: int):
    out = [o for batch in classify_lines(raw, tagger, batch_size=batch_size) for o in batch]
    assert len(out) == len(raw)
    for record in out:
        json.dumps(record, ensure_ascii=False).encode("utf-8")  # writable, whatever came in
        assert ("error" in record) != ("scores" in record)
