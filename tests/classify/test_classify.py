"""Bad input to tagging: empty and whitespace text, very long text, non-English text."""

import pytest

from pipeline import classify
from pipeline.classify import WINDOW_WORDS

APPRENTICES = (
    "Our apprenticeship programme took on 120 school leavers from the local area this year, "
    "each with a guaranteed job at the end of their training. Apprentices spend four days a week "
    "with us and one day at the local college, and 92 per cent of last year's cohort are still "
    "with us in permanent roles. We also offer T-level industry placements to 60 sixth-form "
    "students, and a pre-apprenticeship course for 16 to 18 year olds who are not in education, "
    "employment or training, so that young people from every background can start a career here."
)
FILLER = "The annual report describes the governance of the organisation and lists its board members. "


@pytest.fixture(params=["zero-shot", "supervised"])
def any_tagger(request: pytest.FixtureRequest):
    return request.getfixturevalue("tagger" if request.param == "zero-shot" else "supervised")


@pytest.mark.parametrize("text", ["", "   ", "\n\t \u00a0"])
def test_empty_or_whitespace_text_is_no_goal_with_zero_scores(any_tagger, text: str):
    (result,) = classify.classify([text], any_tagger)
    assert result.goals == [] and result.windows == 0
    assert set(result.scores.values()) == {0.0} and len(result.scores) == 14


def test_very_long_text_is_scored_in_windows_and_keeps_its_evidence(any_tagger):
    # the evidence paragraph sits at the end of ~2,600 words of filler: a model reading only the
    # first 256 word pieces would never see it
    text = FILLER * 200 + APPRENTICES
    (result,) = classify.classify([text], any_tagger)
    assert result.windows > len(text.split()) // WINDOW_WORDS
    assert 3 in [goal for goal, _ in result.goals]
    assert all(-1.0 <= score <= 1.0 for score in result.scores.values())  # probabilities, or cosine similarities


def test_non_english_text_is_scored_without_error(any_tagger):
    texts = [
        "Mae'r brifysgol wedi agor canolfan sgiliau digidol newydd ar gyfer pobl ifanc yn y dref.",
        "L'hôpital a recruté 40 apprentis parmi les jeunes du quartier.",
        "这家公司为当地学校提供了免费的编程课程。",
    ]
    results = classify.classify(texts, any_tagger)
    assert len(results) == 3
    for result in results:
        assert len(result.scores) == 14 and len(result.goals) <= 3
