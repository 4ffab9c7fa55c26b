"""Trained model artifacts on disk, and the tagger that uses one.

    models/<taxonomy>/<version>/
        model.joblib      the fitted GoalModel (estimator, thresholds, "no goal" floor)
        examples.jsonl    the training passages {"text", "goals", "source"}
        examples.npy      their embeddings (float16), for nearest-example explanations
        metrics.json      cross-validated metrics, thresholds, confusion table
        README.md         the model card
    models/<taxonomy>/LATEST   the version ``levelup classify`` uses by default

The artifact is a pickle: load only models you trained or trust, like any scikit-learn model.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.classify.encoder import Embedder
from pipeline.classify.scored import Outcome, Scored
from pipeline.classify.zeroshot import ZeroShotTagger
from pipeline.config import models_dir
from pipeline.errors import ModelError
from pipeline.taxonomy import Taxonomy

if TYPE_CHECKING:  # scikit-learn and joblib load with a model, not with the package
    from pipeline.classify.supervised import GoalModel

__all__ = ["Examples", "Outcome", "Scored", "SupervisedTagger", "is_model_dir", "latest_model_dir", "load", "models_dir", "save"]

log = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
LATEST = "LATEST"


def is_model_dir(path: Path) -> bool:
    return (path / MODEL_FILE).is_file()


def latest_model_dir(taxonomy: str, root: Path | None = None) -> Path | None:
    folder = (root or models_dir()) / taxonomy
    pointer = folder / LATEST
    if not pointer.is_file():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    return folder / version if is_model_dir(folder / version) else None


@dataclass(frozen=True)
class Examples:
    """Labelled training passages and their embeddings, for "nearest examples" explanations."""

    texts: list[str]
    goals: list[list[int]]
    embeddings: np.ndarray

    def nearest(self, embedding: np.ndarray, goal: int | None, k: int = 3) -> list[dict[str, object]]:
        """The ``k`` most similar training passages labelled with ``goal`` (any, if None)."""
        if not len(self.texts):
            return []
        similarity = self.embeddings @ embedding
        allowed = np.array([goal is None or goal in g for g in self.goals])
        order = [i for i in np.argsort(-similarity) if allowed[i]][:k]
        return [{"text": self.texts[i], "goals": self.goals[i], "similarity": round(float(similarity[i]), 3)} for i in order]


def save(model: GoalModel, examples: Examples, sources: list[str], metrics: dict[str, object], card: str, folder: Path) -> Path:
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / MODEL_FILE)
    with (folder / "examples.jsonl").open("w", encoding="utf-8") as stream:
        for text, goals, source in zip(examples.texts, examples.goals, sources, strict=True):
            stream.write(json.dumps({"text": text, "goals": goals, "source": source}, ensure_ascii=False) + "\n")
    np.save(folder / "examples.npy", examples.embeddings.astype(np.float16))
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(card, encoding="utf-8")
    (folder.parent / LATEST).write_text(folder.name + "\n", encoding="utf-8")
    return folder


def load(folder: Path) -> tuple[GoalModel, Examples]:
    import joblib

    from pipeline.classify.supervised import GoalModel

    if not is_model_dir(folder):
        raise ModelError(f"{folder} is not a trained model (no {MODEL_FILE}); train one with 'levelup train' or pass --model zero-shot")
    try:
        model = joblib.load(folder / MODEL_FILE)
    except Exception as exc:  # a truncated or foreign pickle: say which file, not a pickle traceback
        raise ModelError(f"{folder / MODEL_FILE} could not be loaded ({exc}); retrain with 'levelup train'") from exc
    if not isinstance(model, GoalModel):
        raise ModelError(f"{folder / MODEL_FILE} is not a levelup goal model; retrain with 'levelup train'")
    texts, goals = [], []
    examples_file = folder / "examples.jsonl"
    if examples_file.is_file():
        for line in examples_file.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append(record["text"])
            goals.append(record["goals"])
    vectors = folder / "examples.npy"
    embeddings = np.load(vectors).astype(np.float32) if vectors.is_file() else np.zeros((0, 1), dtype=np.float32)
    return model, Examples(texts, goals, embeddings if len(embeddings) == len(texts) else embeddings[:0])


class SupervisedTagger:
    """A trained ``GoalModel`` behind the same interface as the zero-shot tagger."""

    def __init__(self, model: GoalModel, examples: Examples, taxonomy: Taxonomy, zero_shot: ZeroShotTagger, version: str) -> None:
        if model.goal_ids != taxonomy.goal_ids:
            raise ModelError(
                f"model was trained for goals {model.goal_ids} but taxonomy '{taxonomy.name}' has {taxonomy.goal_ids}; "
                "retrain with 'levelup train'"
            )
        if model.encoder != zero_shot.encoder.id:
            raise ModelError(
                f"model was trained with encoder '{model.encoder}' but '{zero_shot.encoder.id}' is configured; "
                "set tag.encoder to the training encoder or retrain"
            )
        self.model = model
        self.examples = examples
        self.taxonomy = taxonomy
        self.zero_shot = zero_shot
        self.encoder: Embedder = zero_shot.encoder
        self.model_id = f"supervised/{model.encoder}/{taxonomy.name}/{version}"

    def scored(self, texts: list[str]) -> Scored:
        embeddings = self.encoder.encode(texts)
        baseline = self.zero_shot.score_embeddings(embeddings)
        x = self.model.features(texts, embeddings, baseline)
        none = self.model.no_goal_probability(x) if self.model.no_goal_estimator is not None else None
        return Scored(embeddings, self.model.probabilities(x), baseline, none)

    def score(self, texts: list[str]) -> np.ndarray:
        return self.scored(texts).probabilities

    def predict(self, scores: np.ndarray, no_goal: np.ndarray | None = None) -> list[list[int]]:
        return self.model.decisions.goals(scores, self.taxonomy.goal_ids, no_goal)

    def outcomes(self, scores: np.ndarray, no_goal: np.ndarray | None = None) -> list[Outcome]:
        """The goals per row, and those the "no goal" rule vetoed with the reason."""
        return [Outcome(goals, vetoed) for goals, vetoed in self.model.decisions.outcomes(scores, self.taxonomy.goal_ids, no_goal)]

    def baseline_goals(self, baseline: np.ndarray) -> list[list[int]] | None:
        """The zero-shot goals beside this model's (for flagging disagreements)."""
        return self.zero_shot.predict(baseline)

    def thresholds(self) -> np.ndarray:
        return np.asarray(self.model.decisions.thresholds, dtype=np.float32)

    def threshold(self, goal: int) -> float:
        return float(self.model.decisions.thresholds[self.taxonomy.goal_ids.index(goal)])
