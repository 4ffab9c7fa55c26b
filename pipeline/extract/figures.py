"""Figures: quantitative claims with a normalised value, a unit, a qualifier and what they count.

Candidates come from one regular expression over the passage text (so "£4.8bn", "56 per cent"
and "1 in 5" are caught whatever the NER model thinks of them); the spaCy parse then supplies the
counted noun. Years, dates, phone numbers, postcodes, ordinals and labels such as "Year 10" are
not figures.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pipeline.records import Figure, Passage
from pipeline.tables import cell_label, cell_spans, structure

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
LABEL_WORDS = r"top|ftse|bands|year|years|stage|goal|goals|page|pages|no\.?|number|section|level|tier|band|grade|phase|step|room|ward|route|junction|article|chapter|covid|version|figure|table"

_QUALIFIER = "|".join(sorted((re.escape(q) for q in QUALIFIERS), key=len, reverse=True))
_WORD_NUMBER = "|".join(NUMBER_WORDS)
_MULTIPLIER = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
_NUMERAL = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
FIGURE_RE = re.compile(
    rf"""
    (?:\b(?P<qualifier>{_QUALIFIER})\s+)?
    (?:
        (?P<ratio_a>(?<![\w/.\-–])\d+|\b(?:{_WORD_NUMBER}))\s+in\s+(?:every\s+)?(?P<ratio_b>(?!(?:19|20)\d\d\b)\d+|{_WORD_NUMBER})\b
      |
        (?:(?P<currency>[£$€])\s?)?
        (?P<number>(?<![\w/.\-–])(?:{_NUMERAL})|\b(?:{_WORD_NUMBER})\b)
        (?:\s?[–-]\s?(?:[£$€]\s?)?(?P<upper>(?:{_NUMERAL})(?![\w/]|\.\d|:\d)))?
        (?:\s?(?P<multiplier>(?:{_MULTIPLIER}))\b)?
        (?:\s?(?P<percent>%|per\s?cent\b|percent\b|pc\b))?
        (?![\w/]|\.\d|:\d|[–-]\d)
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
# An age band, not a quantity: "aged 16–24", "16-24 year olds", "18–24s", "post-16".
_AGE_BEFORE = re.compile(r"\b(?:aged?|ages|post)[\s-]*$", re.IGNORECASE)
_AGE_AFTER = re.compile(r"^(?:[\s-]*(?:years?|yrs?)[\s-]*olds?\b|s\b|\+)", re.IGNORECASE)
# Before a number word: it points at things already named ("the two trusts", "both"), not a count.
_DETERMINER_BEFORE = re.compile(r"\b(?:the|these|those|its|their|our|all|both|any|which|whose)\s+$", re.IGNORECASE)
# Words a time unit follows that make it a date, not a duration: "120 next year".
_NOT_DURATION = {"next", "last", "this", "that", "each", "every", "a", "per"}
# Nouns that say how a figure was measured, not what it counts: "a national average of 12%".
# Words before a counted noun that say how many or which, not what kind: left out of what it counts
# ("256 new ambulances" -> "ambulances", "30,000 extra elderly residents" -> "elderly residents").
NOT_CLASSIFYING = {"new", "additional", "extra", "further", "more", "fewer", "other", "brand-new"}
_QUALIFIER_WORDS = {"over", "more", "around", "about", "nearly", "almost", "up", "some"}
CLASSIFIED_BY = {"education"}
PLACE_ENTITIES = {"GPE", "LOC"}  # "further education colleges" is a kind of college
# A percentage or sum before these is a change, not a count of anything ("an 11% rise").
CHANGE_NOUNS = {"rise", "fall", "increase", "decrease", "drop", "cut", "reduction", "growth", "jump", "uplift", "decline",
                "improvement", "gain", "boost", "hike", "saving", "savings", "return"}
MEASURE_NOUNS = {"average", "total", "rate", "figure", "number", "level", "maximum", "minimum", "share", "proportion",
                 "percentage", "increase", "rise", "fall", "drop", "reduction", "target", "awards", "award"}  # fmt: skip
# A label before a figure, with a colon or as an item of a list ("|", ";", ":" before it); a
# bracket inside the label is kept ("Properties with Band C ratings (2022): 52%").
_FIGURE_LABEL = re.compile(
    r"(?P<boundary>[|;:.•\n,])[ \t]*(?P<label>[A-Za-z](?:[^|;:.•\n()£$€%\d]|\d(?![\d\s]*,)|\([^()\n]{0,40}\)){0,79}?)[ \t]*(?P<colon>:)?[ \t]*"
    r"(?:(?:an?\s+)?(?:extra|additional)\s+)?[£$€]?$"
)
_LIST_BOUNDARIES = {"|", ";", ":", "•", "\n"}
_LABEL_KEEPS = {"of", "per", "before"}
_LABEL_HEAD_ENDS = _LABEL_KEEPS
LABEL_NOT_CLASSIFYING = {"new", "latest", "equivalent"}
# Labels that say how a figure was measured: "National average: 42%", "Overall satisfaction: 86%".
LABEL_MEASURES = {"average", "total", "share", "satisfaction", "saving", "savings"}
# Sums that are a kind of value, which a label names ("Underlying profit: £44m", "Net cash: £158m").
VALUE_NOUNS = {"revenue", "revenues", "turnover", "profit", "profits", "income", "earnings", "cash", "debt", "dividend",
               "interest", "donations", "lending", "assets", "pay", "salary", "salaries", "wages", "value", "book", "sales"}  # fmt: skip
# Verbs that make "X rose 20%" a clause about a change, not a label and its figure.
CHANGE_VERBS = {"rise", "fall", "grow", "increase", "decrease", "drop", "climb", "slip", "jump", "improve", "widen",
                "narrow", "reach", "stand", "total", "hit", "double", "cut", "reduce", "lower", "raise", "decline", "edge"}  # fmt: skip

_LABEL_BEFORE = re.compile(rf"\b(?:{LABEL_WORDS})\s*$", re.IGNORECASE)
# The second label of a list: "bands 2 and 3", "Goals 4, 5 and 6".
_LABEL_LIST = re.compile(rf"\b(?:{LABEL_WORDS})s?\s+\d+(?:\s*(?:,|and|or|to|–|-)\s*\d+)*\s*(?:,|and|or|to|–|-)\s*$", re.IGNORECASE)
_LIST_MARKER = re.compile(r"^[.)]\s")
_DURATION_ADJECTIVE = re.compile(r"^[-\u2010](?:week|month|year|day|hour)\b(?!s?[-\u2010]old)", re.IGNORECASE)
# "two-thirds", "three quarters": a fraction
FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5, "fifths": 5, "tenth": 10, "tenths": 10}
_FRACTION_AFTER = re.compile(rf"^[-\u2010 ](?P<fraction>{'|'.join(FRACTIONS)})\b", re.IGNORECASE)
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
    found = [
        figure
        for match in FIGURE_RE.finditer(text)
        if not _overlaps(match.span(), masked) and not _is_label_or_date(match, text)
        for figure in _to_figure(match, doc, text, passage_id)
    ]
    return _compared_in_brackets(_share_range_nouns(found, text), text)


