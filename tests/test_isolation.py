"""Tests run apart from the checkout: its data/ and models/ are neither read nor written."""

import os
import subprocess
from pathlib import Path

from pipeline.config import data_dir, models_dir

from .conftest import ROOT, checkout_files


def test_the_data_and_models_folders_are_temporary():
    for folder in (data_dir(), models_dir()):
        assert folder.is_absolute() and not folder.resolve().is_relative_to(ROOT)
    assert "LEVELUP_DB" not in os.environ


def test_checkout_files_sees_new_and_changed_untracked_and_ignored_files(tmp_path: Path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("/data/\n__pycache__/\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "old.db").write_text("old")
    before = checkout_files(tmp_path)
    assert set(before) == {".gitignore", "data/old.db"}
    (tmp_path / "data" / "cache").mkdir()
    (tmp_path / "data" / "cache" / "embeddings.sqlite").write_text("new")
    (tmp_path / "data" / "old.db").write_text("changed")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_text("bytecode is not data")
    (tmp_path / "file:" / "tmp" / "pytest").mkdir(parents=True)  # an SQLite URI once read as a folder path
    after = checkout_files(tmp_path)
    written = {path for path, seen in after.items() if before.get(path) != seen}
    assert written == {"data/cache/embeddings.sqlite", "data/old.db", "file:/tmp/pytest/"}
