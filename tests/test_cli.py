"""The command line: help everywhere, the design.md contracts, exit codes and one-line errors."""

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.evidence.store import Store
from tests.conftest import FIXTURES, ROOT

runner = CliRunner()
COMMANDS = sorted(typer.main.get_group(app).commands)


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_cli_has_the_stage_and_contract_commands():
    assert {"collect", "segment", "extract", "tag", "store", "run", "report", "classify", "analyze", "eval"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command: str):
    assert f"levelup {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def _help(*args: str) -> str:
    return runner.invoke(app, [*args, "--help"], env={"COLUMNS": "240", "NO_COLOR": "1", "TERM": "dumb"}).output


def test_help_opens_with_the_three_commands_a_newcomer_needs():
    """Issue 27: 18 commands with no "start here"."""
    text = _help()
    assert "Start here: 'levelup run corpus/sample'" in text
    listed = [line.split()[1] for line in text.split("─ Commands ─", 1)[1].splitlines()[1:4]]
    assert listed == ["run", "report", "analyze"]
    assert "print each passage with its goals (text on a terminal)" in text  # was cut in two at "goals"


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_help_shows_no_value_for_a_flag_and_no_sentence_cut_in_two(command: list[str]):
    """Issue 27: flags showed <bool> as if they took a value; docstrings' line breaks cut sentences."""
    assert "<bool>" not in _help(*command)
    group = typer.main.get_command(app)
    help_text = (group.commands[command[0]] if command else group).help or ""  # type: ignore[attr-defined]
    assert all("\n" not in paragraph for paragraph in help_text.split("\n\n")), help_text


def test_no_arguments_shows_help():
    result = invoke()
    assert "Usage:" in result.output


def test_classify_contract(tagger):
    lines = [
        {"id": "a", "text": "The trust opened wellbeing hubs for staff at every hospital."},
        {"id": 7, "text": "We use cookies on this website. Accept all cookies."},
        {"id": "c", "text": ""},
    ]
    result = invoke("classify", input="".join(json.dumps(line) + "\n" for line in lines))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 7, "c"]
    for o in out:
        assert set(o) == {"id", "goals", "scores"}
        assert set(o["scores"]) == {str(g) for g in range(1, 15)}
        assert all(set(g) == {"goal", "score"} and isinstance(g["goal"], int) for g in o["goals"])
        scores = [g["score"] for g in o["goals"]]
        assert scores == sorted(scores, reverse=True)
    assert 8 in [g["goal"] for g in out[0]["goals"]]
    assert out[2]["goals"] == []


def test_classify_malformed_lines_are_reported_with_line_numbers_and_skipped(tagger):
    text = '{"id": "a", "text": "Digital skills classes for older residents."}\n{broken\n\n{"id": "b"}\n'
    result = invoke("classify", input=text)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, None, "b"]  # the blank line answered too: outputs line up
    assert "line 2: not valid JSON" in out[1]["error"] and "line 3: blank" in out[2]["error"] and "line 4" in out[3]["error"]
    assert "skipped: line 2" in result.stderr


def test_classify_answers_every_line_even_undecodable_ones(tagger):
    """Regression (issue 17): a JSON "\\ud800" ended the batch with exit 3, bad bytes likewise."""
    good = b'{"id": "g", "text": "Apprenticeships for young people in the town."}\n'
    stdin = good + b'{"id": "s", "text": "\\ud800 lone"}\n' + b'{"id": "u", "text": "caf\xe9"}\n' + b"   \n" + good
    result = runner.invoke(app, ["classify"], input=stdin)
    assert result.exit_code == 1, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5
    assert [o.get("id") for o in out] == ["g", None, None, None, "g"]
    assert "surrogate" in out[1]["error"] and "not valid UTF-8" in out[2]["error"] and "blank" in out[3]["error"]
    assert "goals" in out[0] and "goals" in out[4]


def test_classify_sdg_taxonomy_scores_every_sdg():
    result = invoke("classify", "--taxonomy", "sdg", input='{"id": 1, "text": "Clean drinking water for villages."}\n')
    assert result.exit_code == 0
    assert set(json.loads(result.stdout)["scores"]) == {str(g) for g in range(1, 18)}


def test_classify_unknown_taxonomy_is_a_one_line_usage_error():
    result = invoke("classify", "--taxonomy", "nope", input="")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown taxonomy 'nope'" in result.stderr


