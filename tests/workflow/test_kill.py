"""kill -9 at random points of `levelup run` and `levelup ingest` (several seeds), then a re-run:
the rows equal a clean run's, none lost, none duplicated, and no run is left "running".
The same harness prints the report table: python scripts/kill_report.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _harness():
    spec = importlib.util.spec_from_file_location("kill_report", ROOT / "scripts" / "kill_report.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("scenario", ["run", "ingest"])
def test_killed_runs_lose_and_duplicate_nothing(tmp_path: Path, scenario: str):
    harness = _harness()
    outcomes = harness.report([scenario], seeds=2, kills=1, work=tmp_path, say=lambda _line: None)
    assert len(outcomes) == 2 and all(o.rows > 0 for o in outcomes)
    table = harness.table(outcomes)
    assert [(o.lost, o.extra, o.duplicated, o.left_running) for o in outcomes] == [(0, 0, 0, 0)] * 2, table
