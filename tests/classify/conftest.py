"""Classifier fixtures: a small trained model that trains in seconds (fast tests never train on all labels)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT

MINI_LABELS = 400  # the first lines of the shipped labels: every goal has enough for 5-fold calibration


@pytest.fixture(scope="session")
def mini_model(params, models_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.classify.train import train

    folder = tmp_path_factory.mktemp("mini-labels")
    lines = (ROOT / "corpus" / "labels" / "levelling-up.jsonl").read_text(encoding="utf-8").splitlines()[:MINI_LABELS]
    (folder / "mini.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return train(params, taxonomy="levelling-up", labels=[folder / "mini.jsonl"], out=models_root.parent / "mini-models")


@pytest.fixture(scope="session")
def mini_supervised(params, mini_model: Path):
    from pipeline.classify import load_tagger

    return load_tagger(params.tag, model_dir=mini_model)
