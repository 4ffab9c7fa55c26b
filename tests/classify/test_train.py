"""Training, the model artifact, explanations, flagging in the tag stage, and bad models."""

import json
import shutil
from pathlib import Path

import pytest

from pipeline import classify
from pipeline.classify import artifact, load_tagger
from pipeline.classify.labels import Labelled
from pipeline.classify.train import gather
from pipeline.errors import ConfigError, InputError, ModelError
from pipeline.records import Passage
from pipeline.taxonomy import load_taxonomy

from ..conftest import FULL_LABELS, SMALL_LABELS

LABELS = FULL_LABELS


def test_training_writes_a_complete_artifact(trained: Path):
    for name in ("model.joblib", "examples.jsonl", "examples.npy", "metrics.json", "README.md"):
        assert (trained / name).is_file(), name
    assert (trained.parent / "LATEST").read_text().strip() == trained.name
    metrics = json.loads((trained / "metrics.json").read_text())
    cv = metrics["cross_validated"]
    assert set(cv) == {"supervised", "zero_shot"} and metrics["n"] == len(SMALL_LABELS.read_text().splitlines())
    assert len(metrics["thresholds"]) == 14 and set(metrics["confusion"]) == {*map(str, range(1, 15)), "none"}
    card = (trained / "README.md").read_text()
    assert "Cross-validated metrics" in card and "zero-shot baseline" in card


@pytest.fixture(scope="module")
def supervised_full(params, trained_full: Path):
    return load_tagger(params.tag, model_dir=trained_full)


@pytest.mark.slow
def test_training_on_all_shipped_labels_beats_the_zero_shot_baseline(trained_full: Path):
    metrics = json.loads((trained_full / "metrics.json").read_text())
    assert metrics["n"] > 1000
    cv = metrics["cross_validated"]
    assert cv["supervised"]["micro_f1"] > cv["zero_shot"]["micro_f1"], cv


@pytest.mark.slow
def test_supervised_tagger_tags_clear_passages(supervised_full):
    texts = [
        "Our apprenticeship programme took on 120 school leavers from the local area, with a guaranteed job at the end.",
        "We use cookies to improve your experience on our website. Accept all cookies or manage your settings.",
        "Thank you for reading. Sign up to our newsletter for the latest news from the trust.",
    ]
    first, second, third = classify.classify(texts, supervised_full)
    assert 3 in [g for g, _ in first.goals]
    assert second.goals == [] and third.goals == []  # boilerplate
    assert first.baseline is not None  # the zero-shot baseline rides along for flagging
    assert min(first.scores.values()) >= 0.0 and max(first.scores.values()) <= 1.0


def test_tag_stage_explains_and_flags(supervised, params):
    texts = [
        "The trust runs a pre-employment programme with the local college: 40 unemployed residents a year "
        "train for healthcare support worker roles, and most are offered a job at the end.",
        "Thank you for reading. Sign up to our newsletter for the latest news from the trust.",
    ]
    passages = [Passage(id=f"p{i}", document_id="d", ordinal=i, text=t, start=0, end=len(t)) for i, t in enumerate(texts)]
    suggestions = classify.run(passages, params.tag, tagger=supervised, known_goals={"p0": set(), "p1": set()})
    # the model trained on the small fixture explains what it predicts; whether it leaves the
    # newsletter without a goal is a matter of quality, checked on the full model (test above)
    predicted = [s for s in suggestions if s.predicted and s.passage_id == "p0"]
    assert predicted
    explained = predicted[0].explanation
    assert explained is not None
    assert explained["goal"] == predicted[0].goal
    assert explained["examples"] and all(predicted[0].goal in e["goals"] for e in explained["examples"])
    assert explained["phrases"] and all(p["text"] in texts[0] for p in explained["phrases"])
    assert all("new_for_organisation" in (s.reasons or []) for s in predicted)  # nothing known yet for this organisation
    flagged = [s for s in suggestions if s.flagged]
    assert all(s.priority is not None and s.reasons for s in flagged)


