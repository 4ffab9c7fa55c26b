"""The evidence explorer's pages: search with facets that follow the filters, downloads of exactly
the filtered rows, organisation, goal and coalition pages, and 400s for bad parameters."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pipeline.evidence.store import Store
from pipeline.report.export import COLUMNS
from pipeline.review import accounts
from pipeline.review.explorer import gaps

from .conftest import login


@pytest.fixture
def reviewer(client: TestClient) -> TestClient:
    login(client, "rita")
    return client


def count_of(html: str) -> int:
    match = re.search(r'id="count" data-count="(\d+)"', html)
    assert match, "no count on the page"
    return int(match.group(1))


def test_facet_counts_follow_the_filters_and_the_url_is_the_query(reviewer: TestClient):
    everything = reviewer.get("/evidence").text
    assert count_of(everything) == 5
    assert re.search(r'href="/evidence\?goal=3">3 · [^<]+</a>\s*<span class="n">2</span>', everything)
    narrowed = reviewer.get("/evidence?goal=3&figures=yes").text
    assert count_of(narrowed) == 1 and 'id="passage-p0"' in narrowed and 'id="passage-p1"' not in narrowed
    assert re.search(r'aria-current="true">✓ 3 · ', narrowed)  # the chosen value, a link that drops it
    assert 'href="/evidence?figures=yes"' in narrowed
    assert count_of(reviewer.get("/evidence?q=apprentices").text) == 1


def test_a_download_has_exactly_the_filtered_rows_with_the_export_columns(reviewer: TestClient):
    query = "goal=3&goal=13&source=model"
    shown = count_of(reviewer.get(f"/evidence?{query}").text)
    csv = pd.read_csv(io.StringIO(reviewer.get(f"/evidence.csv?{query}").text))
    parquet = pd.read_parquet(io.BytesIO(reviewer.get(f"/evidence.parquet?{query}").content))
    assert shown == len(csv) == len(parquet) == 3
    assert list(csv.columns) == list(parquet.columns) == list(COLUMNS["evidence"])
    assert sorted(zip(csv["passage_id"], csv["goal"], strict=True)) == [("p0", 3), ("p1", 3), ("p4", 13)]
    assert csv.loc[csv["passage_id"] == "p1", "text"].iloc[0].startswith("<script>")  # the passage as stored, in a CSV cell


def test_passage_text_and_titles_are_escaped_on_every_page(reviewer: TestClient):
    for path in ("/evidence", "/goals/3", "/organisation?name=Example+NHS+Trust"):
        page = reviewer.get(path).text
        assert "<script>alert" not in page and "&lt;script&gt;" in page, path


@pytest.mark.parametrize(
    "path",
    [
        "/evidence?goal=15", "/evidence?goal=x", "/evidence?goal=%C2%B2", "/evidence?year=99", "/evidence?kind=exe", "/evidence?source=robot",
        "/evidence?figures=maybe", "/evidence?organisation_kind=NHS", "/evidence?figures=yes&figures=no", "/evidence?page=0", "/evidence?page=99999", "/evidence?sort=year",
        "/evidence?q=a&q=b", "/evidence?organisation=", "/evidence?q=" + "x" * 201, "/evidence.csv?goal=0", "/evidence.parquet?year=abc",
        "/goals/0", "/goals/abc", "/goals/3?year=2020", "/coalition?x=1", "/organisation", "/organisation?name=a&name=b", "/organisation?name=",
    ],
)  # fmt: skip
def test_every_bad_parameter_is_a_400_with_one_line(reviewer: TestClient, path: str):
    response = reviewer.get(path)
    assert response.status_code == 400, response.status_code
    message = re.findall(r'role="alert">([^<]+)<', response.text)
    assert len(message) == 1 and "\n" not in message[0]


def test_an_organisation_without_evidence_is_a_404(reviewer: TestClient):
    assert reviewer.get("/organisation?name=Nobody+Ltd").status_code == 404


def test_the_organisation_page_has_its_goals_years_strongest_passages_and_reports(reviewer: TestClient):
    page = reviewer.get("/organisation?name=Example+NHS+Trust").text
    assert 'title="Goal 3: ' in page and ": 2\">3<br>2</a>" in page  # goal 3 in the strip, with its count
    assert '<svg class="chart"' in page and 'role="img"' in page and "<th scope=\"row\">2026</th><td>5</td>" in page  # chart and its numbers
    assert 'id="report-html"' in page and reviewer.get("/organisation/report.docx?name=Example+NHS+Trust").content[:2] == b"PK"


def test_the_goal_page_ranks_organisations_and_adds_up_figures_only_where_they_agree(reviewer: TestClient):
    page = reviewer.get("/goals/3").text
    assert "Positive destinations" in page and '<a href="/organisation?name=Example+NHS+Trust">Example NHS Trust</a></th><td>2</td>' in page
    assert re.search(r"<th scope=\"row\">apprentices</th><td>count</td><td>1</td>\s*<td>120</td>", page)


def test_the_coalition_overview_draws_the_heat_map_with_its_numbers(reviewer: TestClient):
    page = reviewer.get("/coalition").text
    assert 'aria-labelledby="heat-title"' in page and 'id="heat-table"' in page
    assert "<title>Example NHS Trust, goal 3: 2</title>" in page


def test_a_viewer_reads_the_explorer_but_gets_no_review_links(client: TestClient, db_url: str):
    store = Store.open(db_url)
    accounts.add_user(store, "vera", "viewer-password-1", "viewer")
    store.dispose()
    login(client, "vera", "viewer-password-1")
    for path in ("/evidence", "/evidence.csv", "/evidence.parquet", "/goals/3", "/coalition", "/organisation?name=Example+NHS+Trust", "/organisation/report.html?name=Example+NHS+Trust"):
        assert client.get(path).status_code == 200, path
    assert 'href="/item/' not in client.get("/evidence").text


def test_gaps_are_goals_most_peers_report_and_the_organisation_does_not():
    cells = {("A", 1): 3, ("B", 1): 1, ("C", 1): 2, ("A", 2): 1, ("D", 2): 4}
    found = gaps(["A", "B", "C", "D", "E"], [1, 2], cells, kinds={"A": "nhs", "B": "nhs", "C": "nhs", "D": "nhs", "E": "university"})
    assert [(g["organisation"], g["goal"], g["reporting"], g["peers"]) for g in found] == [("D", 1, 3, 3), ("B", 2, 2, 3), ("C", 2, 2, 3)]  # E has no peers of its kind
    assert gaps(["A", "B"], [1], {("A", 1): 1}, kinds={}) == []  # one peer is too few to compare (of no known kind, as here, or of one)


def add_organisation(db_url: str, name: str, goal: int) -> None:
    """A one-passage document about ``name`` whose passage the model tags with ``goal``."""
    from pipeline.records import Document, Passage, Suggestion

    store = Store.open(db_url)
    key = name.split()[0].lower()
    passage = Passage(id=f"{key}-p", document_id=f"{key}-d", ordinal=0, text=f"{name} did something for goal {goal}.", start=0, end=30)
    with store.transaction() as tx:
        tx.save_document(Document(id=f"{key}-d", url=f"https://{key}.example.org/", kind="html", text=passage.text, content_hash=key, date="2024-02-01"), [passage], organisation=name)
        tx.save_suggestions([Suggestion(passage_id=passage.id, taxonomy="levelling-up", goal=goal, score=0.9, predicted=True, model="m")])
    store.dispose()


def test_the_kind_of_organisation_is_a_facet_and_gaps_compare_peers_of_one_kind(reviewer: TestClient, db_url: str):
    for name in ("Alpha NHS Trust", "Beta NHS Trust", "Gamma NHS Trust"):
        add_organisation(db_url, name, 7)
    add_organisation(db_url, "Delta University", 9)
    page = reviewer.get("/evidence").text
    assert re.search(r'href="/evidence\?organisation_kind=nhs">nhs</a>\s*<span class="n">8</span>', page)
    assert count_of(reviewer.get("/evidence?organisation_kind=university").text) == 1
    assert count_of(reviewer.get("/evidence?organisation_kind=nhs&goal=7").text) == 3
    gaps_table = reviewer.get("/coalition").text.split('id="gaps"')[1]
    assert re.search(r"Example NHS Trust</a></th><td>nhs</td><td><a href=\"/goals/7\">7 · [^<]+</a></td><td>3 of 3</td>", gaps_table)
    assert "Delta University</a></th>" not in gaps_table  # no other university to compare it with
    assert reviewer.get("/evidence?organisation_kind=robot").status_code == 400


def test_a_download_over_the_limit_is_a_400_that_says_how_to_narrow_it(reviewer: TestClient, monkeypatch: pytest.MonkeyPatch):
    from pipeline.review import explorer

    monkeypatch.setattr(explorer, "MAX_DOWNLOAD", 2)
    response = reviewer.get("/evidence.csv")
    assert response.status_code == 400 and "narrow the filters" in response.text
    assert reviewer.get("/evidence.csv?goal=3").status_code == 200  # two rows: within the limit


def test_a_reviewer_gets_a_link_to_each_passage_s_review_page(reviewer: TestClient):
    assert 'href="/item/p0">review it</a>' in reviewer.get("/evidence").text
