"""dvc.yaml stays in step with the CLI and params.yaml (DVC itself runs in the workflow issue)."""

import ast
import importlib
import inspect
import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from functools import lru_cache
from pathlib import Path

import grimp
import pytest
import typer
import yaml

from pipeline.cli import _common, app
from pipeline.config import Params
from pipeline.evidence.store import Store
from tests.conftest import ROOT


def _expand(stages: dict) -> dict:
    """``foreach``/``do`` stages as DVC sees them: one stage per item, ``${item}`` filled in."""
    expanded = {}
    for name, stage in stages.items():
        if "foreach" not in stage:
            expanded[name] = stage
            continue
        items = stage["foreach"]
        for item in items:
            text = yaml.safe_dump(stage["do"]).replace("${item}", str(item)).replace("${key}", str(item))
            if isinstance(items, dict):  # a dict: ${key} is the name, ${item.field} its fields
                for field, value in items[item].items():
                    text = text.replace("${item." + field + "}", str(value))
            expanded[f"{name}@{item}"] = yaml.safe_load(text)
    return expanded


STAGES = _expand(yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"])


def test_dvc_stages_call_existing_levelup_commands():
    commands = set(typer.main.get_group(app).commands)
    for name, stage in STAGES.items():
        argv = [arg for arg in shlex.split(stage["cmd"].split("&&")[-1]) if arg != "--no-cache"]
        assert argv[0] == "levelup" and argv[1] in commands, name


def test_dvc_stage_params_are_keys_of_params_yaml():
    for name, stage in STAGES.items():
        for key in stage.get("params", []):
            section, _, field = key.partition(".")
            assert section in Params.model_fields, (name, key)
            model = Params.model_fields[section].annotation
            assert model is not None and (not field or field in model.model_fields), (name, key)


def test_dvc_deps_exist():
    for stage in STAGES.values():
        for dep in stage.get("deps", []):
            assert (ROOT / dep).exists() or dep.startswith(("data/", "models/")), dep


def test_dvc_never_writes_the_live_database():
    for name, stage in STAGES.items():
        assert "data/evidence.db" not in stage["cmd"] and ("levelup store" not in stage["cmd"] or "--db sqlite:///data/dvc/" in stage["cmd"]), name


def test_dvc_never_tracks_the_database():
    for stage in STAGES.values():
        assert not any(str(out).endswith(".db") and not str(out).startswith("data/dvc/") for out in stage.get("outs", []))  # only DVC's own


def test_dvc_tag_stage_depends_on_the_model_the_train_stage_writes():
    outs = {out if isinstance(out, str) else next(iter(out)) for stage in STAGES.values() for out in stage.get("outs", [])}  # {path: options}
    assert "models/levelling-up" in outs and "models/levelling-up" in STAGES["tag"]["deps"]


@lru_cache(maxsize=1)
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("pipeline", cache_dir=None)


def _callback(argv: list[str]):
    command = typer.main.get_command(app).commands[argv[1]]
    return command.commands[argv[2]].callback if hasattr(command, "commands") else command.callback


def _function_imports(func, seen: set) -> set[str]:
    """Pipeline modules a command function imports, with those of the CLI helpers it calls."""
    if func in seen:
        return set()
    seen.add(func)
    module, found = inspect.getmodule(func), {func.__module__}
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(func)))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in _graph().modules}
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "common":
            helper = getattr(_common, node.attr, None)
            found |= _function_imports(helper, seen) if inspect.isfunction(helper) else set()
        elif isinstance(node, ast.Name) and inspect.isfunction(helper := getattr(module, node.id, None)) and helper.__module__ == func.__module__:
            found |= _function_imports(helper, seen)
    return found


def _stage_modules(cmd: str) -> set[str]:
    """Every pipeline module a stage's command can import: the command's own imports and the CLI
    modules' top-level ones, closed over the library's import graph (lazy imports included)."""
    argv = [arg for arg in shlex.split(cmd.split("&&")[-1].split(">")[0]) if not arg.startswith("--no-cache")]
    roots = _function_imports(_callback(argv), set()) | {"pipeline", "pipeline.cli", "pipeline.cli._common"}
    cli = {m for m in roots if m.split(".")[:2] == ["pipeline", "cli"]}
    for name in cli:
        body = ast.parse(inspect.getsource(importlib.import_module(name))).body
        roots |= {n.module for n in body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("pipeline") and not n.module.startswith("pipeline.cli")}
    closure = set(roots)
    for name in roots - cli:
        closure |= _graph().find_upstream_modules(name)
    return {m for m in closure if m == "pipeline" or m.startswith("pipeline.")}


