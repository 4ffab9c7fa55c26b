"""Reads of documents, passages and what was found in them (entities, figures, quotes,
suggestions), and of the fetch log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from pipeline.evidence import schema
from pipeline.evidence.base import StoreBase
from pipeline.evidence.transaction import chunks
from pipeline.extract.gazetteer import Gazetteer, load_gazetteer, normalise_name

TABLES = ("documents", "passages", "entities", "figures", "quotes", "suggestions", "reviews", "runs")
GOOD_FETCHES = ("new", "changed", "unchanged", "duplicate")


@dataclass(frozen=True)
class IndexedDocument:
    id: str
    url: str
    content_hash: str
    simhash: str | None


def _passage_columns() -> list[Any]:
    """Every column of ``passages``, ``table_rows`` read as ``table`` (as ``Passage.table``)."""
    p = schema.passages
    return [column.label("table") if column.name == "table_rows" else column for column in p.columns]


class DocumentReads(StoreBase):
    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self._connect() as connection:
            return {
                name: connection.execute(select(func.count()).select_from(schema.metadata.tables[name])).scalar_one()
                for name in TABLES
            }

    def document_hashes(self) -> dict[str, str]:
        """Content hash of every stored document, by id: tells new and changed from unchanged."""
        d = schema.documents
        return {row.id: row.content_hash for row in self._read(select(d.c.id, d.c.content_hash))}

    def document_index(self) -> list[IndexedDocument]:
        """Id, URL, content hash and fingerprint of every stored document (for deduplication)."""
        d = schema.documents
        rows = self._read(select(d.c.id, d.c.url, d.c.content_hash, d.c.simhash))
        return [IndexedDocument(r.id, r.url, r.content_hash, r.simhash) for r in rows]

    def last_fetches(self, urls: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """(ETag, Last-Modified) of each URL's latest good fetch, for conditional requests."""
        if not urls:
            return {}
        f = schema.fetches
        rows = self._read(
            select(f.c.url, f.c.etag, f.c.last_modified, f.c.id)
            .where(f.c.url.in_(list(urls)), f.c.outcome.in_(GOOD_FETCHES))
            .order_by(f.c.id)
        )
        return {row.url: (row.etag, row.last_modified) for row in rows if row.etag or row.last_modified}

    def fetched_urls(self, urls: Sequence[str]) -> set[str]:
        """Those of ``urls`` the fetch log has any line for (whatever came of it)."""
        if not urls:
            return set()
        f = schema.fetches
        return {row.url for chunk in chunks(urls) for row in self._read(select(f.c.url).where(f.c.url.in_(chunk)).distinct())}

    def organisations(self) -> list[str]:
        """Every organisation some document is about, alphabetically."""
        d = schema.documents
        statement = select(d.c.organisation).where(d.c.organisation.is_not(None)).distinct().order_by(d.c.organisation)
        return [row.organisation for row in self._read(statement)]

    def organisation_kinds(self) -> dict[str, str]:
        """Each organisation's kind (pipeline/evidence/organisation_kind.py): the kind most of its
        documents have, so one odd document does not move it."""
        d = schema.documents
        statement = (
            select(d.c.organisation, d.c.organisation_kind, func.count().label("n"))
            .where(d.c.organisation.is_not(None), d.c.organisation_kind.is_not(None))
            .group_by(d.c.organisation, d.c.organisation_kind)
            .order_by(d.c.organisation, func.count().desc(), d.c.organisation_kind)
        )
        kinds: dict[str, str] = {}
        for row in self._read(statement):
            kinds.setdefault(row.organisation, row.organisation_kind)
        return kinds

    def resolve_organisation(self, name: str, gazetteer: Gazetteer | None = None) -> str | None:
        """The stored organisation ``name`` stands for, or None: the name itself, the same name
        written differently ("the kings trust"), a known alias or former name in the gazetteer
        ("BMBC", "Barnsley Metropolitan Borough Council" -> "Barnsley Council"), or the one
        stored organisation whose name begins with it ("Barnsley" -> "Barnsley Council")."""
        stored = self.organisations()
        if name in stored:
            return name
        gazetteer = gazetteer or load_gazetteer()
        by_form = {normalise_name(organisation): organisation for organisation in stored}
        key = normalise_name(name)
        if key in by_form:
            return by_form[key]
        known = gazetteer.canonical(name)
        if known is not None:
            same = [o for o in stored if normalise_name(o) == normalise_name(known) or gazetteer.canonical(o) == known]
            if same:
                return same[0]
        beginning = [o for o in stored if normalise_name(o).startswith(key + " ")] if key else []
        return beginning[0] if len(beginning) == 1 else None

    def documents_of(self, organisation: str) -> list[dict[str, Any]]:
        """Id and date of each document about ``organisation``."""
        d = schema.documents
        return self._dicts(select(d.c.id, d.c.date).where(d.c.organisation == organisation))

    def passage(self, passage_id: str) -> dict[str, Any] | None:
        """A passage's columns (its rows as ``table``) with its document's url, title, date,
        organisation and sitename."""
        p, d = schema.passages, schema.documents
        rows = self._dicts(
            select(*_passage_columns(), d.c.url, d.c.title, d.c.date, d.c.organisation, d.c.sitename)
            .join(d, d.c.id == p.c.document_id)
            .where(p.c.id == passage_id)
        )
        return rows[0] if rows else None

    def neighbours(self, passage_id: str, document_id: str, ordinal: int, span: int = 2) -> list[dict[str, Any]]:
        """Id, ordinal, text and ``table`` of the passages up to ``span`` either side of one, in order."""
        p = schema.passages
        return self._dicts(
            select(p.c.id, p.c.ordinal, p.c.text, p.c.table_rows.label("table"))
            .where(p.c.document_id == document_id, p.c.ordinal.between(ordinal - span, ordinal + span), p.c.id != passage_id)
            .order_by(p.c.ordinal)
        )

    def passages_with_documents(self, passage_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """By passage id: id, text, ``table``, ordinal, page, and the document's url, title and date."""
        p, d = schema.passages, schema.documents
        rows = self._dicts_for(
            lambda ids: select(p.c.id, p.c.text, p.c.table_rows.label("table"), p.c.ordinal, p.c.page, d.c.url, d.c.title, d.c.date)
            .join(d, d.c.id == p.c.document_id)
            .where(p.c.id.in_(ids)),
            passage_ids,
        )
        return {row["id"]: row for row in rows}

    def entities(self, passage_ids: Sequence[str], *, label: str | None = None) -> list[dict[str, Any]]:
        """Entity rows of the passages (of one ``label`` if given), by position in the passage."""
        e = schema.entities
        labelled = (e.c.label == label,) if label is not None else ()
        return self._dicts_for(lambda ids: select(e).where(e.c.passage_id.in_(ids), *labelled), passage_ids, lambda row: (row["start"], row["end"], row["id"]))

    def figures(self, passage_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Figure rows of the passages, by position in the passage."""
        f = schema.figures
        return self._dicts_for(lambda ids: select(f).where(f.c.passage_id.in_(ids)), passage_ids, lambda row: (row["start"], row["end"], row["id"]))

    def quotes(self, passage_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Quote rows of the passages, by position in the passage."""
        q = schema.quotes
        return self._dicts_for(lambda ids: select(q).where(q.c.passage_id.in_(ids)), passage_ids, lambda row: (row["start"], row["part"], row["id"]))

    def quotes_of(self, organisation: str) -> list[dict[str, Any]]:
        """Quote rows of every passage of ``organisation``'s documents, in reading order (document,
        passage, position), each with its passage's ``document_id`` and ``ordinal``: a report's
        foreword picks its leaders' words from them, and joins a quote that runs on into the
        next passage."""
        q, p, d = schema.quotes, schema.passages, schema.documents
        statement = (
            select(q, p.c.document_id, p.c.ordinal)
            .join(p, p.c.id == q.c.passage_id)
            .join(d, d.c.id == p.c.document_id)
            .where(d.c.organisation == organisation)
            .order_by(d.c.date, d.c.id, p.c.ordinal, q.c.start, q.c.part, q.c.id)
        )
        return self._dicts(statement)

    def found_in(self, organisation: str, table: str, *, label: str | None = None) -> list[dict[str, Any]]:
        """Rows of ``table`` ("figures" or "entities", of one ``label`` if given) found in any
        passage of ``organisation``'s documents, in reading order, each with its passage's
        ``passage_text``, ``ordinal`` and ``page`` and its document's ``document_id``, ``url``, ``document_title``
        and ``date``: what a report's profile of the organisation (its size, the places it names)
        is read from, wherever in its documents it is said."""
        found = {"figures": schema.figures, "entities": schema.entities}[table]
        p, d = schema.passages, schema.documents
        labelled = (found.c.label == label,) if label is not None and table == "entities" else ()
        statement = (
            select(found, p.c.text.label("passage_text"), p.c.ordinal, p.c.page, d.c.id.label("document_id"), d.c.url, d.c.title.label("document_title"), d.c.date)
            .join(p, p.c.id == found.c.passage_id)
            .join(d, d.c.id == p.c.document_id)
            .where(d.c.organisation == organisation, *labelled)
            .order_by(d.c.date, d.c.id, p.c.ordinal, found.c.start, found.c.id)
        )
        return self._dicts(statement)

    def suggestions(self, passage_ids: Sequence[str], taxonomy: str) -> list[dict[str, Any]]:
        """Suggestion rows of the passages for ``taxonomy``, highest score first (ties by goal:
        the same order on every database)."""
        s = schema.suggestions
        return self._dicts_for(
            lambda ids: select(s).where(s.c.passage_id.in_(ids), s.c.taxonomy == taxonomy), passage_ids, lambda row: (-row["score"], row["goal"])
        )

    def tagged_with(self, taxonomy: str, model: str) -> set[str]:
        """Ids of documents whose every passage (but those stored unprocessed, past the
        per-document cap) has suggestions of ``model`` for ``taxonomy``."""
        p, s = schema.passages, schema.suggestions
        untagged = (
            select(p.c.document_id)
            .outerjoin(s, (s.c.passage_id == p.c.id) & (s.c.taxonomy == taxonomy) & (s.c.model == model))
            .where(s.c.id.is_(None), p.c.unprocessed.is_(False))  # passages past the cap are never tagged
        )
        all_docs = {row.document_id for row in self._read(select(p.c.document_id).distinct())}
        return all_docs - {row.document_id for row in self._read(untagged)}

    def flagged_suggestions(
        self,
        taxonomy: str,
        *,
        organisation: str | None = None,
        goal: int | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> list[dict[str, Any]]:
        """Flagged suggestions of ``taxonomy`` with their passage and document, filtered by the
        document's organisation, the goal, the document's site or URL (a substring), and the
        document's date (ISO, inclusive)."""
        s, p, d = schema.suggestions, schema.passages, schema.documents
        statement = (
            select(p.c.id.label("passage_id"), p.c.text, p.c.table_rows.label("table"), s.c.goal, s.c.priority, s.c.reasons, d.c.title, d.c.organisation, d.c.date)
            .join(p, p.c.id == s.c.passage_id)
            .join(d, d.c.id == p.c.document_id)
            .where(s.c.taxonomy == taxonomy, s.c.flagged.is_(True))
        )
        if organisation:
            statement = statement.where(d.c.organisation == organisation)
        if goal is not None:
            statement = statement.where(s.c.goal == goal)
        if source:
            statement = statement.where(or_(d.c.sitename.ilike(f"%{source}%"), d.c.url.ilike(f"%{source}%")))
        day = func.substr(d.c.date, 1, 10)
        if date_from:
            statement = statement.where(and_(d.c.date.is_not(None), day >= date_from))
        if date_to:
            statement = statement.where(and_(d.c.date.is_not(None), day <= date_to))
        return self._dicts(statement)

    def runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first: command, start, end, status, counts, failures, pid, host."""
        r = schema.runs
        return self._dicts(select(r).order_by(r.c.started_at, r.c.id))

    def flagged_passages(self, taxonomy: str) -> set[str]:
        """Ids of passages with at least one flagged suggestion of ``taxonomy``."""
        s = schema.suggestions
        statement = select(s.c.passage_id).where(s.c.taxonomy == taxonomy, s.c.flagged.is_(True)).distinct()
        return {row.passage_id for row in self._read(statement)}