def test_classify_missing_model_directory_is_a_one_line_usage_error(tmp_path: Path):
    result = invoke("classify", "--model", str(tmp_path / "missing"), input="")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_eval_contract(tagger):
    result = invoke("eval", "--labels", str(FIXTURES / "labels-mini.jsonl"))
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert {"macro_f1", "micro_f1", "n", "per_goal"} <= set(metrics)
    assert metrics["n"] == 4
    assert set(metrics["per_goal"]) == {str(g) for g in range(1, 15)}
    assert set(metrics["per_goal"]["8"]) == {"precision", "recall", "f1", "support"}


def test_eval_missing_labels_file_is_a_usage_error(tmp_path: Path):
    result = invoke("eval", "--labels", str(tmp_path / "none.jsonl"))
    assert result.exit_code == 2 and "no such labels file" in result.stderr


def test_analyze_prints_passages_with_entities_figures_and_goals(tagger):
    result = invoke("analyze", str(FIXTURES / "press-release.html"))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records and all({"doc", "passage", "text", "goals", "entities", "figures"} <= set(r) for r in records)
    entities = {(e["label"], e["text"]) for r in records for e in r["entities"]}
    assert ("ORG", "Sheffield Teaching Hospitals NHS Foundation Trust") in entities
    assert ("PERSON", "Justine Greening") in entities
    figures = {f["text"]: f for r in records for f in r["figures"]}
    assert figures["more than 300"]["value"] == 300 and figures["more than 300"]["unit"] == "count"
    assert figures["43%"]["value"] == pytest.approx(0.43)
    assert [r["passage"] for r in records] == list(range(len(records)))


def test_analyze_bad_file_exits_1_and_keeps_the_good_ones(tagger):
    result = invoke("analyze", str(FIXTURES / "press-release.html"), str(FIXTURES / "binary.html"))
    assert result.exit_code == 1
    assert result.stdout.strip() and "binary content" in result.stderr


def test_bad_params_file_is_a_usage_error(tmp_path: Path):
    params = tmp_path / "params.yaml"
    params.write_text("tag:\n  threshhold: 0.3\n")
    result = invoke("--params", str(params), "report", "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.exit_code == 2
    assert "unknown key 'tag.threshhold'" in result.stderr


@pytest.mark.parametrize(
    ("fixture", "message"),
    [("empty.txt", "empty"), ("binary.html", "binary content"), ("broken.pdf", "PDF")],
)
def test_run_bad_input_exits_1_and_leaves_database_as_it_was(tmp_path: Path, tagger, fixture: str, message: str):
    db = f"sqlite:///{tmp_path / 'evidence.db'}"
    assert invoke("run", str(FIXTURES / "release.txt"), "--db", db, "--no-report").exit_code == 0
    before = Store.open(db).counts()
    result = invoke("run", str(FIXTURES / fixture), "--db", db, "--no-report")
    assert result.exit_code == 1
    assert message in result.stderr
    after = Store.open(db).counts()
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}


def test_run_missing_path_exits_2_and_leaves_database_as_it_was(tmp_path: Path, tagger):
    db = f"sqlite:///{tmp_path / 'evidence.db'}"
    invoke("run", str(FIXTURES / "release.txt"), "--db", db, "--no-report")
    before = Store.open(db).counts()
    result = invoke("run", str(tmp_path / "missing.html"), "--db", db)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'missing.html'}: no such file or folder; check the path"
    assert Store.open(db).counts() == before