def _module_file(name: str) -> str:
    path = Path(importlib.import_module(name).__file__).relative_to(ROOT)
    return path.as_posix()


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_dvc_stage_deps_cover_the_code_its_command_imports(stage: str):
    deps = STAGES[stage].get("deps", [])
    assert "pipeline" not in deps, "list the parts a stage imports, not the whole package"
    missing = [
        path for path in map(_module_file, sorted(_stage_modules(STAGES[stage]["cmd"])))
        if not any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)
    ]
    assert not missing, f"{stage}: add to its deps in dvc.yaml: {missing}"


def test_dvc_taxonomy_data_is_a_dep_where_taxonomies_are_loaded():
    for name, stage in STAGES.items():
        if "pipeline.taxonomy" in _stage_modules(stage["cmd"]):
            assert "pipeline/taxonomies" in stage["deps"], name


@pytest.mark.slow
def test_dvc_repro_metrics_and_an_experiment_in_a_copy_of_the_repo(tmp_path: Path):
    """`dvc repro` offline on the sample corpus, `dvc metrics show`, `dvc exp run -S`, and the
    live database with its reviews read but never written."""
    copy = tmp_path / "repo"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    # two folds instead of five: the stages' plumbing is under test here, not the models' quality
    # (the training stages fit about a fifth as many classifiers)
    settings = copy / "params.yaml"
    assert "\n  folds: 5" in settings.read_text(encoding="utf-8")
    settings.write_text(settings.read_text(encoding="utf-8").replace("\n  folds: 5", "\n  folds: 2"), encoding="utf-8")
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HF_HUB_OFFLINE": "1", "LEVELUP_MODELS_DIR": str(copy / "models"), "LEVELUP_DATA_DIR": str(copy / "data")}
    env.pop("LEVELUP_DB", None)
    env.pop("LEVELUP_TAG_MODEL", None)  # the tag stage uses the model the train stage made

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    run("git", "init", "-q")
    run("git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", "add", "-A")
    run("git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", "commit", "-qm", "copy")
    # the live database, with a staff review DVC must read and must not touch
    live = Store.open(f"sqlite:///{copy / 'data' / 'evidence.db'}")
    live.add_review(  # through the store, as the review app does: the standing decision is kept with it
        passage_id="x", passage_text="Our apprenticeship academy took on 40 care leavers this year.", taxonomy="levelling-up",
        decision="change", goals_before=[], goals_after=[3, 14], reviewer="rita",
    )
    before = (live.reviews("levelling-up"), live.counts())

    run("dvc", "repro", "export")  # the pipeline and its models; the experiment stages are measurements, run on demand
    assert (copy / "data" / "exports" / "figures.parquet").is_file() and (copy / "models" / "levelling-up" / "LATEST").is_file()
    assert json.loads((copy / "data" / "interim" / "review-labels.jsonl").read_text().splitlines()[0])["goals"] == [3, 14]
    assert (live.reviews("levelling-up"), live.counts()) == before  # reviews neither lost nor rewritten, nothing added
    metrics = run("dvc", "metrics", "show", "--json")
    assert "macro_f1" in metrics and "passages" in metrics
    plots = (copy / "plots" / "evidence-per-goal.csv").read_text().splitlines()
    assert plots[0] == "goal,title,passages" and len(plots) == 15

    run("dvc", "exp", "run", "-S", "train.c=8", "train@levelling-up")
    assert '"c": 8' in (copy / "models" / "levelling-up" / (copy / "models" / "levelling-up" / "LATEST").read_text().strip() / "metrics.json").read_text()


def test_dvc_extract_depends_on_the_committed_ner_model_which_repro_only_verifies():
    """The extract stage reruns when the NER model changes; the model is committed and its stage
    frozen, so `dvc repro export` in a fresh clone (no dvc.lock) checks models/ner and never trains."""
    assert "models/ner" in STAGES["extract"]["deps"]
    assert STAGES["ner-model"].get("frozen") is True
    assert any((out if isinstance(out, str) else next(iter(out))) == "models/ner" for out in STAGES["ner-model"]["outs"])
