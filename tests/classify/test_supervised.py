import numpy as np
import pytest

from pipeline.classify.supervised import (
    Decisions,
    choose_no_goal_floor,
    choose_thresholds,
    macro_f1,
    no_goal_precision_of,
    tune_decisions,
)


def test_thresholds_reach_the_target_precision_with_the_most_recall():
    scores = np.array([[0.9], [0.8], [0.6], [0.5], [0.3], [0.2]])
    truth = np.array([[1], [1], [0], [1], [0], [0]])
    # at 0.5: 3 of 4 right (0.75); at 0.8: 2 of 2 (1.0)
    assert choose_thresholds(scores, truth, 0.75)[0] == np.float32(0.5)
    assert choose_thresholds(scores, truth, 0.9)[0] == np.float32(0.8)


def test_threshold_falls_back_to_best_f1_when_the_target_is_out_of_reach():
    scores = np.array([[0.9], [0.8], [0.7], [0.6]])
    truth = np.array([[0], [1], [0], [1]])
    threshold = choose_thresholds(scores, truth, 0.99)[0]
    assert 0.15 <= threshold <= 0.9


def test_no_goal_floor_keeps_the_no_goal_outcome_precise():
    best = np.array([[0.05, 0.01], [0.1, 0.0], [0.2, 0.1], [0.3, 0.9], [0.7, 0.1]])
    y = np.array([[0, 0], [0, 0], [1, 0], [0, 1], [1, 0]])
    floor = choose_no_goal_floor(best, y, 0.9)
    assert 0.1 < floor <= 0.2  # under 0.2 both passages are truly "no goal"; at 0.3 one is not


def test_decisions_no_goal_best_fallback_and_limit():
    decisions = Decisions(thresholds=np.array([0.5, 0.5, 0.5, 0.5]), no_goal_floor=0.2, max_goals=2)
    ids = [1, 2, 3, 4]
    rows = np.array([[0.1, 0.05, 0.0, 0.0], [0.3, 0.1, 0.0, 0.0], [0.9, 0.8, 0.7, 0.1]])
    assert decisions.goals(rows, ids) == [[], [1], [1, 2]]


def test_features_are_embeddings_unless_zero_shot_features_are_asked_for():
    from pipeline.classify.supervised import ZERO_SHOT_WEIGHT, features

    embeddings = np.ones((2, 4), dtype=np.float32)
    similarities = np.full((2, 3), 0.5, dtype=np.float32)
    assert features(embeddings).shape == (2, 4)
    joined = features(embeddings, similarities)
    assert joined.shape == (2, 7) and joined[0, -1] == np.float32(0.5 * ZERO_SHOT_WEIGHT)


def test_no_goal_threshold_is_the_lowest_that_stays_precise():
    from pipeline.classify.supervised import choose_no_goal_threshold

    no_goal = np.array([0.95, 0.9, 0.7, 0.6, 0.2])
    y = np.array([[0, 0], [0, 0], [0, 0], [1, 0], [0, 1]])
    assert choose_no_goal_threshold(no_goal, y, 0.9) == np.float32(0.7)  # at 0.6 one of four is wrong
    assert choose_no_goal_threshold(np.array([0.9, 0.8]), np.array([[1, 0], [0, 1]]), 0.9) > 1  # never precise: never


def test_a_no_goal_classifier_decides_before_the_goals():
    decisions = Decisions(thresholds=np.array([0.5, 0.5]), no_goal_floor=0.0, no_goal_threshold=0.6)
    probabilities = np.array([[0.9, 0.1], [0.9, 0.1]])
    assert decisions.goals(probabilities, [1, 2], np.array([0.7, 0.2])) == [[], [1]]
    assert decisions.rule == "classifier"


def test_the_no_goal_rule_is_chosen_for_macro_f1_among_the_precise_ones():
    from pipeline.classify.supervised import choose_decisions

    rng = np.random.default_rng(0)
    y = np.zeros((60, 2), dtype=int)
    y[:20, 0] = 1
    y[20:40, 1] = 1  # the last 20 rows are "no goal"
    probabilities = np.where(y == 1, 0.8, 0.3) + rng.uniform(-0.05, 0.05, y.shape)
    probabilities[40:, 0] += 0.5  # "no goal" passages look like goal 1 to the goal classifiers: no floor separates them
    no_goal = np.where(y.sum(axis=1) == 0, 0.9, 0.1)  # the "no goal" classifier can
    decisions = choose_decisions(probabilities, no_goal, y, [1, 2], target_precision=0.7, no_goal_precision=0.9, max_goals=3)
    assert decisions.rule in {"classifier", "both"}
    assert decisions.goals(probabilities, [1, 2], no_goal)[-1] == [] and decisions.goals(probabilities, [1, 2], no_goal)[0] == [1]


