"""The supervised goal classifier: one-vs-rest logistic regression with calibrated probabilities.

Features are a passage's sentence embedding, optionally joined with its zero-shot similarity to
each goal (``train.zero_shot_features``; off by default: nested cross-validation on our labels
found plain embeddings better, see scripts/compare_classifiers.py). Each goal gets a
sigmoid-calibrated logistic regression. Decisions, all chosen by cross-validation on the training
labels for a stated precision:

- a **threshold per goal**: the lowest probability at which that goal's out-of-fold precision
  reaches ``target_precision`` (the F1-best one where it never does);
- an explicit **"no goal" outcome**, from one of three rules, whichever scores the best
  out-of-fold macro-F1 while its "no goal" precision reaches ``no_goal_precision``:
  ``floor`` (no goal when the best goal probability is under a floor), ``classifier`` (a
  calibrated "no goal" classifier of its own, with a threshold for that precision) or ``both``.
  A passage that is not "no goal" keeps its best goal even if that misses its own threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier

from pipeline.classify.evaluate import evaluate


DESIGN = 2  # bump when the model or its decisions change shape: part of every model version
ZERO_SHOT_WEIGHT = 3.0  # similarities (about 0.1-0.6) scaled to weigh like embedding dimensions
MIN_THRESHOLD, MAX_THRESHOLD = 0.15, 0.9


@dataclass(frozen=True)
class Decisions:
    """What turns probabilities into goals."""

    thresholds: np.ndarray  # per goal, in taxonomy order
    no_goal_floor: float
    max_goals: int = 3
    no_goal_threshold: float | None = None  # P("no goal") at or above this means no goal

    @property
    def rule(self) -> str:
        if self.no_goal_threshold is None:
            return "floor"
        return "both" if self.no_goal_floor > 0 else "classifier"

    def goals(self, probabilities: np.ndarray, goal_ids: Sequence[int], no_goal: np.ndarray | None = None) -> list[list[int]]:
        """Goals per row, best first; ``no_goal`` holds P("no goal") per row when there is a classifier."""
        no_goal = np.zeros(len(probabilities), dtype=np.float32) if no_goal is None else no_goal
        return [self._row(row, float(none), goal_ids) for row, none in zip(probabilities, no_goal, strict=True)]

    def _row(self, row: np.ndarray, no_goal: float, goal_ids: Sequence[int]) -> list[int]:
        order = np.argsort(-row)
        if self.no_goal_threshold is not None and no_goal >= self.no_goal_threshold:
            return []
        if row[order[0]] < self.no_goal_floor:
            return []
        chosen = [i for i in order if row[i] >= self.thresholds[i]][: self.max_goals]
        return [goal_ids[i] for i in (chosen or [order[0]])]


@dataclass
class GoalModel:
    """The fitted estimator and its decisions; pickled into a model artifact."""

    taxonomy: str
    goal_ids: list[int]
    encoder: str
    estimator: OneVsRestClassifier
    decisions: Decisions
    settings: dict[str, float | int] = field(default_factory=dict)
    zero_shot_features: bool = False
    no_goal_estimator: CalibratedClassifierCV | None = None

    def features(self, embeddings: np.ndarray, zero_shot_scores: np.ndarray) -> np.ndarray:
        return features(embeddings, zero_shot_scores if self.zero_shot_features else None)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros((0, len(self.goal_ids)), dtype=np.float32)
        return self.estimator.predict_proba(features).astype(np.float32)

    def no_goal_probability(self, features: np.ndarray) -> np.ndarray:
        """P("no goal") per row from the "no goal" classifier; zeros when the model has none."""
        if self.no_goal_estimator is None or not len(features):
            return np.zeros(len(features), dtype=np.float32)
        return self.no_goal_estimator.predict_proba(features)[:, 1].astype(np.float32)


def features(embeddings: np.ndarray, zero_shot_scores: np.ndarray | None = None) -> np.ndarray:
    """The classifier's input: embeddings, with the weighted zero-shot similarities if given."""
    if zero_shot_scores is None:
        return np.asarray(embeddings, dtype=np.float32)
    return np.hstack([embeddings, ZERO_SHOT_WEIGHT * zero_shot_scores]).astype(np.float32)


def make_estimator(c: float, folds: int, seed: int) -> OneVsRestClassifier:
    base = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
    return OneVsRestClassifier(CalibratedClassifierCV(base, method="sigmoid", cv=folds))


def make_no_goal_estimator(c: float, folds: int, seed: int) -> CalibratedClassifierCV:
    base = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
    return CalibratedClassifierCV(base, method="sigmoid", cv=folds)


