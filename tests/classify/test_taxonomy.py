from pathlib import Path

import pytest
import yaml

from pipeline.errors import ConfigError
from pipeline.taxonomy import load_taxonomy, shipped_taxonomies


def test_shipped_taxonomies():
    assert {"levelling-up", "sdg"} <= set(shipped_taxonomies())


@pytest.mark.parametrize(("name", "count"), [("levelling-up", 14), ("sdg", 17)])
def test_shipped_taxonomy_has_consecutive_goals_with_descriptions(name: str, count: int):
    taxonomy = load_taxonomy(name)
    assert taxonomy.goal_ids == list(range(1, count + 1))
    assert all(goal.description and goal.includes for goal in taxonomy.goals)


def test_levelling_up_titles_follow_the_framework():
    taxonomy = load_taxonomy("levelling-up")
    assert taxonomy.goal(8).title == "Good health and wellbeing"
    assert "Successful school and college years" in taxonomy.goal(2).aliases


def test_a_third_framework_loads_from_a_file_without_code(tmp_path: Path):
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump({"name": "custom", "title": "Custom", "goals": [{"id": 1, "title": "A", "description": "About A."}]}))
    assert load_taxonomy(str(path)).goal_ids == [1]


def test_unknown_taxonomy_lists_the_shipped_ones():
    with pytest.raises(ConfigError, match="unknown taxonomy 'nope'; use one of: levelling-up, sdg"):
        load_taxonomy("nope")


def test_invalid_taxonomy_file_is_a_config_error(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"name": "bad", "title": "Bad", "goals": [{"id": 1, "title": "A", "description": "x", "colour": "red"}]}))
    with pytest.raises(ConfigError, match=r"goals\.0\.colour"):
        load_taxonomy(str(path))
