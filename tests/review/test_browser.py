"""A real browser (Debian's chromium driven by Playwright) logs in and reviews with the keyboard.

Skipped, with the reason, only when chromium is not installed and CI is not set: in CI (where
.ci/run installs chromium) a missing browser is a failure.
"""

from __future__ import annotations

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
    yield f"http://127.0.0.1:{port}"
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