def no_goal_out_of_fold(x: np.ndarray, y: np.ndarray, *, c: float, folds: int, seed: int) -> np.ndarray:
    """Cross-validated P("no goal") for each row (``y`` is the goal matrix)."""
    splitter = KFold(folds, shuffle=True, random_state=seed)
    none = (y.sum(axis=1) == 0).astype(int)
    return cross_val_predict(make_no_goal_estimator(c, folds, seed), x, none, cv=splitter, method="predict_proba")[:, 1]


def out_of_fold(x: np.ndarray, y: np.ndarray, *, c: float, folds: int, seed: int) -> np.ndarray:
    """Cross-validated probabilities: each row predicted by a model that never saw it."""
    splitter = KFold(folds, shuffle=True, random_state=seed)
    return cross_val_predict(make_estimator(c, folds, seed), x, y, cv=splitter, method="predict_proba")


def choose_thresholds(probabilities: np.ndarray, y: np.ndarray, target_precision: float) -> np.ndarray:
    """Per goal, the lowest threshold whose precision reaches the target, else the F1-best one."""
    thresholds = []
    for j in range(y.shape[1]):
        scores, truth = probabilities[:, j], y[:, j] == 1
        reaching, best_f1, best_at = None, -1.0, 0.5
        for t in np.unique(np.round(scores, 3)):
            predicted = scores >= t
            tp = int((predicted & truth).sum())
            precision = tp / max(int(predicted.sum()), 1)
            recall = tp / max(int(truth.sum()), 1)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            if reaching is None and precision >= target_precision and tp:
                reaching = float(t)
            if f1 > best_f1:
                best_f1, best_at = f1, float(t)
        thresholds.append(float(np.clip(reaching if reaching is not None else best_at, MIN_THRESHOLD, MAX_THRESHOLD)))
    return np.array(thresholds, dtype=np.float32)


def choose_no_goal_floor(probabilities: np.ndarray, y: np.ndarray, target_precision: float) -> float:
    """The highest floor at which "best probability under the floor" still means no goal with
    the target precision (more passages reach the "no goal" outcome, as few wrongly as asked)."""
    best = probabilities.max(axis=1)
    none = y.sum(axis=1) == 0
    floor = 0.0
    for t in np.unique(np.round(best, 3)):
        below = best < t
        if below.any() and (none & below).sum() / below.sum() >= target_precision:
            floor = float(t)
    return floor


def choose_no_goal_threshold(no_goal: np.ndarray, y: np.ndarray, target_precision: float) -> float:
    """The lowest P("no goal") threshold at which the "no goal" outcome keeps the target precision."""
    none = y.sum(axis=1) == 0
    chosen = 1.01  # never, if no threshold is precise enough
    for t in sorted(np.unique(np.round(no_goal, 3)), reverse=True):
        above = no_goal >= t
        if above.any() and (none & above).sum() / above.sum() >= target_precision:
            chosen = float(t)
    return chosen


def choose_decisions(
    probabilities: np.ndarray,
    no_goal: np.ndarray,
    y: np.ndarray,
    goal_ids: Sequence[int],
    *,
    target_precision: float,
    no_goal_precision: float,
    max_goals: int,
) -> Decisions:
    """Thresholds and the "no goal" rule, all from out-of-fold scores (see the module docstring)."""
    thresholds = choose_thresholds(probabilities, y, target_precision)
    floor = choose_no_goal_floor(probabilities, y, no_goal_precision)
    stricter = min(1.0, no_goal_precision + (1 - no_goal_precision) / 2)  # two rules at once: each stricter
    candidates = [
        Decisions(thresholds, floor, max_goals),
        Decisions(thresholds, 0.0, max_goals, choose_no_goal_threshold(no_goal, y, no_goal_precision)),
        Decisions(thresholds, choose_no_goal_floor(probabilities, y, stricter), max_goals, choose_no_goal_threshold(no_goal, y, stricter)),
    ]
    gold = [[goal_ids[j] for j in np.flatnonzero(row)] for row in y]
    scored = []
    for decisions in candidates:
        metrics = evaluate(gold, decisions.goals(probabilities, goal_ids, no_goal), goal_ids)
        scored.append((metrics["no_goal"]["precision"] >= no_goal_precision, metrics["macro_f1"], metrics["no_goal"]["precision"], decisions))
    precise = [item for item in scored if item[0]]
    if precise:
        return max(precise, key=lambda item: item[1])[3]
    return max(scored, key=lambda item: item[2])[3]
