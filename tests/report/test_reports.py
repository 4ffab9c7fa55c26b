"""Exports round-trip through pandas; one organisation's report, in HTML and Markdown, escapes
scraped text, has a section per goal with evidence, and renders in headless chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import InputError
from pipeline.evidence.store import Store
from pipeline.report import organisation
from pipeline.report.export import COLUMNS
from pipeline.review.queue import ReviewQueue
from pipeline.taxonomy import load_taxonomy
from tests.review.conftest import HOSTILE, seed

runner = CliRunner()
ORG = "Example NHS Trust"


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'evidence.db'}"
    store = Store.open(url)
    seed(store)
    ReviewQueue(store, "levelling-up").decide("p2", "ada", "change", goals=[10, 14], goal_ids=range(1, 15))
    return url


def test_export_round_trips_through_pandas_with_the_documented_columns(db: str, tmp_path: Path):
    result = runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    counts = Store.open(db).counts()
    for name, columns in COLUMNS.items():
        parquet = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        csv = pd.read_csv(tmp_path / "out" / f"{name}.csv")
        assert list(parquet.columns) == list(columns) == list(csv.columns), name
        assert len(parquet) == len(csv) == counts.get(name, len(parquet)), name
    reviews = pd.read_parquet(tmp_path / "out" / "reviews.parquet")
    assert list(reviews.loc[0, "goals_after"]) == [10, 14]  # a list in Parquet
    assert json.loads(pd.read_csv(tmp_path / "out" / "reviews.csv").loc[0, "goals_after"]) == [10, 14]  # JSON text in CSV
    passages = pd.read_csv(tmp_path / "out" / "passages.csv")
    assert HOSTILE in set(passages["text"])  # text survives CSV quoting
    assert runner.invoke(app, ["export", "--db", db, "--format", "xlsx"]).exit_code == 2


def test_export_columns_are_typed(db: str, tmp_path: Path):
    out = tmp_path / "out"
    assert runner.invoke(app, ["export", "--db", db, "--out", str(out), "--format", "parquet"]).exit_code == 0
    suggestions = pd.read_parquet(out / "suggestions.parquet")
    assert str(suggestions["goal"].dtype) == "Int64" and str(suggestions["predicted"].dtype) == "boolean"
    assert isinstance(suggestions["created_at"].dtype, pd.DatetimeTZDtype)
    explained = suggestions.dropna(subset=["explanation"]).iloc[0]["explanation"]
    assert explained["phrases"][0]["text"] == "<u>phrase</u>" and list(explained["examples"][0]["goals"]) == [explained["goal"]]
    assert str(pd.read_parquet(out / "figures.parquet")["year"].dtype) == "Int64"  # not float, even when missing


def _evidence(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(out / "evidence.parquet"), pd.read_csv(out / "evidence.csv")


def test_evidence_table_holds_what_stands_and_round_trips(db: str, tmp_path: Path):
    assert runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path / "a")]).exit_code == 0
    parquet, csv = _evidence(tmp_path / "a")
    pairs = sorted(zip(parquet["passage_id"], parquet["goal"], parquet["source"], strict=True))
    assert pairs == [("p0", 3, "model"), ("p1", 3, "model"), ("p1", 5, "model"), ("p2", 10, "review"), ("p2", 14, "review"), ("p4", 13, "model")]
    assert sorted(zip(csv["passage_id"], csv["goal"], csv["source"], strict=True)) == pairs
    reviewed = parquet[parquet["source"] == "review"]
    assert set(reviewed["reviewer"]) == {"ada"} and set(reviewed["decision"]) == {"change"} and reviewed["reviewed_at"].notna().all()
    assert reviewed.set_index("goal").loc[10, "score"] == pytest.approx(0.8) and reviewed.set_index("goal").loc[14, "score"] == pytest.approx(0.1)
    assert str(parquet["year"].dtype) == "Int64" and set(parquet["year"]) == {2026} and set(csv["year"]) == {2026}
    assert isinstance(parquet["document_date"].dtype, pd.DatetimeTZDtype) and parquet["document_date"].iloc[0] == pd.Timestamp("2026-05-01", tz="UTC")
    assert set(parquet["organisation"]) == {ORG} and set(parquet["url"]) == {"https://example.org/news/<b>1</b>"} and set(parquet["taxonomy"]) == {"levelling-up"}
    assert pd.to_datetime(csv["document_date"]).dt.year.tolist() == parquet["document_date"].dt.year.tolist()


def test_a_disputed_passage_is_no_review_in_the_evidence_table_and_says_disputed(db: str, tmp_path: Path):
    queue = ReviewQueue(Store.open(db), "levelling-up", reviewers_per_passage=2)
    queue.decide("p0", "rita", "no_goal")
    queue.decide("p0", "bob", "change", goals=[3, 5, 8])  # the last reviewer does not win
    assert runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path / "a")]).exit_code == 0
    parquet, _ = _evidence(tmp_path / "a")
    p0 = parquet[parquet["passage_id"] == "p0"]
    assert list(zip(p0["goal"], p0["source"], strict=True)) == [(3, "disputed")] and p0["reviewer"].isna().all()
    queue.settle("p0", "ada", [8])
    assert runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path / "b")]).exit_code == 0
    p0 = _evidence(tmp_path / "b")[0].query("passage_id == 'p0'")
    assert list(zip(p0["goal"], p0["source"], strict=True)) == [(8, "review")]


def test_evidence_table_follows_undo_and_reject(db: str, tmp_path: Path):
    queue = ReviewQueue(Store.open(db), "levelling-up")
    assert queue.undo_last("ada") is not None  # takes back the change on p2: the model's goal 10 stands again
    queue.decide("p4", "rita", "reject", goal_ids=range(1, 15))  # a reject leaves p4 no goal
    assert runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path / "b"), "--taxonomy", "levelling-up"]).exit_code == 0
    parquet, _ = _evidence(tmp_path / "b")
    pairs = sorted(zip(parquet["passage_id"], parquet["goal"], parquet["source"], strict=True))
    assert pairs == [("p0", 3, "model"), ("p1", 3, "model"), ("p1", 5, "model"), ("p2", 10, "model")]


def test_every_export_column_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name, columns in COLUMNS.items():
        for column in columns:
            assert f"`{column}`" in readme, f"{name}.{column}"


def test_html_report_has_a_section_per_goal_with_evidence_and_escapes_everything(db: str):
    report = organisation.build(Store.open(db), load_taxonomy("levelling-up"), "example nhs trust")
    # model goals, and the review's for p2; 5 and 14 have no passage of their own (p1 fits 3 better, p2 10)
    assert {s.id for s in report.with_evidence} == {3, 10, 13}
    html = organisation.render(report, "html")
    for goal in (3, 10, 13):
        assert f'id="goal-{goal}"' in html
    assert not {'id="goal-8"', 'id="goal-5"', 'id="goal-14"'} & set(re.findall(r'id="goal-\d+"', html)) and "What more could be done" in html
    assert "<script" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in html and 'id="chart-goals"' in html and "reviewed</span>" in html
    assert not re.search(r'<(link|img|script)[^>]+(src|href)="https?:', html)  # nothing loaded from elsewhere


def test_markdown_report_escapes_scraped_text(db: str):
    text = organisation.render(organisation.build(Store.open(db), load_taxonomy("levelling-up"), ORG), "md")
    assert text.startswith(f"# {ORG}") and "## Goal 3: Positive destinations post 16+" in text
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_an_organisation_is_found_by_a_short_form_of_its_name(db: str):
    report = organisation.build(Store.open(db), load_taxonomy("levelling-up"), "example nhs")
    assert report.organisation == ORG


def test_unknown_organisation_suggests_the_close_ones(db: str):
    with pytest.raises(InputError, match="did you mean 'Example NHS Trust'"):
        organisation.build(Store.open(db), load_taxonomy("levelling-up"), "NHS Trust")
    result = runner.invoke(app, ["report", "--db", db, "--format", "html"])
    assert result.exit_code == 2 and "add --org NAME" in result.stderr


@pytest.mark.slow
def test_the_html_report_renders_in_headless_chromium(db: str, tmp_path: Path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (CI installs it)") if not __import__("os").environ.get("CI") else pytest.fail("chromium missing in CI")
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", db, "--org", ORG, "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.goto(out.as_uri())
            headings = page.locator("section.goal h2").all_inner_texts()
            assert headings[0].startswith("Goal 3") and len(headings) == 3
            assert page.locator("#chart-goals li").count() == 14
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 20_000
