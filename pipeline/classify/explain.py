"""Why a goal was suggested: the nearest labelled examples and the phrases that drove the score.

Phrases are the passage's clauses (split at sentence ends, semicolons, commas and dashes, merged
until each has a few words); each is scored alone by the same classifier, and the clauses that
score highest for the goal are the ones that drove it. Explanations cost extra encoding, so the
tag stage explains only the goals it predicts or flags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pipeline.classify import Tagger

MIN_PHRASE_WORDS = 4
MAX_PHRASES = 2
_CLAUSE_BREAK = re.compile(r"(?<=[.!?;:,–—])\s+|\s+(?:-|–|—)\s+")


@dataclass(frozen=True)
class Explanation:
    goal: int
    phrases: list[dict[str, object]]  # {"text", "score"}, best first
    examples: list[dict[str, object]]  # {"text", "goals", "similarity"}, nearest first

    def to_dict(self) -> dict[str, object]:
        return {"goal": self.goal, "phrases": self.phrases, "examples": self.examples}


def phrases(text: str) -> list[str]:
    """Clauses of at least ``MIN_PHRASE_WORDS`` words (short pieces join the next one)."""
    pieces, current = [], ""
    for piece in _CLAUSE_BREAK.split(text.strip()):
        current = f"{current} {piece}".strip()
        if len(current.split()) >= MIN_PHRASE_WORDS:
            pieces.append(current)
            current = ""
    if current:
        if pieces:
            pieces[-1] = f"{pieces[-1]} {current}"
        else:
            pieces.append(current)
    return pieces


def explain(tagger: Tagger, texts: list[str], goals: list[list[int]]) -> list[list[Explanation]]:
    """Explanations for the given goals of each text (same order)."""
    clauses = [phrases(text) if wanted else [] for text, wanted in zip(texts, goals, strict=True)]
    flat = [clause for group in clauses for clause in group]
    scored = tagger.scored(texts)
    clause_scores = tagger.scored(flat).probabilities if flat else np.zeros((0, len(tagger.taxonomy.goal_ids)))
    ids = tagger.taxonomy.goal_ids
    out: list[list[Explanation]] = []
    row = 0
    for i, (group, wanted) in enumerate(zip(clauses, goals, strict=True)):
        mine = clause_scores[row : row + len(group)]
        row += len(group)
        explanations = []
        for goal in wanted:
            column = ids.index(goal)
            order: list[int] = [int(i) for i in np.argsort(-mine[:, column])[:MAX_PHRASES]] if len(group) > 1 else []
            explanations.append(
                Explanation(
                    goal,
                    [{"text": group[j], "score": round(float(mine[j, column]), 3)} for j in order],
                    tagger.examples.nearest(scored.embeddings[i], goal) if tagger.examples is not None else [],
                )
            )
        out.append(explanations)
    return out
