import re
from pathlib import Path

import pytest

from pipeline.classify.labels import read_labels
from pipeline.errors import InputError
from pipeline.taxonomy import load_taxonomy
from tests.conftest import FIXTURES


def test_read_labels_fixture():
    records = read_labels(FIXTURES / "labels-mini.jsonl", load_taxonomy("levelling-up"))
    assert [r.goals for r in records] == [[8], [3], [], [10]]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "x", "goals": [99]}', r"line 2: goals \[99\] are not in taxonomy 'levelling-up'"),
        ('{"text": "", "goals": []}', 'line 2: expected an object with a non-empty "text"'),
        ('{"text": "x", "goals": "8"}', 'line 2: "goals" must be a list'),
        ("{not json", "line 2: not valid JSON"),
    ],
)
def test_read_labels_skips_bad_records_naming_the_line(tmp_path: Path, line: str, message: str, caplog: pytest.LogCaptureFixture):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"text": "ok", "goals": [1]}\n' + line + '\n{"text": "fine", "goals": [], "style": "short"}\n')
    records = read_labels(path, load_taxonomy("levelling-up"))
    assert [r.text for r in records] == ["ok", "fine"]  # the good lines on both sides survive
    assert re.search(message, caplog.text) and "1 bad line(s) skipped" in caplog.text


def test_read_labels_fails_when_no_line_is_usable(tmp_path: Path):
    path = tmp_path / "labels.jsonl"
    path.write_text("{not json\n")
    with pytest.raises(InputError, match="no usable labelled records"):
        read_labels(path, load_taxonomy("levelling-up"))
