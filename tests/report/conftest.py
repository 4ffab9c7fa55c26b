"""Report fixtures: a small database with a local-file report holding a pipe table, a heading
passage and a passage tagged to two goals; and the shipped sample corpus run end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.evidence.store import Store
from pipeline.records import Document, Entity, Extraction, Figure, Passage, Quote, Suggestion
from pipeline.review.queue import ReviewQueue
from tests.conftest import SAMPLE
from tests.review.conftest import seed

LOCAL_ORG = "Northern Widgets"
TABLE = "| Apprenticeships at a glance | |\n\n|---|---|\n\n| Measure | 2021/22 |\n\n|---|---|\n\n| Apprentices in learning | more than 750 |\n\n| New starts aged 16–24 | 43% |"
LOCAL_TEXTS = [
    "Positive destinations post 16+",  # a heading on its own: never evidence
    TABLE,
    "Northern Widgets took on 64 apprentices last year and trained 300 managers in inclusive hiring.",
    "“We want every young person in Barnsley to see a future here,” said Jane Doe, chief executive.",
    "The full Northern Widgets Annual Report is available from the Purpose Coalition website.",  # boilerplate: never evidence
    "Of the seven cohorts so far, 43% of participants have moved into a higher-graded role within two years.",  # leans on what came before
]
LOCAL_GOALS = {0: {3, 11}, 1: {3}, 2: {3, 5}, 3: {4}, 4: {14}, 5: {6}}


def seed_local(store: Store) -> None:
    document = Document(id="doc2", url="/home/someone/reports/northern-widgets-2024.html", kind="html", text="\n\n".join(LOCAL_TEXTS), content_hash="h2", date="2024-03-05")
    passages, at = [], 0
    for i, text in enumerate(LOCAL_TEXTS):
        passages.append(Passage(id=f"w{i}", document_id="doc2", ordinal=i, text=text, start=at, end=at + len(text), headings=["Annual report"]))
        at += len(text) + 2
    suggestions = [
        Suggestion(passage_id=f"w{i}", taxonomy="levelling-up", goal=goal, score=(0.9 if goal == 3 else 0.6) if goal in goals else 0.05, predicted=goal in goals, model="test-model")
        for i, goals in LOCAL_GOALS.items()
        for goal in range(1, 15)
    ]
    extractions = [
        Extraction(passage_id="w1", model="test", figures=[Figure(passage_id="w1", text="16", value=16, unit="count", start=0, end=2, counted="|")]),
        Extraction(
            passage_id="w2",
            model="test",
            figures=[
                Figure(passage_id="w2", text="64", value=64, unit="count", start=21, end=23, counted="apprentices"),
                Figure(passage_id="w2", text="300", value=300, unit="count", start=50, end=53, counted="managers"),
            ],
        ),
        Extraction(
            passage_id="w3",
            model="test",
            # Jane Doe is confirmed by her quote and role; "Barnsley" mislabelled PERSON is confirmed by nothing
            entities=[Entity(passage_id="w3", label="PERSON", text="Barnsley", start=31, end=39), Entity(passage_id="w3", label="PERSON", text="Jane Doe", start=68, end=76)],
            quotes=[Quote(passage_id="w3", text="We want every young person in Barnsley to see a future here,", start=1, end=60, speaker="Jane Doe", role="chief executive", organisation=LOCAL_ORG)]),
    ]
    with store.transaction() as tx:
        tx.save_document(document, passages, organisation=LOCAL_ORG)
        tx.save_extractions(extractions)
        tx.save_suggestions(suggestions)


@pytest.fixture
def report_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'evidence.db'}"
    store = Store.open(url)
    seed(store)
    seed_local(store)
    ReviewQueue(store, "levelling-up").decide("p2", "ada", "change", goals=[10, 14], goal_ids=range(1, 15))
    return url


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shipped sample corpus through `levelup run`, with one passage reviewed."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sample') / 'evidence.db'}"
    result = CliRunner().invoke(app, ["run", str(SAMPLE), "--db", url, "--no-report"])
    assert result.exit_code == 0, result.output
    return url
