"""Each goal as the review page shows it: score, threshold, whether the model suggested it, and
why not when it did not (below its threshold, or vetoed by the "no goal" rule), with the
taxonomy's description, includes and excludes as the reviewer's guideline.

Thresholds come from the model that made the suggestion: a trained model's ``metrics.json``
(read as JSON; the pickled model is never loaded here), or the zero-shot threshold in params.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import load_params, models_dir
from pipeline.errors import ConfigError
from pipeline.taxonomy import Taxonomy


@dataclass(frozen=True)
class GoalRow:
    goal: int
    title: str
    description: str
    includes: list[str]
    excludes: list[str]
    score: float | None
    threshold: float | None
    suggested: bool
    flagged: bool
    reasons: list[str]
    why_not: str | None  # why the model did not suggest it, for a goal worth showing
    explanation: dict[str, Any] | None

    @property
    def shown(self) -> bool:
        """Listed in the suggestions table: suggested, flagged, or vetoed."""
        return self.suggested or self.flagged or bool(self.explanation and self.explanation.get("vetoed"))


def goal_rows(taxonomy: Taxonomy, suggestions: Sequence[dict[str, Any]], root: Path | None = None) -> list[GoalRow]:
    """One row per goal of the taxonomy, in goal order."""
    by_goal = {int(s["goal"]): s for s in suggestions}
    model = next((str(s["model"]) for s in suggestions), "")
    limits = thresholds(model, root or models_dir(), taxonomy.goal_ids)
    rows = []
    for goal in taxonomy.goals:
        s = by_goal.get(goal.id)
        score = float(s["score"]) if s else None
        threshold = limits.get(goal.id)
        suggested = bool(s and s["predicted"])
        explanation = (s or {}).get("explanation") or None
        rows.append(
            GoalRow(
                goal=goal.id, title=goal.title, description=goal.description, includes=list(goal.includes), excludes=list(goal.excludes),
                score=score, threshold=threshold, suggested=suggested, flagged=bool(s and s["flagged"]), reasons=list((s or {}).get("reasons") or []),
                why_not=None if suggested or s is None else why_not(score, threshold, explanation), explanation=explanation,
            )
        )
    return rows


def why_not(score: float | None, threshold: float | None, explanation: dict[str, Any] | None) -> str:
    if explanation and explanation.get("vetoed"):
        return f"vetoed by the \"no goal\" rule: {explanation['vetoed']}"
    if score is not None and threshold is not None and score < threshold:
        return f"score {score:.2f} is under this goal's threshold {threshold:.2f}"
    if score is not None and threshold is not None:
        return "over its threshold, but other goals scored higher (the model keeps the best few)"
    return "the model did not choose it (its threshold is not known here)"


def thresholds(model_id: str, root: Path, goal_ids: Sequence[int]) -> dict[int, float]:
    """Goal -> threshold for the model that made the suggestions; empty when unknown."""
    return dict(_thresholds(model_id, str(root), tuple(goal_ids)))


@functools.lru_cache(maxsize=16)
def _thresholds(model_id: str, root: str, goal_ids: tuple[int, ...]) -> tuple[tuple[int, float], ...]:
    parts = model_id.split("/")
    if parts[0] == "supervised" and len(parts) >= 4:
        metrics = Path(root) / parts[-2] / parts[-1] / "metrics.json"
        try:
            found = json.loads(metrics.read_text(encoding="utf-8")).get("thresholds") or {}
            return tuple(sorted((int(goal), float(value)) for goal, value in found.items()))
        except (OSError, ValueError, AttributeError):
            return ()
    if parts[0] == "zero-shot":
        try:
            threshold = float(load_params().tag.threshold)
        except ConfigError:
            return ()
        return tuple((goal, threshold) for goal in goal_ids)
    return ()
