"""``levelup analyze`` passages rendered for a person: text, goals with why, flags, entities,
figures and quotes; tables as tables."""

from __future__ import annotations

import io

from rich.console import Console

from pipeline.report.render import analyze_text
from pipeline.taxonomy import load_taxonomy

RECORD = {
    "doc": "reports/trust.html",
    "passage": 4,
    "page": 2,
    "headings": ["Annual report", "Our people"],
    "text": "The trust took on 120 apprentices, said Dr Ada Jones, chief nurse.\n| Staff at a glance | |\n|---|---|\n| Apprentices | 120 |",
    "goals": [{"goal": 3, "score": 0.91, "why": {"phrases": [{"text": "took on 120 apprentices", "score": 0.8}], "examples": [{"text": "| An | example |", "goals": [3], "similarity": 0.7}]}}],
    "review": [{"goal": 5, "score": 0.41, "reasons": ["uncertain"]}],
    "entities": [
        {"label": "ORG", "text": "The trust", "canonical": "Example NHS Trust", "start": 0, "end": 9},
        {"label": "PERSON", "text": "Ada Jones", "title": "Dr", "role": "chief nurse", "start": 40, "end": 49},
    ],
    "figures": [{"text": "120", "value": 120, "unit": "count", "counted": "apprentices"}, {"text": "16", "value": 16, "unit": "count", "counted": "|"}],
    "quotes": [{"text": "We grow our own.", "speaker": "Ada Jones", "role": "chief nurse"}],
}


def _render(record: dict) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    for panel in analyze_text([record], load_taxonomy("levelling-up")):
        console.print(panel)
    return console.export_text()


def test_analyze_text_reads_as_a_person_would():
    text = _render(RECORD)
    assert "reports/trust.html · passage 4 · page 2" in text and "Annual report > Our people" in text
    assert "3 Positive destinations post 16+" in text and "score 0.91" in text and "because: “took on 120 apprentices”" in text
    assert "goal 5 Open recruitment flagged for review (uncertain" in text
    assert "organisations: Example NHS Trust" in text and "people: Dr Ada Jones, chief nurse" in text
    assert "120 → apprentices" in text and "16 → |" not in text
    assert "“We grow our own.” — Ada Jones, chief nurse" in text
    assert "|---|" not in text and "| Apprentices |" not in text and "Staff at a glance" in text  # the table as a table
    assert "{" not in text  # no JSON


def test_a_passage_with_no_goal_says_so():
    assert "No goal" in _render({**RECORD, "goals": [], "review": [], "quotes": [], "figures": [], "entities": []})