_BRACKETED_COMPARISON = re.compile(r"^\s*\((?:[^():]{0,24}:\s*)?$")


def _compared_in_brackets(figures: list[Figure], text: str) -> list[Figure]:
    """"Revenue: £1,251m (£1,332m)", "Net debt: £156m (June 2014: £123m)": a figure in brackets
    right after another of the same unit is its comparison and counts what it counts."""
    compared = list(figures)
    for index in range(1, len(compared)):
        first, second = compared[index - 1], compared[index]
        if second.counted is None and first.unit == second.unit and _BRACKETED_COMPARISON.match(text[first.end : second.start]):
            compared[index] = dataclasses.replace(second, counted=first.counted)
    return compared


HYPHENS = ("-", "\u2010")  # hyphen-minus and the Unicode hyphen
_RANGE_JOIN = re.compile(r"^\s*(?:and|to|or)\s*$", re.IGNORECASE)


def _share_range_nouns(figures: list[Figure], text: str) -> list[Figure]:
    """"between 200 and 300 sixth-formers", "18 to 24 months": the first number counts what the
    second does, in the same unit."""
    shared = list(figures)
    for index in range(len(shared) - 2, -1, -1):
        first, second = shared[index], shared[index + 1]
        joined = first.counted is None and first.unit == "count" and _RANGE_JOIN.match(text[first.end : second.start])
        if joined and second.unit in ("count", *TIME_UNITS.values()):
            shared[index] = dataclasses.replace(first, counted=second.counted, unit=second.unit)
    return shared


