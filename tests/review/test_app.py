"""The review app through the ASGI test client: access control, escaping, CSRF, decisions, undo,
two reviewers, status, exports and login rate limiting."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.routing import APIRoute
from markupsafe import escape

from pipeline.evidence.store import Store
from pipeline.review import accounts
from pipeline.review.queue import ReviewQueue

from .conftest import HOSTILE, PASSWORDS, csrf, decide, login


def reviews(db_url: str) -> list[dict]:
    return Store.open(db_url).reviews("levelling-up")


def test_every_route_but_login_refuses_anonymous_users(app, client):
    routes = [(route.path, method) for route in app.routes if isinstance(route, APIRoute) for method in route.methods or ()]
    assert len(routes) >= 14
    for path, method in routes:
        url = path.replace("{passage_id}", "p1")
        response = client.request(method, url, follow_redirects=False)
        if path == "/login":
            assert response.status_code in (200, 400), (method, path)  # the form; a POST without a CSRF token fails
        else:
            assert response.status_code == 303 and response.headers["location"] == "/login", (method, path)
        assert "guaranteed job" not in response.text and "onerror" not in response.text, (method, path)  # no passage text leaks


def test_login_logout_and_wrong_passwords(client):
    assert login(client, "rita", "wrong password!").status_code == 401
    response = login(client, "rita")
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    queue = client.get("/queue")
    assert queue.status_code == 200 and "rita" in queue.text
    assert client.post("/logout", data={"csrf_token": csrf(queue.text)}, follow_redirects=False).status_code == 303
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_pages_send_security_headers_and_a_strict_session_cookie(client):
    response = login(client, "rita")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/queue")
    assert "script-src 'self'" in page.headers["content-security-policy"] and page.headers["x-frame-options"] == "DENY"


def test_scraped_text_is_escaped_everywhere(client):
    login(client, "rita")
    for url in ("/queue", "/item/p1", "/item/p0"):
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<u>phrase</u>" not in html, url
        assert "<i>news</i>" not in html and "<b>1</b>" not in html and "<em>example</em>" not in html, url
    item = client.get("/item/p1").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in item or "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in item
    assert "&amp; T-levels" in item
    marked = client.get("/item/p0").text
    assert '<mark class="org" title="Example &lt;NHS&gt; Trust">The trust</mark>' in marked
    assert '<mark class="figure"' in marked


def test_forms_without_the_csrf_token_are_refused_and_store_nothing(client, db_url: str):
    login(client, "rita")
    response = client.post("/item/p0/decide", data={"decision": "accept"}, follow_redirects=False)
    assert response.status_code == 400 and "did not come from this site" in response.text
    response = client.post("/item/p0/decide", data={"decision": "accept", "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 400
    assert reviews(db_url) == []


def test_queue_is_most_uncertain_first_and_filterable(client):
    login(client, "rita")
    html = client.get("/queue").text
    assert html.index("/item/p0") < html.index("/item/p1") < html.index("/item/p2") < html.index("/item/p3")
    assert "/item/p4" not in html  # not flagged
    only_goal_10 = client.get("/queue?goal=10").text
    assert "/item/p2" in only_goal_10 and "/item/p0" not in only_goal_10
    assert "/item/p0" in client.get("/queue?organisation=Example+NHS+Trust&source=example.org&date_from=2026-01-01&date_to=2026-12-31").text
    assert "/item/p0" not in client.get("/queue?date_from=2027-01-01").text


def test_decisions_are_stored_with_before_and_after_and_lead_to_the_next_item(client, db_url: str):
    login(client, "rita")
    response = decide(client, "p0", "accept", note="clear apprenticeship evidence")
    assert response.status_code == 303 and response.headers["location"] == "/item/p1"
    assert decide(client, "p1", "change", goals="3 14").headers["location"] == "/item/p2"
    decide(client, "p2", "reject")
    decide(client, "p3", "no_goal")
    rows = {r["passage_id"]: r for r in reviews(db_url)}
    assert rows["p0"]["goals_before"] == [3] and rows["p0"]["goals_after"] == [3] and rows["p0"]["note"] == "clear apprenticeship evidence"
    assert rows["p1"]["goals_before"] == [3, 5] and rows["p1"]["goals_after"] == [3, 14]
    assert rows["p2"]["decision"] == "reject" and rows["p3"]["goals_after"] == []
    assert all(r["reviewer"] == "rita" for r in rows.values())
    assert "Nothing to review" in client.get("/queue").text
    # accepted, changed and "no goal" passages become training labels; a reject does not
    labels = dict(Store.open(db_url).reviewed_labels("levelling-up"))
    assert labels == {TEXT: goals for TEXT, goals in labels.items()} and len(labels) == 3
    assert labels[HOSTILE] == [3, 14]


def test_bad_decisions_are_one_line_errors(client, db_url: str):
    login(client, "rita")
    assert decide(client, "p0", "change", goals="3 99").status_code == 400
    assert "at least one goal" in decide(client, "p0", "change", goals="").text
    assert decide(client, "p0", "change", goals="three").status_code == 400
    assert decide(client, "p0", "delete").status_code == 400
    assert reviews(db_url) == []


def test_undo_takes_back_the_last_decision_and_keeps_the_history(client, db_url: str):
    login(client, "rita")
    decide(client, "p0", "accept")
    decide(client, "p1", "no_goal")
    page = client.get("/queue")
    response = client.post("/undo", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert response.headers["location"] == "/item/p1"  # back to the passage to decide again
    rows = reviews(db_url)
    assert [r["decision"] for r in rows] == ["accept", "no_goal", "undo"] and rows[2]["undoes"] == rows[1]["id"]
    assert "/item/p1" in client.get("/queue").text and "/item/p0" not in client.get("/queue").text
    decide(client, "p1", "change", goals="5")
    assert dict(Store.open(db_url).reviewed_labels("levelling-up"))[HOSTILE] == [5]


def test_two_reviewers_are_both_kept_and_agreement_is_reported(client, db_url: str):
    login(client, "rita")
    decide(client, "p0", "accept")
    decide(client, "p1", "change", goals="3")
    client.cookies.clear()
    login(client, "ada")
    decide(client, "p0", "accept")
    decide(client, "p1", "change", goals="14")
    assert {(r["passage_id"], r["reviewer"]) for r in reviews(db_url)} == {("p0", "rita"), ("p1", "rita"), ("p0", "ada"), ("p1", "ada")}
    status = ReviewQueue(Store.open(db_url), "levelling-up").status()
    assert status["agreement"] == {"passages": 2, "pairs": 2, "rate": 0.5}
    assert status["model_precision"]["suggested"] == 6 and status["model_precision"]["kept"] == 3
    html = client.get("/status").text
    assert "50% of 2 pair(s)" in html and "reviews today" in html


def test_reviewers_cannot_do_admin_things(client, db_url: str):
    login(client, "rita")
    for url in ("/admin/users", "/export/reviews.csv", "/export/reviews.jsonl", "/export/label-studio.json", "/export/argilla.json"):
        assert client.get(url).status_code == 403, url
    page = client.get("/queue")
    response = client.post("/admin/users", data={"csrf_token": csrf(page.text), "username": "mallory", "password": "x" * 12, "role": "admin"})
    assert response.status_code == 403
    from pipeline.review.accounts import get_user

    assert get_user(Store.open(db_url), "mallory") is None


def test_admins_manage_users_and_export(client, db_url: str):
    login(client, "ada")
    page = client.get("/admin/users")
    assert page.status_code == 200 and "rita" in page.text
    short = client.post("/admin/users", data={"csrf_token": csrf(page.text), "username": "bob", "password": "short", "role": "reviewer"})
    assert short.status_code == 400 and "too short" in short.text
    client.post("/admin/users", data={"csrf_token": csrf(page.text), "username": "bob", "password": "b" * 12, "role": "reviewer"})
    assert "bob" in client.get("/admin/users").text
    decide(client, "p1", "change", goals="3 14")
    rows = list(csv.DictReader(io.StringIO(client.get("/export/reviews.csv").text)))
    assert rows[0]["passage_text"] == HOSTILE and rows[0]["goals_after"] == "3 14"
    line = json.loads(client.get("/export/reviews.jsonl").text.splitlines()[0])
    assert line["goals_after"] == [3, 14] and line["reviewer"] == "ada"
    tasks = client.get("/export/label-studio.json").json()
    assert {t["data"]["passage_id"] for t in tasks} == {"p0", "p2", "p3"}  # passages nobody has decided yet
    records = client.get("/export/argilla.json").json()
    assert records[0]["fields"]["text"] and records[0]["suggestions"][0]["question_name"] == "goals"


def test_failed_logins_are_rate_limited_without_sleeping(client, clock):
    for _ in range(5):
        assert login(client, "rita", "wrong password!").status_code == 401
    locked = login(client, "rita")  # even the right password waits
    assert locked.status_code == 429 and "Try again in" in locked.text
    clock.now += 301
    assert login(client, "rita").status_code == 303


@pytest.mark.parametrize("username", ["rita", "nobody"])
def test_login_failure_message_does_not_say_which_part_was_wrong(client, username: str):
    response = login(client, username, "definitely wrong")
    assert response.status_code == 401 and "Unknown username or wrong password." in response.text
    assert PASSWORDS["rita"] not in response.text


def test_the_session_secret_comes_from_the_environment_or_is_generated_once(tmp_path, monkeypatch: pytest.MonkeyPatch):
    import stat

    from pipeline.review.app import SECRET_ENV, secret_key

    monkeypatch.delenv(SECRET_ENV, raising=False)
    first = secret_key(tmp_path / "instance")
    assert len(first) >= 40 and secret_key(tmp_path / "instance") == first
    assert stat.S_IMODE((tmp_path / "instance" / "secret_key").stat().st_mode) == 0o600
    monkeypatch.setenv(SECRET_ENV, "from-the-environment-and-long-enough-to-sign")
    assert secret_key(tmp_path / "instance") == "from-the-environment-and-long-enough-to-sign"


def test_the_evidence_table_counts_standing_reviews_over_the_model(db_url: str):
    from pipeline.report.summary import evidence_links
    from pipeline.taxonomy import load_taxonomy

    store = Store.open(db_url)
    queue = ReviewQueue(store, "levelling-up")
    taxonomy = load_taxonomy("levelling-up")

    def goals_of(passage: str) -> set[int]:
        links = evidence_links(store, taxonomy)
        return set(links[links.passage_id == passage].goal)

    assert goals_of("p1") == {3, 5}  # the model's goals
    queue.decide("p1", "rita", "change", goals=[14], goal_ids=range(1, 15))
    assert goals_of("p1") == {14}
    queue.decide("p1", "rita", "skip")
    assert goals_of("p1") == {14}  # a skip decides nothing
    queue.undo_last("rita")  # takes back the skip
    queue.undo_last("rita")  # and the change
    assert goals_of("p1") == {3, 5}


def test_a_skip_leaves_the_passage_waiting_and_it_comes_back_last(db_url: str):
    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    assert queue.size() == 4 and queue.size("rita") == 4
    queue.decide("p0", "rita", "skip")
    assert queue.size("rita") == 4  # still waiting for rita, but after the rest
    assert [i.passage_id for i in queue.items("rita")] == ["p1", "p2", "p3", "p0"] and queue.items("rita")[-1].skipped
    assert queue.size() == 4  # and nobody has decided it
    queue.decide("p1", "ada", "accept")
    assert queue.size() == 3


def test_a_database_failure_during_a_request_is_the_503_page(app, client, tmp_path):
    from sqlalchemy import create_engine

    login(client, "rita")
    app.state.settings.store.engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'evidence.db'}")
    for path in ("/queue", "/item/p0", "/status"):
        page = client.get(path)
        assert page.status_code == 503, path
        assert "not available just now" in page.text and "Traceback" not in page.text and "SELECT" not in page.text


# --- security findings, one regression test each ----------------------------------------------


@pytest.mark.parametrize("weak", ["", "   \n", "x", "short-but-not-32-bytes-long"])
def test_a_weak_secret_in_the_environment_or_file_refuses_to_start(tmp_path, monkeypatch: pytest.MonkeyPatch, db_url: str, weak: str):
    """A short secret would let anyone forge an admin's session cookie offline."""
    from pipeline.errors import ConfigError
    from pipeline.review.app import SECRET_ENV, create_app, secret_key

    monkeypatch.setenv(SECRET_ENV, weak)
    with pytest.raises(ConfigError, match="at least 32 random bytes"):
        create_app(db_url)
    monkeypatch.delenv(SECRET_ENV)
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text(weak)
    with pytest.raises(ConfigError, match="secret_key is"):
        secret_key(tmp_path / "instance")
    with pytest.raises(ConfigError):
        create_app(db_url, secret=weak)