def test_a_missing_trained_model_is_a_one_line_error_unless_zero_shot_is_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Issue 27: with no model found, analyze warned and went on zero-shot, with other scores."""
    monkeypatch.delenv("LEVELUP_TAG_MODEL")
    monkeypatch.setenv("LEVELUP_MODELS_DIR", str(tmp_path / "models"))
    result = invoke("analyze", str(FIXTURES / "release.txt"), "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert _one_line(result).startswith(f"error: no trained model for taxonomy 'levelling-up' in {tmp_path / 'models'}; train one")
    asked = invoke("analyze", str(FIXTURES / "release.txt"), "--format", "json", "--model", "zero-shot")
    assert asked.exit_code == 0 and asked.stdout.count("\n") > 0


def test_run_on_a_missing_path_creates_no_database(tmp_path: Path):
    result = invoke("run", str(tmp_path / "missing.html"), "--db", f"sqlite:///{tmp_path / 'new' / 'evidence.db'}")
    assert result.exit_code == 2 and "no such file or folder" in result.stderr
    assert not (tmp_path / "new").exists()  # issue 27: the store was opened (and created) before the inputs were checked


def test_bad_database_url_is_a_usage_error():
    result = invoke("report", "--db", "nonsense")
    assert result.exit_code == 2 and "not a database URL" in result.stderr


def test_report_format_must_be_known(tmp_path: Path):
    result = invoke("report", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--format", "xml")
    assert result.exit_code == 2


def test_file_stages_chain_into_the_store(tmp_path: Path, tagger):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("press-release.html", "release.txt", "report.pdf"):
        shutil.copy(FIXTURES / name, docs / name)
    interim = tmp_path / "interim"
    steps = [
        ("collect", str(docs), "-o", str(interim / "documents.jsonl")),
        ("segment", "-i", str(interim / "documents.jsonl"), "-o", str(interim / "passages.jsonl")),
        ("extract", "-i", str(interim / "passages.jsonl"), "-o", str(interim / "extractions.jsonl")),
        ("tag", "-i", str(interim / "passages.jsonl"), "-o", str(interim / "suggestions.jsonl")),
        ("store", "--input-dir", str(interim), "--db", f"sqlite:///{tmp_path / 'files.db'}"),
    ]
    for step in steps:
        result = invoke(*step)
        assert result.exit_code == 0, (step, result.output)
    assert not list(interim.glob("*.tmp"))
    by_files = Store.open(f"sqlite:///{tmp_path / 'files.db'}").counts()
    assert invoke("run", str(docs), "--db", f"sqlite:///{tmp_path / 'run.db'}", "--no-report").exit_code == 0
    by_run = Store.open(f"sqlite:///{tmp_path / 'run.db'}").counts()
    assert {k: v for k, v in by_files.items() if k != "runs"} == {k: v for k, v in by_run.items() if k != "runs"}
    assert by_files["documents"] == 3 and by_files["passages"] > 5


def test_segment_without_collect_output_explains_what_to_run(tmp_path: Path):
    result = invoke("segment", "-i", str(tmp_path / "documents.jsonl"))
    assert result.exit_code == 2 and "run the previous stage first" in result.stderr


def test_version():
    assert invoke("--version").output.startswith("levelup-evidence ")


def test_run_reads_inputs_from_a_list_file(tmp_path: Path, tagger):
    listed = tmp_path / "inputs.txt"
    listed.write_text(f"# sources\n{FIXTURES / 'release.txt'}\n\n{FIXTURES / 'press-release.html'}  # a page\n")
    db = f"sqlite:///{tmp_path / 'evidence.db'}"
    result = invoke("run", "--list", str(listed), "--db", db, "--no-report")
    assert result.exit_code == 0, result.output
    assert Store.open(db).counts()["documents"] == 2


@pytest.mark.parametrize("line", ["htp://www.trust.nhs.uk/news/a", "ftp://www.trust.nhs.uk/a.pdf", "www.trust.nhs.uk/news/a"])
def test_a_bad_url_in_a_list_file_is_called_a_bad_url(tmp_path: Path, line: str):
    """Regression (issue 27): it was called "no such file or folder"."""
    listed = tmp_path / "inputs.txt"
    listed.write_text(f"{line}\n")
    result = invoke("run", "--list", str(listed), "--db", f"sqlite:///{tmp_path / 'evidence.db'}")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {line}: not an http(s) URL; give an address starting http:// or https://, or a local path"


def test_run_without_inputs_is_a_usage_error(tmp_path: Path):
    result = invoke("run", "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.exit_code == 2 and "at least one file" in result.output


def test_analyze_explains_each_goal_of_a_trained_model(trained: Path):
    result = invoke("analyze", str(FIXTURES / "press-release.html"), "--model", str(trained))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    goals = [goal for record in records for goal in record["goals"]]
    assert goals and all(goal["why"]["examples"] and goal["why"]["phrases"] for goal in goals)
    texts = {record["passage"]: record["text"] for record in records}
    for record in records:
        for goal in record["goals"]:
            assert all(phrase["text"] in texts[record["passage"]] for phrase in goal["why"]["phrases"])
        assert all(flag["reasons"] for flag in record["review"])


@pytest.mark.parametrize("budget", ["soon", "-5", "0", "inf"])
def test_ingest_time_budget_must_be_a_positive_duration(budget: str):
    result = CliRunner().invoke(app, ["ingest", "--time-budget", budget])
    assert result.exit_code == 2 and "--time-budget" in result.output and "90m" in result.output
    assert "Traceback" not in result.output


def test_ingest_time_budget_units():
    from pipeline.cli.ops import duration

    assert [duration(v) for v in ("3600", "90s", "45m", "2h", "1.5h")] == [3600, 90, 2700, 7200, 5400]
# --- every failure one line with a documented exit code (issue 17) --------------------------


def _one_line(result) -> str:
    """The one error line (log lines, such as a zero-shot warning, may come before it)."""
    assert "SQL" not in result.stderr and "INSERT" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if " WARNING " not in line and " INFO " not in line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_a_database_at_an_unknown_newer_migration_is_a_one_line_exit_2(db_url: str):
    from pipeline.evidence.migrate import head_revision

    store = Store.open(db_url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    store.dispose()
    result = invoke("report", "--db", db_url)
    assert result.exit_code == 2
    assert _one_line(result) == f"error: database is at migration 9999, newer than this levelup (latest {head_revision()}): upgrade levelup"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"text": "ok text", "goals": [1]}\n{"text": "caf\xe9", "goals": [2]}\n', "line 2: not valid UTF-8"),
        (b'{"text": "ok text", "goals": [1]}\n\n{"text": "bad \\udc80", "goals": [2]}\n', "line 3: a lone surrogate"),
    ],
)
def test_a_labels_file_that_is_not_text_is_a_one_line_exit_2(tagger, tmp_path: Path, content: bytes, expected: str):
    path = tmp_path / "labels.jsonl"
    path.write_bytes(content)
    for command in (["eval", "--labels", str(path)], ["eval", "--labels", str(path), "--by", "label_basis"]):
        result = invoke(*command)
        assert result.exit_code == 2, result.output
        line = _one_line(result)
        assert str(path) in line and expected in line


def _add_user(db_url: str, *options: str):
    return runner.invoke(app, [*options, "review", "add-user", "erin", "--password-stdin", "--db", db_url], input="erin-password-1\n")


def test_a_locked_database_is_a_one_line_exit_4_and_v_shows_the_sql(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import sqlite3

    from pipeline.evidence import store as store_module

    Store.open(db_url).dispose()
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(tmp_path / "evidence.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = _add_user(db_url)
        verbose = _add_user(db_url, "-v")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 4
    assert "the database is locked by another process" in _one_line(result)
    assert verbose.exit_code == 4 and "[SQL:" in verbose.stderr and "Traceback" in verbose.stderr
    assert _add_user(db_url).exit_code == 0  # and once the lock is gone, the same command works


def test_a_read_only_database_is_a_one_line_exit_2(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    Store.open(db_url).dispose()
    read_only = f"sqlite:///file:{tmp_path / 'evidence.db'}?mode=ro&uri=true"
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    result = _add_user(read_only)
    assert result.exit_code == 2, result.output
    assert "the database is read-only" in _one_line(result)
    assert list((tmp_path / "cwd").iterdir()) == []  # the URI was once read as a folder path: ./file:/tmp/...


def test_a_database_error_that_escapes_the_store_is_still_one_line(monkeypatch: pytest.MonkeyPatch):
    import sqlite3

    from pipeline.cli import stages

    def broken(*_args, **_kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(stages.common, "open_store", broken)
    result = invoke("report")
    assert result.exit_code == 4 and "locked" in _one_line(result)


def test_params_and_taxonomy_files_that_are_not_utf8_are_one_line_exit_2(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"tag:\n  taxonomy: caf\xe9\n")
    for command in (["--params", str(bad), "report"], ["classify", "--taxonomy", str(bad)]):
        result = invoke(*command, input="")
        assert result.exit_code == 2, result.output
        assert "not valid UTF-8" in _one_line(result) and str(bad) in result.stderr


def test_train_with_an_undecodable_labels_file_is_a_one_line_exit_2(tmp_path: Path):
    path = tmp_path / "labels.jsonl"
    path.write_bytes(b'{"text": "caf\xe9", "goals": [2]}\n')
    result = invoke("train", "--labels", str(path), "--no-reviews", "--out", str(tmp_path / "models"))
    assert result.exit_code == 2, result.output
    assert f"{path}: line 1: not valid UTF-8" in _one_line(result)