DISTINCTIVE = 100  # a count from this size up is one claim wherever a document repeats it


def merge_duplicates(figures: list[list[Figure]]) -> list[list[Figure]]:
    """One document's figures (a list per passage, in order) with each claim kept once, at its
    first mention: a repeat has the same value, unit and upper bound, and, for a small count
    ("20"), the same counted noun. The kept figure takes the repeat's counted noun if it had none
    ("38 per cent" in the text, then in a table row that labels it)."""
    kept: dict[tuple[object, ...], tuple[int, int]] = {}
    merged: list[list[Figure]] = [[] for _ in figures]
    for index, group in enumerate(figures):
        for figure in group:
            key = _claim(figure)
            if key not in kept:
                kept[key] = (index, len(merged[index]))
                merged[index].append(figure)
                continue
            where, position = kept[key]
            first = merged[where][position]
            if first.counted is None and figure.counted is not None:
                merged[where][position] = dataclasses.replace(first, counted=figure.counted, year=first.year or figure.year)
    return merged


def _claim(figure: Figure) -> tuple[object, ...]:
    key: tuple[object, ...] = (round(figure.value, 6), figure.unit, figure.upper)
    if figure.unit == "count" and figure.value < DISTINCTIVE:
        key += ((figure.counted or "").lower(),)
    return key


def find_table_figures(passage: Passage) -> list[Figure]:
    """Figures in the value cells of a table passage, each counting what its row and column
    labels say ("Apprenticeship starts (2023)"), with the year a year label gives it."""
    rows = cell_spans(passage.text)
    if passage.table is None or rows is None:
        return []
    table = structure(passage.table)
    leading = passage.table[: table.leading_rows]
    if [[cell for cell, _, _ in row] for row in rows[: len(leading)]] == leading:
        rows = rows[len(leading) :]  # the caption and header, in the first piece of a table
    first = 1 if len(passage.table[0]) > 1 else 0  # the first column labels the rows
    figures = []
    for row in rows:
        cells = [cell for cell, _, _ in row]
        for column, (cell, start, _end) in enumerate(row[first:], start=first):
            counted, year = cell_label(table, cells, column)
            figures += [
                _cell_figure(match, passage, start, counted, year)
                for match in FIGURE_RE.finditer(cell)
                if not _overlaps(match.span(), _masked_spans(cell)) and not _is_cell_year(match)
            ]
    return figures


def _cell_figure(match: re.Match[str], passage: Passage, offset: int, counted: str | None, year: int | None) -> Figure:
    groups = match.groupdict()
    start = match.start("qualifier") if groups["qualifier"] else _first_group_start(match)
    if groups["ratio_a"]:
        value, unit = _number(groups["ratio_a"]) / _number(groups["ratio_b"]), "ratio"
    else:
        value = _number(groups["number"]) * MULTIPLIERS.get((groups["multiplier"] or "").lower(), 1)
        unit = _unit(groups, None)
        value = value / 100 if unit == "percent" else value
    return Figure(
        passage_id=passage.id,
        text=match.string[start : match.end()],
        value=round(value, 10),
        unit=unit,
        start=offset + start,
        end=offset + match.end(),
        qualifier=(groups["qualifier"] or "").lower() or None,
        counted=counted,
        year=year,
    )


