"""Passages not in English get no entities or figures, and a warning (issue 27: on Welsh, "£1
miliwn" became a count of 1 and "Mae Cyngor Gwynedd" a person, with no word that the text was not
English)."""

from __future__ import annotations

import logging

import pytest

from pipeline import extract
from pipeline.config import ExtractParams
from pipeline.extract.language import guess_language, is_english
from pipeline.records import Passage

WELSH = "Mae Cyngor Gwynedd wedi buddsoddi £1 miliwn mewn prentisiaethau i bobl ifanc yn yr ardal eleni, gyda 40 o gwmnïau lleol."
ENGLISH = "Gwynedd Council has invested £1 million in apprenticeships for young people in the area this year, with 40 local firms."


def passage(pid: str, text: str) -> Passage:
    return Passage(pid, "bilingual", 0 if pid == "cy" else 1, text, 0, len(text))


def test_a_welsh_passage_gets_no_entities_or_figures_and_a_warning(nlp, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="pipeline.extract"):
        welsh, english = extract.run([passage("cy", WELSH), passage("en", ENGLISH)], ExtractParams())
    assert welsh.entities == [] and welsh.figures == []
    assert {f.text for f in english.figures} >= {"£1 million"} and any(e.label == "ORG" for e in english.entities)
    (warning,) = [r.getMessage() for r in caplog.records if "not English" in r.getMessage()]
    assert "document bilingual: 1 of 2 passages are Welsh" in warning


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (WELSH, "Welsh"),
        ("Le conseil a investi un million de livres dans la formation des jeunes de la région.", "French"),
        (ENGLISH, None),
        ("Headline: Morocco's Noor Ouarzazate solar complex supplies power to one million people.", None),  # few function words, still English
        ("Tags: levelling up, social mobility, NHS, universities, purpose coalition, impact report.", None),
        ("Mae hyn yn dda.", None),  # too short to tell
    ],
)
def test_guess_language(text: str, language: str | None):
    assert guess_language(text) == language and is_english(text) == (language is None)
