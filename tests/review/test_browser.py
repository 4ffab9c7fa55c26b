"""A real browser (Debian's chromium driven by Playwright) logs in and reviews with the keyboard.

Skipped, with the reason, only when chromium is not installed and CI is not set: in CI (where
.ci/run installs chromium) a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time

import pytest

from pipeline.evidence.store import Store

from .conftest import PASSWORDS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.slow

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)


@pytest.fixture
def server(app):
    with serving(app) as url:
        yield url


@contextlib.contextmanager
def serving(app):
    """The app on a free loopback port, in a thread, for as long as the block runs."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "the review app did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "chromium is not installed: .ci/run installs Debian's chromium package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_review_three_passages_with_the_keyboard_and_undo_one(server: str, page, db_url: str):
    page.goto(f"{server}/queue")
    assert page.url.endswith("/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")  # autofocus
    page.keyboard.type("rita")  # the username box has focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["rita"])
    assert page.input_value("#username") == "rita" and page.input_value("#password") == PASSWORDS["rita"]
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/queue")

    page.keyboard.press("Enter")  # open the first (most uncertain) passage
    page.wait_for_url(f"{server}/item/p0")
    page.keyboard.press("a")  # accept the goals ticked as the model suggests
    page.wait_for_url(f"{server}/item/p1")
    assert "<script>" in page.inner_text("#passage")  # shown as text, never run
    page.keyboard.press("5")  # untick goal 5
    page.keyboard.press("1")  # and tick 14: two digits typed quickly
    page.keyboard.press("4")
    page.wait_for_function("document.getElementById('goal-14').checked")
    assert page.inner_text("#accept").startswith("Save change")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/item/p2")
    page.keyboard.press("n")  # no goal
    page.wait_for_url(f"{server}/item/p3")
    page.keyboard.press("u")  # undo the last decision: back to p2
    page.wait_for_url(f"{server}/item/p2")

    rows = Store.open(db_url).reviews("levelling-up")
    assert [(r["passage_id"], r["decision"], r["goals_after"]) for r in rows] == [
        ("p0", "accept", [3]),
        ("p1", "change", [3, 14]),
        ("p2", "no_goal", []),
        ("p2", "undo", [10]),
    ]
    assert rows[3]["undoes"] == rows[2]["id"] and {r["reviewer"] for r in rows} == {"rita"}


def log_in(page, server: str) -> None:
    page.goto(f"{server}/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type("rita")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["rita"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/queue")


def test_a_stale_page_and_a_flagged_but_not_suggested_goal_with_the_keyboard(server: str, page, db_url: str):
    from .test_queue import retag

    log_in(page, server)
    page.goto(f"{server}/item/p0")
    page.keyboard.press("?")  # the shortcuts overlay
    assert page.is_visible("#help") and "tick or untick a goal" in page.inner_text("#help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#help")
    retag(db_url, "p0", {13})  # the model re-tags the passage while the page is open
    page.keyboard.press("Enter")
    page.wait_for_selector("#message")
    assert "changed after the page was drawn" in page.inner_text("#message")
    assert page.is_checked("#goal-13") and not page.is_checked("#goal-3")  # the fresh suggestions
    assert Store.open(db_url).reviews("levelling-up") == []
    page.keyboard.press("Enter")  # decide again, on what is shown now
    page.wait_for_url(f"{server}/item/p1")

    page.goto(f"{server}/item/p3")  # goal 8 flagged, nothing suggested
    assert page.inner_text("#accept").startswith("Confirm: no goal") and not page.is_checked("#goal-8")
    assert "not suggested" in page.inner_text("#goals")
    page.keyboard.press("8")
    page.wait_for_function("document.getElementById('goal-8').checked")
    assert page.inner_text("#accept").startswith("Save change")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/item/p3" not in url)

    rows = Store.open(db_url).reviews("levelling-up")
    assert [(r["passage_id"], r["decision"], r["goals_before"], r["goals_after"]) for r in rows] == [
        ("p0", "accept", [13], [13]),
        ("p3", "change", [], [8]),
    ]


