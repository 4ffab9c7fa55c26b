"""The tag stage's three signals: model decisions (with vetoes explained), goal mentions, headings;
and scores that do not depend on the batch a passage came in."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import classify
from pipeline.classify.mentions import MENTION_SCORE
from pipeline.classify.scored import Outcome, Scored
from pipeline.classify.supervised import NEVER, Decisions
from pipeline.records import Passage
from pipeline.taxonomy import load_taxonomy

LU = load_taxonomy("levelling-up")
GOVERNANCE = "The board met four times this year and approved the annual accounts and the audit plan."
WELLBEING = "The trust opened wellbeing hubs offering staff mental health support at every hospital."


class FixedTagger:
    """A tagger that implements the interface with fixed scores, for testing the stage around it."""

    model_id = "fixed"
    examples = None

    def __init__(self, scores: dict[int, float], no_goal: float | None, decisions: Decisions) -> None:
        self.taxonomy = LU
        self.row = np.array([scores.get(g, 0.01) for g in LU.goal_ids], dtype=np.float32)
        self.no_goal = no_goal
        self.decisions = decisions

    def scored(self, texts: list[str]) -> Scored:
        n = len(texts)
        none = None if self.no_goal is None else np.full(n, self.no_goal, dtype=np.float32)
        return Scored(np.zeros((n, 4), dtype=np.float32), np.tile(self.row, (n, 1)), None, none)

    def outcomes(self, scores: np.ndarray, no_goal: np.ndarray | None = None) -> list[Outcome]:
        return [Outcome(goals, vetoed) for goals, vetoed in self.decisions.outcomes(scores, LU.goal_ids, no_goal)]

    def baseline_goals(self, baseline: np.ndarray) -> list[list[int]] | None:
        return None

    def thresholds(self) -> np.ndarray:
        return np.asarray(self.decisions.thresholds, dtype=np.float32)


def _passage(text: str, headings: list[str] | None = None, i: int = 0) -> Passage:
    return Passage(id=f"p{i}", document_id="d", ordinal=i, text=text, start=0, end=len(text), headings=headings or [])


def _decisions(no_goal_threshold: float | None = 0.85, keep_above: float = NEVER) -> Decisions:
    return Decisions(np.full(14, 0.5, dtype=np.float32), 0.0, 3, no_goal_threshold, keep_above)


def test_a_vetoed_goal_is_flagged_with_the_reason(params):
    tagger = FixedTagger({8: 0.78}, no_goal=0.91, decisions=_decisions())
    (result,) = classify.classify([WELLBEING], tagger)
    assert result.goals == [] and result.vetoed == {8: "vetoed: P(no goal)=0.91 \u2265 0.85"}
    suggestions = {s.goal: s for s in classify.run([_passage(WELLBEING)], params.tag, tagger=tagger)}
    assert not suggestions[8].predicted and suggestions[8].flagged
    assert "vetoed: P(no goal)=0.91 \u2265 0.85" in suggestions[8].reasons
    assert suggestions[8].explanation["vetoed"] == "vetoed: P(no goal)=0.91 \u2265 0.85"
    assert suggestions[8].priority == max(s.priority or 0 for s in suggestions.values())  # a veto is worth a look


def test_strong_evidence_overrides_the_no_goal_rule():
    tagger = FixedTagger({8: 0.78, 2: 0.55}, no_goal=0.91, decisions=_decisions(keep_above=0.7))
    (result,) = classify.classify([WELLBEING], tagger)
    assert [g for g, _ in result.goals] == [8]
    assert set(result.vetoed) == {2}


def test_a_floor_veto_says_so():
    decisions = Decisions(np.full(14, 0.2, dtype=np.float32), 0.3, 3, None)
    goals, vetoed = decisions.outcome(np.array([0.25] + [0.0] * 13, dtype=np.float32), 0.0, LU.goal_ids)
    assert goals == [] and vetoed == {1: "vetoed: best goal probability 0.25 < floor 0.30"}


def test_a_passage_naming_a_goal_gets_it_whatever_the_model_says(params):
    tagger = FixedTagger({}, no_goal=0.99, decisions=_decisions())
    text = "Under Goal 9, the council ran start-up workshops for local people."
    (result,) = classify.classify([text], tagger)
    assert result.goals == [(9, MENTION_SCORE)]
    (suggestion,) = [s for s in classify.run([_passage(text)], params.tag, tagger=tagger) if s.goal == 9]
    assert suggestion.predicted and suggestion.explanation["text"] == "names the goal"
    assert suggestion.explanation["phrase"] == "Goal 9"


def test_a_heading_naming_a_goal_tags_the_passages_under_it(params):
    tagger = FixedTagger({}, no_goal=0.99, decisions=_decisions())
    passages = [
        _passage(GOVERNANCE, ["Levelling Up Impact Report", "Goal 8: Good health and wellbeing"], 0),
        _passage(GOVERNANCE, ["Levelling Up Impact Report", "Our board"], 1),
        _passage(GOVERNANCE, [], 2),
    ]
    suggestions = classify.run(passages, params.tag, tagger=tagger)
    predicted = {(s.passage_id, s.goal) for s in suggestions if s.predicted}
    assert predicted == {("p0", 8)}
    (under,) = [s for s in suggestions if s.passage_id == "p0" and s.goal == 8]
    assert under.explanation == {"kind": "heading", "heading": "Goal 8: Good health and wellbeing"}


def test_a_heading_listing_the_framework_tags_nothing():
    tagger = FixedTagger({}, no_goal=0.99, decisions=_decisions())
    (result,) = classify.classify([GOVERNANCE], tagger, headings=[["The 14 Levelling Up Goals"]])
    assert result.goals == []


@pytest.mark.parametrize("name", ["zero-shot", "supervised"])
def test_both_taggers_implement_the_interface(name: str, tagger, request: pytest.FixtureRequest):
    chosen = tagger if name == "zero-shot" else request.getfixturevalue("supervised")
    scored = chosen.scored([WELLBEING, GOVERNANCE])
    assert scored.probabilities.shape == (2, 14)
    assert len(chosen.outcomes(scored.probabilities, scored.no_goal)) == 2
    assert chosen.thresholds().shape == (14,)
    assert (scored.baseline is None) == (chosen.baseline_goals(np.zeros((0, 14))) is None)


def test_scores_do_not_depend_on_the_batch(tagger):
    texts = [
        WELLBEING,
        GOVERNANCE,
        "Apprenticeships for 120 school leavers, with a guaranteed job at the end.",
        "We use cookies.",
        "Heat pumps have now been fitted to 1,150 council homes across the city, cutting bills and carbon. " * 3,
    ]
    alone = np.vstack([tagger.scored([t]).probabilities for t in texts])
    together = tagger.scored(texts).probabilities
    reordered = tagger.scored(texts[::-1]).probabilities[::-1]
    mixed = tagger.scored([*texts, *texts[:2], "Another passage about family hubs and nursery places."]).probabilities[: len(texts)]
    for other in (together, reordered, mixed):
        assert np.abs(alone - other).max() < 1e-4
