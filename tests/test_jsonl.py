"""JSON lines reading is total: every line is a value or an error, never an exception."""

import json
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.jsonl import has_surrogate, parse_lines, read_records


def test_bytes_lines_are_decoded_and_bad_bytes_are_one_lines_error():
    lines = list(parse_lines([b'{"a": 1}\n', b'{"a": "caf\xe9"}\n', '{"a": "é"}\n'.encode()]))
    assert [line.value for line in lines] == [{"a": 1}, None, {"a": "é"}]
    assert lines[1].undecodable and "line 2: not valid UTF-8 (byte 0xe9" in (lines[1].error or "")


@pytest.mark.parametrize("raw", ['{"t": "\\ud800"}', '{"t": "x\\uDFFF"}', '{"\\udc00": 1}', '["a", ["\\ud83d"]]'])
def test_lone_surrogate_escapes_are_errors(raw: str):
    (line,) = parse_lines([raw])
    assert line.value is None and line.undecodable and "lone surrogate" in (line.error or "")


def test_surrogate_pairs_are_fine():
    (line,) = parse_lines(['{"t": "\\ud83d\\ude00"}'])
    assert line.error is None and line.value == {"t": "😀"}
    assert not has_surrogate(line.value) and has_surrogate({"k": ["\ud800"]})


def test_blank_lines_are_skipped_or_answered():
    assert [line.number for line in parse_lines(["{}", "  ", "{}"])] == [1, 3]
    lines = list(parse_lines(["{}", "  ", "{}"], keep_blank=True))
    assert [line.number for line in lines] == [1, 2, 3] and "line 2: blank" in (lines[1].error or "")


def test_hostile_json_is_an_error_not_an_exception():
    lines = list(parse_lines(["[" * 100_000, "1" * 5000, "{broken"]))
    assert all(line.error and line.value is None for line in lines)


def test_read_records_names_an_undecodable_line(tmp_path: Path):
    path = tmp_path / "records.jsonl"
    path.write_bytes(json.dumps({"id": 1}).encode() + b"\n\xff\xfe\n")
    with pytest.raises(InputError, match=r"records.jsonl: line 2: not valid UTF-8"):
        read_records(path)
