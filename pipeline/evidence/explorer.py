"""Reads for the evidence explorer: the evidence that stands (``evidence_index``) filtered by
facets and full-text search, counted by facet, a page at a time.

    query = EvidenceQuery("levelling-up", text="apprentices", goals=(5,), years=(2023,))
    store.evidence_count(query); store.evidence_facets(query); store.evidence_page(query, 20, 0)

Full-text search goes through SQLite FTS5 (``passages_fts``, porter stemming; every word must be
in the passage) or PostgreSQL's ``to_tsvector('english', text) @@ plainto_tsquery(...)`` over a
GIN index: both stem English words, so "apprentices" also finds "apprentice".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, func, select, text

from pipeline.evidence import schema
from pipeline.evidence.base import StoreBase

FACETS = ("goal", "organisation", "organisation_kind", "year", "kind", "source", "figures")  # evidence_index columns counted
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class EvidenceQuery:
    """Which evidence rows: those of ``taxonomy`` matching every filter given (within one filter,
    any of its values); ``text``: words the passage has."""

    taxonomy: str
    text: str = ""
    goals: tuple[int, ...] = ()
    organisations: tuple[str, ...] = ()
    organisation_kinds: tuple[str, ...] = ()  # nhs, university, council, ... (pipeline/evidence/organisation_kind.py)
    years: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()  # the document's kind: html, pdf, txt
    sources: tuple[str, ...] = ()  # model, review, disputed
    figures: bool | None = None  # the passage has figures (True), has none (False), either (None)
    passages: tuple[str, ...] = field(default=())  # only these passages (an organisation's strongest, say)


class ExplorerReads(StoreBase):
    def evidence_count(self, query: EvidenceQuery) -> int:
        """How many evidence rows (passage and goal) match."""
        ix = schema.evidence_index
        return int(self._read(select(func.count()).select_from(ix).where(*self._filters(query)))[0][0])

    def evidence_facets(self, query: EvidenceQuery, facets: tuple[str, ...] = FACETS, *, limit: int = 200) -> dict[str, list[tuple[Any, int]]]:
        """For each facet, its values among the matching rows with their counts, most first (at
        most ``limit`` values each)."""
        ix = schema.evidence_index
        where = self._filters(query)
        found = {}
        for name in facets:
            column = ix.c[name]
            rows = self._read(select(column, func.count().label("n")).where(*where).group_by(column).order_by(func.count().desc(), column).limit(limit))
            found[name] = [(row[0], int(row[1])) for row in rows]
        return found

    def evidence_page(self, query: EvidenceQuery, limit: int, offset: int) -> list[dict[str, Any]]:
        """One page of the matching passages, newest document first: each with its text, document
        (title, url, date, organisation), the goals that stand for it (goal, score, source), its
        entities and figures."""
        ix = schema.evidence_index
        order = [ix.c.year.desc().nulls_last(), ix.c.passage_id.desc()] if self.engine.dialect.name == "postgresql" else [ix.c.year.desc(), ix.c.passage_id.desc()]
        ids = [row[0] for row in self._read(select(ix.c.passage_id, ix.c.year).where(*self._filters(query)).distinct().order_by(*order).limit(limit).offset(offset))]
        return self.evidence_passages(query.taxonomy, ids)

    def evidence_passages(self, taxonomy: str, passage_ids: list[str]) -> list[dict[str, Any]]:
        """These passages, in this order, as ``evidence_page`` gives them."""
        if not passage_ids:
            return []
        p, d, ix, e, f = schema.passages, schema.documents, schema.evidence_index, schema.entities, schema.figures
        rows = {r["passage_id"]: r | {"goals": [], "entities": [], "figures": []} for r in self._dicts(
            select(p.c.id.label("passage_id"), p.c.text, p.c.ordinal, p.c.page, d.c.id.label("document_id"), d.c.title, d.c.url, d.c.date, d.c.organisation, d.c.kind)
            .join(d, d.c.id == p.c.document_id).where(p.c.id.in_(passage_ids))
        )}  # fmt: skip
        for row in self._dicts(select(ix.c.passage_id, ix.c.goal, ix.c.score, ix.c.source).where(ix.c.taxonomy == taxonomy, ix.c.passage_id.in_(passage_ids)).order_by(ix.c.goal)):
            rows[row["passage_id"]]["goals"].append(row)
        for row in self._dicts(select(e.c.passage_id, e.c.label, e.c.text, e.c.start, e.c.end, e.c.canonical, e.c.role).where(e.c.passage_id.in_(passage_ids)).order_by(e.c.start)):
            rows[row["passage_id"]]["entities"].append(row)
        for row in self._dicts(select(f.c.passage_id, f.c.text, f.c.value, f.c.unit, f.c.counted, f.c.year, f.c.start, f.c.end).where(f.c.passage_id.in_(passage_ids)).order_by(f.c.start)):
            rows[row["passage_id"]]["figures"].append(row)
        return [rows[pid] for pid in passage_ids if pid in rows]

    def evidence_keys(self, query: EvidenceQuery, *, limit: int | None = None) -> list[tuple[str, int]]:
        """(passage id, goal) of every matching row (at most ``limit``)."""
        ix = schema.evidence_index
        statement = select(ix.c.passage_id, ix.c.goal).where(*self._filters(query)).order_by(ix.c.passage_id, ix.c.goal)
        return [(row[0], int(row[1])) for row in self._read(statement.limit(limit) if limit is not None else statement)]

    def evidence_crosstab(self, query: EvidenceQuery, first: str, second: str) -> dict[tuple[Any, Any], int]:
        """Matching rows counted by two facets at once ((organisation, goal): n, say)."""
        ix = schema.evidence_index
        a, b = ix.c[first], ix.c[second]
        return {(row[0], row[1]): int(row[2]) for row in self._read(select(a, b, func.count()).where(*self._filters(query)).group_by(a, b))}

    def evidence_strongest(self, query: EvidenceQuery, limit: int) -> list[str]:
        """The matching passages with the highest model score, best first (reviewed rows the model
        did not score last)."""
        ix = schema.evidence_index
        best = func.max(func.coalesce(ix.c.score, -1.0))
        return [row[0] for row in self._read(select(ix.c.passage_id, best).where(*self._filters(query)).group_by(ix.c.passage_id).order_by(best.desc(), ix.c.passage_id).limit(limit))]

    def evidence_figures(self, query: EvidenceQuery, *, limit: int = 30) -> list[dict[str, Any]]:
        """The figures of the matching passages grouped by unit and what they count (the counted
        noun, lower case): how many, their sum, smallest and largest; most mentioned first."""
        ix, f = schema.evidence_index, schema.figures
        counted = func.lower(func.coalesce(f.c.counted, ""))
        matching = select(ix.c.passage_id).where(*self._filters(query)).distinct().subquery()
        statement = (
            select(f.c.unit, counted.label("counted"), func.count().label("n"), func.sum(f.c.value).label("total"), func.min(f.c.value).label("low"), func.max(f.c.value).label("high"))
            .join(matching, matching.c.passage_id == f.c.passage_id)
            .group_by(f.c.unit, counted)
            .order_by(func.count().desc(), f.c.unit, counted)
            .limit(limit)
        )  # fmt: skip
        return self._dicts(statement)

    def _filters(self, query: EvidenceQuery) -> list[ColumnElement[bool]]:
        ix = schema.evidence_index
        where = [ix.c.taxonomy == query.taxonomy]
        for column, values in (("goal", query.goals), ("organisation", query.organisations), ("organisation_kind", query.organisation_kinds), ("year", query.years), ("kind", query.kinds), ("source", query.sources), ("passage_id", query.passages)):
            if values:
                where.append(ix.c[column].in_(list(values)))
        if query.figures is not None:
            where.append(ix.c.figures.is_(query.figures))
        if query.text.strip():
            where.append(self._matching(query.text))
        return where

    def _matching(self, words: str) -> ColumnElement[bool]:
        """Rows whose passage has every word of ``words`` (stemmed); no word at all matches nothing."""
        ix, p = schema.evidence_index, schema.passages
        if self.engine.dialect.name == "postgresql":
            found = select(p.c.id).where(text("to_tsvector('english', passages.text) @@ plainto_tsquery('english', :words)").bindparams(words=words))
            return ix.c.passage_id.in_(found)
        tokens = _WORD.findall(words)
        if not tokens:
            return false()
        phrase = " ".join(f'"{token}"' for token in tokens)  # each word quoted: no FTS5 operators from the user
        found = select(p.c.id).where(text("passages.rowid IN (SELECT rowid FROM passages_fts WHERE passages_fts MATCH :phrase)").bindparams(phrase=phrase))
        return ix.c.passage_id.in_(found)
