"""Reads for the evidence explorer: the evidence that stands (``evidence_index``) filtered by
facets and full-text search, counted by facet, a page at a time.

    query = EvidenceQuery("levelling-up", text="apprentices", goals=(5,), years=(2023,))
    store.evidence_count(query); store.evidence_facets(query); store.evidence_page(query, 20, 0)

Full-text search goes through SQLite FTS5 (``passages_fts``, porter stemming; every word must be
in the passage) or PostgreSQL's ``text_search @@ plainto_tsquery(...)``, ``text_search`` being a
stored ``to_tsvector('english', text)`` column with a GIN index (migration 0014): both stem
English words, so "apprentices" also finds "apprentice". Either way the database answers with the
matching passages' integer ``rowid`` (SQLite's own; on PostgreSQL an identity column, migration
0015), which the snapshot holds beside each row.

Filters, counts and pages work on a copy of the taxonomy's ``evidence_index`` in memory (a
``Snapshot``: facet counts over 200,000 passages in milliseconds instead of seconds of GROUP BY),
reloaded whenever ``evidence_index_version`` says the index changed; the full-text matches and
each page's passages, goals, entities and figures are read from the database.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, false, func, literal_column, select, text

from pipeline.evidence import evidence_index, schema
from pipeline.evidence.base import StoreBase

log = logging.getLogger(__name__)
HITS_KEPT = 32  # full-text matches kept (each a byte per evidence row)
SYNC_LOAD_S = 0.25  # a snapshot that loads faster than this is reloaded before answering, a slower one in the background

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


@dataclass
class Snapshot:
    """``evidence_index`` of one taxonomy in memory, in page order (newest document first): facet
    counts over 200,000 passages take milliseconds here and seconds in SQL. ``version`` is the
    index version it was read at (``evidence_index.version``)."""

    version: int
    rows: pd.DataFrame
    seconds: float  # how long it took to load


class ExplorerReads(StoreBase):
    _snapshots: dict[str, Snapshot]
    _snapshot_lock: threading.Lock
    _hits: dict[tuple[str, int, str], np.ndarray]  # (taxonomy, snapshot version, words) -> rows matched

    def evidence_count(self, query: EvidenceQuery) -> int:
        """How many evidence rows (passage and goal) match."""
        return int(self._mask(query)[1].sum())

    def evidence_facets(self, query: EvidenceQuery, facets: tuple[str, ...] = FACETS, *, limit: int = 200) -> dict[str, list[tuple[Any, int]]]:
        """For each facet, its values among the matching rows with their counts, most first (at
        most ``limit`` values each)."""
        rows, mask = self._mask(query)
        found = {}
        for name in facets:
            counts = rows[name][mask].value_counts(dropna=False, sort=False)
            values = [(_plain(value), int(n)) for value, n in counts.items() if n]
            found[name] = sorted(values, key=lambda item: (-item[1], item[0] is None, item[0] if item[0] is not None else 0))[:limit]
        return found

    def evidence_page(self, query: EvidenceQuery, limit: int, offset: int) -> list[dict[str, Any]]:
        """One page of the matching passages, newest document first: each with its text, document
        (title, url, date, organisation), the goals that stand for it (goal, score, source), its
        entities and figures."""
        rows, mask = self._mask(query)
        positions = np.flatnonzero(mask)  # the ids of only the rows needed (all 190,000 as an array: some 20 ms)
        wanted = offset + limit
        head = pd.unique(rows["passage_id"].iloc[positions[: wanted * 16]].to_numpy())  # a passage has at most 14 goals: enough rows in most cases
        if len(head) < wanted:
            head = pd.unique(rows["passage_id"].iloc[positions].to_numpy())
        return self.evidence_passages(query.taxonomy, [str(pid) for pid in head[offset:wanted]])

    def evidence_crosstab(self, query: EvidenceQuery, first: str, second: str) -> dict[tuple[Any, Any], int]:
        """Matching rows counted by two facets at once ((organisation, goal): n, say)."""
        rows, mask = self._mask(query)
        counts = rows[mask].groupby([first, second], observed=True, dropna=False).size()
        counts = counts[counts.to_numpy() > 0]
        # a column of values at a time, not a (value, value) tuple of numpy scalars a cell: the
        # coalition page's 7,000 organisation and goal pairs took some 20 ms that way
        keys = zip(_plain_values(counts.index.get_level_values(0)), _plain_values(counts.index.get_level_values(1)), strict=True)
        return dict(zip(keys, counts.to_numpy().tolist(), strict=True))

    def evidence_strongest_by_goal(self, query: EvidenceQuery, limit: int) -> dict[int, list[str]]:
        """For each goal of the matching rows, its passages with the highest model score, best
        first (reviewed rows the model did not score last), at most ``limit``: one pass over the
        matches, not one per goal (an organisation's page asked 14 times, each a filter of the
        whole snapshot: 150 of its 200 ms)."""
        rows, mask = self._mask(query)
        found = rows.loc[mask, ["goal", "passage_id", "score"]]
        best = found.assign(best=found["score"].fillna(-1.0)).groupby(["goal", "passage_id"], observed=True)["best"].max().reset_index()
        ordered = best.sort_values(["goal", "best", "passage_id"], ascending=[True, False, True])
        return {int(goal): [str(pid) for pid in group["passage_id"].head(limit)] for goal, group in ordered.groupby("goal", sort=True)}

    def evidence_keys(self, query: EvidenceQuery, *, limit: int | None = None) -> list[tuple[str, int]]:
        """(passage id, goal) of every matching row (at most ``limit``), by passage and goal."""
        rows, mask = self._mask(query)
        keys = sorted(zip(rows["passage_id"].to_numpy()[mask].tolist(), rows["goal"].to_numpy()[mask].tolist(), strict=True))
        return [(str(pid), int(goal)) for pid, goal in (keys[:limit] if limit is not None else keys)]

    def evidence_passages(self, taxonomy: str, passage_ids: list[str]) -> list[dict[str, Any]]:
        """These passages, in this order, as ``evidence_page`` gives them."""
        if not passage_ids:
            return []
        p, d, ix, e, f = schema.passages, schema.documents, schema.evidence_index, schema.entities, schema.figures
        rows = {r["passage_id"]: r | {"goals": [], "entities": [], "figures": []} for r in self._dicts(
            select(p.c.id.label("passage_id"), p.c.text, p.c.ordinal, p.c.page, d.c.id.label("document_id"), d.c.title, d.c.url, d.c.date, d.c.organisation, d.c.kind)
            .join(d, d.c.id == p.c.document_id).where(p.c.id.in_(passage_ids))
        )}  # fmt: skip
        # sorted here, not by ORDER BY: SQLite would then walk a goal index over the whole table
        # instead of looking the few passages up by id
        for key, order, statement in (
            ("goals", "goal", select(ix.c.passage_id, ix.c.goal, ix.c.score, ix.c.source).where(ix.c.taxonomy == taxonomy, ix.c.passage_id.in_(passage_ids))),
            ("entities", "start", select(e.c.passage_id, e.c.label, e.c.text, e.c.start, e.c.end, e.c.canonical, e.c.role).where(e.c.passage_id.in_(passage_ids))),
            ("figures", "start", select(f.c.passage_id, f.c.text, f.c.value, f.c.unit, f.c.counted, f.c.year, f.c.start, f.c.end).where(f.c.passage_id.in_(passage_ids))),
        ):
            for row in sorted(self._dicts(statement), key=itemgetter(order)):
                rows[row["passage_id"]][key].append(row)
        return [rows[pid] for pid in passage_ids if pid in rows]

    def _mask(self, query: EvidenceQuery) -> tuple[pd.DataFrame, np.ndarray]:
        """The taxonomy's snapshot and which of its rows match ``query``."""
        snapshot = self._snapshot(query.taxonomy)
        rows = snapshot.rows
        mask = np.ones(len(rows), dtype=bool)
        for column, values in (("goal", query.goals), ("organisation", query.organisations), ("organisation_kind", query.organisation_kinds), ("year", query.years), ("kind", query.kinds), ("source", query.sources), ("passage_id", query.passages)):
            if values:
                mask &= rows[column].isin(list(values)).to_numpy()
        if query.figures is not None:
            mask &= rows["figures"].to_numpy() == query.figures
        if query.text.strip() and mask.any():
            mask &= self._cached_hits(snapshot, query.taxonomy, query.text)
        return rows, mask

    def _cached_hits(self, snapshot: Snapshot, taxonomy: str, words: str) -> np.ndarray:
        """``_text_hits``, kept for the few latest searches of this snapshot: a page counts, facets
        and lists the same matches, and narrowing by a facet or turning a page searches again."""
        key = (taxonomy, snapshot.version, " ".join(words.split()))
        found = self._hits.get(key)
        if found is None:
            if len(self._hits) >= HITS_KEPT:
                self._hits.clear()
            found = self._hits[key] = self._text_hits(snapshot.rows, words)
        return found

    def _text_hits(self, rows: pd.DataFrame, words: str) -> np.ndarray:
        """Which snapshot rows' passages have every word of ``words`` (stemmed); no word at all matches nothing."""
        hits = self._matching_rowids(words)
        rowids = rows["rowid"].to_numpy()
        if not len(hits) or not len(rowids):
            return np.zeros(len(rows), dtype=bool)
        matched = np.zeros(max(int(rowids.max()), int(hits.max())) + 1, dtype=bool)  # a lookup by rowid: no sorting
        matched[hits] = True
        return matched[rowids]

    def _matching_rowids(self, words: str) -> np.ndarray:
        """The ``rowid`` of every passage with every word of ``words``, as integers (SQLite's
        rowid, PostgreSQL's identity column from migration 0015): one value from the database, not
        a row per passage, and no passage ids as text (190,000 of them, then a set lookup per
        evidence row, took some 70 ms of a search for a word in most passages)."""
        if self.engine.dialect.name == "postgresql":
            # each rowid as 8 bytes, big-endian (int8send), all in one bytea
            statement = text(
                "SELECT string_agg(int8send(rowid), ''::bytea) FROM passages WHERE passages.text_search @@ plainto_tsquery('english', :words)"
            ).bindparams(words=words)
            found = self._read(statement)[0][0]
            return np.frombuffer(found, dtype=">i8").astype(np.int64) if found else np.zeros(0, dtype=np.int64)
        tokens = _WORD.findall(words)
        if not tokens:
            return np.zeros(0, dtype=np.int64)
        phrase = " ".join(f'"{token}"' for token in tokens)  # each word quoted: no FTS5 operators from the user
        # one comma-separated text of rowids, not a row each: 200,000 matches in about 60 ms, not 180
        statement = text("SELECT group_concat(rowid) FROM passages_fts WHERE passages_fts MATCH :phrase").bindparams(phrase=phrase)
        found = self._read(statement)[0][0]
        # fromstring parses the integers in C: 3 ms for 200,000, against 40 for split and np.array
        return np.fromstring(found, dtype=np.int64, sep=",") if found else np.zeros(0, dtype=np.int64)

    def _snapshot(self, taxonomy: str) -> Snapshot:
        """The taxonomy's snapshot, reloaded when the index has changed since it was read: at once
        when a load is quick (under ``SYNC_LOAD_S``), else in the background while the old one
        keeps serving (about a second at 200,000 passages)."""
        if not hasattr(self, "_snapshots"):
            self._snapshots, self._snapshot_lock, self._hits = {}, threading.Lock(), {}
        with self._connect() as connection:
            current = evidence_index.version(connection)
        held = self._snapshots.get(taxonomy)
        if held is not None and held.version == current:
            return held
        if held is None or held.seconds < SYNC_LOAD_S:
            with self._snapshot_lock:
                self._snapshots[taxonomy] = self._load(taxonomy)
            return self._snapshots[taxonomy]
        if self._snapshot_lock.acquire(blocking=False):
            threading.Thread(target=self._reload, args=(taxonomy,), daemon=True).start()
        return held

    def _reload(self, taxonomy: str) -> None:
        try:
            self._snapshots[taxonomy] = self._load(taxonomy)
        except Exception:  # a failed background load: the old snapshot keeps serving, the next request tries again
            log.exception("reloading the evidence explorer's snapshot failed")
        finally:
            self._snapshot_lock.release()

    def _load(self, taxonomy: str) -> Snapshot:
        started = time.perf_counter()
        ix, p = schema.evidence_index, schema.passages
        rowid: ColumnElement[int] = literal_column("passages.rowid")  # SQLite's own; on PostgreSQL an identity column (migration 0015)
        with self._connect() as connection:
            version = evidence_index.version(connection)
            statement = select(ix.c.passage_id, rowid.label("rowid"), *(ix.c[name] for name in FACETS), ix.c.score).join(p, p.c.id == ix.c.passage_id).where(ix.c.taxonomy == taxonomy)
            rows = pd.DataFrame([tuple(row) for row in connection.execute(statement)], columns=["passage_id", "rowid", *FACETS, "score"])
        for name in ("organisation", "organisation_kind", "kind", "source"):
            rows[name] = rows[name].astype("category")
        rows["goal"] = rows["goal"].astype("int16")
        rows["year"] = rows["year"].astype("Int32")
        rows["figures"] = rows["figures"].astype(bool)
        rows["rowid"] = rows["rowid"].astype("int64")
        rows["score"] = rows["score"].astype("float64")
        rows = rows.sort_values(["year", "passage_id", "goal"], ascending=[False, False, True], na_position="last", ignore_index=True)
        return Snapshot(version, rows, time.perf_counter() - started)

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
            found = select(p.c.id).where(text("passages.text_search @@ plainto_tsquery('english', :words)").bindparams(words=words))
            return ix.c.passage_id.in_(found)
        tokens = _WORD.findall(words)
        if not tokens:
            return false()
        phrase = " ".join(f'"{token}"' for token in tokens)  # each word quoted: no FTS5 operators from the user
        found = select(p.c.id).where(text("passages.rowid IN (SELECT rowid FROM passages_fts WHERE passages_fts MATCH :phrase)").bindparams(phrase=phrase))
        return ix.c.passage_id.in_(found)


def _plain(value: Any) -> Any:
    """A pandas value as a plain Python one (None for a missing one)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _plain_values(values: pd.Index) -> list[Any]:
    """An index's values as plain Python ones (None for a missing one), as ``_plain`` gives each
    (``Index.to_list`` gives Python scalars)."""
    return [None if gone else value for value, gone in zip(values.to_list(), values.isna().tolist(), strict=True)]