def test_the_pages_fit_a_390_pixel_phone_screen(server: str, page):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, server)
    for path in ("/queue", "/item/p0", "/mine"):
        page.goto(f"{server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390 px"


LONG = " ".join(
    f"In {2015 + n % 10} the trust's apprenticeship programme, run with the local college and three councils, "
    f"took on {40 + n} young people from the most deprived wards and kept {30 + n} of them in work a year later."
    for n in range(40)
)  # about 7,500 characters: a long passage from an impact report


def add_long_passages(store: Store) -> None:
    """A second document: one very long passage (the most uncertain in the queue) and eight short
    ones, all flagged, so a reviewer has more than ten passages to work through."""
    from pipeline.records import Document, Passage, Suggestion

    texts = [LONG] + [f"Short passage {n}: the council funded {n * 10} laptops for pupils without one at home." for n in range(8)]
    passages, at = [], 0
    for i, text in enumerate(texts):
        passages.append(Passage(id=f"long{i}", document_id="doc2", ordinal=i, text=text, start=at, end=at + len(text)))
        at += len(text) + 2
    document = Document(id="doc2", url="https://example.org/report", kind="html", text="\n\n".join(texts), content_hash="h2", title="Impact report", date="2026-06-01")
    suggestions = [
        Suggestion(
            passage_id=p.id, taxonomy="levelling-up", goal=goal, score=0.7 if goal in (4, 6) else 0.05, predicted=goal in (4, 6), model="test-model",
            flagged=goal == 6, priority=(0.99 if i == 0 else 0.95 - i / 100) if goal == 6 else None, reasons=["uncertain", "vetoed: P(no goal)=0.88 ≥ 0.56"] if goal == 6 else None,
        )
        for i, p in enumerate(passages)
        for goal in range(1, 15)
    ]
    with store.transaction() as tx:
        tx.save_document(document, passages, organisation="Example NHS Trust")
        tx.save_suggestions(suggestions)


@pytest.fixture
def long_server(db_url: str):
    """The app under double review (2 reviewers per passage), with the long passages added."""

    from pipeline.review.app import create_app

    store = Store.open(db_url)
    add_long_passages(store)
    store.dispose()
    app = create_app(db_url, secret="a test secret that is long enough", reviewers_per_passage=2)
    with serving(app) as url:
        yield url


def log_in_as(page, server: str, who: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#username", who)
    page.fill("#password", PASSWORDS[who])
    page.press("#password", "Enter")
    page.wait_for_url(f"{server}/queue")


def test_a_long_passage_fits_one_desktop_screen_and_ten_items_are_reviewed_with_the_keyboard(long_server: str, page, db_url: str):
    server = long_server
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_as(page, server, "rita")
    page.keyboard.press("Enter")  # the most uncertain passage: the long one
    page.wait_for_url(f"{server}/item/long0")
    assert page.evaluate("document.documentElement.scrollHeight") <= 900  # one screen, no page scroll

    def on_screen(selector: str) -> bool:
        box = page.locator(selector).first.bounding_box()
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900 and box["x"] + box["width"] <= 1400

    passage = page.locator("#passage").bounding_box()
    assert passage is not None and 0 <= passage["y"] < 200 and passage["x"] + passage["width"] <= 1400  # starts at the top; scrolls in its column
    assert on_screen("#accept") and on_screen("#reject") and on_screen("#note")  # the action bar
    assert on_screen(".top li.flagged")  # the flagged goal, its score and why, in plain words
    flagged = page.inner_text(".top li.flagged")
    assert "6" in flagged and "0.70" in flagged and "close to this goal's threshold" in flagged and "no goal at all (88% likely" in flagged
    assert "P(no goal)" not in page.inner_text("main")
    for goal in range(1, 15):  # every goal reachable: scrolled to within its column, never cut
        page.locator(f"#goal-{goal}").scroll_into_view_if_needed()
        assert page.is_visible(f"#goal-{goal}")
    titles = page.evaluate(
        "Array.from(document.querySelectorAll('.goal-list .title')).map(t => [getComputedStyle(t).wordBreak, getComputedStyle(t).overflowWrap, t.getClientRects().length, t.textContent])"
    )
    for word_break, wrap, _lines, title in titles:  # breaks only between words, never inside one
        assert word_break == "normal" and wrap == "normal", title
    widths = page.evaluate("Array.from(document.querySelectorAll('.goal-list label')).map(l => l.getBoundingClientRect().width)")
    assert min(widths) >= 250  # a column wide enough for the titles
    assert page.is_checked("#goal-4") and page.is_checked("#goal-6")

    for number in range(10):  # ten decisions with the keyboard alone
        before = page.url
        page.keyboard.press("a" if number % 2 == 0 else "n")
        page.wait_for_url(lambda url, before=before: url != before)
    decided = [r for r in Store.open(db_url).reviews("levelling-up") if r["reviewer"] == "rita"]
    assert len(decided) == 10 and {r["decision"] for r in decided} == {"accept", "no_goal"}


def test_blind_double_review_and_settling_in_the_browser(long_server: str, page, db_url: str):
    server = long_server
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_as(page, server, "rita")
    page.goto(f"{server}/item/p0")
    page.keyboard.press("n")  # rita: no goal
    page.wait_for_url(lambda url: "/item/p0" not in url)
    page.context.clear_cookies()
    log_in_as(page, server, "ada")
    page.goto(f"{server}/item/p0")
    assert "rita" not in page.inner_text(".reading") and "1 other reviewer(s)" in page.inner_text("#blind")  # blind
    page.keyboard.press("5")  # ada: goals 3 and 5
    page.wait_for_function("document.getElementById('goal-5').checked")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/item/p0" not in url)
    page.goto(f"{server}/item/p0")
    assert "rita: no goal" in page.inner_text("#decisions") and page.is_visible("#disputed")
    page.goto(f"{server}/admin/disagreements")
    page.click("#first-item")
    page.wait_for_url(f"{server}/admin/settle/p0")
    assert "Strong foundations in early years" in page.inner_text("#side-by-side")
    page.fill("#note", "goal 3 only")
    page.check("#goal-3")
    page.click("#settle button[type=submit]")
    page.wait_for_url(f"{server}/admin/disagreements")
    assert "Settled “The trust took on 120 apprentices" in page.inner_text("#flash") and "p0" not in page.inner_text("#flash")
    assert dict(Store.open(db_url).reviewed_labels("levelling-up"))["The trust took on 120 apprentices from the local area, each with a guaranteed job."] == [3]


def test_admin_pages_fit_a_390_pixel_phone_screen(long_server: str, page):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, long_server, "ada")
    for path in ("/queue", "/item/long0", "/status", "/admin/users", "/admin/disagreements", "/admin/settle/p0", "/no-such-page"):
        page.goto(f"{long_server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390 px"
    assert "There is no page at this address" in page.inner_text("main")  # the 404, as a page
