"""Figures: quantitative claims with a normalised value, a unit, a qualifier and what they count.

Candidates come from one regular expression over the passage text (so "£4.8bn", "56 per cent"
and "1 in 5" are caught whatever the NER model thinks of them); the spaCy parse then supplies the
counted noun. Years, dates, phone numbers, postcodes, ordinals and labels such as "Year 10" are
not figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pipeline.records import Figure

if TYPE_CHECKING:  # spaCy loads only when a document needs parsing
    from spacy.tokens import Doc, Span, Token

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip
MULTIPLIERS = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9,
    "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
CURRENCIES = {"£": "GBP", "$": "USD", "€": "EUR"}
TIME_UNITS = {"year": "years", "years": "years", "month": "months", "months": "months",
              "week": "weeks", "weeks": "weeks", "day": "days", "days": "days",
              "hour": "hours", "hours": "hours"}  # fmt: skip
QUALIFIERS = (
    "more than", "over", "almost", "nearly", "around", "about", "approximately", "roughly",
    "up to", "at least", "some", "fewer than", "less than", "under", "just over", "just under",
    "well over", "close to", "in excess of", "upwards of", "an estimated", "exactly",
)  # fmt: skip
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# Words before a number that make it a label, not a quantity: "Year 10", "Key Stage 2", "Goal 5".
LABEL_WORDS = r"year|years|stage|goal|goals|page|pages|no\.?|number|section|level|tier|band|grade|phase|step|room|ward|route|junction|article|chapter|covid|version|figure|table"

_QUALIFIER = "|".join(sorted((re.escape(q) for q in QUALIFIERS), key=len, reverse=True))
_WORD_NUMBER = "|".join(NUMBER_WORDS)
_MULTIPLIER = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
FIGURE_RE = re.compile(
    rf"""
    (?:(?P<qualifier>{_QUALIFIER})\s+)?
    (?:
        (?P<ratio_a>(?<![\w/.\-])\d+|\bone)\s+in\s+(?:every\s+)?(?P<ratio_b>\d+|{_WORD_NUMBER})\b
      |
        (?:(?P<currency>[£$€])\s?)?
        (?P<number>(?<![\w/.\-])\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|(?<![\w/.\-])\d+(?:\.\d+)?|\b(?:{_WORD_NUMBER})\b)
        (?:\s?(?P<multiplier>(?:{_MULTIPLIER}))\b)?
        (?:\s?(?P<percent>%|per\s?cent\b|percent\b|pc\b))?
        (?![\w/]|\.\d|:\d)
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LABEL_BEFORE = re.compile(rf"\b(?:{LABEL_WORDS})\s*$", re.IGNORECASE)
_MONTH_AROUND = re.compile(rf"^\s*(?:st|nd|rd|th)?\s*(?:of\s+)?(?:{MONTHS})\b", re.IGNORECASE)
_MONTH_BEFORE = re.compile(rf"\b(?:{MONTHS})\.?\s*$", re.IGNORECASE)
_MASKS = re.compile(
    r"(?:\+44\s?|\b0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b"  # UK phone numbers
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"  # postcodes
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"  # dates 01/02/2022
    r"|\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b",  # times
    re.IGNORECASE,
)
YEAR_WINDOW = 300
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)(?:/\d\d)?\b")


def find_figures(doc: Doc, passage_id: str) -> list[Figure]:
    """All figures in a parsed passage, in text order."""
    text = doc.text
    masked = _masked_spans(text)
    return [
        figure
        for match in FIGURE_RE.finditer(text)
        if not _overlaps(match.span(), masked) and not _is_label_or_date(match, text)
        for figure in _to_figure(match, doc, text, passage_id)
    ]


