"""dvc.yaml stays in step with the CLI and params.yaml (DVC itself runs in the workflow issue)."""

import shlex

import typer
import yaml

from pipeline.cli import app
from pipeline.config import Params
from tests.conftest import ROOT

STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


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
            assert (ROOT / dep).exists() or dep.startswith("data/"), dep


def test_dvc_never_tracks_the_database():
    for stage in STAGES.values():
        assert not any(str(out).endswith(".db") for out in stage.get("outs", []))
