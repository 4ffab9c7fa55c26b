"""Zero-shot goal tagging: cosine similarity between a passage and each goal's descriptions.

Each goal is represented by several prototype texts (its title with its description, and each
"includes" phrase from the taxonomy file). A passage's score for a goal is its highest cosine
similarity to any of the goal's prototypes. Scores are similarities, not probabilities: the
supervised classifier gives calibrated probabilities.
"""

from __future__ import annotations

import numpy as np

from pipeline.classify.encoder import Embedder
from pipeline.classify.scored import Outcome, Scored
from pipeline.taxonomy import Taxonomy


class ZeroShotTagger:
    """Scores texts against a taxonomy and applies a threshold, a margin and a goal limit."""

    examples = None  # no labelled examples to explain with

    def __init__(
        self,
        taxonomy: Taxonomy,
        encoder: Embedder,
        *,
        threshold: float,
        margin: float,
        max_goals: int,
    ) -> None:
        self.taxonomy = taxonomy
        self.encoder = encoder
        self.threshold = threshold
        self.margin = margin
        self.max_goals = max_goals
        self.model_id = f"zero-shot/{encoder.id}/{taxonomy.name}"
        prototypes = [(g.id, text) for g in taxonomy.goals for text in g.prototypes()]
        self._owner = np.array([goal_id for goal_id, _ in prototypes])
        self._prototypes = encoder.encode([text for _, text in prototypes])

    def scored(self, texts: list[str]) -> Scored:
        """Similarities per goal (no baseline, no "no goal" classifier)."""
        embeddings = self.encoder.encode(texts)
        return Scored(embeddings, self.score_embeddings(embeddings))

    def score(self, texts: list[str]) -> np.ndarray:
        """An (n_texts, n_goals) array of scores, columns in ``taxonomy.goal_ids`` order."""
        return self.score_embeddings(self.encoder.encode(texts))

    def outcomes(self, scores: np.ndarray, no_goal: np.ndarray | None = None) -> list[Outcome]:
        """The goals per row (the zero-shot rule vetoes nothing)."""
        return [Outcome(goals) for goals in self.predict(scores)]

    def baseline_goals(self, baseline: np.ndarray) -> list[list[int]] | None:
        return None

    def thresholds(self) -> np.ndarray:
        return np.full(len(self.taxonomy.goal_ids), self.threshold, dtype=np.float32)

    def score_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Scores for texts already embedded by this tagger's encoder."""
        if not len(embeddings):
            return np.zeros((0, len(self.taxonomy.goals)), dtype=np.float32)
        similarities = embeddings @ self._prototypes.T
        return np.stack(
            [similarities[:, self._owner == goal_id].max(axis=1) for goal_id in self.taxonomy.goal_ids], axis=1
        ).astype(np.float32)

    def predict(self, scores: np.ndarray) -> list[list[int]]:
        """Goals predicted per row, best first; an empty list means "no goal"."""
        return [self._goals_for(row) for row in scores]

    def _goals_for(self, row: np.ndarray) -> list[int]:
        order = np.argsort(-row)
        best = row[order[0]]
        chosen = [i for i in order if row[i] >= self.threshold and row[i] >= best - self.margin]
        return [self.taxonomy.goal_ids[i] for i in chosen[: self.max_goals]]
