"""Organisations, people and places from spaCy's NER, cleaned for this text.

en_core_web_sm puts honorifics inside names ("Rt Hon Jacqui Smith") and roles inside
organisations ("Chair of University Hospitals Birmingham ..."); these are split off here, and a
person's role next to the name ("Jacqui Smith, Chair of Barts Health NHS Trust,") is linked to
the person and to the organisation.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from pipeline.extract.organisations import GENERIC_NAMES
from pipeline.extract.roles import ROLE_HEADS, role_of
from pipeline.records import Entity

if TYPE_CHECKING:  # spaCy loads only when a document needs parsing
    from spacy.tokens import Doc, Span, Token

TITLES = {
    "rt", "rt.", "right", "hon", "hon.", "honourable", "the", "dame", "sir", "lord", "lady",
    "baroness", "baron", "professor", "prof", "prof.", "dr", "dr.", "mr", "mr.", "mrs", "mrs.",
    "ms", "ms.", "miss", "cllr", "councillor", "rev", "revd", "reverend",
}  # fmt: skip
POST_NOMINALS = {"mp", "obe", "cbe", "mbe", "dbe", "kbe", "frs", "qc", "kc", "msp", "ms", "mla", "frcp", "frcs"}
ROLE_WORDS = (
    r"chair|chairman|chairwoman|chairperson|chief|executive|director|head|manager|officer|president|"
    r"vice-chancellor|vice chancellor|chancellor|dean|minister|secretary|founder|lead|leader|partner|"
    r"governor|trustee|mayor|councillor|member|principal|professor|ceo|cfo|coo|coordinator|"
    r"co-ordinator|adviser|advisor|ambassador|commissioner|nurse|consultant|spokesperson|clerk"
)
_ROLE_WORD = re.compile(rf"\b(?:{ROLE_WORDS})\b", re.IGNORECASE)
_ROLE_PREFIX = re.compile(
    r"^(?:(?:former|acting|interim|deputy|joint)\s+)*"
    r"(?:chair(?:man|woman)?|chief\s+\w+(?:\s+officer)?|ceo|director(?:\s+of\s+\w+)?|head|"
    r"vice[- ]chancellor|president|founder|member|minister|secretary|manager|dean|governor|"
    r"trustee|partner|lead)\s+(?:\w+\s+){0,3}?(?:of|at|for)\s+(?:the\s+)?",
    re.IGNORECASE,
)
_ROLE_WORDS_PATTERN = r"(?:the\s+)?(?:(?:former|acting|interim|deputy|joint)\s+)?(?:[A-Z][\w'’-]*|of|for|and|&|the|at|in)(?:\s+(?:[A-Z][\w'’-]*|of|for|and|&|the|at|in))*?"
# ", Chair of University Hospitals Birmingham NHS Foundation Trust," after a name
_ROLE_AFTER = re.compile(rf"^(?:\s+(?:MP|OBE|CBE|MBE|DBE|KBE|KC|QC))*\s*,\s*(?P<role>{_ROLE_WORDS_PATTERN})(?=\s*(?:,|:|;|\)|\.|\s+said\b|\s+added\b|$))")
# "Chief Executive Lyn Simpson", "Chair of Barts Health, Jacqui Smith" before a name; the role
# starts after punctuation or a lower-case word ("the report former Minister of State ...").
_ROLE_BEFORE = re.compile(rf"(?P<role>{_ROLE_WORDS_PATTERN}),?\s+")
_ROLE_START = re.compile(r"^|[,.;:“\"(]\s*|\b(?!(?:former|acting|interim|deputy|joint|and|of|for|the|at|in)\b)[a-z]+\s+")
_AFTER_NAME = re.compile(r"\s*(?:,|\band\b)?\s*")
_ORG_TAIL = re.compile(r"\s+(?:of|at|for)\s+(?:the\s+)?$", re.IGNORECASE)

# Words the small model tags as places or organisations in this text although they are not.
FALSE_POSITIVES = {
    "GPE": {"black", "asian", "white", "bame", "british", "english"},
    "ORG": {"black", "asian", "white", "bame", "trust", "the trust", "board", "the board", "council", "the council", "education",
            "the levelling up goals", "levelling up goals", "levelling up impact report", "nhs trust"},
}  # fmt: skip
# Named things that are not organisations: "Levelling Up Impact Report", "Healthcare Horizons programme".
NOT_ORGANISATION_ENDINGS = {"report", "reports", "goals", "goal", "programme", "program", "scheme", "strategy",
                            "plan", "framework", "awards", "award", "fund", "initiative", "campaign", "summary", "agenda", "index", "prize", "committee"}  # fmt: skip
# Words that make a name an organisation's even when a programme is named after it.
ORGANISATION_WORDS = {"nhs", "trust", "university", "council", "college", "school", "board", "ltd", "plc", "group",
                      "foundation", "partnership", "bank", "company", "authority", "department", "agency", "office"}  # fmt: skip
ROLE_REACH = 400  # characters either side of a name searched for its role and organisation
OFFICE_WORDS = {"secretary", "minister", "spokesperson", "spokesman", "spokeswoman", "committee"}


def find_entities(doc: Doc, passage_id: str, labels: set[str]) -> list[Entity]:
    """ORG, PERSON and GPE mentions (LOC counts as a place), with titles and roles split off."""
    cleaned: list[tuple[str, Span, str | None, int]] = []
    for raw in whole_names(doc):
        label = _label(raw, labels)
        if label == "ORG" and "PERSON" in labels and _titled_name(raw):
            label = "PERSON"  # "Cllr Lowe"
        span: Span | None = _trim(raw, keep_possessive=label == "ORG") if label else None
        title, start = None, raw.start_char
        if span is not None and label == "PERSON":
            span, title, start = _split_titles(span)
        elif span is not None and label == "ORG":
            span = _strip_role(span)
            span = None if span is None or _not_an_organisation(span) else span
        elif span is not None:
            span = _strip_article(span)
        if span is None or not span.text.strip() or span.text.lower() in FALSE_POSITIVES.get(str(label), ()) or _not_a_name(str(label), span):
            continue
        cleaned.append((_relabel(str(label), span, labels), span, title, start))
    orgs = _Spans([span for label, span, _, _ in cleaned if label == "ORG"])
    people = _Spans([span for label, span, _, _ in cleaned if label == "PERSON"])
    text = doc.text  # once: spaCy rebuilds the string on every access
    entities = []
    for label, span, title, start in cleaned:
        role, role_org = role_of(text, span, start, orgs.near(start), people.near(start)) if label == "PERSON" else (None, None)
        entities.append(Entity(passage_id, label, span.text, span.start_char, span.end_char, title=title, role=role, role_org=role_org))
    return entities


# Words that end an organisation's name when they follow it: a job ("National Grid Chief
# Executive"), a body inside it ("Durham County Council Cabinet"), a date.
_NAME_STOPS = {"cabinet", "committee", "board", "chief", "executive", "director", "annual", "review", "group", "top", "team", "unit",
               "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}  # fmt: skip
# "City of York Council", "Royal Borough of Greenwich": the words before a place that name the body.
_BODY_PREFIXES = (("city", "of"), ("borough", "of"), ("county", "of"), ("royal", "borough", "of"), ("city", "and", "county", "of"))


def whole_names(doc: Doc) -> list[Span]:
    """``doc.ents`` with organisation names put back together where the small model splits them:
    "Barking, Havering and Redbridge University Hospitals NHS Trust" (places listed before a
    body's name), "City of York Council", "National Grid Electricity Distribution" and "UCL
    Institute of Health Equity" (capitalised words running on), "Balfour Beatty VINCI" (two
    organisations side by side). Entities the grown name covers are dropped."""
    from spacy.tokens import Span

    grown: list[Span] = []
    for ent in doc.ents:
        if grown and ent.start < grown[-1].end:
            continue  # covered by the name before it
        if ent.label_ != "ORG":
            grown.append(ent)
            continue
        end = _name_end(doc, ent.end)
        start = _name_start(doc, ent.start, doc[end - 1])
        if grown and grown[-1].label_ == "ORG" and _only_space_between(doc, grown[-1].end, start) and _all_names(grown[-1]) and _all_names(doc[start:end]):
            start = grown.pop().start  # "Balfour Beatty" "VINCI"
        while grown and grown[-1].end > start:
            grown.pop()  # a place the name now covers: "Bath" in "Bath and North East Somerset Council"
        grown.append(ent if (start, end) == (ent.start, ent.end) else Span(doc, start, end, label="ORG"))
        alias = _alias_after(doc, end)
        if alias is not None:
            grown.append(alias)
    return grown


def _alias_after(doc: Doc, end: int) -> Span | None:
    """The other name an organisation is given right after its own: an acronym in brackets
    ("... University Hospitals NHS Trust (BHRUT)"), or ", known as LSCft" / "trading as ..."."""
    from spacy.tokens import Span

    if end + 2 < len(doc) and doc[end].text == "(" and doc[end + 2].text == ")":
        token = doc[end + 1]
        if token.is_upper and token.is_alpha and 2 <= len(token) <= 8:
            return Span(doc, end + 1, end + 2, label="ORG")
    cursor = end + (1 if end < len(doc) and doc[end].text == "," else 0)
    words = [t.lower_ for t in doc[cursor : cursor + 2]]
    if words in (["known", "as"], ["trading", "as"]):
        start = last = cursor + 2
        while last < len(doc) and (doc[last].is_title or doc[last].is_upper or (doc[last].text[:1].isupper() and doc[last].is_alpha)) and doc[last].pos_ in ("PROPN", "NOUN"):
            last += 1
        if last > start and not any(t.ent_type_ == "PERSON" for t in doc[start:last]):
            return Span(doc, start, last, label="ORG")
    return None


def _all_names(span: Span) -> bool:
    return all(t.is_title or t.is_upper for t in span)


def _only_space_between(doc: Doc, end: int, start: int) -> bool:
    return end == start and doc[end - 1].whitespace_ != "" and not doc[end - 1].is_punct


def _name_start(doc: Doc, start: int, last: Token) -> int:
    """Where a body's name starts: before "City of" ("City of York Council"), and before the
    places listed ahead of it ("Bath and North East Somerset Council", "Barking, Havering and
    Redbridge University Hospitals NHS Trust")."""
    for prefix in _BODY_PREFIXES:
        n = len(prefix)
        if start >= n and tuple(t.lower_ for t in doc[start - n : start]) == prefix and doc[start - n].is_title:
            return start - n
    if doc[start].lower_ in _BODY_WORDS:
        while start > 0 and doc[start - 1].ent_iob_ != "I" and (_place_word(doc[start - 1]) or _opening_name_word(doc[start - 1])):
            start -= 1  # "Redditch" + "Borough Council", "Gloucestershire" + "Hospitals NHS Foundation Trust"
    if last.lower_ not in _LISTED_BODY_ENDS:
        return start
    listed = any(t.lower_ == "and" for t in doc[start : last.i + 1])
    while start >= 2 and (doc[start - 1].lower_ == "and" or (doc[start - 1].text == "," and listed)):
        first = start - 1
        while first > 0 and _place_word(doc[first - 1]):
            first -= 1
        run = doc[first : start - 1]
        if not len(run) or doc[first].ent_iob_ == "I" or (len(run) > 1 and any(t.ent_type_ == "ORG" for t in run)):
            break  # not "Leeds City Council and Bradford Council", not "NHS England, Central and ..."
        listed = listed or doc[start - 1].lower_ == "and"
        start = first
    return start


def _opening_name_word(token: Token) -> bool:
    """A capitalised word before "Borough Council" or "Hospitals NHS Trust", whatever the tagger
    thought of it ("Redditch" as a verb at the start of a sentence)."""
    return token.is_title and token.is_alpha and token.pos_ not in _FUNCTION_TAGS and token.lower_ not in TITLES and token.lower_ not in ROLE_HEADS


_FUNCTION_TAGS = {"DET", "ADP", "PRON", "CCONJ", "SCONJ", "AUX", "PART", "NUM"}


def _place_word(token: Token) -> bool:
    return (
        token.pos_ in ("PROPN", "ADJ", "NOUN")
        and token.is_title
        and token.ent_type_ in ("", "GPE", "LOC", "ORG", "NORP")
        and token.lower_ not in TITLES
        and token.lower_ not in ROLE_HEADS
    )


# The last words of bodies named after a list of places ("... and Redbridge University Hospitals NHS Trust").
_LISTED_BODY_ENDS = {"council", "trust", "hospitals", "hospital", "board", "partnership", "authority", "police", "constabulary", "service", "college"}
# A name cannot start with these: the place before them is part of it ("Redditch Borough Council").
_BODY_WORDS = {"borough", "city", "county", "district", "metropolitan", "hospitals", "teaching", "nhs", "foundation", "integrated", "council", "college"}


def _name_end(doc: Doc, end: int) -> int:
    """Capitalised words running on after the name: "National Grid" + "Electricity Distribution",
    "UCL" + "Institute of Health Equity", "Sodexo UK" + "& Ireland"."""
    cursor = end
    while cursor < len(doc):
        if doc[cursor].lower_ in ("of", "for") and cursor + 1 < len(doc) and _name_word(doc[cursor + 1]):
            cursor += 2
        elif doc[cursor].text == "&" and cursor + 1 < len(doc) and doc[cursor + 1].is_title and doc[cursor + 1].pos_ == "PROPN":
            cursor += 2  # "Sodexo UK & Ireland", "Trowers & Hamlins"
        elif _name_word(doc[cursor]):
            cursor += 1
        else:
            break
        end = cursor
    return end


def _name_word(token: Token) -> bool:
    return (
        token.pos_ in ("PROPN", "NOUN")
        and (token.is_title or (token.is_upper and token.lower_ not in not_entity_words()[0]))  # not "HSBC SME lending"
        and token.lower_ not in _NAME_STOPS
        and token.lower_ not in ROLE_HEADS
        and token.lower_ not in NOT_ORGANISATION_ENDINGS
        and token.ent_type_ in ("", "FAC", "PRODUCT")
    )


def _not_a_name(label: str, span: Span) -> bool:
    """A department or job word tagged ORG ("Skills", "Resourcing & Skills"), or a job title or
    place-like noun tagged PERSON ("Portfolio Holder", "Hellesdon Hospital"): see
    data/not_entities.yaml."""
    words = [t.lower_ for t in span if not t.is_punct]
    if label != "ORG" and len(span) == 1 and span[0].pos_ in COMMON_WORD_TAGS and not span[0].is_upper and span.text not in place_names():
        return True  # a heading word or a sentence's first word: "Aspire", "Kitchen", "Schools"
    if label == "ORG" and len(span) == 1 and (span[0].pos_ in ("PRON", "ADV", "DET") or words[0] in GENERIC_NAMES):
        return True  # "Someone", "the Society": not a name
    if label == "ORG":
        org_words, _ = not_entity_words()
        return all(w in org_words or w in _CONNECTORS for w in words)
    if label == "PERSON":
        _, last_words = not_entity_words()
        return bool(words) and (words[-1] in last_words or words[-1] in ROLE_HEADS)
    return False


@functools.cache
def not_entity_words() -> tuple[frozenset[str], frozenset[str]]:
    """(words that never make an ORG on their own, last words that make a PERSON no name)."""
    data = yaml.safe_load((resources.files("pipeline.extract") / "data" / "not_entities.yaml").read_text(encoding="utf-8"))
    return frozenset(data["org_words"]), frozenset(data["person_not_last_words"])


COMMON_WORD_TAGS = {"NOUN", "VERB", "ADJ", "ADV", "PRON", "AUX", "DET", "ADP"}  # a name is a proper noun (PROPN)
_CONNECTORS = {"and", "&", "of", "the", "for"}


# A place-like mention ending in one of these is an organisation ("South Yorkshire Police").
ORGANISATION_LAST_WORDS = {"police", "constabulary", "council", "university", "college", "trust", "authority", "service",
                           "services", "brigade", "board", "group", "ltd", "plc", "limited", "partnership", "hospital"}  # fmt: skip


def _relabel(label: str, span: Span, labels: set[str]) -> str:
    """A county or region tagged as a person or organisation is a place ("Yorkshire"); a
    "place" ending in Police, Council, University ... is an organisation."""
    if label in ("PERSON", "ORG") and "GPE" in labels and span.text in place_names():
        return "GPE"
    if label == "GPE" and "ORG" in labels and span[-1].lower_ in ORGANISATION_LAST_WORDS:
        return "ORG"
    return label


@functools.cache
def place_names() -> frozenset[str]:
    """Nations, regions and counties (data/places.yaml)."""
    data = yaml.safe_load((resources.files("pipeline.extract") / "data" / "places.yaml").read_text(encoding="utf-8"))
    return frozenset(str(name) for name in data["places"])


def _label(span: Span, labels: set[str]) -> str | None:
    if span.label_ in labels:
        return span.label_
    return "GPE" if span.label_ == "LOC" and "GPE" in labels else None


def _not_an_organisation(span: Span) -> bool:
    if not any(token.text[:1].isupper() for token in span) or span[-1].pos_ in ("ADP", "DET", "CCONJ"):
        return True  # "Chair of": a fragment, not a name
    last = span[-1].lower_
    after = span.end
    while after < len(span.doc) - 1 and span.doc[after].like_num:
        after += 1  # "its Welsh Water 2050 strategy"
    following = span.doc[after].lower_ if after < len(span.doc) else ""
    if following in NOT_ORGANISATION_ENDINGS and not any(token.lower_ in ORGANISATION_WORDS for token in span):
        return True  # "Healthcare Horizons programme"; but "the Barts Health NHS Trust programme" keeps its trust
    named = any(token.lower_ in ORGANISATION_WORDS for token in span)  # "a Winchester City Council committee"
    return last in NOT_ORGANISATION_ENDINGS or (following in OFFICE_WORDS and not named)  # "Education Secretary"


class _Spans:
    """Spans in text order, looked up by position: a 200-page passage has thousands of names,
    and a role is only ever written next to its person."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.starts = [span.start_char for span in spans]

    def near(self, offset: int, reach: int = ROLE_REACH) -> list[Span]:
        return self.spans[bisect_left(self.starts, offset - reach) : bisect_right(self.starts, offset + reach)]


def _role_of(text: str, person: Span, start_char: int, orgs: list[Span], people: list[Span]) -> tuple[str | None, str | None]:
    """The role written next to a person's name (``start_char``: where the name's titles begin),
    and the organisation of that role."""
    after = _ROLE_AFTER.match(text[person.end_char : person.end_char + 160])
    if after and _ROLE_WORD.search(after.group("role")):
        start = person.end_char + after.start("role")
        return _split_role(text[start : person.end_char + after.end("role")], start, orgs)
    window = max(0, start_char - 120)
    preceding = text[window:start_char]
    anchors = [m.end() for m in _ROLE_START.finditer(preceding)]
    anchors += [  # "Anne Milton and Chair of Barts Health, Jacqui Smith": a role starts after a name
        _AFTER_NAME.match(text, other.end_char).end() - window  # type: ignore[union-attr]  # matches the empty string too
        for other in people
        if window <= other.end_char < start_char
    ]
    for anchor in sorted(anchors, reverse=True):  # shortest role first
        before = _ROLE_BEFORE.fullmatch(preceding, anchor)
        if before and _ROLE_WORD.search(before.group("role")):
            return _split_role(before.group("role"), window + before.start("role"), orgs)
    return None, None


def _split_role(role: str, start: int, orgs: list[Span]) -> tuple[str | None, str | None]:
    """"Chair of Barts Health NHS Trust" -> ("Chair", "Barts Health NHS Trust")."""
    end = start + len(role)
    for org in reversed(orgs):  # the last: "Director of Digital Impact at BT Group"
        if start < org.start_char < end:
            return _clean_role(_ORG_TAIL.sub("", role[: org.start_char - start])), org.text
    return _clean_role(role), None


def _clean_role(role: str) -> str | None:
    role = re.sub(r"^(?:the)\s+", "", role.strip(" ,"), flags=re.IGNORECASE)
    return role or None


def _split_titles(span: Span) -> tuple[Span | None, str | None, int]:
    """Move leading honorifics (also ones just before the span) and post-nominals out; also
    return where the titled name starts."""
    doc = span.doc
    start, end = span.start, span.end
    while start > 0 and doc[start - 1].lower_ in TITLES - {"the"}:
        start -= 1
    first = start
    while start < end and doc[start].lower_ in TITLES:
        start += 1
    while end > start and doc[end - 1].lower_ in POST_NOMINALS and doc[end - 1].text.isupper():
        end -= 1
    title_tokens = [t.text for t in doc[first:start] if t.lower_ != "the"]
    if start >= end:
        return None, None, span.start_char
    return doc[start:end], " ".join(title_tokens) or None, doc[first].idx


def _strip_role(span: Span) -> Span | None:
    match = _ROLE_PREFIX.match(span.text)
    if match is None:
        return _strip_article(span)
    trimmed = span.doc.char_span(span.start_char + match.end(), span.end_char, alignment_mode="contract")
    return _strip_article(trimmed) if trimmed is not None else None


def _titled_name(span: Span) -> bool:
    """An honorific and a name: "Cllr Lowe", "Dr Helen Marsh"."""
    return len(span) > 1 and span[0].lower_ in TITLES - {"the"} and all(t.pos_ == "PROPN" and t.is_title for t in span[1:])


def _trim(span: Span, *, keep_possessive: bool = False) -> Span:
    """Drop punctuation, bullets and possessive endings at the edges ("Anne Milton’s"), and an
    unclosed bracket with what follows it ("Cadent Gas Ltd (Cadent")."""
    start, end = span.start, span.end
    opening = [t.i for t in span if t.text == "("]
    if opening and not any(t.text == ")" for t in span):
        end = opening[0]
    while start < end and (span.doc[start].is_punct or not span.doc[start].text[0].isalnum()):
        start += 1
    while end > start and (span.doc[end - 1].is_punct or (span.doc[end - 1].tag_ == "POS" and not (keep_possessive and _named_with_possessive(span.doc[end - 1]))) or _figure_token(span.doc[end - 1])):
        end -= 1  # and a figure run into a name: "Iceland 2,500"
    return span.doc[start:end]


def _named_with_possessive(ending: Token) -> bool:
    """"Sainsbury's is to create 1,000 jobs", "Sainsbury's 5,000": an organisation named with a
    possessive, where nothing it possesses follows (not "National Grid's chief executive")."""
    following = ending.doc[ending.i + 1] if ending.i + 1 < len(ending.doc) else None
    return following is None or following.pos_ in ("VERB", "AUX", "PUNCT", "NUM", "CCONJ", "ADP", "ADV")


def _figure_token(token: Token) -> bool:
    return token.pos_ == "NUM" and token.like_num and any(char.isdigit() for char in token.text)


def _strip_article(span: Span) -> Span:
    if len(span) > 1 and span[0].lower_ == "the":
        return span[1:]
    return span
