"""Runs that end: a run whose process is gone is marked interrupted when the next run starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.evidence import schema
from pipeline.evidence.runs import pid_alive, this_host
from pipeline.evidence.store import Store
from tests.conftest import ROOT

START_AND_WAIT = """
import sys, time
from pipeline.evidence.store import Store
store = Store.open(sys.argv[1])
with store.transaction() as tx:
    run_id = tx.start_run("run corpus/sample")
print(run_id, flush=True)
time.sleep(60)
"""


def _started_then_killed(db_url: str, *, reap: bool = True) -> tuple[str, subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", START_AND_WAIT, db_url], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    os.kill(process.pid, signal.SIGKILL)
    if reap:
        process.wait()
    else:  # killed but not reaped: a zombie still answers kill(pid, 0)
        time.sleep(0.5)
    return run_id, process


def _status(store: Store) -> dict[str, str]:
    return {run["id"]: run["status"] for run in store.runs()}


def test_a_killed_run_is_marked_interrupted_when_the_next_run_starts(store: Store, db_url: str):
    killed, _ = _started_then_killed(db_url)
    assert _status(store)[killed] == "running"  # nothing can record a kill -9 ...
    with store.transaction() as tx:
        mine = tx.start_run("run again")
    runs = {run["id"]: run for run in store.runs()}
    assert runs[killed]["status"] == "interrupted" and runs[killed]["finished_at"] is not None  # ... the next start does
    assert runs[mine]["status"] == "running" and runs[mine]["pid"] == os.getpid() and runs[mine]["host"] == this_host()


def test_a_killed_but_unreaped_run_counts_as_gone(store: Store, db_url: str):
    killed, process = _started_then_killed(db_url, reap=False)
    try:
        assert not pid_alive(process.pid)
        with store.transaction() as tx:
            tx.start_run("run again")
        assert _status(store)[killed] == "interrupted"
    finally:
        process.wait()


def test_live_runs_and_runs_on_other_hosts_are_left_running(store: Store):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with store.transaction() as tx:
            for run_id, pid, host in (("alive", sleeper.pid, this_host()), ("elsewhere", 1, "another-host.example")):
                tx.connection.execute(schema.runs.insert().values(
                    id=run_id, command="run x", started_at=schema_now(), status="running", pid=pid, host=host))
            tx.connection.execute(schema.runs.insert().values(id="old", command="run x", started_at=schema_now(), status="running"))
        with store.transaction() as tx:
            tx.start_run("run again")
        status = _status(store)
        assert status["alive"] == "running" and status["elsewhere"] == "running"
        assert status["old"] == "interrupted"  # recorded before runs had a pid: from an older levelup, gone
    finally:
        sleeper.kill()
        sleeper.wait()


def test_pid_alive():
    assert pid_alive(os.getpid())
    assert not pid_alive(0) and not pid_alive(-5)
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    assert not pid_alive(finished.pid)


def schema_now():
    from pipeline.evidence.transaction import now

    return now()


def test_runs_are_listed_oldest_first(tmp_path: Path):
    store = Store.open(f"sqlite:///{tmp_path / 'runs.db'}")
    with store.transaction() as tx:
        first = tx.start_run("run a")
    with store.transaction() as tx:
        tx.finish_run(first, status="ok", counts={"documents_stored": 1}, failures=[])
        second = tx.start_run("run b")
    assert [(r["id"], r["status"]) for r in store.runs()] == [(first, "ok"), (second, "running")]
    store.dispose()
