"""Shared fixtures: models are loaded once per session; databases are temporary files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a test must never download a model
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = ROOT / "corpus" / "sample"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests never see models trained by hand into ./models: they start from an empty models
    folder (so the default tagger is the zero-shot fallback) unless they ask for ``trained``."""
    root = tmp_path_factory.mktemp("models")
    os.environ["LEVELUP_MODELS_DIR"] = str(root)
    return root


@pytest.fixture(scope="session")
def trained(params, models_root: Path) -> Path:
    """A levelling-up model trained on the shipped labels, in a folder of its own."""
    from pipeline.classify.train import train

    root = models_root.parent / "trained-models"
    return train(params, taxonomy="levelling-up", labels=[ROOT / "corpus" / "labels" / "levelling-up.jsonl"], out=root)


@pytest.fixture(scope="session")
def supervised(params, trained: Path):
    from pipeline.classify import load_tagger

    return load_tagger(params.tag, model_dir=trained)


@pytest.fixture(scope="session")
def params():
    from pipeline.config import Params

    return Params()


@pytest.fixture(scope="session")
def nlp(params):
    from pipeline.extract.nlp import load_nlp

    return load_nlp(params.extract.spacy_model)


@pytest.fixture(scope="session")
def tagger(params):
    from pipeline.classify import load_tagger

    return load_tagger(params.tag)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'evidence.db'}"


@pytest.fixture
def store(db_url: str):
    from pipeline.evidence.store import Store

    store = Store.open(db_url)
    yield store
    store.dispose()


@pytest.fixture
def in_tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run with the working folder (and so the default data folder) inside a temporary folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEVELUP_DB", raising=False)
    monkeypatch.delenv("LEVELUP_DATA_DIR", raising=False)
    return tmp_path
