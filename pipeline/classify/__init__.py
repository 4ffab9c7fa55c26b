"""Goal tagging: scores for every goal of a taxonomy, and the goals predicted.

    tagger = load_tagger(params.tag)
    results = classify(["The trust opened wellbeing hubs ..."], tagger)
    suggestions = run(passages, params.tag)          # the tag stage
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.classify import artifact
from pipeline.classify.cache import CachedEncoder, EmbeddingCache
from pipeline.classify.encoder import Embedder, load_encoder
from pipeline.classify.explain import Explanation, explain
from pipeline.classify.flag import flag
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.classify.zeroshot import ZeroShotTagger
from pipeline.config import TagParams, data_dir
from pipeline.errors import ConfigError
from pipeline.progress import Track, no_progress
from pipeline.records import Passage, Suggestion

log = logging.getLogger(__name__)

SUPERVISED, ZERO_SHOT = "supervised", "zero-shot"
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
    baseline: list[int] | None = None  # the zero-shot goals, when a trained model made the call

    def to_contract(self, item_id: object) -> dict[str, object]:
        """The JSON shape of ``levelup classify`` (design.md)."""
        return {
            "id": item_id,
            "goals": [{"goal": goal, "score": round(score, 4)} for goal, score in self.goals],
            "scores": {str(goal): round(score, 4) for goal, score in self.scores.items()},
        }


def load_embedder(params: TagParams, encoder_path: str | None = None) -> Embedder:
    """The configured encoder, behind the embedding cache unless ``tag.cache`` is off."""
    encoder = load_encoder(encoder_path or params.encoder, params.batch_size)
    if not params.cache:
        return encoder
    return CachedEncoder(encoder, _cache(data_dir() / "cache" / "embeddings.sqlite"))


@functools.lru_cache(maxsize=4)
def _cache(path: Path) -> EmbeddingCache:
    return EmbeddingCache(path)


def load_tagger(params: TagParams, *, taxonomy: str | None = None, model_dir: Path | None = None) -> Tagger:
    """The tagger for a taxonomy.

    ``model_dir`` (``--model``) or ``tag.model`` choose: a trained model folder; ``zero-shot``;
    a local sentence-transformers folder (zero-shot with that encoder); or ``supervised``, the
    latest model trained for the taxonomy under ``models/`` (zero-shot, with a warning, if none).
    """
    tax = load_taxonomy(taxonomy or params.taxonomy)
    choice = str(model_dir) if model_dir is not None else params.model
    if model_dir is not None and choice != ZERO_SHOT and not model_dir.is_dir():
        raise ConfigError(f"model directory {model_dir} does not exist; pass a trained model folder, an encoder folder or 'zero-shot' to --model")
    if choice == SUPERVISED:
        folder = artifact.latest_model_dir(tax.name)
        if folder is None:
            log.warning(
                "no trained model for taxonomy '%s' in %s; using zero-shot (train one with 'levelup train --taxonomy %s')",
                tax.name, artifact.models_dir(), tax.name,
            )  # fmt: skip
            return _zero_shot(params, tax)
        return _supervised(params, tax, folder)
    if choice == ZERO_SHOT:
        return _zero_shot(params, tax)
    path = Path(choice)
    if artifact.is_model_dir(path):
        return _supervised(params, tax, path)
    if not path.is_dir():
        raise ConfigError(f"tag.model '{choice}' is not 'supervised', 'zero-shot' or an existing model folder")
    return _zero_shot(params, tax, encoder_path=str(path))


def _zero_shot(params: TagParams, taxonomy: Taxonomy, encoder_path: str | None = None) -> ZeroShotTagger:
    return ZeroShotTagger(
        taxonomy,
        load_embedder(params, encoder_path),
        threshold=params.threshold,
        margin=params.margin,
        max_goals=params.max_goals,
    )


def _supervised(params: TagParams, taxonomy: Taxonomy, folder: Path) -> artifact.SupervisedTagger:
    model, examples = artifact.load(folder)
    if model.taxonomy != taxonomy.name:
        raise ConfigError(f"model {folder} was trained for taxonomy '{model.taxonomy}', not '{taxonomy.name}'; pass --taxonomy {model.taxonomy}")
    return artifact.SupervisedTagger(model, examples, taxonomy, _zero_shot(params, taxonomy), folder.name)


def classify(
    texts: Sequence[str], tagger: Tagger, *, batch_size: int = 1024, track: Track = no_progress
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
    ids = tagger.taxonomy.goal_ids
    empty = np.zeros((0, len(ids)), dtype=np.float32)
    supervised = isinstance(tagger, artifact.SupervisedTagger)
    scored = tagger.scored(flat) if supervised and flat else None  # type: ignore[attr-defined]
    if scored is not None:
        flat_scores, flat_baseline, flat_none = scored.probabilities, scored.baseline, scored.no_goal
    else:
        flat_scores = tagger.score(flat) if flat and not supervised else empty
        flat_baseline, flat_none = empty, np.zeros(0, dtype=np.float32)
    results = []
    row = 0
    for text_windows in windows:
        if not text_windows:
            results.append(Classification([], dict.fromkeys(ids, 0.0), windows=0, baseline=[] if supervised else None))
            continue
        rows = slice(row, row + len(text_windows))
        row += len(text_windows)
        scores = flat_scores[rows].max(axis=0)  # each goal takes its best window
        if supervised:
            baseline = tagger.zero_shot.predict(flat_baseline[rows].max(axis=0)[None, :])[0]  # type: ignore[attr-defined]
            no_goal = flat_none[rows].min(axis=0, keepdims=True)  # "no goal" only if no window has one
            predicted = tagger.predict(scores[None, :], no_goal)[0]  # type: ignore[call-arg]
        else:
            baseline, predicted = None, tagger.predict(scores[None, :])[0]
        by_goal = {goal: float(score) for goal, score in zip(ids, scores, strict=True)}
        results.append(Classification([(g, by_goal[g]) for g in predicted], by_goal, len(text_windows), baseline))
    return results


def _windows(text: str) -> list[str]:
    """The text as overlapping windows of at most ``WINDOW_WORDS`` words (none if empty)."""
    words = text.split()
    step = WINDOW_WORDS - WINDOW_WORDS // 6  # consecutive windows overlap by a sixth
    last_start = max(len(words) - WINDOW_WORDS, 0)
    return [" ".join(words[i : i + WINDOW_WORDS]) for i in range(0, last_start + step, step)] if words else []


def thresholds(tagger: Tagger) -> np.ndarray:
    """The score at which each goal is predicted (per goal for a trained model)."""
    if isinstance(tagger, artifact.SupervisedTagger):
        return np.asarray(tagger.model.decisions.thresholds, dtype=np.float32)
    return np.full(len(tagger.taxonomy.goal_ids), getattr(tagger, "threshold", 0.5), dtype=np.float32)


def run(
    passages: Sequence[Passage],
    params: TagParams,
    *,
    tagger: Tagger | None = None,
    known_goals: Mapping[str, set[int]] | None = None,
    track: Track = no_progress,
) -> list[Suggestion]:
    """The tag stage: a suggestion for every goal of every passage.

    ``predicted`` marks the chosen goals; ``flagged`` those worth a review (``pipeline.classify.flag``),
    at most ``params.flag_budget`` passages per call. ``known_goals`` maps a passage id to the goals
    its organisation already has evidence for (flags goals new for the organisation).
    """
    tagger = tagger or load_tagger(params)
    results = classify([p.text for p in passages], tagger, track=track)
    ids = tagger.taxonomy.goal_ids
    matrix = np.array([[r.scores[g] for g in ids] for r in results], dtype=np.float32).reshape(len(results), len(ids))
    flags = flag(
        matrix,
        [[g for g, _ in r.goals] for r in results],
        ids,
        thresholds(tagger),
        band=params.flag_band,
        budget=params.flag_budget,
        baseline=[r.baseline or [] for r in results] if isinstance(tagger, artifact.SupervisedTagger) else None,
        known_goals=None if known_goals is None else [known_goals.get(p.id) for p in passages],
    )
    flagged = [{f.goal: f for f in passage_flags} for passage_flags in flags]
    explanations: list[dict[int, Explanation]] = [{} for _ in passages]
    if params.explain and isinstance(tagger, artifact.SupervisedTagger):
        wanted = [sorted({g for g, _ in r.goals} | set(f)) for r, f in zip(results, flagged, strict=True)]
        todo = [i for i, goals in enumerate(wanted) if goals and passages[i].text.strip()]
        found = explain(tagger, [passages[i].text for i in todo], [wanted[i] for i in todo])
        for i, group in zip(todo, found, strict=True):
            explanations[i] = {e.goal: e for e in group}
    return [
        Suggestion(
            passage_id=passage.id,
            taxonomy=tagger.taxonomy.name,
            goal=goal,
            score=round(score, 4),
            predicted=goal in {g for g, _ in result.goals},
            model=tagger.model_id,
            flagged=goal in marks,
            priority=marks[goal].priority if goal in marks else None,
            reasons=list(marks[goal].reasons) if goal in marks else None,
            explanation=notes[goal].to_dict() if goal in notes else None,
        )
        for passage, result, marks, notes in zip(passages, results, flagged, explanations, strict=True)
        for goal, score in result.scores.items()
    ]
