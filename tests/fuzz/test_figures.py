"""The figure parser on random passage text (valid Unicode: see strategies.unicode_texts): figures
index the passage, values are finite numbers."""

from __future__ import annotations

import math

from hypothesis import given

from pipeline.extract.figures import find_figures
from tests.fuzz.strategies import unicode_texts

UNITS = {"count", "percent", "ratio", "GBP", "USD", "EUR", "years"}


@given(unicode_texts)
def test_figures_index_the_text(nlp, text: str):
    doc = nlp(text)
    for figure in find_figures(doc, "p"):
        assert 0 <= figure.start < figure.end <= len(text)
        assert text[figure.start : figure.end] == figure.text
        assert isinstance(figure.value, float | int) and math.isfinite(figure.value)
        assert figure.unit in UNITS or figure.unit
