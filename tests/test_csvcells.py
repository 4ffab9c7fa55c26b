"""Every CSV the project writes neutralises cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io

import pandas as pd

from pipeline.csvcells import neutralise, neutralise_frame
from pipeline.report.outputs import write_csv
from pipeline.review.interop import reviews_csv

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "=1+1", "+44 20 7946 0000", "-2+3", "@SUM(A1)", "\t=1"]


def test_formula_cells_get_a_leading_apostrophe_and_plain_text_is_left_alone():
    for cell in HOSTILE:
        assert neutralise(cell) == "'" + cell
    assert neutralise("Apprenticeships rose by 12%") == "Apprenticeships rose by 12%"
    assert neutralise(-3) == -3
    assert neutralise(None) is None


def test_frames_keep_their_numbers():
    frame = neutralise_frame(pd.DataFrame({"text": ["=1+1", "fine"], "score": [-0.5, 0.2]}))
    assert frame["text"].tolist() == ["'=1+1", "fine"]
    assert frame["score"].tolist() == [-0.5, 0.2]


def test_dvc_plot_csv_is_neutralised(tmp_path):
    path = write_csv(tmp_path / "plot.csv", ["goal", "title"], [(1, "=1+1"), (2, "Education")])
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[1] == ["1", "'=1+1"] and rows[2] == ["2", "Education"]


def test_review_csv_is_neutralised():
    row = {"id": 1, "passage_id": "p1", "taxonomy": "levelling-up", "decision": "accept", "goals_before": [1], "goals_after": [1],
           "reviewer": "@alice", "note": "=HYPERLINK(\"http://evil.example\")", "created_at": None, "undoes": None, "passage_text": "-1 jobs"}
    parsed = next(csv.DictReader(io.StringIO(reviews_csv([row]))))
    assert parsed["note"].startswith("'=") and parsed["reviewer"] == "'@alice" and parsed["passage_text"] == "'-1 jobs"
    assert parsed["goals_after"] == "1"
