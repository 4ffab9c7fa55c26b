"""The store stage: upserts into the evidence database (SQLite by default, PostgreSQL by URL).

Every write is keyed by a content-derived id, so storing the same records twice changes nothing.

    store = Store.open("sqlite:///data/evidence.db")    # migrates to the latest schema
    with store.transaction() as tx:
        tx.save_document(document, passages)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from pipeline.errors import StoreError
from pipeline.evidence import migrate, schema
from pipeline.ids import stable_id
from pipeline.records import Document, Extraction, Passage, Provenance, Record, Suggestion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexedDocument:
    id: str
    url: str
    content_hash: str
    simhash: str | None


@dataclass(frozen=True)
class FetchLog(Record):
    """One fetch as the log keeps it."""

    url: str
    source: str
    run_id: str
    outcome: str  # new | changed | unchanged | duplicate | failed
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    raw_sha256: str | None = None
    document_id: str | None = None
    error: str | None = None

TABLES = ("documents", "passages", "entities", "figures", "quotes", "suggestions", "reviews", "runs")


def now() -> datetime:
    return datetime.now(UTC)


class Store:
    """A migrated evidence database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect and migrate to the latest schema; a bad URL or unwritable file is a ``StoreError``."""
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"'{url}' is not a database URL; use e.g. sqlite:///data/evidence.db or postgresql://…") from exc
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {parsed.database}: {exc.strerror}; check the --db path") from exc
        try:
            engine = create_engine(parsed)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use database URL '{url}': {exc}") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        try:
            migrate.upgrade(engine)
        except OperationalError as exc:
            raise StoreError(f"cannot open database {parsed.render_as_string(hide_password=True)}: {exc.orig}") from exc
        return cls(engine)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All writes inside commit together, or not at all."""
        try:
            with self.engine.begin() as connection:
                yield Transaction(connection)
        except SQLAlchemyError as exc:
            raise StoreError(f"database write failed and was rolled back: {exc.__class__.__name__}: {exc}") from exc

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return {
                name: connection.execute(select(func.count()).select_from(schema.metadata.tables[name])).scalar_one()
                for name in TABLES
            }

    def document_hashes(self) -> dict[str, str]:
        """Content hash of every stored document, by id: tells new and changed from unchanged."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.documents.c.id, schema.documents.c.content_hash))
            return {document_id: content_hash for document_id, content_hash in rows}

    def tagged_with(self, taxonomy: str, model: str) -> set[str]:
        """Ids of documents whose every passage has suggestions of ``model`` for ``taxonomy``."""
        p, s = schema.passages, schema.suggestions
        untagged = (
            select(p.c.document_id)
            .outerjoin(s, (s.c.passage_id == p.c.id) & (s.c.taxonomy == taxonomy) & (s.c.model == model))
            .where(s.c.id.is_(None))
        )
        with self.engine.connect() as connection:
            all_docs = set(connection.execute(select(p.c.document_id).distinct()).scalars())
            return all_docs - set(connection.execute(untagged).scalars())

    def reviews(self, taxonomy: str) -> list[dict[str, Any]]:
        """Every review row of a taxonomy, oldest first (undo rows included)."""
        r = schema.reviews
        return [dict(row._mapping) for row in self._read(select(r).where(r.c.taxonomy == taxonomy).order_by(r.c.created_at, r.c.id))]

    def reviewed_labels(self, taxonomy: str) -> list[tuple[str, list[int]]]:
        """Training labels from staff reviews: per passage, the goals of its latest effective
        accept, change or "no goal" decision (see ``pipeline.review.queue`` for what each means)."""
        return training_labels(effective_reviews(self.reviews(taxonomy)))

    def goals_by_organisation(self, taxonomy: str) -> dict[str, set[int]]:
        """The goals each organisation already has evidence for: predicted by a model or set by a reviewer."""
        d, p, s, r = schema.documents, schema.passages, schema.suggestions, schema.reviews
        known: dict[str, set[int]] = {}
        predicted = (
            select(d.c.organisation, s.c.goal)
            .join(p, p.c.document_id == d.c.id)
            .join(s, s.c.passage_id == p.c.id)
            .where(s.c.taxonomy == taxonomy, s.c.predicted.is_(True), d.c.organisation.is_not(None))
            .distinct()
        )
        for organisation, goal in self._read(predicted):
            known.setdefault(organisation, set()).add(int(goal))
        labelled = {r["id"] for r in effective_reviews(self.reviews(taxonomy)) if r["decision"] in LABELLING_DECISIONS}
        reviewed = (
            select(d.c.organisation, r.c.id, r.c.goals_after)
            .join(p, p.c.document_id == d.c.id)
            .join(r, r.c.passage_id == p.c.id)
            .where(r.c.taxonomy == taxonomy, d.c.organisation.is_not(None))
        )
        for organisation, review_id, goals in self._read(reviewed):
            if review_id in labelled:
                known.setdefault(organisation, set()).update(int(g) for g in goals or [])
        return known

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
            .where(f.c.url.in_(list(urls)), f.c.outcome.in_(("new", "changed", "unchanged", "duplicate")))
            .order_by(f.c.id)
        )
        return {row.url: (row.etag, row.last_modified) for row in rows if row.etag or row.last_modified}

    def _read(self, statement: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(statement))

    def dispose(self) -> None:
        self.engine.dispose()


LABELLING_DECISIONS = ("accept", "change", "no_goal")  # reviews that give a full training label


def effective_reviews(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Review rows that stand: not an undo, and not taken back by one."""
    undone = {row["undoes"] for row in rows if row["decision"] == "undo"}
    return [row for row in rows if row["decision"] != "undo" and row["id"] not in undone]


