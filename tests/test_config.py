from pathlib import Path

import pytest

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


def test_defaults_without_a_params_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert load_params() == Params()
