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
    from spacy.tokens import Doc, Span

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
                            "plan", "framework", "awards", "fund", "initiative", "campaign", "summary", "agenda"}  # fmt: skip
# Words that make a name an organisation's even when a programme is named after it.
ORGANISATION_WORDS = {"nhs", "trust", "university", "council", "college", "school", "board", "ltd", "plc", "group",
                      "foundation", "partnership", "bank", "company", "authority", "department", "agency", "office"}  # fmt: skip
ROLE_REACH = 400  # characters either side of a name searched for its role and organisation
OFFICE_WORDS = {"secretary", "minister", "spokesperson", "spokesman", "spokeswoman", "committee"}


def find_entities(doc: Doc, passage_id: str, labels: set[str]) -> list[Entity]:
    """ORG, PERSON and GPE mentions (LOC counts as a place), with titles and roles split off."""
    cleaned: list[tuple[str, Span, str | None, int]] = []
    for raw in doc.ents:
        label = _label(raw, labels)
        span: Span | None = _trim(raw) if label else None
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
    following = span.doc[span.end].lower_ if span.end < len(span.doc) else ""
    if following in NOT_ORGANISATION_ENDINGS and not any(token.lower_ in ORGANISATION_WORDS for token in span):
        return True  # "Healthcare Horizons programme"; but "the Barts Health NHS Trust programme" keeps its trust
    return last in NOT_ORGANISATION_ENDINGS or following in OFFICE_WORDS  # "Education Secretary"


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


def _trim(span: Span) -> Span:
    """Drop punctuation, bullets and possessive endings at the edges ("Anne Milton’s"), and an
    unclosed bracket with what follows it ("Cadent Gas Ltd (Cadent")."""
    start, end = span.start, span.end
    opening = [t.i for t in span if t.text == "("]
    if opening and not any(t.text == ")" for t in span):
        end = opening[0]
    while start < end and (span.doc[start].is_punct or not span.doc[start].text[0].isalnum()):
        start += 1
    while end > start and (span.doc[end - 1].is_punct or span.doc[end - 1].tag_ == "POS"):
        end -= 1
    return span.doc[start:end]


def _strip_article(span: Span) -> Span:
    if len(span) > 1 and span[0].lower_ == "the":
        return span[1:]
    return span