def test_word_features_join_the_embedding_as_a_sparse_block_weighted_as_asked():
    from scipy import sparse

    from pipeline.classify.supervised import WordFeatures, features

    texts = ["apprenticeships for care leavers", "net zero retrofit of homes", "apprenticeships and net zero skills"]
    words = WordFeatures.fit(texts, weight=2.0)
    embeddings = np.eye(3, 4, dtype=np.float32)
    joined = features(embeddings, None, words.transform(texts))
    assert sparse.issparse(joined) and joined.shape[0] == 3 and joined.shape[1] > 4
    assert np.allclose(joined[:, :4].toarray(), embeddings)
    block = joined[:, 4:].toarray()
    assert np.allclose(np.linalg.norm(block, axis=1), 2.0)  # TF-IDF rows are unit length, times the weight
    assert words.transform(["nothing in common here"]).nnz == 0  # words unseen in training add nothing


def test_character_ngrams_reach_inflections_the_word_block_misses_and_weigh_as_asked():
    from pipeline.classify.supervised import WordFeatures

    texts = ["apprenticeships for care leavers", "apprenticeships and net zero skills", "retrofitting homes for net zero", "retrofitting schools"]
    words_only = WordFeatures.fit(texts, weight=1.0)
    both = WordFeatures.fit(texts, weight=1.0, char_weight=0.5)
    unseen = ["an apprentice retrofitted"]  # neither word was in training as a word
    assert words_only.transform(unseen).nnz == 0
    block = both.transform(unseen).toarray()[0]
    assert block.any() and np.isclose(np.linalg.norm(block), 0.5, atol=1e-6)  # only the character block, unit length times its weight
    rows = both.transform(texts).toarray()
    assert np.allclose(np.linalg.norm(rows, axis=1), np.hypot(1.0, 0.5))  # two unit blocks, weighted 1 and 0.5


def test_word_features_pickled_before_character_ngrams_still_transform():
    import pickle

    from pipeline.classify.supervised import WordFeatures

    texts = ["apprenticeships for care leavers", "apprenticeships and net zero skills"]
    old = WordFeatures.fit(texts, weight=1.0)
    state = {"weight": old.weight, "vectorizer": old.vectorizer}  # the fields an older model pickled
    restored = pickle.loads(pickle.dumps(old))
    restored.__dict__.clear()
    restored.__dict__.update(state)
    assert np.allclose(restored.transform(texts).toarray(), old.transform(texts).toarray())


def test_grouped_splits_keep_every_page_on_one_side_and_cover_every_row():
    from pipeline.classify.supervised import splits

    groups = np.array([f"page-{i // 3}" for i in range(30)])  # ten pages of three passages
    x = np.zeros((30, 2))
    folds = splits(x, 5, 0, groups)
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(30))
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
    ungrouped = splits(x, 5, 0)
    assert any(set(groups[train]) & set(groups[test]) for train, test in ungrouped)  # the leak grouping removes
    assert [t.tolist() for _, t in splits(x, 5, 1, groups)] != [t.tolist() for _, t in folds]  # the seed shuffles pages


def test_realistic_decisions_keep_no_goal_precise_when_asked_at_a_cost_in_macro_f1():
    # 10 passages with no goal (8 look like the 2 ambiguous goal passages, 2 are clearly "no goal")
    # and 10 with goal 0 (8 clear, 2 that look like "no goal")
    none_like, distinct, ambiguous, clear = 8, 2, 2, 8
    y = np.array([[0, 0]] * (none_like + distinct) + [[1, 0]] * (ambiguous + clear))
    probabilities = np.array([[0.1, 0.05]] * (none_like + distinct + ambiguous) + [[0.8, 0.05]] * clear)
    no_goal = np.array([0.9] * none_like + [0.99] * distinct + [0.9] * ambiguous + [0.1] * clear)

    def goals_of(decisions: Decisions) -> np.ndarray:
        chosen = np.zeros_like(y, dtype=bool)
        for row, goals in enumerate(decisions.goals(probabilities, [0, 1], no_goal)):
            chosen[row, goals] = True
        return chosen

    loose, loose_f1 = tune_decisions(probabilities, no_goal, y, max_goals=3)
    assert loose_f1 == pytest.approx(16 / 18)  # every look-alike called "no goal": 2 of 12 wrongly
    assert no_goal_precision_of(y, goals_of(loose)) == pytest.approx(10 / 12)

    strict, strict_f1 = tune_decisions(probabilities, no_goal, y, max_goals=3, no_goal_precision=0.9)
    assert no_goal_precision_of(y, goals_of(strict)) >= 0.9
    assert strict_f1 == pytest.approx(20 / 28)  # only the 2 clear ones: goal 0 given to the 8 look-alikes
    assert macro_f1(y, goals_of(strict)) == pytest.approx(strict_f1)


def test_a_rule_that_never_says_no_goal_has_no_no_goal_precision():
    y = np.array([[0, 0], [1, 0]])
    assert no_goal_precision_of(y, np.array([[1, 0], [1, 0]])) == 0.0
    assert no_goal_precision_of(y, np.array([[0, 0], [0, 0]])) == 0.5