def _to_figure(match: re.Match[str], doc: Doc, text: str, passage_id: str) -> Iterator[Figure]:
    # ``text`` is ``doc.text``, passed in: spaCy rebuilds that string on every access.
    groups = match.groupdict()
    start = match.start("qualifier") if groups["qualifier"] else _first_group_start(match)
    tokens = doc.char_span(start, match.end(), alignment_mode="expand")
    if groups["ratio_a"]:
        value, unit = _number(groups["ratio_a"]) / _number(groups["ratio_b"]), "ratio"
    else:
        number = groups["number"]
        is_word = number.lower() in NUMBER_WORDS
        bare = not (groups["currency"] or groups["multiplier"] or groups["percent"])
        if bare and _YEAR.fullmatch(number):
            return  # a year on its own, "in 2022"
        counted_token = _counted(tokens) if tokens is not None else None
        if is_word and bare and (counted_token is None or (tokens is not None and _followed_by_of(tokens))):
            return  # "one of the largest": a number word needs a noun it counts
        value = _number(number) * MULTIPLIERS.get((groups["multiplier"] or "").lower(), 1)
        unit = _unit(groups, counted_token)
        if unit == "percent":
            value /= 100
    counted = _counted(tokens) if tokens is not None else None
    yield Figure(
        passage_id=passage_id,
        text=text[start : match.end()],
        value=round(value, 10),
        unit=unit,
        start=start,
        end=match.end(),
        qualifier=(groups["qualifier"] or "").lower() or None,
        counted=None if counted is None or counted.lower_ in TIME_UNITS else _noun_phrase(counted),
        year=_year_near(doc, text, start),
    )


def _first_group_start(match: re.Match[str]) -> int:
    for name in ("ratio_a", "currency", "number"):
        if match.group(name):
            return match.start(name)
    return match.start()


def _number(token: str) -> float:
    token = token.lower().replace(",", "")
    return float(NUMBER_WORDS[token]) if token in NUMBER_WORDS else float(token)


def _unit(groups: dict[str, str | None], counted: Token | None) -> str:
    if groups["percent"]:
        return "percent"
    if groups["currency"]:
        return CURRENCIES[groups["currency"]]
    if counted is not None and counted.lower_ in TIME_UNITS:
        return TIME_UNITS[counted.lower_]
    return "count"


def _counted(span: Span) -> Token | None:
    """The noun a figure quantifies: "20,000 staff", "56 per cent of the workforce",
    "a workforce of some 24,000"."""
    doc = span.doc
    for token in doc[span.end : span.end + 4]:
        if token.is_space:
            continue
        if token.pos_ in ("NOUN", "PROPN"):
            return token.head if token.dep_ == "compound" and token.head.i > token.i else token
        if token.pos_ not in ("ADJ", "NUM") and token.text != "-":
            break
    if span.end < len(doc) and doc[span.end].lower_ == "of":
        for token in doc[span.end + 1 : span.end + 6]:
            if token.pos_ in ("NOUN", "PROPN") and token.dep_ != "compound":
                return token
    last = span[-1]
    if last.head.lower_ == "of" and last.head.head.pos_ == "NOUN" and last.head.head.i < span.start:
        return last.head.head
    return None


def _followed_by_of(span: Span) -> bool:
    return span.end < len(span.doc) and span.doc[span.end].lower_ == "of"


def _noun_phrase(token: Token) -> str:
    """The counted noun with its compound modifiers: "health roles", "council homes"."""
    compounds = [t for t in token.lefts if t.dep_ == "compound" and t.is_alpha]
    return " ".join([*(t.lower_ for t in compounds), token.lower_])


def _year_near(doc: Doc, text: str, offset: int) -> int | None:
    """A year in the same sentence as the figure ("in 2022", "2021/22"), looked for at most
    ``YEAR_WINDOW`` characters either side (a table or a run-on PDF page is one long "sentence")."""
    start, end = max(0, offset - YEAR_WINDOW), min(len(text), offset + YEAR_WINDOW)
    token = doc.char_span(offset, offset + 1, alignment_mode="expand")
    if token is not None and doc.has_annotation("SENT_START"):
        sentence = token[0].sent
        start, end = max(start, sentence.start_char), min(end, sentence.end_char)
    match = _YEAR.search(text[start:end])
    return int(match.group(1)) if match else None


def _masked_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _MASKS.finditer(text)]


def _overlaps(span: tuple[int, int], masked: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in masked)


def _is_label_or_date(match: re.Match[str], text: str) -> bool:
    start = _first_group_start(match)
    before, after = text[max(0, start - 24) : start], text[match.end() : match.end() + 16]
    if match.group("currency") or match.group("percent") or match.group("multiplier"):
        return False
    return bool(_LABEL_BEFORE.search(before) or _MONTH_AROUND.match(after) or _MONTH_BEFORE.search(before))