def training_labels(rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    """(text, goals) per passage from its latest labelling decision among ``rows``."""
    latest: dict[str, tuple[str, list[int]]] = {}
    for row in sorted(rows, key=lambda r: (r["created_at"], r["id"])):
        if row["decision"] in LABELLING_DECISIONS:
            latest[row["passage_id"]] = (row["passage_text"], sorted({int(g) for g in row["goals_after"] or []}))
    return list(latest.values())


class Transaction:
    """Write operations on one open transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def save_document(
        self,
        document: Document,
        passages: Sequence[Passage],
        *,
        run_id: str | None = None,
        organisation: str | None = None,
        provenance: Provenance | None = None,
    ) -> None:
        """Upsert a document and make its passages exactly ``passages``.

        ``organisation`` is who the document is about (worked out by the workflow); provenance
        fields left unknown keep what an earlier ingest stored. Passages of an earlier version
        that are gone are deleted with their entities, figures and suggestions; reviews are kept
        (they hold their own copy of the text).
        """
        found = {k: v for k, v in (provenance or Provenance()).to_dict().items() if v is not None and k != "organisation"}
        row = document.to_dict() | {"collected_at": now(), "run_id": run_id, "organisation": organisation} | found
        _upsert(self.connection, schema.documents, [row], ["id"])
        keep = [p.id for p in passages]
        self.connection.execute(
            delete(schema.passages).where(
                schema.passages.c.document_id == document.id, schema.passages.c.id.not_in(keep)
            )
        )
        _upsert(self.connection, schema.passages, [p.to_dict() for p in passages], ["id"])

    def save_extractions(self, extractions: Sequence[Extraction]) -> None:
        """Replace the entities, figures and quotes of each passage with the new ones."""
        ids = [x.passage_id for x in extractions]
        for table in (schema.entities, schema.figures, schema.quotes):
            self.connection.execute(delete(table).where(table.c.passage_id.in_(ids)))
        entity_rows = [
            e.to_dict() | {"id": stable_id("entity", e.passage_id, e.label, e.start, e.end), "model": x.model}
            for x in extractions
            for e in x.entities
        ]
        figure_rows = [
            f.to_dict() | {"id": stable_id("figure", f.passage_id, f.start, f.end), "model": x.model}
            for x in extractions
            for f in x.figures
        ]
        quote_rows = [
            q.to_dict() | {"id": stable_id("quote", q.passage_id, q.start, q.end), "model": x.model}
            for x in extractions
            for q in x.quotes
        ]
        _insert(self.connection, schema.entities, entity_rows)
        _insert(self.connection, schema.figures, figure_rows)
        _insert(self.connection, schema.quotes, quote_rows)

    def save_suggestions(self, suggestions: Iterable[Suggestion], *, run_id: str | None = None) -> None:
        rows = [
            s.to_dict() | {"id": stable_id("suggestion", s.passage_id, s.taxonomy, s.goal), "created_at": now(), "run_id": run_id}
            for s in suggestions
        ]
        _upsert(self.connection, schema.suggestions, rows, ["id"])

    def add_alias(self, document_id: str, url: str) -> None:
        """Record that ``url`` serves the same (or a near-identical) document."""
        d = schema.documents
        row = self.connection.execute(select(d.c.url, d.c.also_at).where(d.c.id == document_id)).first()
        if row is None:
            return
        also = list(row.also_at or [])
        if url != row.url and url not in also:
            self.connection.execute(update(d).where(d.c.id == document_id).values(also_at=[*also, url]))

    def log_fetch(self, fetch: FetchLog) -> None:
        """Append one line to the fetch log (what was asked, what came back, what it became)."""
        self.connection.execute(insert(schema.fetches).values(**fetch.to_dict(), fetched_at=now()))

    def start_run(self, command: str) -> str:
        run_id = stable_id("run", command, now().isoformat())
        self.connection.execute(
            schema.runs.insert().values(id=run_id, command=command, started_at=now(), status="running")
        )
        return run_id

    def finish_run(self, run_id: str, *, status: str, counts: dict[str, int], failures: list[dict[str, str]]) -> None:
        self.connection.execute(
            update(schema.runs)
            .where(schema.runs.c.id == run_id)
            .values(finished_at=now(), status=status, counts=counts, failures=failures)
        )


def _upsert(connection: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise StoreError(f"database '{connection.dialect.name}' is not supported; use SQLite or PostgreSQL")
    statement = insert(table)
    columns = [c.name for c in table.columns if c.name not in keys and c.name in rows[0]]
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in columns}
    )
    connection.execute(statement, [_row_for(table, row) for row in rows])


def _insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(table.insert(), [_row_for(table, row) for row in rows])


def _row_for(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key in table.columns}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # cascades from documents to passages to entities
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the review app) never block a run
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
