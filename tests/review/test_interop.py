"""Reviews out as CSV/JSON lines, and tasks out to and back in from Label Studio and Argilla."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.evidence.store import Store
from pipeline.review import interop
from pipeline.review.queue import ReviewQueue
from pipeline.taxonomy import load_taxonomy

from .conftest import HOSTILE

runner = CliRunner()
GOALS = list(range(1, 15))


def test_label_studio_round_trip(db_url: str):
    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    tasks = interop.label_studio_tasks(queue, ["p0", "p1"])
    assert tasks[0]["data"]["text"].startswith("The trust took on") and tasks[1]["data"]["text"] == HOSTILE
    assert tasks[0]["predictions"][0]["result"][0]["value"]["choices"] == ["3"]
    # an annotator in Label Studio picks goals 3 and 14 for the first task and nothing for the second
    tasks[0]["annotations"] = [{"result": [{"from_name": "goals", "to_name": "text", "type": "choices", "value": {"choices": ["3", "14"]}}], "created_at": "2026-11-01"}]
    tasks[1]["annotations"] = [{"result": [], "created_at": "2026-11-01"}]
    imported, problems = interop.import_annotations(queue, tasks, reviewer="ls-team", goal_ids=GOALS)
    assert (imported, problems) == (2, [])
    assert dict(Store.open(db_url).reviewed_labels("levelling-up")) == {tasks[0]["data"]["text"]: [3, 14], HOSTILE: []}
    config = interop.label_studio_config(load_taxonomy("levelling-up"))
    assert '<Choices name="goals" toName="text" choice="multiple"' in config and 'hint="Open recruitment"' in config


def test_argilla_round_trip_keeps_only_submitted_responses(db_url: str):
    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    records = interop.argilla_records(queue, ["p2", "p3"])
    assert records[0]["suggestions"][0] == {"question_name": "goals", "value": ["10"], "agent": "test-model"}
    records[0]["responses"] = [{"question_name": "goals", "value": ["10", "5"], "user_id": "u1", "status": "submitted"}]
    records[1]["responses"] = [{"question_name": "goals", "value": ["8"], "user_id": "u1", "status": "draft"}]
    assert interop.import_annotations(queue, records, reviewer="argilla", goal_ids=GOALS) == (1, [])
    (row,) = Store.open(db_url).reviews("levelling-up")
    assert row["passage_id"] == "p2" and row["goals_after"] == [5, 10] and row["reviewer"] == "argilla"


def test_import_with_a_bad_item_imports_nothing_and_says_what_was_wrong(db_url: str):
    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    data = [
        {"id": "p2", "responses": [{"question_name": "goals", "value": ["10"], "status": "submitted"}]},  # good, before the bad ones
        {"data": {"passage_id": "gone"}, "annotations": [{"result": [{"from_name": "goals", "value": {"choices": ["3"]}}]}]},
        {"what": "is this"},
        {"id": "p0", "responses": [{"question_name": "goals", "value": ["99"], "status": "submitted"}]},
    ]
    imported, problems = interop.import_annotations(queue, data, reviewer="x", goal_ids=GOALS)
    assert imported == 0 and len(problems) == 3
    assert "item 2: no passage 'gone'" in problems[0] and problems[1].startswith("item 3: not a Label Studio task") and "[99]" in problems[2]
    assert queue.history() == []  # all or nothing: the good first item was not stored either


def test_importing_the_same_annotations_again_adds_nothing(db_url: str):
    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    data = [
        {"id": "p2", "responses": [{"question_name": "goals", "value": ["10"], "status": "submitted"}]},
        {"id": "p0", "responses": [{"question_name": "goals", "value": [], "status": "submitted"}]},
    ]
    assert interop.import_annotations(queue, data, reviewer="x", goal_ids=GOALS) == (2, [])
    assert interop.import_annotations(queue, data, reviewer="x", goal_ids=GOALS) == (0, [])
    assert len(queue.history()) == 2
    data[0]["responses"][0]["value"] = ["10", "14"]  # annotated again, differently: a new review
    assert interop.import_annotations(queue, data, reviewer="x", goal_ids=GOALS) == (1, [])
    assert dict(queue.store.reviewed_labels("levelling-up"))[queue.item("p2").text] == [10, 14]


def test_cli_add_user_export_and_import(db_url: str, tmp_path: Path):
    result = runner.invoke(app, ["review", "add-user", "carol", "--password-stdin", "--db", db_url], input="carol-password-1\n")
    assert result.exit_code == 0, result.output
    short = runner.invoke(app, ["review", "add-user", "dave", "--password-stdin", "--db", db_url], input="short\n")
    assert short.exit_code == 2 and "too short" in short.stderr
    exported = runner.invoke(app, ["review", "export", "--format", "label-studio", "--db", db_url, "--label-config", str(tmp_path / "config.xml")])
    assert exported.exit_code == 0, exported.output
    tasks = json.loads(exported.stdout)
    assert (tmp_path / "config.xml").read_text().startswith("<View>")
    tasks[0]["annotations"] = [{"result": [{"from_name": "goals", "value": {"choices": ["3"]}}]}]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    imported = runner.invoke(app, ["review", "import", str(tmp_path / "tasks.json"), "--reviewer", "carol", "--db", db_url])
    assert imported.exit_code == 0 and "1 review(s) imported" in imported.stderr
    lines = runner.invoke(app, ["review", "export", "--format", "jsonl", "--db", db_url]).stdout.splitlines()
    assert json.loads(lines[0])["reviewer"] == "carol"
    csv_out = runner.invoke(app, ["review", "export", "--format", "csv", "--db", db_url]).stdout
    assert csv_out.startswith("id,passage_id,taxonomy,decision")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    failed = runner.invoke(app, ["review", "import", str(broken), "--reviewer", "carol", "--db", db_url])
    assert failed.exit_code == 2 and "not valid JSON" in failed.stderr


def test_import_refuses_goal_values_of_the_wrong_type_with_one_line_and_exit_2(db_url: str, tmp_path: Path):
    for value in ('"12"', "[true]", "[3.9]", "[1e400]", '["3 5"]', "[-1]"):
        (tmp_path / "records.json").write_text(f'[{{"id": "p2", "responses": [{{"question_name": "goals", "value": {value}, "status": "submitted"}}]}}]')
        result = runner.invoke(app, ["review", "import", str(tmp_path / "records.json"), "--reviewer", "carol", "--db", db_url])
        assert result.exit_code == 2, (value, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and "item 1:" in result.stderr and "internal error" not in result.stderr, value
    tasks = [{"data": {"passage_id": "p2"}, "annotations": [{"result": [{"from_name": "goals", "value": {"choices": "12"}}]}]}]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    assert runner.invoke(app, ["review", "import", str(tmp_path / "tasks.json"), "--reviewer", "carol", "--db", db_url]).exit_code == 2
    assert Store.open(db_url).reviews("levelling-up") == []


def test_import_refuses_an_empty_or_formula_like_reviewer(db_url: str, tmp_path: Path):
    (tmp_path / "records.json").write_text('[{"id": "p2", "responses": [{"question_name": "goals", "value": ["10"], "status": "submitted"}]}]')
    for reviewer in ("", "  ", "=HYPERLINK(\"http://x\")", "+cmd", "@SUM(A1)"):
        result = runner.invoke(app, ["review", "import", str(tmp_path / "records.json"), "--reviewer", reviewer, "--db", db_url])
        assert result.exit_code == 2 and "--reviewer" in result.stderr, (reviewer, result.output)
    assert Store.open(db_url).reviews("levelling-up") == []
