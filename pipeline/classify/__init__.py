"""Goal tagging: scores for every goal of a taxonomy, and the goals predicted.

    tagger = load_tagger(params.tag)
    results = classify(["The trust opened wellbeing hubs ..."], tagger)
    suggestions = run(passages, params.tag)          # the tag stage

Three signals decide a passage's goals: the tagger's scores and decisions (a trained model, or
zero-shot similarities), the goals the passage names ("Under Goal 1, ...", "the enterprise
goal": ``pipeline.classify.mentions``), and the goals its heading names (``Passage.headings``).
A named goal is always predicted, with its score raised to at least ``MENTION_SCORE``.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.classify import artifact
from pipeline.classify.cache import CachedEncoder, EmbeddingCache
from pipeline.classify.encoder import Embedder, encoder_id, load_encoder
from pipeline.classify.explain import Explanation, explain
from pipeline.classify.flag import flag
from pipeline.classify.mentions import MENTION_SCORE, heading_goals, mentioned_goals
from pipeline.classify.scored import Outcome, Scored
from pipeline.classify.zeroshot import ZeroShotTagger
from pipeline.config import MODELS_DIR_ENV, TAG_MODEL_ENV, TagParams, data_dir
from pipeline.errors import ConfigError, ModelError
from pipeline.progress import Track, no_progress
from pipeline.records import Passage, Suggestion
from pipeline.tables import readable
from pipeline.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)

SUPERVISED, ZERO_SHOT = "supervised", "zero-shot"
# Texts longer than this many words are scored in windows and each goal takes its best window,
# because the encoder reads at most 256 word pieces (about 180 English words) and would
# otherwise silently ignore the rest.
WINDOW_WORDS = 180


class Tagger(Protocol):
    """What the tag stage needs from a tagger; the zero-shot and trained taggers both implement it."""

    taxonomy: Taxonomy
    model_id: str
    @property
    def examples(self) -> artifact.Examples | None:
        """Labelled examples for "nearest example" explanations (None for a zero-shot tagger)."""
        ...

    def scored(self, texts: list[str]) -> Scored:
        """Scores per goal (and, where the tagger has them, baseline and P("no goal")) per text."""
        ...

    def outcomes(self, scores: np.ndarray, no_goal: np.ndarray | None = None) -> list[Outcome]:
        """The goals decided per row of scores, with any vetoed by the "no goal" rule."""
        ...

    def baseline_goals(self, baseline: np.ndarray) -> list[list[int]] | None:
        """The baseline's goals per row of ``Scored.baseline`` (None: the tagger has no baseline)."""
        ...

    def thresholds(self) -> np.ndarray:
        """The score at which each goal is predicted, in taxonomy order."""
        ...


