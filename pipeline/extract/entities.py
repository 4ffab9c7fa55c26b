"""Organisations, people and places from spaCy's NER, cleaned for this text.

en_core_web_sm puts honorifics inside names ("Rt Hon Jacqui Smith") and roles inside
organisations ("Chair of University Hospitals Birmingham ..."); these are split off here.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

from pipeline.records import Entity

TITLES = {
    "rt", "rt.", "right", "hon", "hon.", "honourable", "the", "dame", "sir", "lord", "lady",
    "baroness", "baron", "professor", "prof", "prof.", "dr", "dr.", "mr", "mr.", "mrs", "mrs.",
    "ms", "ms.", "miss", "cllr", "councillor", "rev", "revd", "reverend",
}  # fmt: skip
POST_NOMINALS = {"mp", "obe", "cbe", "mbe", "dbe", "kbe", "frs", "qc", "kc", "msp", "ms", "mla"}
_ROLE_PREFIX = re.compile(
    r"^(?:(?:former|acting|interim|deputy|joint)\s+)*"
    r"(?:chair(?:man|woman)?|chief\s+\w+(?:\s+officer)?|ceo|director(?:\s+of\s+\w+)?|head|"
    r"vice[- ]chancellor|president|founder|member|minister|secretary|manager|dean|governor|"
    r"trustee|partner|lead)\s+(?:\w+\s+){0,3}?(?:of|at|for)\s+(?:the\s+)?",
    re.IGNORECASE,
)
# Words the small model tags as places or organisations in this text although they are not.
FALSE_POSITIVES = {
    "GPE": {"black", "asian", "white", "bame"},
    "ORG": {"trust", "the trust", "board", "the board", "council", "the council", "education",
            "the levelling up goals", "levelling up goals", "levelling up impact report"},
}  # fmt: skip


def find_entities(doc: Doc, passage_id: str, labels: set[str]) -> list[Entity]:
    found = (_clean(span, passage_id) for span in doc.ents if span.label_ in labels)
    return [entity for entity in found if entity is not None]


def _clean(span: Span, passage_id: str) -> Entity | None:
    label = span.label_
    title = None
    span = _trim(span)
    if label == "PERSON":
        span, title = _split_titles(span)
    elif label == "ORG":
        span = _strip_role(span)
    if span is None or not span.text.strip():
        return None
    if span.text.lower() in FALSE_POSITIVES.get(label, ()):
        return None
    return Entity(passage_id, label, span.text, span.start_char, span.end_char, title=title)


def _split_titles(span: Span) -> tuple[Span | None, str | None]:
    """Move leading honorifics (also ones just before the span) and post-nominals out."""
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
        return None, None
    return doc[start:end], " ".join(title_tokens) or None


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
