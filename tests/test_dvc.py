"""dvc.yaml stays in step with the CLI and params.yaml (DVC itself runs in the workflow issue)."""

import shlex

import typer
import yaml

from pipeline.cli import app
from pipeline.config import Params
from tests.conftest import ROOT



def _expand(stages: dict) -> dict:
    """``foreach``/``do`` stages as DVC sees them: one stage per item, ``${item}`` filled in."""
    expanded = {}
    for name, stage in stages.items():
        if "foreach" not in stage:
            expanded[name] = stage
            continue
        for item in stage["foreach"]:
            text = yaml.safe_dump(stage["do"]).replace("${item}", str(item))
            expanded[f"{name}@{item}"] = yaml.safe_load(text)
    return expanded


STAGES = _expand(yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"])


def test_dvc_stages_call_existing_levelup_commands():
    commands = set(typer.main.get_command(app).commands)
    for name, stage in STAGES.items():
        argv = shlex.split(stage["cmd"])
        assert argv[0] == "levelup" and argv[1] in commands, name


def test_dvc_stage_params_are_sections_of_params_yaml():
    sections = set(Params.model_fields)
    for stage in STAGES.values():
        assert set(stage.get("params", [])) <= sections


def test_dvc_deps_exist():
    for stage in STAGES.values():
        for dep in stage.get("deps", []):
            assert (ROOT / dep).exists() or dep.startswith(("data/", "models/")), dep


def test_dvc_never_tracks_the_database():
    for stage in STAGES.values():
        assert not any(str(out).endswith(".db") for out in stage.get("outs", []))


def test_dvc_tag_stage_depends_on_the_model_the_train_stage_writes():
    outs = {out for stage in STAGES.values() for out in stage.get("outs", [])}
    assert "models/levelling-up" in outs and "models/levelling-up" in STAGES["tag"]["deps"]
