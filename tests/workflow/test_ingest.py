"""The ingest lock names its holder, with the holder's pid checked."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import IngestLocked
from pipeline.evidence.runs import this_host
from pipeline.workflow.ingest import ingest_lock


def _held_by(path: Path, holder: str):
    handle = path.open("a+")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as an inheriting child process would still hold it
    handle.write(holder)
    handle.flush()
    return handle


def test_a_lock_whose_writer_is_gone_says_a_process_it_started_holds_it(tmp_path: Path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    handle = _held_by(tmp_path / "ingest.lock", f"pid {gone.pid} on {this_host()} since 2026-11-29T01:00:00+00:00\n")
    try:
        with pytest.raises(IngestLocked, match="that process is gone, but a process it started still holds the lock"), ingest_lock(tmp_path / "ingest.lock"):
            pass
    finally:
        handle.close()


def test_a_lock_held_by_a_live_process_names_it(tmp_path: Path):
    import os

    handle = _held_by(tmp_path / "ingest.lock", f"pid {os.getpid()} on {this_host()} since 2026-11-29T01:00:00+00:00\n")
    try:
        with pytest.raises(IngestLocked) as caught, ingest_lock(tmp_path / "ingest.lock"):
            pass
        assert f"pid {os.getpid()}" in str(caught.value) and "gone" not in str(caught.value)
    finally:
        handle.close()
