"""The same evidence on SQLite and on PostgreSQL reads back the same: ``levelup export`` writes
identical tables from both (times aside, which must both be UTC), and the evidence report agrees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.evidence.store import Store
from pipeline.report.export import COLUMNS
from pipeline.review.queue import ReviewQueue
from tests.review.conftest import seed

pytestmark = pytest.mark.postgresql
runner = CliRunner()
TIMES = {"collected_at", "created_at", "reviewed_at"}


def seeded(url: str) -> str:
    store = Store.open(url)
    seed(store)
    queue = ReviewQueue(store, "levelling-up")
    queue.decide("p2", "ada", "change", goals=[10, 14], goal_ids=range(1, 15))
    queue.decide("p1", "rita", "no_goal", goals=[], goal_ids=range(1, 15))
    store.dispose()
    return url


@pytest.fixture
def urls(tmp_path: Path, postgres) -> Iterator[dict[str, str]]:
    urls = {"sqlite": seeded(f"sqlite:///{tmp_path / 'evidence.db'}"), "postgresql": seeded(postgres.new_database())}
    yield urls
    postgres.drop_database(urls["postgresql"])


def test_export_writes_the_same_tables_from_sqlite_and_postgresql(urls: dict[str, str], tmp_path: Path):
    started = datetime.now(UTC).replace(tzinfo=None)
    for name, url in urls.items():
        result = runner.invoke(app, ["export", "--db", url, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    for table, columns in COLUMNS.items():
        frames = {name: pd.read_parquet(tmp_path / name / f"{table}.parquet") for name in urls}
        for frame in frames.values():
            for column in TIMES & set(columns):
                # UTC timestamps from both databases (PostgreSQL's session zone never leaks in)
                assert str(frame[column].dt.tz) == "UTC" and (frame[column].dropna() >= pd.Timestamp(started.replace(microsecond=0), tz="UTC") - pd.Timedelta(seconds=60)).all()
        plain = [c for c in columns if c not in TIMES]
        order = [c for c in ("id", "passage_id", "goal", "start") if c in plain]
        sqlite, postgresql = (frames[n][plain].sort_values(order).reset_index(drop=True) for n in ("sqlite", "postgresql"))
        pd.testing.assert_frame_equal(sqlite, postgresql, check_dtype=False, obj=table)
        csvs = {name: (tmp_path / name / f"{table}.csv").read_text().splitlines()[0] for name in urls}
        assert csvs["sqlite"] == csvs["postgresql"]  # the same header


def test_the_evidence_report_is_the_same_on_both(urls: dict[str, str]):
    outputs = {name: runner.invoke(app, ["report", "--db", url, "--format", "csv"]) for name, url in urls.items()}
    assert all(result.exit_code == 0 for result in outputs.values()), {n: r.output for n, r in outputs.items()}
    assert outputs["sqlite"].stdout == outputs["postgresql"].stdout


def test_the_impact_report_draft_is_the_same_on_both(tmp_path: Path, postgres):
    from datetime import date

    from pipeline.report import organisation
    from pipeline.taxonomy import load_taxonomy
    from tests.report.conftest import PROFILE_ORG, seed_profile

    urls = {"sqlite": f"sqlite:///{tmp_path / 'evidence.db'}", "postgresql": postgres.new_database()}
    try:
        drafts = {}
        for name, url in urls.items():
            store = Store.open(url)
            seed_profile(store)  # its place read from every passage (Store.found_in), a quote over two passages
            drafts[name] = organisation.render(organisation.build(store, load_taxonomy("levelling-up"), PROFILE_ORG, today=date(2026, 1, 1)), "md")
            store.dispose()
        assert drafts["sqlite"] == drafts["postgresql"] and "more than 5,000 staff" in drafts["sqlite"]
    finally:
        postgres.drop_database(urls["postgresql"])
