"""``levelup analyze``: text to read on a terminal, JSON lines when piped or asked for."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import FIXTURES

runner = CliRunner()
PRESS = str(FIXTURES / "press-release.html")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.cli._common.on_terminal", lambda: True)


def test_analyze_prints_json_lines_when_piped(tagger):
    result = runner.invoke(app, ["analyze", PRESS])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records and all({"doc", "passage", "text", "goals", "entities", "figures"} <= set(r) for r in records)


def test_analyze_prints_text_on_a_terminal(tagger, terminal):
    result = runner.invoke(app, ["analyze", PRESS])
    assert result.exit_code == 0, result.output
    assert "press-release.html · passage 0" in result.stdout and "Justine Greening" in result.stdout
    assert not result.stdout.lstrip().startswith("{")
    assert "Found" in result.stdout and ("Goals" in result.stdout or "No goal" in result.stdout)


def test_analyze_format_option_overrides_the_terminal(tagger, terminal):
    lines = runner.invoke(app, ["analyze", PRESS, "--format", "json"]).stdout.splitlines()
    assert lines and all(json.loads(line)["doc"].endswith("press-release.html") for line in lines)
    result = runner.invoke(app, ["analyze", PRESS, "--format", "yaml"])
    assert result.exit_code == 2 and "use text or json" in result.stderr
