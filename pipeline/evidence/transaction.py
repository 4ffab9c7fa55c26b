"""Writes: one ``Transaction`` per unit of work, so its writes commit together or not at all.

Every write is keyed by a content-derived id, so storing the same records twice changes nothing.

    with store.transaction() as tx:
        tx.save_document(document, passages)
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, delete, insert, select, update

from pipeline.errors import StoreError
from pipeline.evidence import evidence_index, schema
from pipeline.evidence.organisation_kind import organisation_kind
from pipeline.evidence.runs import mark_interrupted, this_host
from pipeline.evidence.standing import drop_from_queue, refresh_queue
from pipeline.ids import stable_id
from pipeline.records import Document, Extraction, Passage, Provenance, Record, Suggestion


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

# Rows per write statement and ids per IN (...) list: a statement's bind parameters stay far below
# SQLite's 32,766 and PostgreSQL's 65,535 however many passages one document has, and the rows of
# a 100,000-passage document are built a chunk at a time instead of all at once.
CHUNK = 1000

T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, in order."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def now() -> datetime:
    return datetime.now(UTC)


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
        unprocessed: Collection[str] = (),
    ) -> None:
        """Upsert a document and make its passages exactly ``passages``; the ids in
        ``unprocessed`` are stored marked as such (past the per-document cap: not extracted or tagged).

        ``organisation`` is who the document is about (worked out by the workflow); provenance
        fields left unknown keep what an earlier ingest stored. Passages of an earlier version
        that are gone are deleted with their entities, figures and suggestions; reviews are kept
        (they hold their own copy of the text).
        """
        found = {k: v for k, v in (provenance or Provenance()).to_dict().items() if v is not None and k != "organisation"}
        kind = found.pop("organisation_kind", None) or organisation_kind(organisation, document.url)
        row = document.to_dict() | {"collected_at": now(), "run_id": run_id, "organisation": organisation, "organisation_kind": kind} | found
        _upsert(self.connection, schema.documents, [row], ["id"])
        p = schema.passages
        keep = {passage.id for passage in passages}
        stored = self.connection.execute(select(p.c.id).where(p.c.document_id == document.id)).scalars()
        gone = [passage_id for passage_id in stored if passage_id not in keep]  # worked out here: no NOT IN (<every id>)
        drop_from_queue(self.connection, gone)
        for chunk in chunks(gone):
            self.connection.execute(delete(p).where(p.c.id.in_(chunk)))
        _upsert(self.connection, p, (passage_row(passage) | {"unprocessed": passage.id in unprocessed} for passage in passages), ["id"])
        evidence_index.refresh(self.connection, keep)  # the document's organisation, kind or date may have changed

    def save_extractions(self, extractions: Sequence[Extraction]) -> None:
        """Replace the entities, figures and quotes of each passage with the new ones."""
        for ids in chunks(x.passage_id for x in extractions):
            for table in (schema.entities, schema.figures, schema.quotes):
                self.connection.execute(delete(table).where(table.c.passage_id.in_(ids)))
        entity_rows = (
            e.to_dict() | {"id": stable_id("entity", e.passage_id, e.label, e.start, e.end), "model": x.model}
            for x in extractions
            for e in x.entities
        )
        figure_rows = (
            f.to_dict() | {"id": stable_id("figure", f.passage_id, f.start, f.end), "model": x.model}
            for x in extractions
            for f in x.figures
        )
        quote_rows = (
            q.to_dict() | {"id": stable_id("quote", q.passage_id, q.start, q.end), "model": x.model}
            for x in extractions
            for q in x.quotes
        )
        _insert(self.connection, schema.entities, entity_rows)
        _insert(self.connection, schema.figures, figure_rows)
        _insert(self.connection, schema.quotes, quote_rows)
        evidence_index.refresh(self.connection, [x.passage_id for x in extractions])  # has figures

    def save_suggestions(self, suggestions: Iterable[Suggestion], *, run_id: str | None = None) -> None:
        rows = [
            s.to_dict() | {"id": stable_id("suggestion", s.passage_id, s.taxonomy, s.goal), "created_at": now(), "run_id": run_id}
            for s in suggestions
        ]
        _upsert(self.connection, schema.suggestions, rows, ["id"])
        refresh_queue(self.connection, [(row["taxonomy"], row["passage_id"]) for row in rows])  # flags raised or cleared
        evidence_index.refresh(self.connection, [row["passage_id"] for row in rows])

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
        """Record a new "running" run with this process's pid and host; first mark the runs whose
        process is gone as interrupted (``pipeline.evidence.runs``)."""
        mark_interrupted(self.connection, finished_at=now())
        run_id = stable_id("run", command, now().isoformat())
        self.connection.execute(
            schema.runs.insert().values(id=run_id, command=command, started_at=now(), status="running", pid=os.getpid(), host=this_host())
        )
        return run_id

    def finish_run(self, run_id: str, *, status: str, counts: dict[str, int], failures: list[dict[str, str]]) -> None:
        self.connection.execute(
            update(schema.runs)
            .where(schema.runs.c.id == run_id)
            .values(finished_at=now(), status=status, counts=counts, failures=failures)
        )


def passage_row(passage: Passage) -> dict[str, Any]:
    """A passage as a ``passages`` row: ``table`` is stored in the ``table_rows`` column."""
    row = passage.to_dict()
    row["table_rows"] = row.pop("table", None)
    return row


def _upsert(connection: Connection, table: Table, rows: Iterable[dict[str, Any]], keys: list[str]) -> None:
    """Insert ``rows``, or update those whose ``keys`` are already stored; ``CHUNK`` rows a statement."""
    for chunk in chunks(rows):
        connection.execute(_upsert_statement(connection, table, chunk[0], keys), [_row_for(table, row) for row in chunk])


def _upsert_statement(connection: Connection, table: Table, first: dict[str, Any], keys: list[str]) -> Any:
    if connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement: Any = sqlite_insert(table)  # the two dialects' Insert types share on_conflict_do_update
    elif connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement = postgresql_insert(table)
    else:
        raise StoreError(f"database '{connection.dialect.name}' is not supported; use SQLite or PostgreSQL")
    columns = [c.name for c in table.columns if c.name not in keys and c.name in first]
    return statement.on_conflict_do_update(index_elements=keys, set_={name: statement.excluded[name] for name in columns})


def _insert(connection: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    for chunk in chunks(rows):
        connection.execute(table.insert(), [_row_for(table, row) for row in chunk])


def _row_for(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key in table.columns}
