"""What every tagger returns for a batch of texts (``Tagger.scored``), and what it decides per row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Scored:
    """Scores per goal for a batch of texts, with what they were built from.

    ``probabilities`` are calibrated probabilities for a trained model and cosine similarities for
    the zero-shot tagger; ``baseline`` holds the zero-shot similarities beside a trained model's
    probabilities (None for the zero-shot tagger); ``no_goal`` holds P("no goal") per text where
    the model has a "no goal" classifier (None otherwise).
    """

    embeddings: np.ndarray
    probabilities: np.ndarray
    baseline: np.ndarray | None = None
    no_goal: np.ndarray | None = None


@dataclass(frozen=True)
class Outcome:
    """The goals decided for one text, best first, and the goals the "no goal" rule vetoed
    (goal -> the reason, e.g. "vetoed: P(no goal)=0.91 ≥ 0.85")."""

    goals: list[int]
    vetoed: dict[int, str] = field(default_factory=dict)
