"""What an attacker on loopback tried (issue 26), one regression test each: bursts of logins,
huge bodies, bad query and form values, NUL characters, reused form tokens, weak secrets, a busy
port. Each stores nothing and answers with a page, never a 500 or a 503."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipeline.evidence.store import Store
from pipeline.review import accounts

from .conftest import PASSWORDS, csrf, decide_form, login

SECRET = "a test secret that is long enough"


def reviews(db_url: str) -> list[dict]:
    return Store.open(db_url).reviews("levelling-up")


def post_form(client, path: str, fields: list[tuple[str, str]]):
    return client.post(path, content=urlencode(fields), headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)


# --- bursts --------------------------------------------------------------------------------


def burst(app, usernames: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], int, int]:
    """Send one wrong login per username, all at once; (statuses, passwords checked, most checked at once)."""
    import httpx

    checked, running, most = 0, 0, 0
    lock = threading.Lock()
    real = accounts.authenticate

    def counting(store, username, password):
        nonlocal checked, running, most
        with lock:
            checked += 1
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # a hash takes time: let the others pile up
        try:
            return real(store, username, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(accounts, "authenticate", counting)

    async def go() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("10.0.0.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            token = csrf((await client.get("/login")).text)
            sent = [client.post("/login", data={"csrf_token": token, "username": name, "password": "wrong password!"}) for name in usernames]
            return [r.status_code for r in await asyncio.gather(*sent)]

    return asyncio.run(go()), checked, most


def test_a_hundred_wrong_logins_at_once_check_at_most_five_passwords(app, monkeypatch: pytest.MonkeyPatch):
    statuses, checked, most = burst(app, ["rita"] * 100, monkeypatch)
    assert checked <= 5 and statuses.count(401) == checked and statuses.count(429) == 100 - checked
    assert most <= 2  # hashing is bounded however many arrive


def test_a_refused_burst_reads_no_session_form_page_or_database(app, monkeypatch: pytest.MonkeyPatch):
    """Refusals cost the one server process next to nothing: only the attempts let through parse
    their form and draw a page (/queue stayed slow during a burst when all 100 did)."""
    from fastapi.templating import Jinja2Templates
    from sqlalchemy import event
    from starlette.requests import Request

    forms, pages, statements = [0], [0], [0]
    real_form, real_page = Request.form, Jinja2Templates.TemplateResponse

    def counted(total: list[int], real):
        def call(*args, **kwargs):
            total[0] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(Request, "form", counted(forms, real_form))
    monkeypatch.setattr(Jinja2Templates, "TemplateResponse", counted(pages, real_page))
    statuses, checked, _ = burst(app, ["rita"] * 100, monkeypatch)
    assert statuses.count(429) == 100 - checked and forms[0] == checked and pages[0] == 1 + checked  # 1: the login page for the token
    event.listen(app.state.settings.store.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    with TestClient(app, base_url="http://127.0.0.1", client=("10.0.0.7", 5000)) as stranger:  # no session, no form token
        refused = stranger.post("/login", data={"username": " RITA ", "password": "guess-guess"})
    assert refused.status_code == 429 and "Try again in" in refused.text and int(refused.headers["retry-after"]) > 0
    assert "set-cookie" not in refused.headers and refused.headers["x-frame-options"] == "DENY" and statements[0] == 0


def test_a_login_with_a_bad_form_gives_its_attempt_back(client):
    token = csrf(client.get("/login").text)
    for _ in range(8):  # more than the 5 a username has: an expired form is no attempt
        assert client.post("/login", data={"csrf_token": "stale", "username": "rita", "password": "guess"}).status_code == 400
    assert client.post("/login", data={"csrf_token": token, "username": "rita", "password": PASSWORDS["rita"]}, follow_redirects=False).status_code == 303


def test_a_burst_over_many_usernames_is_limited_per_address(app, monkeypatch: pytest.MonkeyPatch):
    statuses, checked, most = burst(app, [f"user{n}" for n in range(60)], monkeypatch)
    assert checked <= 20 and statuses.count(429) >= 40 and most <= 2


def test_a_good_login_gives_its_reservation_back(client):
    for _ in range(30):  # more than the address limit of 20: successes do not count against it
        assert login(client, "rita").status_code == 303
        client.cookies.clear()


def test_a_huge_body_is_refused_before_it_is_parsed(client, db_url: str):
    token = csrf(client.get("/login").text)
    field = "a" * 900_000
    big = client.post("/login", data={"csrf_token": token, "username": field, "password": field})
    assert big.status_code == 413 and "too large" in big.text and big.headers["x-frame-options"] == "DENY"

    def chunks():  # no Content-Length: counted as it arrives
        yield f"csrf_token={token}&username=".encode()
        for _ in range(100):
            yield b"a" * 10_000

    streamed = client.post("/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    login(client, "rita")
    page = client.get("/item/p0").text
    long_note = post_form(client, "/item/p0/decide", [*decide_form(page), ("decision", "accept"), ("note", "n" * 2001)])
    assert long_note.status_code == 400 and "2,000" in long_note.text  # a note just over the limit: the form's own message
    assert reviews(db_url) == []


def test_status_reads_kept_counts_not_the_review_history(client, db_url: str, monkeypatch: pytest.MonkeyPatch):
    from pipeline.review.queue import ReviewQueue

    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    queue.decide("p0", "rita", "accept")
    queue.decide("p0", "ada", "no_goal")
    queue.decide("p1", "rita", "change", goals=[3])
    queue.decide("p1", "ada", "change", goals=[3])

    def no(*args, **kwargs):
        raise AssertionError("/status read the review history")

    monkeypatch.setattr(Store, "standing_reviews", no)
    monkeypatch.setattr(Store, "reviews", no)
    login(client, "rita")
    page = client.get("/status")
    assert page.status_code == 200
    assert "50% of 2 pair(s) of reviewers on 2 passage(s)" in page.text and "disagreements to settle</th><td>1" in page.text
    assert "4 by 2 reviewer(s)" in page.text and "accept 1 · reject 0 · change 2 · no_goal 1" in page.text


# --- bad values: a 400, nothing stored -------------------------------------------------------


@pytest.mark.parametrize("goal", ["²", str(2**64), "9" * 5000])
def test_a_bad_filter_carried_in_a_decision_is_a_400_and_nothing_is_stored(client, db_url: str, goal: str):
    login(client, "rita")
    page = client.get("/item/p0").text
    fields = [(k, v) for k, v in decide_form(page) if k != "goal"] + [("goal", goal), ("decision", "accept")]
    response = post_form(client, "/item/p0/decide", fields)
    assert response.status_code in (400, 413) and "Traceback" not in response.text
    assert reviews(db_url) == []


@pytest.mark.parametrize(
    "path",
    ["/queue?page=²", "/queue?page=0", "/queue?page=" + "9" * 40, "/mine?page=²", "/queue?goal=²", f"/queue?goal={2**64}", "/queue?date_from=yesterday",
     "/item/p0?goal=²", "/queue?search=" + "x" * 5000],
)
def test_bad_query_values_are_a_400_page(client, path: str):
    login(client, "rita")
    response = client.get(path)
    assert response.status_code == 400 and "text/html" in response.headers["content-type"] and "Back to the queue" in response.text


@pytest.mark.parametrize("review", ["²", "9" * 5000, str(2**63)])
def test_undo_of_a_bad_review_number_is_a_400(client, review: str):
    login(client, "rita")
    token = csrf(client.get("/queue").text)
    response = post_form(client, "/undo", [("csrf_token", token), ("review", review)])
    assert response.status_code == 400 and "not a decision" in response.text


def test_nul_characters_are_a_400_on_every_database(client, db_url: str):
    """PostgreSQL refuses NUL in text with an error: it must not reach it (and not read as a 503)."""
    token = csrf(client.get("/login").text)
    assert client.post("/login", data={"csrf_token": token, "username": "ri\x00ta", "password": "x" * 12}).status_code == 400
    login(client, "rita")
    for path in ("/queue?search=a%00b", "/queue?organisation=%00", "/item/p%000", "/queue?source=x%00"):
        assert client.get(path).status_code == 400, path
    page = client.get("/item/p0").text
    response = post_form(client, "/item/p0/decide", [*decide_form(page), ("decision", "accept"), ("note", "a\x00b")])
    assert response.status_code == 400 and reviews(db_url) == []
    login(client, "ada")
    token = csrf(client.get("/admin/users").text)
    added = client.post("/admin/users", data={"csrf_token": token, "username": "new\x00user", "password": "x" * 12, "role": "reviewer"})
    assert added.status_code == 400


def test_a_value_the_database_refuses_is_bad_input_not_an_unavailable_database(db_url: str):
    from pipeline.errors import InputError

    store = Store.open(db_url)
    # SQLite stores and compares NUL and big numbers (nothing found); PostgreSQL refuses them:
    # bad input (a 400), not a StoreError (a 503 "database not available")
    with contextlib.suppress(InputError):
        assert store.user("ri\x00ta") is None
    with contextlib.suppress(InputError):
        assert store.review(2**62) is None


# --- accounts, tokens, reviewers ------------------------------------------------------------


def test_usernames_are_trimmed_and_case_folded_once(client, db_url: str):
    login(client, "ada")
    token = csrf(client.get("/admin/users").text)
    for name in ("Rita", "rita ", " RITA"):
        response = client.post("/admin/users", data={"csrf_token": token, "username": name, "password": "another-password-1", "role": "admin"})
        assert response.status_code == 400 and "already a user" in response.text, name
    assert [u.username for u in accounts.list_users(Store.open(db_url))] == ["ada", "rita"]
    client.cookies.clear()
    assert login(client, " Rita ", PASSWORDS["rita"]).status_code == 303  # rita's password is unchanged, and she is one account


def test_a_form_token_reused_on_another_passage_is_refused_visibly(client, db_url: str):
    login(client, "rita")
    first = client.get("/item/p0").text
    second = client.get("/item/p1").text
    assert post_form(client, "/item/p0/decide", [*decide_form(first), ("decision", "accept")]).status_code == 303
    token = dict(decide_form(first))["token"]
    reused = [(k, token if k == "token" else v) for k, v in decide_form(second)] + [("decision", "accept")]
    response = post_form(client, "/item/p1/decide", reused)
    assert response.status_code == 400 and "already used for a decision on another passage" in response.text and "Saved" not in response.text
    assert [r["passage_id"] for r in reviews(db_url)] == ["p0"]


def test_an_unknown_address_is_an_html_page(client):
    login(client, "rita")
    for path in ("/no-such-page", "/item"):
        response = client.get(path)
        assert response.status_code == 404 and response.headers["content-type"].startswith("text/html") and "There is no page at this address" in response.text
    assert client.put("/queue").status_code == 405


# --- secrets and the server -----------------------------------------------------------------


@pytest.mark.parametrize("weak", ["a" * 40, "changeme" * 4, "0123456789" * 4, "abcabcabcabcabcabcabcabcabcabcabc"])
def test_a_long_but_guessable_secret_is_refused(db_url: str, weak: str):
    from pipeline.errors import ConfigError
    from pipeline.review.app import create_app

    with pytest.raises(ConfigError, match="easy to guess"):
        create_app(db_url, secret=weak)


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import os
    import secrets as random

    from pipeline.errors import ConfigError
    from pipeline.review.app import SECRET_ENV, secret_key

    monkeypatch.delenv(SECRET_ENV, raising=False)
    path = tmp_path / "instance" / "secret_key"
    path.parent.mkdir()
    path.write_text(random.token_urlsafe(48))
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        secret_key(tmp_path / "instance")
    os.chmod(path, 0o600)
    assert secret_key(tmp_path / "instance") == path.read_text()


def test_serve_on_a_busy_port_says_so_in_one_line_and_exits_2(db_url: str, monkeypatch: pytest.MonkeyPatch):
    import uvicorn

    from pipeline.cli import app

    monkeypatch.setenv("LEVELUP_SECRET_KEY", SECRET)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started on a busy port"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["review", "serve", "--port", str(port), "--db", db_url])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_thresholds_are_found_when_serving_from_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import json

    from pipeline.review import goals
    from pipeline.taxonomy import load_taxonomy

    project = tmp_path / "project"
    (project / "models" / "levelling-up" / "v9").mkdir(parents=True)
    (project / "models" / "levelling-up" / "v9" / "metrics.json").write_text(json.dumps({"thresholds": {"3": 0.42}}))
    monkeypatch.setattr(goals, "PROJECT", project)
    monkeypatch.delenv("LEVELUP_MODELS_DIR", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    taxonomy = load_taxonomy("levelling-up")
    suggestions = [{"goal": 3, "score": 0.3, "predicted": False, "flagged": True, "reasons": ["uncertain"], "explanation": None, "model": "supervised/enc/levelling-up/v9"}]
    row = next(r for r in goals.goal_rows(taxonomy, suggestions) if r.goal == 3)
    assert row.threshold == 0.42 and "not known" not in (row.why_not or "")
