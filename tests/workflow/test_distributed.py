"""``levelup run --workers N``: the same rows as a single-process run, and a killed worker loses
and duplicates nothing. Each test starts a local Dask cluster whose workers load the models, so
they are slow."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SAMPLE = ROOT / "corpus" / "sample"
DOCUMENTS = 70  # more than two batches of 32 (pipeline.workflow.batch.DOCUMENT_BATCH)
VOLATILE = {"collected_at", "created_at", "run_id"}  # when and by which run a row was written
TABLES = ("documents", "passages", "entities", "figures", "quotes", "suggestions")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small text documents cut from the sample corpus: three batches, some organisations twice."""
    folder = tmp_path_factory.mktemp("corpus")
    paragraphs = [p for f in sorted(SAMPLE.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.split()) > 12]
    for i in range(DOCUMENTS):
        chosen = [paragraphs[(i * 3 + k) % len(paragraphs)] for k in range(3)]
        (folder / f"doc-{i:03d}.txt").write_text(f"Update {i}\n\n" + "\n\n".join(chosen) + "\n", encoding="utf-8")
    return folder


def _levelup(*args: str) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args, "--no-report"], env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen[str]) -> str:
    _, err = process.communicate(timeout=1800)
    assert process.returncode == 0, err
    return err


def _rows(db: Path) -> dict[str, set[tuple]]:
    with sqlite3.connect(db) as connection:
        found = {}
        for table in TABLES:
            cursor = connection.execute(f"select * from {table}")  # noqa: S608 - fixed table names
            columns = [c[0] for c in cursor.description]
            keep = [i for i, c in enumerate(columns) if c not in VOLATILE]
            rows = [tuple(row[i] for i in keep) for row in cursor]
            assert len(rows) == len(set(rows)), f"duplicate rows in {table}"
            found[table] = set(rows)
        return found


@pytest.fixture(scope="module")
def single(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[tuple]]:
    db = tmp_path_factory.mktemp("single") / "evidence.db"
    err = _finish(_levelup("run", str(corpus), "--db", f"sqlite:///{db}"))
    assert f"documents new {DOCUMENTS}" in err
    return _rows(db)


def test_two_workers_store_exactly_the_rows_of_one_process(corpus: Path, single, tmp_path: Path):
    db = tmp_path / "evidence.db"
    err = _finish(_levelup("run", str(corpus), "--db", f"sqlite:///{db}", "--workers", "2"))

    assert f"documents new {DOCUMENTS}" in err
    rows = _rows(db)
    for table in TABLES:
        assert rows[table] == single[table], table
    assert rows["suggestions"]


def _workers(driver: psutil.Process) -> list[psutil.Process]:
    return [p for p in driver.children(recursive=True) if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return int(connection.execute("select count(*) from documents").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_a_killed_worker_and_a_restarted_run_lose_and_duplicate_nothing(corpus: Path, single, tmp_path: Path):
    db = tmp_path / "evidence.db"
    process = _levelup("run", str(corpus), "--db", f"sqlite:///{db}", "--workers", "2")
    driver = psutil.Process(process.pid)
    deadline = time.monotonic() + 1200
    while _stored(db) == 0 and process.poll() is None and time.monotonic() < deadline:  # the first batch is stored: mid-run
        time.sleep(0.5)
    workers = _workers(driver)
    assert workers and process.poll() is None, "the run ended before a worker could be killed"
    os.kill(workers[0].pid, signal.SIGKILL)
    process.communicate(timeout=1800)  # Dask re-runs the lost batches elsewhere, or the run fails: either way, run again

    _finish(_levelup("run", str(corpus), "--db", f"sqlite:///{db}", "--workers", "2"))

    rows = _rows(db)
    for table in TABLES:
        assert rows[table] == single[table], table
