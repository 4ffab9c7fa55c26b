"""A nightly re-run that finds nothing new decides so before importing any model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SAMPLE = ROOT / "corpus" / "sample"
MODEL_MODULES = ("torch", "spacy", "onnxruntime", "sentence_transformers", "transformers", "sklearn")
# Runs the CLI as `levelup` does and writes the names of every module imported, at exit.
WRAPPER = """
import atexit, json, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv[0] = "levelup"
runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
"""


def _levelup_modules(args: list[str], out: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", WRAPPER, str(out), *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    return result, set(json.loads(out.read_text())) if out.is_file() else set()


def _roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("leeds-building-society-commits.txt", "leonardo-uk-commits.html"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def test_unchanged_rerun_imports_no_model(corpus: Path, db_url: str, params, tmp_path: Path):
    from pipeline.evidence.store import Store
    from pipeline.workflow import run

    store = Store.open(db_url)
    first = run([str(corpus)], params, store)
    store.dispose()
    assert first.counts["documents_new"] == 2

    result, modules = _levelup_modules(["run", str(corpus), "--db", db_url, "--no-report"], tmp_path / "modules.json")

    assert result.returncode == 0, result.stderr
    assert "documents unchanged 2" in result.stderr
    assert "pipeline.workflow.run" in modules  # the wrapper saw the run itself
    assert not _roots(modules) & set(MODEL_MODULES)


def test_changed_document_loads_the_models(corpus: Path, db_url: str, params, tmp_path: Path):
    from pipeline.evidence.store import Store
    from pipeline.workflow import run

    store = Store.open(db_url)
    run([str(corpus)], params, store)
    store.dispose()
    text = corpus / "leeds-building-society-commits.txt"
    text.write_text(text.read_text(encoding="utf-8") + "\n\nThe society also funds 40 apprenticeships in Leeds each year.\n", encoding="utf-8")

    result, modules = _levelup_modules(["run", str(corpus), "--db", db_url, "--no-report"], tmp_path / "modules.json")

    assert result.returncode == 0, result.stderr
    assert "documents changed 1" in result.stderr and "documents unchanged 1" in result.stderr
    assert {"spacy", "onnxruntime"} <= _roots(modules)


def test_lazy_tagger_knows_its_model_id_before_loading(params, tagger, supervised, trained: Path):
    from pipeline.classify import choose_tagger, lazy_tagger

    assert choose_tagger(params.tag).model_id == tagger.model_id
    assert choose_tagger(params.tag, model_dir=trained).model_id == supervised.model_id
    lazy = lazy_tagger(params.tag, model_dir=trained)
    assert lazy.model_id == supervised.model_id
    assert lazy.loaded.model_id == supervised.model_id
    assert (lazy.thresholds() == supervised.thresholds()).all()
