"""Goal frameworks as data: YAML files describing each goal.

Shipped taxonomies live in ``pipeline/taxonomies/<name>.yaml``; ``--taxonomy`` takes a
shipped name or the path of any YAML file of the same shape, so a new framework needs no code.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError

DEFAULT_TAXONOMY = "levelling-up"


class Goal(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=1)
    title: str = Field(min_length=1)
    aliases: list[str] = []
    description: str = Field(min_length=1)
    includes: list[str] = []
    excludes: list[str] = []
    # Names a passage can use for the goal only next to a cue ("the enterprise goal", "the
    # Infrastructure for Opportunity award"): too common in prose to count alone (goal mentions).
    short_names: list[str] = []

    def prototypes(self) -> list[str]:
        """Texts that stand for the goal when comparing embeddings (zero-shot tagging)."""
        return [f"{self.title}. {self.description}", *self.includes]


class MentionRules(BaseModel):
    """How passages name goals of this framework (``pipeline.classify.mentions``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # words that, followed by a goal number, name that goal ("Goal 4", "Purpose Goal Category 6")
    number_prefixes: list[str] = ["goal"]
    # words just before such a prefix that mean another framework ("SDG 4" is not Levelling Up goal 4)
    foreign_prefixes: list[str] = []
    # words after a goal name that make it a name of the goal ("... award", "the enterprise goal")
    cues: list[str] = ["goal", "award", "category"]
    # words anywhere in a passage that put its goal titles in the framework's context
    context: list[str] = ["goal", "goals"]
    # a passage naming more distinct goals than this is a list of the framework, not evidence
    max_goals: int = Field(6, ge=1)


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    title: str
    version: str = ""
    source: str = ""
    mentions: MentionRules = MentionRules()
    goals: list[Goal] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Taxonomy:
        ids = [goal.id for goal in self.goals]
        if len(set(ids)) != len(ids):
            raise ValueError(f"goal ids must be unique, got {ids}")
        return self

    @property
    def goal_ids(self) -> list[int]:
        return [goal.id for goal in self.goals]

    def goal(self, goal_id: int) -> Goal:
        for goal in self.goals:
            if goal.id == goal_id:
                return goal
        raise KeyError(goal_id)


def shipped_taxonomies() -> list[str]:
    folder = resources.files("pipeline") / "taxonomies"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


@functools.lru_cache(maxsize=8)
def load_taxonomy(name_or_path: str = DEFAULT_TAXONOMY) -> Taxonomy:
    """Load a shipped taxonomy by name (``levelling-up``, ``sdg``) or any YAML file by path."""
    if name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise ConfigError(f"taxonomy file {path} does not exist; give a YAML path or one of: {', '.join(shipped_taxonomies())}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"taxonomy file {path}: not valid UTF-8 (byte {exc.start + 1}); save the file as UTF-8") from exc
    else:
        resource = resources.files("pipeline") / "taxonomies" / f"{name_or_path}.yaml"
        if not resource.is_file():
            raise ConfigError(
                f"unknown taxonomy '{name_or_path}'; use one of: {', '.join(shipped_taxonomies())}, or a YAML file path"
            )
        text = resource.read_text(encoding="utf-8")
    try:
        return Taxonomy.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"taxonomy '{name_or_path}' is invalid at {where or 'top level'}: {first['msg']}") from exc