@dataclass(frozen=True)
class Classification:
    goals: list[tuple[int, float]]  # predicted goals, best first; empty means "no goal"
    scores: dict[int, float]  # every goal of the taxonomy
    windows: int = 1  # >1 when the text was longer than one encoder window
    baseline: list[int] | None = None  # the zero-shot goals, when a trained model made the call
    vetoed: dict[int, str] = field(default_factory=dict)  # goal -> why the "no goal" rule dropped it
    named: dict[int, dict[str, object]] = field(default_factory=dict)  # goal -> how the text or heading names it

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
    latest model trained for the taxonomy in the models folder (``config.models_dir``): none there
    is a ``ModelError``. ``$LEVELUP_TAG_MODEL`` overrides ``tag.model`` (``--model`` overrides both).
    """
    return _build(choose_tagger(params, taxonomy=taxonomy, model_dir=model_dir), params)


def lazy_tagger(params: TagParams, *, taxonomy: str | None = None, model_dir: Path | None = None) -> LazyTagger:
    """The tagger ``load_tagger`` would give, loading its models only on first use."""
    return LazyTagger(choose_tagger(params, taxonomy=taxonomy, model_dir=model_dir), params)


@dataclass(frozen=True)
class TaggerChoice:
    """Which tagger the settings name, decided from files alone (nothing imported or loaded)."""

    taxonomy: Taxonomy
    folder: Path | None  # the trained model folder; None: zero-shot
    encoder: str | None  # the encoder setting of the zero-shot part (a name or folder; None: the packaged one)

    @property
    def model_id(self) -> str:
        """The ``model_id`` the loaded tagger will have (suggestions are stored under it)."""
        encoder = encoder_id(self.encoder)
        if self.folder is None:
            return f"zero-shot/{encoder}/{self.taxonomy.name}"
        return f"supervised/{encoder}/{self.taxonomy.name}/{self.folder.name}"


def choose_tagger(params: TagParams, *, taxonomy: str | None = None, model_dir: Path | None = None) -> TaggerChoice:
    """What ``load_tagger`` loads for these settings (see there)."""
    tax = load_taxonomy(taxonomy or params.taxonomy)
    choice = str(model_dir) if model_dir is not None else os.environ.get(TAG_MODEL_ENV) or params.model
    if model_dir is not None and choice != ZERO_SHOT and not model_dir.is_dir():
        raise ConfigError(f"model directory {model_dir} does not exist; pass a trained model folder, an encoder folder or 'zero-shot' to --model")
    if choice == SUPERVISED:
        folder = artifact.latest_model_dir(tax.name)
        if folder is None:  # never a silent zero-shot: its scores differ (goal 8: 0.65 against 0.86)
            raise ModelError(
                f"no trained model for taxonomy '{tax.name}' in {artifact.models_dir()}; train one (levelup train --taxonomy {tax.name}, "
                f"or bash scripts/setup.sh), point ${MODELS_DIR_ENV} at a models folder, or ask for zero-shot scoring with "
                f"--model zero-shot (tag.model: zero-shot, or ${TAG_MODEL_ENV}=zero-shot)"
            )
        return TaggerChoice(tax, folder, params.encoder)
    if choice == ZERO_SHOT:
        return TaggerChoice(tax, None, params.encoder)
    path = Path(choice)
    if artifact.is_model_dir(path):
        return TaggerChoice(tax, path, params.encoder)
    if not path.is_dir():
        raise ConfigError(f"tag.model '{choice}' is not 'supervised', 'zero-shot' or an existing model folder")
    return TaggerChoice(tax, None, str(path))


def _build(choice: TaggerChoice, params: TagParams) -> Tagger:
    zero_shot = _zero_shot(params, choice.taxonomy, encoder_path=choice.encoder)
    return zero_shot if choice.folder is None else _supervised(choice.taxonomy, choice.folder, zero_shot)


class LazyTagger:
    """A tagger whose taxonomy and model id are known at once and whose models load on first use.

    ``levelup run`` and ``levelup ingest`` decide what is unchanged (already tagged by this model
    id) before anything needs scoring, so a nightly run that finds nothing new never imports
    torch, onnxruntime or scikit-learn.
    """

    def __init__(self, choice: TaggerChoice, params: TagParams) -> None:
        self.choice = choice
        self.params = params
        self.taxonomy = choice.taxonomy
        self.model_id = choice.model_id
        self._loaded: Tagger | None = None

    @property
    def loaded(self) -> Tagger:
        if self._loaded is None:
            tagger = _build(self.choice, self.params)
            if tagger.model_id != self.model_id:  # the files changed under us: do not store under the wrong id
                raise ModelError(f"the tagger loaded as '{tagger.model_id}', not '{self.model_id}' as its files said; run again")
            self._loaded = tagger
        return self._loaded

    @property
    def examples(self) -> artifact.Examples | None:
        return self.loaded.examples

    def scored(self, texts: list[str]) -> Scored:
        return self.loaded.scored(texts)

    def outcomes(self, scores: np.ndarray, no_goal: np.ndarray | None = None) -> list[Outcome]:
        return self.loaded.outcomes(scores, no_goal)

    def baseline_goals(self, baseline: np.ndarray) -> list[list[int]] | None:
        return self.loaded.baseline_goals(baseline)

    def thresholds(self) -> np.ndarray:
        return self.loaded.thresholds()


def _zero_shot(params: TagParams, taxonomy: Taxonomy, encoder_path: str | None = None) -> ZeroShotTagger:
    return ZeroShotTagger(
        taxonomy,
        load_embedder(params, encoder_path),
        threshold=params.threshold,
        margin=params.margin,
        max_goals=params.max_goals,
    )


def _supervised(taxonomy: Taxonomy, folder: Path, zero_shot: ZeroShotTagger) -> artifact.SupervisedTagger:
    model, examples = artifact.load(folder)
    if model.taxonomy != taxonomy.name:
        raise ConfigError(f"model {folder} was trained for taxonomy '{model.taxonomy}', not '{taxonomy.name}'; pass --taxonomy {model.taxonomy}")
    return artifact.SupervisedTagger(model, examples, taxonomy, zero_shot, folder.name)


def classify(
    texts: Sequence[str],
    tagger: Tagger,
    *,
    headings: Sequence[Sequence[str] | None] | None = None,
    batch_size: int = 1024,
    track: Track = no_progress,
) -> list[Classification]:
    """Score and predict texts in batches; empty texts get all-zero scores and no goal.

    ``headings`` gives each text's heading path (outermost first), when known: a heading that
    names a goal tags the text with it.
    """
    results: list[Classification] = []
    starts = range(0, len(texts), batch_size)
    for start in track(starts, "classify", len(starts)):
        chunk = list(texts[start : start + batch_size])
        chunk_headings: list[Sequence[str] | None] = list(headings[start : start + batch_size]) if headings is not None else [None] * len(chunk)
        results.extend(_classify_batch(chunk, chunk_headings, tagger))
    return results


def _classify_batch(texts: list[str], headings: list[Sequence[str] | None], tagger: Tagger) -> list[Classification]:
    windows = [_windows(text) for text in texts]
    flat = [window for text_windows in windows for window in text_windows]
    ids = tagger.taxonomy.goal_ids
    scored = tagger.scored(flat) if flat else None
    has_baseline = tagger.baseline_goals(np.zeros((0, len(ids)), dtype=np.float32)) is not None
    results = []
    row = 0
    for text, text_windows, text_headings in zip(texts, windows, headings, strict=True):
        named = _named(text, text_headings, tagger.taxonomy)
        if not text_windows or scored is None:
            empty = Classification([], dict.fromkeys(ids, 0.0), windows=0, baseline=[] if has_baseline else None)
            results.append(_with_named(empty, named) if named else empty)
            continue
        rows = slice(row, row + len(text_windows))
        row += len(text_windows)
        scores = scored.probabilities[rows].max(axis=0)  # each goal takes its best window
        no_goal = None if scored.no_goal is None else scored.no_goal[rows].min(axis=0, keepdims=True)  # "no goal" only if no window has one
        (outcome,) = tagger.outcomes(scores[None, :], no_goal)
        baseline = None
        if scored.baseline is not None:
            baseline = (tagger.baseline_goals(scored.baseline[rows].max(axis=0)[None, :]) or [[]])[0]
        by_goal = {goal: float(score) for goal, score in zip(ids, scores, strict=True)}
        result = Classification([(g, by_goal[g]) for g in outcome.goals], by_goal, len(text_windows), baseline, dict(outcome.vetoed))
        results.append(_with_named(result, named) if named else result)
    return results


def _named(text: str, headings: Sequence[str] | None, taxonomy: Taxonomy) -> dict[int, dict[str, object]]:
    """Goals the text names, then those its innermost goal-naming heading names."""
    named: dict[int, dict[str, object]] = {goal: m.to_dict() for goal, m in mentioned_goals(text, taxonomy).items()}
    for goal, heading in heading_goals(list(headings or []), taxonomy).items():
        named.setdefault(goal, {"kind": "heading", "heading": heading})
    return named


def _with_named(result: Classification, named: dict[int, dict[str, object]]) -> Classification:
    """Named goals are predicted (never vetoed), with scores of at least ``MENTION_SCORE``."""
    scores = {goal: max(score, MENTION_SCORE) if goal in named else score for goal, score in result.scores.items()}
    goals = [*named, *(g for g, _ in result.goals if g not in named)]
    goals.sort(key=lambda g: -scores[g])
    vetoed = {goal: reason for goal, reason in result.vetoed.items() if goal not in named}
    return Classification([(g, scores[g]) for g in goals], scores, result.windows, result.baseline, vetoed, named)


def _windows(text: str) -> list[str]:
    """The text as overlapping windows of at most ``WINDOW_WORDS`` words (none if empty)."""
    words = text.split()
    step = WINDOW_WORDS - WINDOW_WORDS // 6  # consecutive windows overlap by a sixth
    last_start = max(len(words) - WINDOW_WORDS, 0)
    return [" ".join(words[i : i + WINDOW_WORDS]) for i in range(0, last_start + step, step)] if words else []


def thresholds(tagger: Tagger) -> np.ndarray:
    """The score at which each goal is predicted (per goal for a trained model)."""
    return tagger.thresholds()


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
    texts = [readable(p.text, p.table) for p in passages]  # a table is read as its labelled rows, not pipes
    results = classify(texts, tagger, headings=[p.headings for p in passages], track=track)
    ids = tagger.taxonomy.goal_ids
    matrix = np.array([[r.scores[g] for g in ids] for r in results], dtype=np.float32).reshape(len(results), len(ids))
    has_baseline = any(r.baseline is not None for r in results)
    flags = flag(
        matrix,
        [[g for g, _ in r.goals] for r in results],
        ids,
        tagger.thresholds(),
        band=params.flag_band,
        budget=params.flag_budget,
        baseline=[r.baseline or [] for r in results] if has_baseline else None,
        known_goals=None if known_goals is None else [known_goals.get(p.id) for p in passages],
        vetoed=[r.vetoed for r in results],
    )
    flagged = [{f.goal: f for f in passage_flags} for passage_flags in flags]
    explanations: list[dict[int, dict[str, object]]] = [{} for _ in passages]
    if params.explain and tagger.examples is not None:
        wanted = [sorted({g for g, _ in r.goals} | set(f) | set(r.vetoed)) for r, f in zip(results, flagged, strict=True)]
        todo = [i for i, goals in enumerate(wanted) if goals and texts[i].strip()]
        found: list[list[Explanation]] = explain(tagger, [texts[i] for i in todo], [wanted[i] for i in todo])
        for i, group in zip(todo, found, strict=True):
            explanations[i] = {e.goal: e.to_dict() for e in group}
    for result, notes in zip(results, explanations, strict=True):
        for goal, how in result.named.items():
            notes[goal] = notes.get(goal, {}) | how
        for goal, reason in result.vetoed.items():
            notes[goal] = notes.get(goal, {}) | {"vetoed": reason}
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
            explanation=notes.get(goal),
        )
        for passage, result, marks, notes in zip(passages, results, flagged, explanations, strict=True)
        for goal, score in result.scores.items()
    ]