def _is_cell_year(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    bare = not (groups["ratio_a"] or groups["currency"] or groups["multiplier"] or groups["percent"])
    return bare and bool(_YEAR.fullmatch(groups["number"] or ""))


def _to_figure(match: re.Match[str], doc: Doc, text: str, passage_id: str) -> Iterator[Figure]:
    # ``text`` is ``doc.text``, passed in: spaCy rebuilds that string on every access.
    groups = match.groupdict()
    start = match.start("qualifier") if groups["qualifier"] else _first_group_start(match)
    tokens = doc.char_span(start, match.end(), alignment_mode="expand")
    upper = None
    end = match.end()
    fraction = _FRACTION_AFTER.match(text[end : end + 12]) if groups["number"] and not (groups["currency"] or groups["percent"]) else None
    if fraction is not None:  # "around two-thirds of staff"
        end += fraction.end()
        tokens = doc.char_span(start, end, alignment_mode="expand")
        value, unit = _number(groups["number"]) / FRACTIONS[fraction.group("fraction").lower()], "ratio"
        noun, counted = _counted(tokens, groups) if tokens is not None else (None, None)
    elif groups["ratio_a"]:
        value, unit = _number(groups["ratio_a"]) / _number(groups["ratio_b"]), "ratio"
        noun, counted = _counted(tokens, groups) if tokens is not None else (None, None)
    else:
        number = groups["number"]
        bare = not (groups["currency"] or groups["multiplier"] or groups["percent"])
        if bare and (_YEAR.fullmatch(number) or _is_age(match, text)):
            return  # a year on its own ("in 2022"), an age band ("16–24 year olds")
        noun, counted = _counted(tokens, groups) if tokens is not None else (None, None)
        if number.lower() in NUMBER_WORDS and bare and not _counts_something(number, noun, tokens, text, start):
            return
        scale = MULTIPLIERS.get((groups["multiplier"] or "").lower(), 1)
        value = _number(number) * scale
        upper = _number(groups["upper"]) * scale if groups["upper"] else None
        unit = _unit(groups, noun)
        if unit == "percent":
            value /= 100
            upper = upper / 100 if upper is not None else None
    yield Figure(
        passage_id=passage_id,
        text=text[start:end],
        value=round(value, 10),
        unit=unit,
        start=start,
        end=end,
        qualifier=(groups["qualifier"] or "").lower() or None,
        counted=counted,
        year=_year_near(doc, text, start),
        upper=None if upper is None else round(upper, 10),
    )


def _is_age(match: re.Match[str], text: str) -> bool:
    """An age or an age band: "aged 16–24", "16-24 year olds", "18–24s", "post 16+"."""
    before = text[max(0, match.start() - 12) : match.start()]
    return bool(_AGE_BEFORE.search(before) or (match.group("upper") and _AGE_AFTER.match(text[match.end() : match.end() + 12])))


def _counts_something(number: str, noun: Token | None, tokens: Span | None, text: str, start: int) -> bool:
    """Whether a number word is a figure: it must count a noun right after it ("two hospitals",
    "three years"), not point at things already named ("the two trusts", "both"), not be "one"
    ("one hospital" is a way of speaking), and not be followed by "of" ("two of our staff")."""
    if noun is None or tokens is None or number.lower() == "one":
        return False
    if _followed_by_of(tokens) or _DETERMINER_BEFORE.search(text[max(0, start - 12) : start]):
        return False
    return noun.i <= tokens.end + 2  # the noun follows at once, or after an adjective or two


def _first_group_start(match: re.Match[str]) -> int:
    for name in ("ratio_a", "currency", "number"):
        if match.group(name):
            return match.start(name)
    return match.start()


def _number(token: str) -> float:
    token = token.lower().replace(",", "")
    return float(NUMBER_WORDS[token]) if token in NUMBER_WORDS else float(token)


def _unit(groups: dict[str, str | None], noun: Token | None) -> str:
    if groups["percent"]:
        return "percent"
    if groups["currency"]:
        return CURRENCIES[groups["currency"]]
    if noun is not None and noun.lower_ in TIME_UNITS:
        return TIME_UNITS[noun.lower_]
    return "count"


def _counted(span: Span, groups: dict[str, str | None]) -> tuple[Token | None, str | None]:
    """The noun a figure quantifies, and what it counts as a phrase (the noun with its compound
    and adjective modifiers): "20,000 staff", "85 young people", "56 per cent of the workforce",
    "a workforce of some 24,000", "£750k in grants", "Apprentices recruited: 342", "480 are
    mature learners". Money spent on something ("a £120m investment") counts nothing."""
    doc = span.doc
    money = bool(groups.get("currency"))
    after = _noun_after(span)
    if after is not None:
        if after.lower_ in TIME_UNITS and span.end < after.i and any(t.lower_ in _NOT_DURATION for t in doc[span.end : after.i]):
            return None, None  # "120 next year": a date, not a duration
        if after.lower_ in TIME_UNITS:
            following = _of_object(after)  # "2,000 hours of mentoring"
            return after, _phrase(following) if following is not None else None
        if money or after.lemma_.lower() in CHANGE_NOUNS or after.lower_ in CHANGE_NOUNS:
            return None, None  # "a £120m investment", "an 11% rise"
        return after, _phrase(after)
    nxt = doc[span.end] if span.end < len(doc) else None
    if nxt is not None and nxt.lower_ == "of" and not money:
        target = _of_object(nxt, head_is_of=True)
        return (target, _phrase(target)) if target is not None else (None, None)
    if nxt is not None and nxt.lower_ in ("in", "of") and money:  # "£750k in grants", "£59.5m of gift aid"
        target = _of_object(nxt, head_is_of=True)  # not "£4.8bn in the network", "£1.2m in February", "£8m of that"
        if target is not None and target.pos_ == "NOUN" and target.lower_ not in TIME_UNITS and not any(
            t.pos_ in ("DET", "NUM", "PRON") or t.lower_ in NOT_CLASSIFYING for t in target.lefts
        ):
            return target, _phrase(target)
        return None, None
    if nxt is not None and nxt.lemma_ == "be" and not money:  # "of whom 480 are mature learners"
        target = next((t for t in doc[nxt.i + 1 : nxt.i + 5] if t.pos_ == "NOUN"), None)
        if target is not None and (target.dep_ in ("attr", "acomp", "compound", "amod") or target.head == nxt):
            return target, _phrase(target)
    labelled = _label(span, money=money, percent=bool(groups.get("percent")))  # "Overall lending: £2.6 billion" counts the label
    if labelled is not None:
        return labelled
    last = span[-1]
    if last.head.lower_ == "of" and last.head.head.pos_ == "NOUN" and last.head.head.i < span.start and not money:
        noun = last.head.head  # "a workforce of some 24,000"; not "a budget of £4,500" (money counts nothing)
        if noun.lower_ not in MEASURE_NOUNS and not groups.get("percent"):
            return noun, _phrase(noun)
    return None, None


def _noun_after(span: Span) -> Token | None:
    """The noun right after the figure, past adjectives and hyphens: "85 young people"."""
    doc = span.doc
    for token in doc[span.end : span.end + 5]:
        if token.is_space:
            continue
        if not any(char.isalnum() for char in token.text) and token.text not in HYPHENS:
            break  # "342 | Work experience": a table cell ends
        if token.pos_ in ("NOUN", "PROPN") and not token.is_punct:
            head = token
            while head.dep_ in ("compound", "amod", "nmod") and head.head.i > head.i and head.head.i < span.end + 6:
                head = head.head
            return head if head.pos_ in ("NOUN", "PROPN") else token
        if token.text in HYPHENS or (token.pos_ in ("ADJ", "NUM") and not token.is_punct):
            continue
        if token.tag_ in ("VBN", "VBG") and token.dep_ in ("amod", "compound") and token.head.i > token.i:
            continue  # "1,471 affiliated foodbanks", "43 existing stores", "58 social rented council houses"
        if token.pos_ == "ADV" and token.dep_ == "advmod" and token.head.i > token.i and token.head.pos_ in ("ADJ", "VERB"):
            continue  # "2,200 previously unemployed people", "60,000 more skilled workers"
        break
    return None


def _of_object(token: Token, *, head_is_of: bool = False) -> Token | None:
    """The noun object of "of" (or "in"): the "of" itself (``head_is_of``) or one that follows
    ``token``; None when it is a pronoun ("9 in 10 of them")."""
    nxt = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    preposition = token if head_is_of else next((t for t in token.rights if t.lower_ == "of"), nxt if nxt is not None and nxt.lower_ == "of" else None)
    if preposition is None:
        return None
    objects = [t for t in preposition.rights if t.dep_ == "pobj"]
    if objects:
        return objects[0] if objects[0].pos_ in ("NOUN", "PROPN") else None
    for following in token.doc[preposition.i + 1 : preposition.i + 6]:
        if following.pos_ in ("VERB", "AUX", "ADP", "PUNCT"):
            return None  # "within two years of finishing the programme"
        if following.pos_ in ("NOUN", "PROPN") and following.dep_ != "compound":
            return following
    return None


def _label(span: Span, *, money: bool, percent: bool) -> tuple[Token | None, str | None] | None:
    """A figure after its label: "Apprentices recruited: 342", "Net cash: £158.5m" (a colon), or
    an item of a list written without one, "partners promoted 11; trainees a year around 15",
    "DLA Piper: turnover £581m, down 1 per cent", "margin 2.1%". The label up to its first
    preposition counts the figure ("Apprentices with a disability: 7.6%" -> "apprentices"); a time
    unit there is the figure's unit ("Volunteering hours: 4,800"). A label that measures rather
    than names ("National average: 42%", "Share of emissions: 20%") counts nothing, and a sum
    counts its label only when that is a kind of value ("Underlying profit: £44m"), not spending
    ("Running costs: £500m", "Spend with local suppliers: £12.4m")."""
    doc = span.doc
    window = max(0, span.start_char - 90)
    prefix = ("\n" if window == 0 else "") + doc.text[window : span.start_char]
    match = _FIGURE_LABEL.search(prefix)
    if match is None:
        return None
    offset = window - (1 if window == 0 else 0)
    label = doc.char_span(offset + match.start("label"), offset + match.end("label"), alignment_mode="contract")
    if label is None or not len(label):
        return None
    colon = bool(match.group("colon"))
    if not colon and not _listed(label, span, match.group("boundary")):
        return None
    tokens = list(label)
    while tokens and (tokens[0].pos_ == "DET" or (tokens[0].ent_type_ in PLACE_ENTITIES and tokens[0].pos_ == "PROPN")):
        tokens.pop(0)  # "UK households in fuel poverty": where, not what kind
    first = tokens[0] if tokens else None
    if first is None or first.pos_ in ("ADP", "ADV", "PRON", "SCONJ", "PART", "NUM", "SYM") or (
        first.tag_ in ("VBG", "VBN", "VBD") and not (first.dep_ in ("amod", "compound") and first.head.i > first.i)
    ):
        return None  # "Before the programme: 33%", "Satisfied with repairs: 50%"; not "Adjusted operating margin"
    phrase = _label_phrase(tokens, colon=colon)
    if not any(t.pos_ in ("NOUN", "PROPN", "VERB") and not t.ent_type_ for t in phrase):
        return None  # a name, not what is counted: "Waitrose 4,000", "University of Lancaster: £7.6m"
    head = next((phrase[i - 1] for i, t in enumerate(phrase) if i and t.lower_ in _LABEL_HEAD_ENDS), phrase[-1])
    if head.lower_ in TIME_UNITS:
        return head, None  # "Staff volunteering hours: 4,800" is a number of hours
    if head.lower_ in LABEL_MEASURES or (money and head.lower_ not in VALUE_NOUNS):
        return None
    while len(phrase) > 1 and phrase[0].lower_ in LABEL_NOT_CLASSIFYING:
        phrase = phrase[1:]  # "New borrowers: 19,400", "Equivalent heat pumps: 171,000"
    return head, doc[phrase[0].i : phrase[-1].i + 1].text.lower()


def _listed(label: Span, figure: Span, boundary: str | None) -> bool:
    """Whether a label without a colon names the figure after it: an item of a list ("trainees a
    year 22; chance of making partner 31%"), not a clause ("profits rose 20%", "staff raised £5,000")."""
    doc = label.doc
    if not re.match(r"\s*(?:$|[;|,.)(\n])", doc.text[figure.end_char : figure.end_char + 4]):
        return False  # the figure must end the item
    if any(t.pos_ == "AUX" or t.tag_ in ("VBZ", "VBP", "MD") or t.lemma_.lower() in CHANGE_VERBS for t in label):
        return False
    listed = boundary in _LIST_BOUNDARIES or bool(re.match(r"\s*[;|]", doc.text[figure.end_char : figure.end_char + 3]))
    nominal = len(label) <= 4 and all(t.pos_ in ("NOUN", "ADJ", "PROPN") or t.text in HYPHENS for t in label)
    return listed or nominal


def _label_phrase(tokens: list[Token], *, colon: bool) -> list[Token]:
    """A label's words up to what qualifies it: a preposition ("Starts outside the programme"),
    a comma or bracket, a number, a relative clause, and after a colon a participle ("Customers
    satisfied with services"); "of", "per" and "before" stay ("profit per equity partner")."""
    phrase: list[Token] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.text in ("(", ",") or token.pos_ == "NUM" or token.is_digit or token.pos_ in ("PRON", "PART", "ADV", "SCONJ", "AUX"):
            break
        if token.pos_ == "ADP" and token.lower_ not in _LABEL_KEEPS and (colon or token.lower_ != "on"):
            break
        if token.pos_ == "DET" and (colon or (following is not None and following.lower_ in TIME_UNITS)):
            break  # "trainees a year 22"
        modifies = token.dep_ in ("amod", "compound") and token.head.i > token.i
        if colon and phrase and not modifies and (token.tag_ in ("VBN", "VBD", "VBG") or (token.pos_ == "ADJ" and phrase[-1].pos_ in ("NOUN", "PROPN"))):
            break  # "Customers satisfied with services: 84.7%"; not "Adjusted operating margin"
        if token.pos_ == "CCONJ" and (following is None or following.pos_ not in ("NOUN", "ADJ", "PROPN")):
            break
        phrase.append(token)
    while phrase and phrase[-1].pos_ in ("CCONJ", "DET", "ADP"):
        phrase.pop()
    return phrase


def _phrase(token: Token) -> str:
    """The counted noun with the modifiers right before it: "health roles", "young people",
    "community health champions", "sixth-formers"."""
    doc = token.doc
    start = token.i
    while start > 0:
        previous = doc[start - 1]
        joined = previous.text in HYPHENS or (previous.whitespace_ == "" and doc[start].text in HYPHENS)
        if (joined and previous.is_alpha) or previous.text in HYPHENS:
            start -= 1  # "sixth-formers", "16-year-olds"
            continue
        if previous.is_digit or previous.pos_ in ("DET", "NUM", "PRON", "ADP", "CCONJ", "PART"):
            break
        if not joined and previous.ent_type_ in PLACE_ENTITIES and previous.pos_ == "PROPN":
            break  # "4.5 million UK households", "400 West Midlands businesses": where, not what kind
        adverb = previous.pos_ == "ADV" and previous.dep_ == "advmod" and previous.head.pos_ in ("ADJ", "VERB") and previous.head.i >= start
        if not (joined or adverb or (previous.dep_ in ("compound", "amod", "nmod") and previous.is_alpha and previous.head.i >= start)):
            break
        start -= 1
    while start < token.i and doc[start].lower_ in NOT_CLASSIFYING and doc[start + 1].lower_ not in CLASSIFIED_BY:
        start += 1  # "107 new ambulances" counts ambulances (extraction-conventions.md)
    phrase = doc[start : token.i + 1].text.lower()
    partner = _coordinated(token)
    return f"{phrase} and {_phrase(partner)}" if partner is not None else phrase


def _coordinated(token: Token) -> Token | None:
    """"homes and businesses": the noun joined to ``token`` by a following "and" or "or"."""
    doc = token.doc
    if token.i + 2 < len(doc) and doc[token.i + 1].lower_ in ("and", "or"):
        partner = doc[token.i + 2]
        while partner.dep_ in ("compound", "amod") and partner.head.i > partner.i and partner.head.i <= token.i + 4:
            partner = partner.head
        following = doc[partner.i + 1] if partner.i + 1 < len(doc) else None
        verb_like = following is not None and (following.pos_ in ("DET", "NUM", "PRON") or following.lower_ in _QUALIFIER_WORDS)
        if partner.pos_ == "NOUN" and partner.tag_ == token.tag_ and partner in token.conjuncts and not verb_like:
            return partner  # not "four hospitals and treats over 2.2 million patients"
    return None


def _followed_by_of(span: Span) -> bool:
    return span.end < len(span.doc) and span.doc[span.end].lower_ == "of"


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
    if _LIST_MARKER.match(after) and not text[max(0, start - 2) : start].strip():
        return True  # "1. Leeds Building Society was founded ...": a numbered note
    if _DURATION_ADJECTIVE.match(after):
        return True  # "a four-week placement", "a 12-month programme": describes, counts nothing
    return bool(_LABEL_BEFORE.search(before) or _LABEL_LIST.search(before) or _MONTH_AROUND.match(after) or _MONTH_BEFORE.search(before))
