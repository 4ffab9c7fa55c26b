"""The supervised goal classifier: one-vs-rest logistic regression with calibrated probabilities.

Features are a passage's sentence embedding joined with TF-IDF of its words and word pairs
(``train.word_features``: +0.06 macro-F1 on realistic passages, the DVC stage
experiment-realistic) and of its character 3-5-grams (``train.char_features``), optionally with its zero-shot similarity to each goal
(``train.zero_shot_features``; off: nested cross-validation on our labels found it worse, the
stage experiment@classifiers). Each goal gets a sigmoid-calibrated logistic regression.
Decisions, chosen by cross-validation on the training labels for a stated precision (or, with
``train.decisions: realistic-f1``, for macro-F1 on the realistic rows):

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
from typing import TypeAlias

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier

from pipeline.classify.evaluate import evaluate

DESIGN = 4  # bump when the model or its decisions change shape: part of every model version
ZERO_SHOT_WEIGHT = 3.0  # similarities (about 0.1-0.6) scaled to weigh like embedding dimensions
MIN_THRESHOLD, MAX_THRESHOLD = 0.15, 0.9
NEVER = 1.01  # a probability threshold no score reaches


@dataclass(frozen=True)
class Decisions:
    """What turns probabilities into goals.

    A goal at or above ``keep_above`` is strong evidence: the "no goal" rule cannot drop it. A goal
    over its threshold that the "no goal" rule does drop is *vetoed*, and ``outcome`` says why, so
    a reviewer sees it (``reasons`` and ``explanation`` of its suggestion).
    """

    thresholds: np.ndarray  # per goal, in taxonomy order
    no_goal_floor: float
    max_goals: int = 3
    no_goal_threshold: float | None = None  # P("no goal") at or above this means no goal
    keep_above: float = NEVER  # a goal this probable is kept whatever the "no goal" rule says

    @property
    def rule(self) -> str:
        if self.no_goal_threshold is None:
            return "floor"
        return "both" if self.no_goal_floor > 0 else "classifier"

    def goals(self, probabilities: np.ndarray, goal_ids: Sequence[int], no_goal: np.ndarray | None = None) -> list[list[int]]:
        """Goals per row, best first; ``no_goal`` holds P("no goal") per row when there is a classifier."""
        return [goals for goals, _ in self.outcomes(probabilities, goal_ids, no_goal)]

    def outcomes(
        self, probabilities: np.ndarray, goal_ids: Sequence[int], no_goal: np.ndarray | None = None
    ) -> list[tuple[list[int], dict[int, str]]]:
        """Per row: the goals, best first, and the goals vetoed by the "no goal" rule with the reason."""
        no_goal = np.zeros(len(probabilities), dtype=np.float32) if no_goal is None else no_goal
        return [self.outcome(row, float(none), goal_ids) for row, none in zip(probabilities, no_goal, strict=True)]

    def outcome(self, row: np.ndarray, no_goal: float, goal_ids: Sequence[int]) -> tuple[list[int], dict[int, str]]:
        order = np.argsort(-row)
        over = [i for i in order if row[i] >= self.thresholds[i]][: self.max_goals]
        veto = self._veto(float(row[order[0]]), no_goal)
        if veto:
            kept = [i for i in over if row[i] >= self.keep_above]
            vetoed = {goal_ids[i]: veto for i in over if i not in kept}
            return [goal_ids[i] for i in kept], vetoed
        return [goal_ids[i] for i in (over or [order[0]])], {}

    def _veto(self, best: float, no_goal: float) -> str | None:
        """Why the "no goal" rule fires for this row (None when it does not)."""
        if self.no_goal_threshold is not None and no_goal >= self.no_goal_threshold:
            return f"vetoed: P(no goal)={no_goal:.2f} ≥ {self.no_goal_threshold:.2f}"
        if best < self.no_goal_floor:
            return f"vetoed: best goal probability {best:.2f} < floor {self.no_goal_floor:.2f}"
        return None


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
    words: WordFeatures | None = None  # TF-IDF of words, word pairs and character n-grams, fitted on the training texts

    def features(self, texts: Sequence[str], embeddings: np.ndarray, zero_shot_scores: np.ndarray) -> Features:
        return features(embeddings, zero_shot_scores if self.zero_shot_features else None, self.words.transform(texts) if self.words else None)

    def probabilities(self, features: Features) -> np.ndarray:
        if not features.shape[0]:
            return np.zeros((0, len(self.goal_ids)), dtype=np.float32)
        return self.estimator.predict_proba(features).astype(np.float32)

    def no_goal_probability(self, features: Features) -> np.ndarray:
        """P("no goal") per row from the "no goal" classifier; zeros when the model has none."""
        if self.no_goal_estimator is None or not features.shape[0]:
            return np.zeros(features.shape[0], dtype=np.float32)
        return self.no_goal_estimator.predict_proba(features)[:, 1].astype(np.float32)


Features: TypeAlias = np.ndarray | sparse.csr_matrix  # dense embeddings, or sparse when word features are joined


@dataclass
class WordFeatures:
    """TF-IDF of words and word pairs, and of character 3-5-grams, each block scaled by its weight
    to sit beside the unit-length embedding.

    Real press releases name what they do in the taxonomy's own words ("apprenticeships", "net
    zero", "wellbeing hubs"); a sentence embedding blurs them. Joined with the embedding the words
    add 0.05 macro-F1 in cross-validation on realistic passages (``experiment-realistic``).
    Character n-grams within words catch what word tokens split or miss: inflections and
    compounds ("apprentice", "apprenticeships", "upskilling", "retrofitting", "Net-Zero") and
    words seen once (``train.char_features``: 0.747 -> 0.770, the mean of three CV splits,
    ``scripts/explore_realistic.py --repeats 3``; used only with real-style rows in training,
    ``train.in_effect``).
    """

    weight: float
    vectorizer: TfidfVectorizer | None
    char_weight: float = 0.0
    characters: TfidfVectorizer | None = None  # absent from models pickled before character n-grams: the class default

    @classmethod
    def fit(cls, texts: Sequence[str], weight: float, char_weight: float = 0.0) -> WordFeatures:
        texts = list(texts)
        words = None
        if weight > 0:
            words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, stop_words="english", dtype=np.float32).fit(texts)
        characters = None
        if char_weight > 0:
            characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, dtype=np.float32).fit(texts)
        return cls(weight, words, char_weight, characters)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        texts = list(texts)
        blocks = [weight * vectorizer.transform(texts) for weight, vectorizer in ((self.weight, self.vectorizer), (self.char_weight, self.characters)) if vectorizer is not None]
        if not blocks:
            return sparse.csr_matrix((len(texts), 0), dtype=np.float32)
        return sparse.hstack(blocks).tocsr().astype(np.float32)


def features(embeddings: np.ndarray, zero_shot_scores: np.ndarray | None = None, words: sparse.csr_matrix | None = None) -> Features:
    """The classifier's input: embeddings, with the weighted zero-shot similarities and the word
    features if given (sparse when words are joined)."""
    dense = np.asarray(embeddings, dtype=np.float32)
    if zero_shot_scores is not None:
        dense = np.hstack([dense, ZERO_SHOT_WEIGHT * zero_shot_scores]).astype(np.float32)
    if words is None:
        return dense
    return sparse.hstack([sparse.csr_matrix(dense), words]).tocsr()


def make_estimator(c: float, folds: int, seed: int) -> OneVsRestClassifier:
    base = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
    return OneVsRestClassifier(CalibratedClassifierCV(base, method="sigmoid", cv=folds))


def make_no_goal_estimator(c: float, folds: int, seed: int) -> CalibratedClassifierCV:
    base = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
    return CalibratedClassifierCV(base, method="sigmoid", cv=folds)


def no_goal_out_of_fold(x: Features, y: np.ndarray, *, c: float, folds: int, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Cross-validated P("no goal") for each row (``y`` is the goal matrix); see :func:`splits`."""
    none = (y.sum(axis=1) == 0).astype(int)
    return cross_val_predict(make_no_goal_estimator(c, folds, seed), x, none, cv=splits(x, folds, seed, groups), method="predict_proba")[:, 1]


