"""``levelup train``: fit the supervised goal classifier and write a versioned model artifact.

    folder = train(params, taxonomy="levelling-up", labels=[Path("corpus/labels/levelling-up.jsonl")],
                   reviews=store.reviewed_labels("levelling-up"))

Training data are the shipped labels plus staff reviews from the evidence database (a reviewed
passage's latest decision wins over a shipped label of the same text). Metrics are
cross-validated on the training data: every figure in ``metrics.json`` comes from predictions
by models that never saw the passage; the zero-shot baseline is scored on the same passages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.preprocessing import MultiLabelBinarizer

from pipeline.classify import artifact
from pipeline.classify.cache import CachedEncoder
from pipeline.classify.evaluate import evaluate
from pipeline.classify.labels import Labelled, read_labels
from pipeline.classify.supervised import (
    DESIGN,
    Decisions,
    Features,
    GoalModel,
    WordFeatures,
    choose_decisions,
    f1_thresholds,
    features,
    make_estimator,
    make_no_goal_estimator,
    no_goal_out_of_fold,
    out_of_fold,
    tune_decisions,
)
from pipeline.classify.zeroshot import ZeroShotTagger
from pipeline.config import Params, TrainParams
from pipeline.errors import InputError
from pipeline.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)

MIN_REALISTIC = 40  # realistic labelled rows needed to tune decisions on them (fewer: too noisy)
# Realistic labels trained on by default, beside corpus/labels/<taxonomy>.jsonl (real-style
# passages paraphrased from public pages, with how each label was decided).
REALISTIC_LABELS = {"levelling-up": ["web-passages.jsonl", "web-passages-2.jsonl"]}


def default_labels(taxonomy: str) -> list[Path]:
    folder = Path("corpus/labels")
    return [folder / f"{taxonomy}.jsonl", *(folder / name for name in REALISTIC_LABELS.get(taxonomy, []) if (folder / name).is_file())]


def gather(taxonomy: Taxonomy, labels: Sequence[Path], reviews: Sequence[Labelled] = ()) -> tuple[list[Labelled], list[str]]:
    """Training records and where each came from; reviews replace shipped labels of the same text."""
    by_text: dict[str, tuple[Labelled, str]] = {}
    for path in labels:
        if path.is_file() and not path.read_bytes().strip():  # bytes: read_labels names an undecodable line
            log.info("%s: no labels yet (an empty file), skipped", path)
            continue
        for record in read_labels(path, taxonomy):
            by_text[record.text] = (record, path.name)
    for record in reviews:
        by_text[record.text] = (record, "review")
    records = [record for record, _ in by_text.values()]
    _check_enough(records, taxonomy)
    return records, [source for _, source in by_text.values()]


def groups(records: Sequence[Labelled]) -> np.ndarray:
    """Each record's cross-validation group: the page a real-style passage was written from, or
    the passage itself (our own labels and reviews have no page)."""
    return np.array([r.source or "text:" + hashlib.sha256(r.text.encode()).hexdigest()[:16] for r in records])


def _check_enough(records: list[Labelled], taxonomy: Taxonomy) -> None:
    counts = {goal: sum(goal in r.goals for r in records) for goal in taxonomy.goal_ids}
    thin = [str(goal) for goal, n in counts.items() if n < 3]
    if thin:
        raise InputError(
            f"too few labelled passages to train taxonomy '{taxonomy.name}': goals {', '.join(thin)} have fewer than 3; "
            "add examples to the labels file"
        )


def train(
    params: Params,
    *,
    taxonomy: str | None = None,
    labels: Sequence[Path] | None = None,
    reviews: Sequence[Labelled] = (),
    out: Path | None = None,
) -> Path:
    """Fit, cross-validate and save a model; returns its folder under ``models/<taxonomy>/``."""
    from pipeline.classify import load_embedder

    settings = params.train
    tax = load_taxonomy(taxonomy or params.tag.taxonomy)
    records, sources = gather(tax, labels or default_labels(tax.name), reviews)
    encoder = load_embedder(params.tag)
    zero_shot = ZeroShotTagger(tax, encoder, threshold=params.tag.threshold, margin=params.tag.margin, max_goals=params.tag.max_goals)
    texts = [r.text for r in records]
    embeddings = encoder.encode(texts)
    baseline = zero_shot.score_embeddings(embeddings)
    y = MultiLabelBinarizer(classes=tax.goal_ids).fit_transform([r.goals for r in records])

    realistic = np.array([r.basis is not None or source == "review" for r, source in zip(records, sources, strict=True)])
    model, fitted = fit_model(
        texts, embeddings, baseline, y, realistic, settings, taxonomy=tax, encoder=encoder.id, max_goals=params.tag.max_goals, groups=groups(records),
    )  # fmt: skip
    decisions, oof, oof_none = fitted.decisions, fitted.oof, fitted.oof_none

    gold = [r.goals for r in records]
    # Thresholds were chosen on these same out-of-fold scores, so the supervised figures are
    # slightly optimistic; the shipped held-out files and the dev set are the honest check.
    oof_goals = decisions.goals(oof, tax.goal_ids, oof_none)
    supervised = evaluate(gold, oof_goals, tax.goal_ids)
    zero = evaluate(gold, zero_shot.predict(baseline), tax.goal_ids)
    metrics: dict[str, Any] = {
        "taxonomy": tax.name,
        "encoder": encoder.id,
        "n": len(records),
        "from_reviews": sources.count("review"),
        "cross_validated": {"supervised": supervised, "zero_shot": zero},
        "thresholds": {str(g): round(float(t), 3) for g, t in zip(tax.goal_ids, decisions.thresholds, strict=True)},
        "no_goal_rule": decisions.rule,
        "no_goal_floor": round(decisions.no_goal_floor, 3),
        "no_goal_threshold": None if decisions.no_goal_threshold is None else round(decisions.no_goal_threshold, 3),
        "confusion": confusion(gold, oof_goals, tax.goal_ids),
        "settings": model.settings,  # as in effect (see in_effect)
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    version = settings.version or _version(records, encoder.id, model.settings)
    folder = (out or artifact.models_dir()) / tax.name / version
    examples = artifact.Examples(texts, gold, embeddings)
    artifact.save(model, examples, sources, metrics, model_card(tax, metrics, sources, version), folder)
    if isinstance(encoder, CachedEncoder):
        log.info("embeddings: %d from cache, %d computed", encoder.hits, encoder.misses)
    return folder


@dataclass(frozen=True)
class Fitted:
    estimator: Any
    no_goal_estimator: Any
    decisions: Decisions
    oof: np.ndarray  # out-of-fold probabilities of every training row
    oof_none: np.ndarray  # out-of-fold P("no goal")
    tuned_on: str  # "realistic" (F1 on real-style labels) or "precision" (targets on all labels)


def fit_model(
    texts: Sequence[str],
    embeddings: np.ndarray,
    baseline: np.ndarray,
    y: np.ndarray,
    realistic: np.ndarray,
    settings: TrainParams,
    *,
    taxonomy: Taxonomy,
    encoder: str,
    max_goals: int,
    groups: np.ndarray | None = None,
) -> tuple[GoalModel, Fitted]:
    """The one way a goal model is fitted: by ``levelup train`` and by every experiment.

    ``texts``/``embeddings``/``baseline`` (zero-shot similarities) are the training rows;
    ``realistic`` marks rows of real-style text (labels with a ``label_basis``, or staff reviews);
    ``groups`` (see :func:`groups`) keeps each source page on one side of the folds that choose
    the thresholds and the "no goal" rule.
    """
    settings = in_effect(settings, realistic)
    text_features = settings.word_features > 0 or settings.char_features > 0
    words = WordFeatures.fit(texts, settings.word_features, settings.char_features) if text_features else None
    x = features(embeddings, baseline if settings.zero_shot_features else None, words.transform(texts) if words else None)
    fitted = fit(x, y, realistic, settings, max_goals=max_goals, goal_ids=taxonomy.goal_ids, groups=groups)
    model = GoalModel(
        taxonomy.name, taxonomy.goal_ids, encoder, fitted.estimator, fitted.decisions, settings.model_dump(),
        settings.zero_shot_features, fitted.no_goal_estimator, words,
    )  # fmt: skip
    return model, fitted


def in_effect(settings: TrainParams, realistic: np.ndarray) -> TrainParams:
    """The settings a model is fitted with: character n-grams only with ``MIN_REALISTIC`` real-
    style rows in training.

    Character n-grams learn the surface of the texts trained on. With real-style passages among
    them they lift macro-F1 on real passages (levelling-up, 3 CV splits: 0.747 -> 0.770); trained
    on our own written labels alone they cost on another style (SDG held-out: 0.787 -> 0.768;
    the benchmark's pairs 0.960 -> 0.933), so until a taxonomy has real-style labels or enough
    staff reviews they stay off.
    """
    if settings.char_features > 0 and int(realistic.sum()) < MIN_REALISTIC:
        return settings.model_copy(update={"char_features": 0.0})
    return settings


def fit(
    x: Features, y: np.ndarray, realistic: np.ndarray, settings: TrainParams, *, max_goals: int, goal_ids: Sequence[int], groups: np.ndarray | None = None
) -> Fitted:
    """Fit the goal and "no goal" classifiers and choose their decisions from out-of-fold scores.

    With ``train.decisions: realistic-f1`` and at least ``MIN_REALISTIC`` realistic rows (labels
    of real-style passages, or staff reviews), decisions are tuned for macro-F1 on those rows'
    out-of-fold scores: thresholds, the "no goal" rule and the level above which a goal overrides
    it. Otherwise the precision targets of ``train`` choose them on all rows.
    """
    oof = out_of_fold(x, y, c=settings.c, folds=settings.folds, seed=settings.seed, groups=groups)
    oof_none = no_goal_out_of_fold(x, y, c=settings.c, folds=settings.folds, seed=settings.seed, groups=groups)
    if settings.decisions == "realistic-f1" and realistic.sum() >= MIN_REALISTIC:
        decisions, _ = tune_decisions(
            oof[realistic], oof_none[realistic], y[realistic],
            max_goals=max_goals, per_goal=f1_thresholds(oof, y), no_goal_precision=settings.realistic_no_goal_precision,
        )  # fmt: skip
        tuned_on = "realistic"
    else:
        decisions = choose_decisions(
            oof, oof_none, y, goal_ids,
            target_precision=settings.target_precision, no_goal_precision=settings.no_goal_precision, max_goals=max_goals,
        )  # fmt: skip
        tuned_on = "precision"
    estimator = make_estimator(settings.c, settings.folds, settings.seed).fit(x, y)
    none_estimator = None
    if decisions.no_goal_threshold is not None:
        none_estimator = make_no_goal_estimator(settings.c, settings.folds, settings.seed).fit(x, (y.sum(axis=1) == 0).astype(int))
    return Fitted(estimator, none_estimator, decisions, oof, oof_none, tuned_on)


def _version(records: list[Labelled], encoder: str, settings: dict[str, Any]) -> str:
    """A content-derived version: the same labels, encoder and settings give the same folder."""
    digest = hashlib.sha256()
    for r in sorted(records, key=lambda r: r.text):
        digest.update(json.dumps([r.text, r.goals]).encode())
    digest.update(json.dumps([encoder, settings, DESIGN], sort_keys=True).encode())
    return "v-" + digest.hexdigest()[:10]


def confusion(gold: Sequence[Sequence[int]], predicted: Sequence[Sequence[int]], goal_ids: Sequence[int]) -> dict[str, dict[str, int]]:
    """For each true goal (and "none"), how often each goal (and "none") was predicted.

    Multi-label: a passage labelled {3, 8} and predicted {8, 9} adds to (3→8), (3→9), (8→8),
    (8→9). Rows are true labels, columns predictions."""
    names = [str(g) for g in goal_ids] + ["none"]
    table = {row: dict.fromkeys(names, 0) for row in names}
    for truth, guess in zip(gold, predicted, strict=True):
        for t in [str(g) for g in truth] or ["none"]:
            for p in [str(g) for g in guess] or ["none"]:
                table[t][p] += 1
    return table


def model_card(taxonomy: Taxonomy, metrics: dict[str, Any], sources: list[str], version: str) -> str:
    cv = metrics["cross_validated"]
    sup, zero = cv["supervised"], cv["zero_shot"]
    counts = {s: sources.count(s) for s in sorted(set(sources))}
    rows = "\n".join(
        f"| {g.id} | {g.title} | {sup['per_goal'][str(g.id)]['support']} | {metrics['thresholds'][str(g.id)]:.2f} | "
        f"{sup['per_goal'][str(g.id)]['precision']:.2f} | {sup['per_goal'][str(g.id)]['recall']:.2f} | {sup['per_goal'][str(g.id)]['f1']:.2f} |"
        for g in taxonomy.goals
    )
    settings = metrics["settings"]
    tfidf = [f"{what} (weight {settings[key]})" for key, what in (("word_features", "words and word pairs"), ("char_features", "character 3-5-grams")) if settings.get(key)]
    return f"""# Goal classifier: {taxonomy.title} ({version})

- **Task**: multi-label tagging of passages to the {len(taxonomy.goals)} goals of `{taxonomy.name}`, with an explicit "no goal" outcome.
- **Model**: one-vs-rest logistic regression (C={settings['c']}, balanced classes), sigmoid-calibrated
  ({settings['folds']}-fold), on sentence embeddings from `{metrics['encoder']}`{
      " joined with zero-shot similarities to the taxonomy's goal descriptions" if settings['zero_shot_features'] else ""}{
      f", joined with TF-IDF of {' and of '.join(tfidf)}" if tfidf else ""}.
- **Decisions**: per-goal thresholds chosen by {settings['folds']}-fold cross-validation for precision
  {settings['target_precision']}; {_no_goal_rule(metrics)} (chosen for "no goal" precision
  {settings['no_goal_precision']}); otherwise the goals over their thresholds, at least the best one.
- **Training data**: {metrics['n']} passages ({', '.join(f'{n} from {s}' for s, n in counts.items())}).
- **Trained**: {metrics['trained_at']} with scikit-learn {sklearn.__version__}, Python {platform.python_version()}.

## Cross-validated metrics (out-of-fold, on the training passages)

| model | macro-F1 | micro-F1 | "no goal" precision | "no goal" recall |
|---|---|---|---|---|
| supervised | {sup['macro_f1']:.3f} | {sup['micro_f1']:.3f} | {sup['no_goal']['precision']:.3f} | {sup['no_goal']['recall']:.3f} |
| zero-shot baseline | {zero['macro_f1']:.3f} | {zero['micro_f1']:.3f} | {zero['no_goal']['precision']:.3f} | {zero['no_goal']['recall']:.3f} |

| goal | title | examples | threshold | precision | recall | F1 |
|---|---|---|---|---|---|---|
{rows}

Thresholds were chosen on the same out-of-fold scores, so these figures lean optimistic; judge the
model on held-out data (`levelup eval --labels FILE`). The confusion table is in `metrics.json`.

## Limits

Trained on short English passages from UK press releases and impact reports; long texts are scored
in windows (each goal takes its best window). Not for other languages or domains without new labels.
"""


def _no_goal_rule(metrics: dict[str, Any]) -> str:
    floor = f"the best goal probability is under {metrics['no_goal_floor']:.2f}"
    classifier = f'a "no goal" classifier gives at least {metrics["no_goal_threshold"]}'
    rule = {"floor": floor, "classifier": classifier, "both": f"{classifier} or {floor}"}[metrics["no_goal_rule"]]
    return f'"no goal" when {rule}'


def summary_rows(metrics: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(model, macro-F1, micro-F1, no-goal precision) for printing."""
    cv = metrics["cross_validated"]
    return [
        (name, m["macro_f1"], m["micro_f1"], m["no_goal"]["precision"])
        for name, m in (("supervised (cv)", cv["supervised"]), ("zero-shot", cv["zero_shot"]))
    ]
