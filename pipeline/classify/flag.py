"""Flagging: which goal suggestions staff should review, most valuable first, within a budget.

A suggestion is flagged when

- **uncertain**: its score is close to its goal's threshold, relative to the room on that side:
  ``(t - s) / t`` below the threshold ``t``, ``(s - t) / (1 - t)`` above it, under ``band``
  (so a near-zero score is never "uncertain" however low the threshold);
- **disagree**: the supervised model and the zero-shot baseline disagree about the goal;
- **new_for_organisation**: the goal is predicted for an organisation that has no earlier
  evidence for it (a first claim deserves a human look);
- **vetoed**: the goal was over its threshold but the "no goal" rule dropped it; the reason is
  the flag's text ("vetoed: P(no goal)=0.91 ≥ 0.85"), so strong evidence is never dropped silently.

The expected value of a review is estimated as uncertainty sampling: closeness to the threshold
(1 at the threshold, 0 at the band's edge, in the relative distance above), plus 0.5 for a disagreement,
0.25 for a new goal and 0.75 for a veto.
Passages are ranked by their best suggestion and only the top ``budget`` are flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DISAGREE_WEIGHT = 0.5
NEW_GOAL_WEIGHT = 0.25
VETO_WEIGHT = 0.75


@dataclass(frozen=True)
class Flag:
    goal: int
    priority: float
    reasons: tuple[str, ...]


def flag(
    scores: np.ndarray,
    predicted: Sequence[Sequence[int]],
    goal_ids: Sequence[int],
    thresholds: np.ndarray,
    *,
    band: float,
    budget: int,
    baseline: Sequence[Sequence[int]] | None = None,
    known_goals: Sequence[set[int] | None] | None = None,
    vetoed: Sequence[dict[int, str]] | None = None,
) -> list[list[Flag]]:
    """Flags per passage (empty for passages not worth a review or over the budget)."""
    candidates = [
        _passage_flags(row, set(chosen), goal_ids, thresholds, band,
                       None if baseline is None else set(baseline[i]),
                       None if known_goals is None else known_goals[i],
                       {} if vetoed is None else vetoed[i])
        for i, (row, chosen) in enumerate(zip(scores, predicted, strict=True))
    ]
    ranked = sorted(
        (i for i, flags in enumerate(candidates) if flags),
        key=lambda i: -max(f.priority for f in candidates[i]),
    )
    keep = set(ranked[:budget])
    return [flags if i in keep else [] for i, flags in enumerate(candidates)]


def relative_distance(score: float, threshold: float) -> float:
    """How far a score is from its threshold, as a share of the room between the threshold and
    0 (below it) or 1 (above it)."""
    if score < threshold:
        return (threshold - score) / threshold if threshold > 0 else 1.0
    return (score - threshold) / (1 - threshold) if threshold < 1 else 0.0


def _passage_flags(
    row: np.ndarray,
    chosen: set[int],
    goal_ids: Sequence[int],
    thresholds: np.ndarray,
    band: float,
    baseline: set[int] | None,
    known: set[int] | None,
    vetoed: dict[int, str],
) -> list[Flag]:
    flags = []
    for column, goal in enumerate(goal_ids):
        distance = relative_distance(float(row[column]), float(thresholds[column]))
        reasons, priority = [], 0.0
        if band and distance < band:
            reasons.append("uncertain")
            priority += 1 - distance / band
        if baseline is not None and (goal in chosen) != (goal in baseline):
            reasons.append("disagree")
            priority += DISAGREE_WEIGHT
        if known is not None and goal in chosen and goal not in known:
            reasons.append("new_for_organisation")
            priority += NEW_GOAL_WEIGHT
        if goal in vetoed:
            reasons.append(vetoed[goal])
            priority += VETO_WEIGHT
        if reasons:
            flags.append(Flag(goal, round(priority, 4), tuple(reasons)))
    return flags
