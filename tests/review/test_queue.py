"""Decisions record what the reviewer saw and chose: the suggestions' version and the goals
shown, ticked goals, a stale page refused with the fresh one, one review per form submission,
and bad input refused whole."""

from __future__ import annotations

import pytest

from pipeline.errors import DecisionError, StaleDecision
from pipeline.evidence.store import Store
from pipeline.records import Suggestion
from pipeline.review.queue import ReviewQueue

from .conftest import decide, decide_form, login

GOALS = range(1, 15)


def retag(db_url: str, passage: str, predicted: set[int], *, vetoed: dict[int, str] | None = None) -> None:
    """A new tagging run for one passage: the model now suggests ``predicted``."""
    with Store.open(db_url).transaction() as tx:
        tx.save_suggestions(
            Suggestion(
                passage_id=passage, taxonomy="levelling-up", goal=goal, score=0.7 if goal in predicted else 0.05, predicted=goal in predicted,
                model="test-model-2", flagged=goal in predicted, priority=0.95 if goal in predicted else None, reasons=["uncertain"] if goal in predicted else None,
                explanation={"vetoed": (vetoed or {})[goal]} if goal in (vetoed or {}) else None,
            )
            for goal in GOALS
        )


def reviews(db_url: str) -> list[dict]:
    return Store.open(db_url).reviews("levelling-up")


def test_a_decision_on_a_stale_page_is_refused_with_the_fresh_page(client, db_url: str):
    login(client, "rita")
    old_page = client.get("/item/p0").text  # the model suggests goal 3
    assert 'id="goal-3" checked' in old_page
    retag(db_url, "p0", {13})  # re-tagged while the page was open
    response = decide(client, "p0", "accept", page=old_page)
    assert response.status_code == 409
    assert "changed after the page was drawn" in response.text and "nothing was saved" in response.text
    assert 'id="goal-13" checked' in response.text and 'id="goal-3" checked' not in response.text  # the fresh suggestions
    assert reviews(db_url) == []
    assert decide(client, "p0", "accept", page=response.text).status_code == 303  # deciding on the fresh page works
    (row,) = reviews(db_url)
    assert row["goals_before"] == [13] and row["goals_after"] == [13] and row["decision"] == "accept" and row["shown"]


def test_the_goals_shown_are_checked_against_the_current_suggestions(client, db_url: str):
    login(client, "rita")
    page = client.get("/item/p1").text
    fields = [f for f in decide_form(page) if f[0] != "shown_goals"] + [("shown_goals", "3"), ("decision", "accept")]
    from urllib.parse import urlencode

    response = client.post("/item/p1/decide", content=urlencode(fields), headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert response.status_code == 409 and reviews(db_url) == []


def test_flagged_but_not_suggested_goals_are_shown_unticked_with_why(client, db_url: str):
    retag(db_url, "p3", set(), vetoed={8: "the passage reads as no goal (0.81 over 0.60)"})
    with Store.open(db_url).transaction() as tx:  # keep p3 in the queue: goal 8 flagged, not suggested
        tx.save_suggestions([Suggestion(passage_id="p3", taxonomy="levelling-up", goal=8, score=0.78, predicted=False, model="test-model-2",
                                        flagged=True, priority=0.3, reasons=["disagree"], explanation={"vetoed": "the passage reads as no goal (0.81 over 0.60)"})])
    login(client, "rita")
    page = client.get("/item/p3").text
    assert 'id="goal-8" checked' not in page and 'id="goal-8"' in page
    assert "Confirm: no goal" in page  # nothing suggested: accept confirms "no goal"
    assert "overruled by the" in page and "reads as no goal (0.81 over 0.60)" in page and "0.78" in page
    response = decide(client, "p3", "accept", goals="8", page=page)  # the reviewer ticks goal 8
    assert response.status_code == 303
    (row,) = reviews(db_url)
    assert row["decision"] == "change" and row["goals_before"] == [] and row["goals_after"] == [8]


def test_accept_with_nothing_ticked_is_confirm_no_goal(client, db_url: str):
    login(client, "rita")
    page = client.get("/item/p0").text
    decide(client, "p0", "accept", goals="", page=page)
    (row,) = reviews(db_url)
    assert row["decision"] == "no_goal" and row["goals_before"] == [3] and row["goals_after"] == []


def test_a_form_submitted_three_times_stores_one_decision(client, db_url: str):
    login(client, "rita")
    page = client.get("/item/p0").text
    answers = [decide(client, "p0", "accept", page=page) for _ in range(3)]
    assert [a.status_code for a in answers] == [303, 303, 303]
    assert len(reviews(db_url)) == 1
    decide(client, "p0", "accept")  # a new page is a new decision (a revision)
    assert len(reviews(db_url)) == 2


@pytest.mark.parametrize(
    ("goals", "note", "decision"),
    [("²", "", "accept"), ("3 ²", "", "change"), ("99", "", "change"), ("0", "", "accept"), ("3", "x" * 2001, "accept"), ("", "", "delete")],
)
def test_invalid_input_is_a_400_that_stores_nothing(client, db_url: str, goals: str, note: str, decision: str):
    login(client, "rita")
    response = decide(client, "p0", decision, goals=goals, note=note)
    assert response.status_code == 400 and "Traceback" not in response.text
    assert reviews(db_url) == []


def test_a_form_without_its_token_or_version_is_refused(client, db_url: str):
    login(client, "rita")
    page = client.get("/item/p0").text
    from urllib.parse import urlencode

    fields = [f for f in decide_form(page) if f[0] not in ("token", "shown")] + [("decision", "accept")]
    response = client.post("/item/p0/decide", content=urlencode(fields), headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert response.status_code == 400 and reviews(db_url) == []


def test_every_goal_shows_its_score_threshold_and_guideline(db_url: str, tmp_path):
    from pipeline.review.goals import goal_rows
    from pipeline.taxonomy import load_taxonomy

    folder = tmp_path / "levelling-up" / "v-1"
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text('{"thresholds": {"3": 0.3, "5": 0.9}}')
    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    suggestions = [s | {"model": "supervised/enc/levelling-up/v-1"} for s in queue.item("p1").suggestions]
    rows = {r.goal: r for r in goal_rows(load_taxonomy("levelling-up"), suggestions, tmp_path)}
    assert rows[3].threshold == 0.3 and rows[3].suggested and rows[3].why_not is None
    assert rows[7].threshold is None and "not known" in (rows[7].why_not or "")
    assert rows[5].description and rows[5].title
    suggestions = [s | {"predicted": False} if s["goal"] == 5 else s for s in suggestions]
    rows = {r.goal: r for r in goal_rows(load_taxonomy("levelling-up"), suggestions, tmp_path)}
    assert rows[5].why_not == "score 0.80 is under this goal's threshold 0.90"


def test_the_queue_api_checks_versions_and_tokens_too(db_url: str):
    queue = ReviewQueue(Store.open(db_url), "levelling-up")
    version = queue.item("p0").version
    first = queue.decide("p0", "rita", "accept", goals=[3], shown=version, shown_goals=[3], token="t1")
    assert queue.decide("p0", "rita", "accept", goals=[3], shown=version, shown_goals=[3], token="t1") == first
    assert queue.decide("p0", "ada", "accept", goals=[3], shown=version, shown_goals=[3], token="t1") != first  # tokens are per reviewer
    retag(db_url, "p0", {4})
    with pytest.raises(StaleDecision):
        queue.decide("p0", "rita", "accept", goals=[3], shown=version, token="t2")
    with pytest.raises(DecisionError, match="under 2,000"):
        queue.decide("p0", "rita", "skip", note="n" * 2001)
