from pathlib import Path

import pytest

from pipeline import config
from pipeline.config import Params, load_params, params_from_dict
from pipeline.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_params_file_is_valid():
    assert load_params(ROOT / "params.yaml") == Params()  # the file documents the defaults


def test_unknown_key_names_the_section_and_lists_valid_keys():
    with pytest.raises(ConfigError, match=r"unknown key 'tag.threshhold' \(keys of 'tag' are: taxonomy, encoder, threshold"):
        params_from_dict({"tag": {"threshhold": 0.4}})


def test_unknown_section_is_an_error():
    with pytest.raises(ConfigError, match="unknown section 'tagg'"):
        params_from_dict({"tagg": {}})


def test_bad_value_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"segment.min_words: .*greater than or equal to 1"):
        params_from_dict({"segment": {"min_words": 0}})


def test_missing_params_file_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_params(tmp_path / "nope.yaml")


def test_invalid_yaml_is_an_error(tmp_path: Path):
    bad = tmp_path / "params.yaml"
    bad.write_text("tag: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(bad)


def test_outside_the_project_its_own_params_file_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert load_params() == load_params(ROOT / "params.yaml")
    (tmp_path / "params.yaml").write_text("tag:\n  threshold: 0.5\n")
    assert load_params().tag.threshold == 0.5  # ./params.yaml still wins


def test_defaults_without_any_params_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "project_root", lambda: None)  # a package installed on its own
    assert load_params() == Params()


def test_data_and_models_folders_come_from_configuration_never_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Issue 27: from outside the repo, `levelup analyze` found no trained model (./models), fell
    back to zero-shot with other scores, and wrote models/ and data/cache/ into the working folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEVELUP_DATA_DIR")
    monkeypatch.delenv("LEVELUP_MODELS_DIR")
    assert (config.data_dir(), config.models_dir()) == (ROOT / "data", ROOT / "models")
    monkeypatch.setenv("LEVELUP_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert config.models_dir() == tmp_path / "elsewhere"
    monkeypatch.setattr(config, "project_root", lambda: None)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert config.data_dir() == tmp_path / "share" / "levelup-evidence" / "data"  # an installed package: the user's data folder
