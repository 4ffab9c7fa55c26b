"""A real browser (Debian's chromium via Playwright), on a desktop and a phone: a viewer searches
the evidence, narrows it by two facets, opens an organisation, and downloads the CSV, whose rows
are exactly the filter's count; no page is wider than the screen.

Skipped, with the reason, only when chromium is not installed and CI is not set (as test_browser.py).
"""

from __future__ import annotations

import csv

import pytest

from pipeline.evidence.store import Store
from pipeline.records import Document, Extraction, Figure, Passage, Suggestion
from pipeline.review import accounts

from .test_browser import CHROMIUM, serving

pytestmark = pytest.mark.slow
VIEWER_PASSWORD = "viewer-password-1"
ORGANISATIONS = {"Northtown NHS Foundation Trust": (5, 9), "University of Southtown": (5, 6), "Easttown Borough Council": (9,)}


def add_evidence(db_url: str) -> None:
    """Three more organisations, each with three passages about skills (some with figures)."""
    store = Store.open(db_url)
    for number, (name, goals) in enumerate(ORGANISATIONS.items()):
        doc = f"d{number}"
        texts = [f"{name} ran skills workshops for {10 * (i + 1)} young people in {2022 + i}." for i in range(3)]
        passages = [Passage(id=f"{doc}p{i}", document_id=doc, ordinal=i, text=t, start=0, end=len(t)) for i, t in enumerate(texts)]
        with store.transaction() as tx:
            tx.save_document(Document(id=doc, url=f"https://{number}.example.org/", kind="pdf" if number else "html", text="\n".join(texts), content_hash=doc, date=f"202{number + 2}-03-01"), passages, organisation=name)
            tx.save_suggestions([Suggestion(passage_id=p.id, taxonomy="levelling-up", goal=g, score=0.9, predicted=True, model="m") for p in passages for g in goals])
            at = texts[0].index("10 young")
            tx.save_extractions([Extraction(passage_id=passages[0].id, model="t", figures=[Figure(passage_id=passages[0].id, text="10", value=10, unit="count", start=at, end=at + 2, counted="young people")])])
    accounts.add_user(store, "vera", VIEWER_PASSWORD, "viewer")
    store.dispose()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "chromium is not installed: .ci/run installs Debian's chromium package"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            yield launched
        finally:
            launched.close()


def fits(page) -> bool:
    """No sideways scrolling: the page is no wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", [1400, 390])
def test_search_narrow_by_two_facets_open_an_organisation_and_download_the_csv(app, db_url: str, browser, width: int, tmp_path):
    add_evidence(db_url)
    page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
    with serving(app) as server:
        page.goto(f"{server}/login")
        page.fill("#username", "vera")
        page.fill("#password", VIEWER_PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(f"{server}/evidence")
        page.fill("#q", "skills workshops")
        page.press("#q", "Enter")
        page.wait_for_url("**/evidence?q=skills+workshops**")
        assert int(page.get_attribute("#count", "data-count")) == 15  # 9 passages: 3 x 2 goals, 3 x 2, 3 x 1
        page.click("#facet-goal a:has-text('5 · ')")
        page.wait_for_url("**goal=5**")
        assert int(page.get_attribute("#count", "data-count")) == 6
        page.click("#facet-kind a:has-text('pdf')")
        page.wait_for_url("**kind=pdf**")
        count = int(page.get_attribute("#count", "data-count"))
        assert count == 3 and fits(page)  # the university's three passages, in a PDF
        assert page.locator(".result").count() == 3 and page.locator("a:has-text('review it')").count() == 0  # a viewer reviews nothing

        with page.expect_download() as download:
            page.click("#download-csv")
        with open(download.value.path(), newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        assert len(rows) == count and {(r["organisation"], r["goal"]) for r in rows} == {("University of Southtown", "5")}

        page.click(".result .meta a:has-text('University of Southtown')")
        page.wait_for_url("**/organisation?name=University+of+Southtown")
        assert page.inner_text("h1") == "University of Southtown" and fits(page)
        assert page.locator("svg.chart[role=img]").count() == 1 and page.locator("table.numbers").count() >= 2
        page.goto(f"{server}/coalition")
        assert page.locator("#heat-title").count() == 1 and fits(page)
    page.close()
