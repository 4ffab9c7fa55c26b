"""Goal tagging: scores for every goal of a taxonomy, and the goals predicted.

    tagger = load_tagger(params.tag)
    results = classify(["The trust opened wellbeing hubs ..."], tagger)
    suggestions = run(passages, params.tag)          # the tag stage
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.classify.encoder import load_encoder
from pipeline.classify.taxonomy import Taxonomy, load_taxonomy
from pipeline.classify.zeroshot import ZeroShotTagger
from pipeline.config import TagParams
from pipeline.errors import ConfigError
from pipeline.progress import Track, no_progress
from pipeline.records import Passage, Suggestion

# Texts longer than this many words are scored in windows and each goal takes its best window,
# because the encoder reads at most 256 word pieces (about 180 English words) and would
# otherwise silently ignore the rest.
WINDOW_WORDS = 180


class Tagger(Protocol):
    taxonomy: Taxonomy
    model_id: str

    def score(self, texts: list[str]) -> np.ndarray: ...

    def predict(self, scores: np.ndarray) -> list[list[int]]: ...


@dataclass(frozen=True)
class Classification:
    goals: list[tuple[int, float]]  # predicted goals, best first; empty means "no goal"
    scores: dict[int, float]  # every goal of the taxonomy
    windows: int = 1  # >1 when the text was longer than one encoder window

    def to_contract(self, item_id: object) -> dict[str, object]:
        """The JSON shape of ``levelup classify`` (design.md)."""
        return {
            "id": item_id,
            "goals": [{"goal": goal, "score": round(score, 4)} for goal, score in self.goals],
            "scores": {str(goal): round(score, 4) for goal, score in self.scores.items()},
        }


def load_tagger(params: TagParams, *, taxonomy: str | None = None, model_dir: Path | None = None) -> Tagger:
    """The zero-shot tagger for a taxonomy; ``model_dir`` may name a local encoder directory."""
    encoder_path = params.encoder
    if model_dir is not None:
        if not model_dir.is_dir():
            raise ConfigError(f"model directory {model_dir} does not exist; pass an existing directory to --model")
        encoder_path = str(model_dir)
    return ZeroShotTagger(
        load_taxonomy(taxonomy or params.taxonomy),
        load_encoder(encoder_path, params.batch_size),
        threshold=params.threshold,
        margin=params.margin,
        max_goals=params.max_goals,
    )


def classify(
    texts: Sequence[str], tagger: Tagger, *, batch_size: int = 256, track: Track = no_progress
) -> list[Classification]:
    """Score and predict texts in batches; empty texts get all-zero scores and no goal."""
    results: list[Classification] = []
    starts = range(0, len(texts), batch_size)
    for start in track(starts, "classify", len(starts)):
        results.extend(_classify_batch(list(texts[start : start + batch_size]), tagger))
    return results


def _classify_batch(texts: list[str], tagger: Tagger) -> list[Classification]:
    windows = [_windows(text) for text in texts]
    flat = [window for text_windows in windows for window in text_windows]
    flat_scores = tagger.score(flat) if flat else np.zeros((0, len(tagger.taxonomy.goals)))
    ids = tagger.taxonomy.goal_ids
    results = []
    row = 0
    for text_windows in windows:
        if not text_windows:
            results.append(Classification([], {goal: 0.0 for goal in ids}, windows=0))
            continue
        scores = flat_scores[row : row + len(text_windows)].max(axis=0)
        row += len(text_windows)
        predicted = tagger.predict(scores[None, :])[0]
        by_goal = {goal: float(score) for goal, score in zip(ids, scores, strict=True)}
        results.append(Classification([(g, by_goal[g]) for g in predicted], by_goal, len(text_windows)))
    return results


def _windows(text: str) -> list[str]:
    """The text as overlapping windows of at most ``WINDOW_WORDS`` words (none if empty)."""
    words = text.split()
    step = WINDOW_WORDS - WINDOW_WORDS // 6  # consecutive windows overlap by a sixth
    last_start = max(len(words) - WINDOW_WORDS, 0)
    return [" ".join(words[i : i + WINDOW_WORDS]) for i in range(0, last_start + step, step)] if words else []


def run(
    passages: Sequence[Passage], params: TagParams, *, tagger: Tagger | None = None, track: Track = no_progress
) -> list[Suggestion]:
    """The tag stage: a suggestion for every goal of every passage (``predicted`` marks the goals)."""
    tagger = tagger or load_tagger(params)
    results = classify([p.text for p in passages], tagger, track=track)
    return [
        Suggestion(
            passage_id=passage.id,
            taxonomy=tagger.taxonomy.name,
            goal=goal,
            score=round(score, 4),
            predicted=goal in {g for g, _ in result.goals},
            model=tagger.model_id,
        )
        for passage, result in zip(passages, results, strict=True)
        for goal, score in result.scores.items()
    ]
