"""Each goal as the review page shows it: score, threshold, whether the model suggested it, and
why not when it did not (below its threshold, or vetoed by the "no goal" rule), with the
taxonomy's description, includes and excludes as the reviewer's guideline.

Thresholds come from the model that made the suggestion: a trained model's ``metrics.json``
(read as JSON; the pickled model is never loaded here), or the zero-shot threshold in params.
Both are looked for where the app was configured (``$LEVELUP_MODELS_DIR``, ``./params.yaml``) and
then in the project the package belongs to, so ``review serve`` started from another folder
still knows them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import DEFAULT_PARAMS_FILE, load_params, models_dir
from pipeline.errors import ConfigError
from pipeline.taxonomy import Taxonomy

PROJECT = Path(__file__).resolve().parents[2]  # the checkout the package runs from


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
    limits = {}
    for folder in [root] if root else [models_dir(), PROJECT / "models"]:
        limits = thresholds(model, folder, taxonomy.goal_ids)
        if limits:
            break
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


REASONS = {
    "uncertain": "the score is close to this goal's threshold",
    "disagree": "the trained model and the simpler baseline model disagree",
    "new_for_organisation": "it would be this organisation's first evidence for this goal",
}
_VETO = re.compile(r"P\(no goal\)\s*=\s*([0-9.]+)\s*(?:≥|>=)\s*([0-9.]+)")


def plain_reason(reason: str) -> str:
    """A flag's reason in words a reviewer reads without knowing the model ("vetoed: P(no goal)=0.88
    ≥ 0.56" -> "the score passed ..., but the model thinks the passage shows no goal at all (88 %
    likely; it drops goals from 56 %)")."""
    if reason in REASONS:
        return REASONS[reason]
    veto = _VETO.search(reason)
    if veto:
        return (f"the score passed the threshold, but the model thinks the passage shows no goal at all "
                f"({float(veto.group(1)):.0%} likely; it drops goals from {float(veto.group(2)):.0%})")
    if reason.startswith("vetoed"):
        return "the score passed the threshold, but the model thinks the passage shows no goal at all"
    return reason.replace("_", " ")


def why_not(score: float | None, threshold: float | None, explanation: dict[str, Any] | None) -> str:
    if explanation and explanation.get("vetoed"):
        reason = str(explanation["vetoed"])
        return plain_reason(reason) if _VETO.search(reason) else f"overruled by the \"no goal\" check: {reason}"
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
            here = DEFAULT_PARAMS_FILE if DEFAULT_PARAMS_FILE.exists() else PROJECT / DEFAULT_PARAMS_FILE
            threshold = float(load_params(here if here.exists() else None).tag.threshold)
        except ConfigError:
            return ()
        return tuple((goal, threshold) for goal in goal_ids)
    return ()