def out_of_fold(x: Features, y: np.ndarray, *, c: float, folds: int, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Cross-validated probabilities: each row predicted by a model that never saw it (nor, with
    ``groups``, any passage of its page)."""
    return cross_val_predict(make_estimator(c, folds, seed), x, y, cv=splits(x, folds, seed, groups), method="predict_proba")


def splits(x: Features, folds: int, seed: int, groups: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled k-fold splits of the rows; with ``groups`` (a row's source page) every group falls
    on one side of each split, so a page's other passages never score a held-out passage.

    Passages written from one page share its names and wording: ungrouped, choosing a setting on
    them rewards memorising pages (the leak is reported by ``levelup experiment realistic``)."""
    if groups is None:
        return list(KFold(folds, shuffle=True, random_state=seed).split(x))
    return list(GroupKFold(folds, shuffle=True, random_state=seed).split(x, groups=groups))


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
    gold = [[goal_ids[int(j)] for j in np.flatnonzero(row)] for row in y]
    scored = []
    for decisions in candidates:
        metrics = evaluate(gold, decisions.goals(probabilities, goal_ids, no_goal), goal_ids)
        scored.append((metrics["no_goal"]["precision"] >= no_goal_precision, metrics["macro_f1"], metrics["no_goal"]["precision"], decisions))
    precise = [item for item in scored if item[0]]
    if precise:
        return max(precise, key=lambda item: item[1])[3]
    return max(scored, key=lambda item: item[2])[3]


# --- decisions for F1 on realistic passages -------------------------------------------------

THRESHOLD_GRID = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
NO_GOAL_GRID = (None, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
FLOOR_GRID = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
KEEP_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, NEVER)


def tune_decisions(
    probabilities: np.ndarray,
    no_goal: np.ndarray,
    y: np.ndarray,
    *,
    max_goals: int,
    per_goal: np.ndarray | None = None,
    no_goal_precision: float = 0.0,
) -> tuple[Decisions, float]:
    """The decisions with the best macro-F1 on these (out-of-fold, realistic) rows, and that F1.

    Searched: one threshold for every goal (or ``per_goal`` thresholds), the "no goal"
    classifier's threshold (or none), a floor on the best probability, and ``keep_above``, the
    probability that overrides the "no goal" rule. Ties go to the earlier grid point (a gentler veto).
    Decisions whose "no goal" outcome reaches ``no_goal_precision`` on these rows come first
    (the best of the rest only when none does).
    """
    sets = [np.full(y.shape[1], t, dtype=np.float32) for t in THRESHOLD_GRID]
    if per_goal is not None:
        sets.append(np.asarray(per_goal, dtype=np.float32))
    best: tuple[bool, float, float, Decisions] | None = None
    for thresholds in sets:
        over, first = _over_and_first(probabilities, thresholds, max_goals)
        for keep in KEEP_GRID:
            kept = over & (probabilities >= keep)
            for floor in FLOOR_GRID:
                for none in NO_GOAL_GRID:
                    veto = probabilities.max(axis=1) < floor
                    if none is not None:
                        veto = veto | (no_goal >= none)
                    chosen = np.where(veto[:, None], kept, over | first)
                    score = (no_goal_precision_of(y, chosen) >= no_goal_precision, macro_f1(y, chosen), no_goal_f1(y, chosen))
                    if best is None or score > best[:3]:
                        best = (*score, Decisions(thresholds, floor, max_goals, none, keep))
    assert best is not None
    return best[3], best[1]


def _over_and_first(probabilities: np.ndarray, thresholds: np.ndarray, max_goals: int) -> tuple[np.ndarray, np.ndarray]:
    """The goals over their thresholds (the best ``max_goals``), and the best goal of rows with none."""
    order = np.argsort(-probabilities, axis=1)
    over_sorted = np.take_along_axis(probabilities >= thresholds, order, axis=1)
    over_sorted &= np.cumsum(over_sorted, axis=1) <= max_goals
    over = np.zeros_like(over_sorted)
    np.put_along_axis(over, order, over_sorted, axis=1)
    first = np.zeros_like(over)
    empty = ~over.any(axis=1)
    first[np.flatnonzero(empty), order[empty, 0]] = True
    return over, first


def macro_f1(y: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-F1 over the goals present in ``y`` (as ``evaluate``), from 0/1 matrices."""
    truth, guess = y.astype(bool), predicted.astype(bool)
    tp = (truth & guess).sum(axis=0)
    denominator = truth.sum(axis=0) + guess.sum(axis=0)
    present = truth.sum(axis=0) > 0
    f1 = np.divide(2 * tp, denominator, out=np.zeros(len(tp), dtype=float), where=denominator > 0)
    return float(f1[present].mean()) if present.any() else 0.0


def no_goal_precision_of(y: np.ndarray, predicted: np.ndarray) -> float:
    """Of the rows given no goal, the share that have none (0 when no row is given none: a rule
    that never says "no goal" does not reach a precision target)."""
    truth, guess = ~y.astype(bool).any(axis=1), ~predicted.astype(bool).any(axis=1)
    return float((truth & guess).sum() / guess.sum()) if guess.any() else 0.0


def no_goal_f1(y: np.ndarray, predicted: np.ndarray) -> float:
    truth, guess = ~y.astype(bool).any(axis=1), ~predicted.astype(bool).any(axis=1)
    tp = int((truth & guess).sum())
    return 2 * tp / max(int(truth.sum() + guess.sum()), 1)


def f1_thresholds(probabilities: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per goal, the threshold with the best out-of-fold F1 (clipped to a sane range)."""
    out = []
    for j in range(y.shape[1]):
        scores, truth = probabilities[:, j], y[:, j] == 1
        best, at = -1.0, 0.5
        for t in np.unique(np.round(scores, 2)):
            predicted = scores >= t
            tp = int((predicted & truth).sum())
            f1 = 2 * tp / max(int(predicted.sum() + truth.sum()), 1)
            if f1 > best:
                best, at = f1, float(t)
        out.append(float(np.clip(at, MIN_THRESHOLD, MAX_THRESHOLD)))
    return np.array(out, dtype=np.float32)