def test_flag_budget_caps_flagged_passages(supervised, params):
    texts = [f"The university widened access for {n} students from the most deprived areas this year." for n in range(10, 20)]
    passages = [Passage(id=f"p{i}", document_id="d", ordinal=i, text=t, start=0, end=len(t)) for i, t in enumerate(texts)]
    tag = params.tag.model_copy(update={"flag_budget": 3, "explain": False})
    suggestions = classify.run(passages, tag, tagger=supervised, known_goals={p.id: set() for p in passages})
    assert len({s.passage_id for s in suggestions if s.flagged}) == 3


def test_reviews_join_and_override_the_shipped_labels():
    taxonomy = load_taxonomy("levelling-up")
    first = LABELS.read_text().splitlines()[0]
    text = json.loads(first)["text"]
    records, sources = gather(taxonomy, [LABELS], [Labelled(text, [14]), Labelled("A brand new reviewed passage.", [])])
    by_text = {r.text: (r.goals, s) for r, s in zip(records, sources, strict=True)}
    assert by_text[text] == ([14], "review")
    assert by_text["A brand new reviewed passage."] == ([], "review")


def test_training_refuses_too_few_labels(tmp_path: Path, params):
    from pipeline.classify.train import train

    labels = tmp_path / "few.jsonl"
    labels.write_text('{"text": "Apprentices from the area.", "goals": [3]}\n')
    with pytest.raises(InputError, match="too few labelled passages"):
        train(params, labels=[labels], out=tmp_path / "models")


def test_default_tagger_is_the_latest_trained_model(params, trained: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LEVELUP_TAG_MODEL")
    monkeypatch.setenv("LEVELUP_MODELS_DIR", str(trained.parent.parent))
    assert load_tagger(params.tag).model_id.startswith("supervised/")
    monkeypatch.setenv("LEVELUP_MODELS_DIR", str(trained.parent.parent / "nowhere"))
    with pytest.raises(ModelError, match=r"no trained model for taxonomy 'levelling-up' in .*nowhere; train one .* --model zero-shot"):
        load_tagger(params.tag)  # issue 27: it fell back to zero-shot, with other scores, and a warning only
    assert load_tagger(params.tag.model_copy(update={"model": "zero-shot"})).model_id.startswith("zero-shot/")  # when asked for
    monkeypatch.setenv("LEVELUP_TAG_MODEL", "zero-shot")
    assert load_tagger(params.tag).model_id.startswith("zero-shot/")


def test_broken_or_mismatched_models_are_one_line_errors(params, trained: Path, tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(trained, broken)
    (broken / "model.joblib").write_bytes(b"not a pickle")
    with pytest.raises(ModelError, match="could not be loaded"):
        load_tagger(params.tag, model_dir=broken)
    with pytest.raises(ConfigError, match="trained for taxonomy 'levelling-up'"):
        load_tagger(params.tag, taxonomy="sdg", model_dir=trained)
    with pytest.raises(ConfigError, match="does not exist"):
        load_tagger(params.tag, model_dir=tmp_path / "missing")


def test_artifact_load_rejects_a_folder_without_a_model(tmp_path: Path):
    with pytest.raises(ModelError, match="levelup train"):
        artifact.load(tmp_path)


def test_character_ngrams_are_used_only_with_enough_real_style_rows_in_training():
    import numpy as np

    from pipeline.classify.train import MIN_REALISTIC, in_effect
    from pipeline.config import TrainParams

    settings = TrainParams(char_features=1.0)
    own_labels_only = np.zeros(500, dtype=bool)
    with_real_text = own_labels_only.copy()
    with_real_text[:MIN_REALISTIC] = True
    assert in_effect(settings, own_labels_only).char_features == 0.0  # e.g. sdg: only our own written labels
    assert in_effect(settings, with_real_text).char_features == 1.0
    assert in_effect(settings, own_labels_only).word_features == settings.word_features  # nothing else changes
