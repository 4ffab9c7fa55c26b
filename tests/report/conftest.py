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


PROFILE_ORG = "Riverside NHS Trust"
# An "about us" page (no passage tagged to a goal) and a report whose quotes run over two passages.
ABOUT = [
    "Riverside NHS Trust employs more than 5,000 staff and cares for a population of around 300,000 people across Walsall and Cannock.",
    "The Trust's Aspire programme helped 40 people into work last year, and its nurses visit schools in the south-west of Walsall.",
    "“We have taken on nine more staff since we won the contract,” said Sam Lee, who runs a bakery in Cannock.",
]
REPORT = [
    "Riverside NHS Trust trained 120 apprentices last year, the largest scheme of any employer in England.",
    "Jo Bloggs, a nurse on the children's ward, said: “The apprenticeship gave me a trade I never thought I could have.",
    "“Two years later I am teaching the new starters myself, and my family could not be prouder of what I have done.”",
    "Ann Smith, Chief Executive of Riverside NHS Trust, said: “We want every young person in our towns to see a future with us.",
    "“That is why we open our doors to schools, and why we will be held to every promise in this report.”",
]
# passage -> goals (first the model's best): the second half of each quote scores higher than its first
REPORT_GOALS = {0: {3: 0.9}, 1: {5: 0.6}, 2: {5: 0.9}, 3: {6: 0.6}, 4: {6: 0.8}}


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def seed_profile(store: Store) -> None:
    """Riverside NHS Trust: its size and places said on an about-us page, and a report in which a
    nurse's and the chief executive's words each run over two passages."""
    about = Document(id="about", url="https://riverside.example/about", kind="html", text="\n\n".join(ABOUT), content_hash="ha", title="About Riverside", date="2024-01-10")
    report = Document(id="report", url="https://riverside.example/report", kind="html", text="\n\n".join(REPORT), content_hash="hr", title="Riverside impact report", date="2024-06-01")
    extractions, suggestions = [], []
    for document, texts in ((about, ABOUT), (report, REPORT)):
        passages, at = [], 0
        for i, text in enumerate(texts):
            passages.append(Passage(id=f"{document.id}{i}", document_id=document.id, ordinal=i, text=text, start=at, end=at + len(text)))
            at += len(text) + 2
        with store.transaction() as tx:
            tx.save_document(document, passages, organisation=PROFILE_ORG)

    def figure(pid: str, text: str, written: str, counted: str, value: float) -> Figure:
        start, end = _span(text, written)
        return Figure(passage_id=pid, text=written, value=value, unit="count", start=start, end=end, counted=counted)

    def place(pid: str, text: str, name: str, at: int = 0) -> Entity:
        start = text.index(name, at)
        return Entity(passage_id=pid, label="GPE", text=name, start=start, end=start + len(name))

    def quote(pid: str, text: str, words: str, speaker: str, role: str, part: int, organisation: str | None = None) -> Quote:
        start, end = _span(text, words)
        return Quote(passage_id=pid, text=words, start=start, end=end, speaker=speaker, role=role, organisation=organisation, part=part)

    extractions.append(Extraction(passage_id="about0", model="test", figures=[
        figure("about0", ABOUT[0], "more than 5,000", "staff", 5000), figure("about0", ABOUT[0], "around 300,000", "people", 300000)],
        entities=[place("about0", ABOUT[0], "Walsall"), place("about0", ABOUT[0], "Cannock")]))
    extractions.append(Extraction(passage_id="about1", model="test", figures=[figure("about1", ABOUT[1], "40", "people", 40)],
        entities=[place("about1", ABOUT[1], "Aspire"), place("about1", ABOUT[1], "south-west"), place("about1", ABOUT[1], "Walsall")]))
    extractions.append(Extraction(passage_id="about2", model="test", figures=[figure("about2", ABOUT[2], "nine", "staff", 9)], entities=[place("about2", ABOUT[2], "Cannock")]))
    extractions.append(Extraction(passage_id="report0", model="test", figures=[figure("report0", REPORT[0], "120", "apprentices", 120)], entities=[place("report0", REPORT[0], "England")]))
    nurse, chief = "Jo Bloggs", "Ann Smith"
    extractions += [
        Extraction(passage_id="report1", model="test", quotes=[quote("report1", REPORT[1], REPORT[1].split("“")[1], nurse, "nurse", 1)]),
        Extraction(passage_id="report2", model="test", quotes=[quote("report2", REPORT[2], REPORT[2].strip("“”"), nurse, "nurse", 2)]),
        Extraction(passage_id="report3", model="test", quotes=[quote("report3", REPORT[3], REPORT[3].split("“")[1], chief, "Chief Executive", 1, PROFILE_ORG)]),
        Extraction(passage_id="report4", model="test", quotes=[quote("report4", REPORT[4], REPORT[4].strip("“”"), chief, "Chief Executive", 2, PROFILE_ORG)]),
    ]  # fmt: skip
    for i, goals in REPORT_GOALS.items():
        for goal in range(1, 15):
            score = goals.get(goal, 0.05)
            suggestions.append(Suggestion(passage_id=f"report{i}", taxonomy="levelling-up", goal=goal, score=score, predicted=goal in goals, model="test-model"))
    with store.transaction() as tx:
        tx.save_extractions(extractions)
        tx.save_suggestions(suggestions)


@pytest.fixture
def profile_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'evidence.db'}"
    store = Store.open(url)
    seed_profile(store)
    seed_local(store)
    return url