def test_a_secret_that_cannot_be_written_refuses_to_start(tmp_path, monkeypatch: pytest.MonkeyPatch):
    from pipeline.errors import ConfigError
    from pipeline.review.app import SECRET_ENV, secret_key

    monkeypatch.delenv(SECRET_ENV, raising=False)
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot write the session secret"):
        secret_key(tmp_path / "file" / "instance")


def test_the_cli_says_the_weak_secret_in_one_line(db_url: str, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from pipeline.cli import app as cli

    monkeypatch.setenv("LEVELUP_SECRET_KEY", "x")
    result = CliRunner().invoke(cli, ["review", "serve", "--db", db_url, "--port", "1"])
    assert result.exit_code == 2 and "at least 32 random bytes" in result.stderr and "Traceback" not in result.stderr


def test_a_cookie_replayed_after_logout_is_refused(client):
    login(client, "rita")
    page = client.get("/queue")
    cookie = client.cookies.get("levelup_session")
    client.post("/logout", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    client.cookies.clear()
    client.cookies.set("levelup_session", cookie)
    response = client.get("/queue", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_a_password_change_ends_every_other_session(app, db_url: str):
    from fastapi.testclient import TestClient

    from pipeline.review import accounts

    laptop, phone = TestClient(app, base_url="http://127.0.0.1"), TestClient(app, base_url="http://127.0.0.1")
    login(laptop, "rita")
    login(phone, "rita")
    old_cookie = phone.cookies.get("levelup_session")
    page = phone.get("/account").text
    changed = phone.post("/account", data={"csrf_token": csrf(page), "current": PASSWORDS["rita"], "new": "a-brand-new-password"}, follow_redirects=False)
    assert changed.status_code == 303
    assert laptop.get("/queue", follow_redirects=False).status_code == 303  # the other session is over
    assert phone.get("/queue").status_code == 200  # the one that changed it has a fresh session
    new_cookie = phone.cookies.get("levelup_session")
    phone.cookies.clear()
    phone.cookies.set("levelup_session", old_cookie)
    assert phone.get("/queue", follow_redirects=False).status_code == 303  # its old cookie is over too
    phone.cookies.clear()
    phone.cookies.set("levelup_session", new_cookie)
    login(laptop, "rita", "a-brand-new-password")
    accounts.add_user(Store.open(db_url), "rita", "reset-by-an-admin", "reviewer")  # an admin's reset, too
    assert laptop.get("/queue", follow_redirects=False).status_code == 303
    login(phone, "rita", "reset-by-an-admin")
    page = phone.get("/account").text
    wrong = phone.post("/account", data={"csrf_token": csrf(page), "current": "wrong", "new": "whatever-long"}, follow_redirects=False)
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text


def test_the_session_cookie_is_secure_with_https(db_url: str):
    from fastapi.testclient import TestClient

    from pipeline.review.app import create_app

    client = TestClient(create_app(db_url, secret="an https test secret, long enough and varied", https_only=True), base_url="https://127.0.0.1")
    assert "secure" in login(client, "rita").headers["set-cookie"].lower()


def test_spraying_one_password_over_many_usernames_is_limited(client, clock):
    for number in range(20):
        assert login(client, f"user{number}", "Spring2026!").status_code == 401
    assert login(client, "rita").status_code == 429  # the address is limited, whatever the username
    clock.now += 301
    assert login(client, "rita").status_code == 303  # and the limit expires


def test_forwarded_for_is_not_believed_unless_configured_so_rotating_it_is_limited(app):
    import socket
    import threading
    import time as clock_time

    import httpx
    import uvicorn

    from pipeline.review.app import server_options

    assert server_options()["proxy_headers"] is False
    assert server_options(forwarded_allow_ips="10.0.0.2")["forwarded_allow_ips"] == "10.0.0.2"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **server_options()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        clock_time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            statuses = []
            for number in range(22):
                token = csrf(http.get("/login").text)
                spoofed = {"X-Forwarded-For": f"203.0.113.{number}"}
                statuses.append(http.post("/login", data={"csrf_token": token, "username": f"u{number}", "password": "guess-guess"}, headers=spoofed).status_code)
            assert statuses[:20] == [401] * 20 and statuses[20:] == [429, 429]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_error_pages_carry_the_security_headers(app, client, monkeypatch: pytest.MonkeyPatch):
    login(client, "rita")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.headers["x-frame-options"] == "DENY"

    def broken(*_args, **_kwargs):
        raise RuntimeError("an unforeseen bug")

    monkeypatch.setattr(ReviewQueue, "status", broken)
    response = client.get("/status")
    assert response.status_code == 500 and "Something went wrong" in response.text and "unforeseen" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"] and response.headers["x-content-type-options"] == "nosniff"


# --- feedback and history ------------------------------------------------------------------------


def test_each_decision_is_confirmed_with_an_undo_and_progress(client, db_url: str):
    login(client, "rita")
    decide(client, "p0", "accept")
    page = client.get("/item/p1").text
    assert "Saved: accept (goals 3) for “The trust took on 120 apprentices from the local area,…”." in page and 'name="review"' in page
    assert "1/4 · " in page and "left" in page  # one done, three waiting
    assert "Saved:" not in client.get("/item/p1").text  # said once
    decide(client, "p1", "no_goal")
    first = reviews(db_url)[0]["id"]
    response = client.post("/undo", data={"csrf_token": csrf(page), "review": str(first)}, follow_redirects=False)
    assert response.headers["location"] == "/item/p0"  # the confirmed one, not just the latest
    rows = reviews(db_url)
    assert rows[-1]["decision"] == "undo" and rows[-1]["undoes"] == first


def test_my_decisions_lists_and_revises_own_decisions_keeping_the_history(client, db_url: str):
    login(client, "rita")
    decide(client, "p0", "accept")
    decide(client, "p1", "change", goals="14")
    mine = client.get("/mine").text
    assert mine.index("/item/p1") < mine.index("/item/p0") and "3 5 → 14" in mine
    decide(client, "p0", "change", goals="3 8")  # revise p0 from its page
    rows = [r for r in reviews(db_url) if r["passage_id"] == "p0"]
    assert [r["goals_after"] for r in rows] == [[3], [3, 8]]  # both kept
    assert dict(Store.open(db_url).reviewed_labels("levelling-up"))[Store.open(db_url).passage("p0")["text"]] == [3, 8]
    client.cookies.clear()
    login(client, "ada")
    page = client.get("/mine").text
    assert client.post("/undo", data={"csrf_token": csrf(page), "review": str(rows[0]["id"])}, follow_redirects=False).headers["location"] == "/queue"
    assert all(r["decision"] != "undo" for r in reviews(db_url))  # nobody takes back another's decision


def test_the_queue_pages_searches_and_counts_with_the_filters(client):
    login(client, "rita")
    everything = client.get("/queue").text
    assert "(4 waiting for you)" in everything
    found = client.get("/queue?search=heat+pumps").text + client.get("/queue?search=older+residents").text
    assert "/item/p2" in found and "/item/p0" not in found
    assert "4 waiting for you, 1 with these filters" in client.get("/queue?search=residents").text
    assert "4 waiting for you, 1 with these filters" in client.get("/queue?goal=10").text


def test_the_review_page_shows_each_goals_guideline_and_the_shortcuts(client):
    from pipeline.taxonomy import load_taxonomy

    login(client, "rita")
    page = client.get("/item/p0").text
    goal = load_taxonomy("levelling-up").goals[2]
    assert "guideline" in page and str(escape(goal.description)) in page
    if goal.includes:
        assert str(escape(goal.includes[0])) in page
    assert 'id="help"' in page and "tick or untick a goal" in page


# --- adjudication ---------------------------------------------------------------------------------


def test_work_is_shared_out_and_overlap_is_a_setting(db_url: str):
    shared = ReviewQueue(Store.open(db_url), "levelling-up", reviewers_per_passage=1)
    shared.decide("p0", "rita", "accept")
    assert "p0" not in [i.passage_id for i in shared.items("ada")]  # rita has it: ada gets the others
    overlap = ReviewQueue(Store.open(db_url), "levelling-up", reviewers_per_passage=2)
    assert "p0" in [i.passage_id for i in overlap.items("ada")]  # a second reviewer, for agreement
    overlap.decide("p0", "ada", "accept")
    assert "p0" not in [i.passage_id for i in overlap.items("bob")]


def test_an_admin_settles_a_disagreement_and_reports_exports_and_training_use_it(client, db_url: str):
    from pipeline.report.summary import evidence_links
    from pipeline.taxonomy import load_taxonomy

    queue = ReviewQueue(Store.open(db_url), "levelling-up", reviewers_per_passage=2)
    queue.decide("p1", "rita", "change", goals=[3])
    queue.decide("p1", "bob", "change", goals=[14])
    queue.decide("p0", "rita", "accept")
    queue.decide("p0", "bob", "accept")  # agreeing: nothing to settle
    login(client, "ada")
    page = client.get("/admin/disagreements").text
    assert "/admin/settle/p1" in page and "/admin/settle/p0" not in page and "14. Achieve equality" in page
    status = client.get("/status").text
    assert "Agreement per reviewer" in status and "disagreements to settle</th><td>1" in status
    response = client.post("/admin/settle/p1", data={"csrf_token": csrf(page), "goals": "3 5", "note": "both goals apply"}, follow_redirects=False)
    assert response.status_code == 303
    store = Store.open(db_url)
    assert "No disagreements" in client.get("/admin/disagreements").text
    assert dict(store.reviewed_labels("levelling-up"))[HOSTILE] == [3, 5]  # training
    links = evidence_links(store, load_taxonomy("levelling-up"))
    assert set(links[links.passage_id == "p1"].goal) == {3, 5}  # reports and exports
    queue.decide("p1", "carol", "change", goals=[9])  # a later review does not undo the settlement
    assert dict(store.reviewed_labels("levelling-up"))[HOSTILE] == [3, 5]
    bad = client.post("/admin/settle/p1", data={"csrf_token": csrf(page), "goals": "²"}, follow_redirects=False)
    assert bad.status_code == 400


def test_the_settle_page_shows_context_titles_the_model_and_both_reviewers_and_keeps_the_note_on_a_mistake(client, db_url: str):
    queue = ReviewQueue(Store.open(db_url), "levelling-up", reviewers_per_passage=2)
    queue.decide("p0", "rita", "no_goal")
    queue.decide("p0", "bob", "change", goals=[3, 5, 8])
    login(client, "ada")
    page = client.get("/admin/settle/p0")
    assert page.status_code == 200
    html = page.text
    assert "Strong foundations in early years" in html and "Positive destinations post 16+" in html  # goal titles
    assert "<strong>suggested</strong> 0.80" in html  # the model's suggestion (goal 3)
    assert "<th>rita</th>" in html and "<th>bob</th>" in html and "no goal" in html  # side by side
    assert 'class="context"' in html  # the neighbouring passages, as context
    typo = client.post("/admin/settle/p0", data={"csrf_token": csrf(html), "goals": "health", "note": "read the report"}, follow_redirects=False)
    assert typo.status_code == 400 and 'value="read the report"' in typo.text and "is not a goal number" in typo.text
    assert 'action="/admin/settle/p0"' in typo.text  # back on the form, not a dead end
    done = client.post("/admin/settle/p0", data={"csrf_token": csrf(html), "goals": ["3", "8"], "note": "read the report"})
    assert done.status_code == 200 and "Settled “The trust took on 120 apprentices" in done.text and "p0" not in done.text.split("Settled")[1][:120]


def test_double_review_is_blind_until_one_has_decided_and_a_dispute_is_shown_as_disputed(db_url: str):
    from fastapi.testclient import TestClient

    from pipeline.review.app import create_app

    client = TestClient(create_app(db_url, secret="a test secret that is long enough", reviewers_per_passage=2), base_url="http://127.0.0.1")
    login(client, "ada")
    decide(client, "p0", "no_goal", note="nothing here")
    client.cookies.clear()
    login(client, "rita")
    before = client.get("/item/p0").text
    assert "ada" not in before.split("<main")[1] and "nothing here" not in before  # not anchored on ada's decision
    assert "1 other reviewer(s) decided this passage" in before and 'id="disputed"' not in before
    decide(client, "p0", "change", goals="3 5 8", page=before)
    after = client.get("/item/p0").text
    assert "ada: no goal" in after and 'id="disputed"' in after  # decided: now both show, and the dispute
    store = Store.open(db_url)
    assert store.reviewed_labels("levelling-up") == []  # neither label stands
    assert "ada" not in {row["reviewer"] for row in store.standing_evidence("levelling-up")[1].to_dict("records")}
    assert store.standing_evidence("levelling-up")[1].empty


def test_a_third_reviewer_cannot_decide_by_url_under_double_review(db_url: str):
    from fastapi.testclient import TestClient

    from pipeline.review.app import create_app

    store = Store.open(db_url)
    accounts.add_user(store, "carol", "carol-password-1", "reviewer")
    queue = ReviewQueue(store, "levelling-up", reviewers_per_passage=2)
    queue.decide("p0", "rita", "accept")
    queue.decide("p0", "ada", "accept")
    client = TestClient(create_app(db_url, secret="a test secret that is long enough", reviewers_per_passage=2), base_url="http://127.0.0.1")
    login(client, "carol", "carol-password-1")
    response = decide(client, "p0", "change", goals="9")
    assert response.status_code == 400 and "already has the 2 reviews it needs" in response.text
    assert {r["reviewer"] for r in reviews(db_url)} == {"rita", "ada"}


def test_reviewers_cannot_settle(client, db_url: str):
    login(client, "rita")
    page = client.get("/queue").text
    assert client.get("/admin/disagreements").status_code == 403
    assert client.post("/admin/settle/p1", data={"csrf_token": csrf(page), "goals": "3"}).status_code == 403
    assert reviews(db_url) == []


def test_agreement_per_reviewer_and_per_goal(db_url: str):
    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    queue.decide("p0", "rita", "change", goals=[3, 5])
    queue.decide("p0", "ada", "change", goals=[3])
    queue.decide("p1", "rita", "change", goals=[8])
    queue.decide("p1", "ada", "change", goals=[8])
    status = queue.status()
    assert status["agreement_by_reviewer"] == {"ada": {"pairs": 2, "rate": 0.5}, "rita": {"pairs": 2, "rate": 0.5}}
    assert status["agreement_by_goal"] == {3: {"pairs": 1, "rate": 1.0}, 5: {"pairs": 1, "rate": 0.0}, 8: {"pairs": 1, "rate": 1.0}}


def test_a_table_passage_is_shown_as_a_table_with_its_figures_marked():
    from pipeline.review.app import passage_html, readable_text

    text = "| Apprenticeships at a glance | | |\n| Measure | 2022 | 2023 |\n| Apprenticeship starts | 95 | 120 |"
    start = text.index("120")
    html = str(passage_html(text, [], [{"start": start, "end": start + 3, "value": 120.0, "unit": "count", "counted": "Apprenticeship starts (2023)"}]))
    assert "|" not in html and "<caption>Apprenticeships at a glance</caption>" in html
    assert '<th scope="col">2023</th>' in html and '<th scope="row">Apprenticeship starts</th>' in html
    assert '<td><mark class="figure"' in html and ">120</mark></td>" in html
    assert "|" not in readable_text(text) and "Apprenticeship starts" in readable_text(text)
    assert str(passage_html("<b>plain</b> text", [], [])) == "&lt;b&gt;plain&lt;/b&gt; text"
