"""A small evidence database with flagged suggestions, hostile passage text and two staff users."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.evidence.store import Store
from pipeline.records import Document, Entity, Extraction, Figure, Passage, Suggestion
from pipeline.review import accounts
from tests.conftest import DATABASES_SLOW_ON_POSTGRESQL, new_database

HOSTILE = '<script>alert("x")</script> "><img src=x onerror=alert(1)> Our apprenticeships & T-levels.'
TEXTS = [
    "The trust took on 120 apprentices from the local area, each with a guaranteed job.",
    HOSTILE,
    "Digital skills classes helped 300 older residents get online at the library.",
    "We use cookies on this website.",
    "Heat pumps were fitted to 1,150 council homes across the city.",
]
PASSWORDS = {"rita": "reviewer-password-1", "ada": "admin-password-123"}


def seed(store: Store) -> list[str]:
    """One document of five passages; passages 0-3 flagged (0 most uncertain), 4 not."""
    document = Document(
        id="doc1",
        url="https://example.org/news/<b>1</b>",
        kind="html",
        text="\n\n".join(TEXTS),
        content_hash="h",
        title='Trust <i>news</i> "release"',
        date="2026-05-01",
        sitename="example.org",
    )
    passages, at = [], 0
    for i, text in enumerate(TEXTS):
        passages.append(Passage(id=f"p{i}", document_id="doc1", ordinal=i, text=text, start=at, end=at + len(text)))
        at += len(text) + 2
    predicted = {0: {3}, 1: {3, 5}, 2: {10}, 3: set(), 4: {13}}
    flagged = {0: (3, 0.9), 1: (5, 0.7), 2: (10, 0.5), 3: (8, 0.3)}
    suggestions = []
    for i in range(len(TEXTS)):
        for goal in range(1, 15):
            marked = flagged.get(i, (None, None))[0] == goal
            suggestions.append(
                Suggestion(
                    passage_id=f"p{i}",
                    taxonomy="levelling-up",
                    goal=goal,
                    score=0.8 if goal in predicted[i] else 0.1,
                    predicted=goal in predicted[i],
                    model="test-model",
                    flagged=marked,
                    priority=flagged[i][1] if marked else None,
                    reasons=["uncertain"] if marked else None,
                    explanation={"goal": goal, "phrases": [{"text": "<u>phrase</u>", "score": 0.5}], "examples": [{"text": "an <em>example</em>", "goals": [goal], "similarity": 0.7}]}
                    if goal in predicted[i]
                    else None,
                )
            )
    extraction = Extraction(
        passage_id="p0",
        model="test",
        entities=[Entity(passage_id="p0", label="ORG", text="The trust", start=0, end=9, canonical="Example <NHS> Trust")],
        figures=[Figure(passage_id="p0", text="120", value=120, unit="count", start=14, end=17, counted="apprentices")],
    )
    with store.transaction() as tx:
        tx.save_document(document, passages, organisation="Example NHS Trust")
        tx.save_extractions([extraction])
        tx.save_suggestions(suggestions)
    return [p.id for p in passages]


@pytest.fixture(params=DATABASES_SLOW_ON_POSTGRESQL)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite, then PostgreSQL; the PostgreSQL runs are slow tests (about a second more each)."""
    yield from new_database(request, tmp_path)


@pytest.fixture
def db_url(database_url: str) -> str:
    """The seeded database the app serves: SQLite, then PostgreSQL (``database_url``)."""
    store = Store.open(database_url)
    seed(store)
    accounts.add_user(store, "rita", PASSWORDS["rita"], "reviewer")
    accounts.add_user(store, "ada", PASSWORDS["ada"], "admin")
    store.dispose()
    return database_url


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(db_url: str, clock: Clock):
    from pipeline.review.app import create_app

    return create_app(db_url, secret="a test secret that is long enough", clock=clock)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="http://127.0.0.1")


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str, password: str | None = None):
    token = csrf(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password or PASSWORDS[username]}, follow_redirects=False)


def decide_form(html: str) -> list[tuple[str, str]]:
    """The fields the decide form on a review page sends as drawn: its hidden fields and the
    goals ticked."""
    form = html[html.index('id="decide"'):html.index("</form>", html.index('id="decide"'))]
    fields = [(name, value) for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)]
    fields += [("goals", value) for value in re.findall(r'<input type="checkbox" name="goals" value="(\d+)" id="goal-\d+" checked>', form)]
    return fields


def decide(client, passage: str, decision: str, goals: str | None = None, note: str = "", page: str | None = None):
    """Submit the decide form of ``passage``'s page (fetched now unless ``page`` is given);
    ``goals``, when given, replaces the ticked goals."""
    html = page if page is not None else client.get(f"/item/{passage}").text
    fields = decide_form(html)
    if goals is not None:
        fields = [f for f in fields if f[0] != "goals"] + [("goals", g) for g in goals.split()]
    fields += [("decision", decision), ("note", note)]
    return client.post(f"/item/{passage}/decide", content=_encode(fields), headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)


def _encode(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)
