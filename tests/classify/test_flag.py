import numpy as np

from pipeline.classify.flag import flag

IDS = [1, 2, 3]
THRESHOLDS = np.array([0.5, 0.5, 0.5])


def test_flags_say_why_and_rank_by_expected_value():
    scores = np.array([[0.52, 0.1, 0.1], [0.9, 0.1, 0.1], [0.6, 0.1, 0.1]])
    predicted = [[1], [1], [1]]
    flags = flag(scores, predicted, IDS, THRESHOLDS, band=0.25, budget=10, baseline=[[1], [2], [1]], known_goals=[{1}, {1}, set()])
    assert [(f.goal, f.reasons) for f in flags[0]] == [(1, ("uncertain",))]
    assert {(f.goal, f.reasons) for f in flags[1]} == {(1, ("disagree",)), (2, ("disagree",))}
    assert [(f.goal, f.reasons) for f in flags[2]] == [(1, ("uncertain", "new_for_organisation"))]
    assert flags[0][0].priority > flags[2][0].priority - 0.25  # closeness to the threshold counts most


def test_budget_keeps_only_the_most_valuable_passages():
    scores = np.array([[0.5, 0, 0], [0.58, 0, 0], [0.64, 0, 0], [0.95, 0, 0]])
    flags = flag(scores, [[1]] * 4, IDS, THRESHOLDS, band=0.25, budget=2)
    assert [bool(f) for f in flags] == [True, True, False, False]


def test_nothing_is_flagged_with_a_zero_budget():
    flags = flag(np.array([[0.5, 0.5, 0.5]]), [[1]], IDS, THRESHOLDS, band=0.25, budget=0)
    assert flags == [[]]


def test_near_zero_scores_are_not_uncertain_however_low_the_threshold():
    thresholds = np.array([0.15, 0.5, 0.9])
    flags = flag(np.array([[0.01, 0.3, 0.92]]), [[3]], IDS, thresholds, band=0.25, budget=10)
    assert [(f.goal, f.reasons) for f in flags[0]] == [(3, ("uncertain",))]  # 0.92 is close to 0.9, with 0.1 of room above it
    close = flag(np.array([[0.13, 0.45, 0.2]]), [[]], IDS, thresholds, band=0.25, budget=10)
    assert {f.goal for f in close[0]} == {1, 2}
