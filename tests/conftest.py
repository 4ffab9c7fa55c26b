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
