import pytest

from pipeline.classify.evaluate import evaluate


def test_evaluate_perfect_predictions():
    metrics = evaluate([[1], [2, 3], []], [[1], [2, 3], []], [1, 2, 3, 4])
    assert metrics["macro_f1"] == 1.0 and metrics["micro_f1"] == 1.0 and metrics["n"] == 3
    assert metrics["per_goal"]["4"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["no_goal"] == {"precision": 1.0, "recall": 1.0, "support": 1}


def test_evaluate_macro_averages_only_goals_present_in_gold():
    metrics = evaluate([[1], [2]], [[1], [1]], [1, 2, 3])
    # goal 1: P=0.5 R=1 F1=2/3; goal 2: F1=0; goal 3 absent from gold and not averaged
    assert metrics["macro_f1"] == pytest.approx((2 / 3) / 2, abs=1e-4)
    assert metrics["per_goal"]["1"]["support"] == 1


def test_evaluate_no_goal_precision_counts_wrongly_empty_predictions():
    metrics = evaluate([[], [5], [5]], [[], [], [5]], [5])
    assert metrics["no_goal"] == {"precision": 0.5, "recall": 1.0, "support": 1}
