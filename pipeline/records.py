"""The plain records that stages take and return.

Stages pass these between each other (and across process boundaries), so they are flat
dataclasses of JSON-compatible values with ``to_dict``/``from_dict`` round trips.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, Self, get_args


class Record:
    """Mixin: conversion to and from JSON-compatible dicts."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]  # a mixin: every subclass is a dataclass

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]  # a mixin: every subclass is a dataclass
        return cls(**{key: value for key, value in data.items() if key in names})


@dataclass(frozen=True)
class Document(Record):
    """One collected article, report or file, with its cleaned text.

    ``text`` holds paragraphs separated by blank lines; ``page_starts`` gives, for a PDF, the
    character offset in ``text`` at which each page begins (page numbers are 1-based).
    ``headings`` marks the paragraphs of ``text`` that are headings, as ``[level, start, end]``
    character spans (level 1 outermost, as h1-h6); ``None`` where the extractor gave no structure.
    """

    id: str
    url: str
    kind: str  # "html" | "pdf" | "txt"
    text: str
    content_hash: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    page_starts: list[int] | None = None
    headings: list[list[int]] | None = None
    encoding_warning: str | None = None  # bytes invalid in the declared encoding were replaced: what and how many


@dataclass(frozen=True)
class Passage(Record):
    """A paragraph-sized span of a document; ``start``/``end`` index ``Document.text``.

    A passage that is a table (a run of pipe-table rows in the text) has ``table``: its rows of
    cells, caption and header first (repeated in each piece of a table split by rows); see
    ``pipeline.tables``.
    """

    id: str
    document_id: str
    ordinal: int
    text: str
    start: int
    end: int
    page: int | None = None
    headings: list[str] = field(default_factory=list)  # the heading path above it, outermost first
    table: list[list[str]] | None = None  # the rows of a table passage, first row first


@dataclass(frozen=True)
class Entity(Record):
    """A named entity; ``start``/``end`` index ``Passage.text``."""

    passage_id: str
    label: str  # ORG | PERSON | GPE
    text: str
    start: int
    end: int
    title: str | None = None  # honorific stripped from a PERSON ("Rt Hon", "Dr")
    role: str | None = None  # a PERSON's role next to the name ("Chair", "Chief Executive")
    role_org: str | None = None  # the organisation of that role, canonical name
    canonical: str | None = None  # an ORG's name resolved within its document (acronyms, short forms)


@dataclass(frozen=True)
class Figure(Record):
    """A quantitative claim; ``value`` is normalised (56 per cent -> 0.56, £4.8bn -> 4.8e9)."""

    passage_id: str
    text: str
    value: float
    unit: str  # count | percent | ratio | GBP | USD | EUR
    start: int
    end: int
    qualifier: str | None = None  # "more than", "around", "up to", ...
    counted: str | None = None  # the quantified noun: "staff", "patients"; a table's row and column labels
    year: int | None = None
    upper: float | None = None  # the upper bound of a range: "200–300 apprentices" has value 200, upper 300


@dataclass(frozen=True)
class Suggestion(Record):
    """A model's score for one goal of one passage; ``predicted`` marks the goals it assigns.

    ``flagged`` suggestions go to the review queue, ordered by ``priority``; ``reasons`` say why
    (uncertain, disagree, new_for_organisation). ``explanation`` holds the nearest labelled
    examples and the phrases that drove the score, for predicted and flagged goals.
    """

    passage_id: str
    taxonomy: str
    goal: int
    score: float
    predicted: bool
    model: str
    flagged: bool = False
    priority: float | None = None
    reasons: list[str] | None = None
    explanation: dict[str, Any] | None = None


@dataclass(frozen=True)
class Quote(Record):
    """A quoted statement (one paragraph of it); ``start``/``end`` index ``Passage.text``.

    A quote running over several paragraphs gives one record per paragraph, all with the same
    speaker and ``part`` counting 1, 2, ...
    """

    passage_id: str
    text: str
    start: int
    end: int
    speaker: str | None = None
    title: str | None = None
    role: str | None = None
    organisation: str | None = None
    part: int = 1


@dataclass
class Extraction(Record):
    """What the extract stage found in one passage."""

    passage_id: str
    model: str  # provenance: the spaCy pipeline that produced it
    entities: list[Entity] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(
            passage_id=data["passage_id"],
            model=data["model"],
            entities=[Entity.from_dict(e) for e in data.get("entities", [])],
            figures=[Figure.from_dict(f) for f in data.get("figures", [])],
            quotes=[Quote.from_dict(q) for q in data.get("quotes", [])],
        )


# What kind of organisation a document is about (pipeline/evidence/organisation_kind.py): peers
# are compared within a kind. "public body": police, fire services, government departments, agencies.
OrganisationKind = Literal["nhs", "university", "council", "public body", "housing", "charity", "company"]
ORGANISATION_KINDS: tuple[str, ...] = get_args(OrganisationKind)


@dataclass(frozen=True)
class Provenance(Record):
    """Where the nightly ingest found a document (all unknown for local files)."""

    source: str | None = None  # the sources.yaml entry
    organisation: str | None = None  # the organisation that source declares
    organisation_kind: str | None = None  # its kind, where the source declares one (ORGANISATION_KINDS)
    simhash: str | None = None  # near-duplicate fingerprint of the text
    raw_sha256: str | None = None  # the raw response in the raw snapshot store
