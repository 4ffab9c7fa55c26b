"""The evidence explorer's index (``evidence_index``): the evidence that stands, one row per
taxonomy, passage and goal, with the facets it is filtered and counted by.

What stands is what ``levelup export`` writes in its ``evidence`` table: a passage's standing
review decision (``standing.py``: an administrator's settle, else the latest deciding review when
reviewers agree) replaces the model's goals; a passage reviewers dispute keeps the model's
goals, marked ``disputed``; otherwise the model's predicted goals stand. ``refresh`` recomputes
the rows of the passages a write touched (their document, figures, suggestions or reviews), so
the index is kept on write as ``passage_standing`` is; ``refresh_all`` rebuilds it (migration
0014, a bulk load).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from pipeline.evidence import schema

SOURCES = ("model", "review", "disputed")
CHANGED = "evidence_index_changed"  # set in a connection's info by a refresh; announced after commit
PENDING = "evidence_index_pending"  # passage ids to recompute before the transaction commits
_CHUNK = 500  # passages per refresh statement


def refresh(connection: Connection, passage_ids: Iterable[str]) -> None:
    """Mark these passages' index rows for recomputing when the transaction ends (``flush``, from
    the store's write transactions): a document saved, extracted and tagged in one transaction is
    worked out once, not three times."""
    connection.info.setdefault(PENDING, {}).update(dict.fromkeys(passage_ids))
    connection.info[CHANGED] = True


def flush(connection: Connection) -> None:
    """Recompute the rows of the passages marked in this transaction."""
    pending = connection.info.pop(PENDING, None)
    if pending:
        recompute(connection, list(pending))


def recompute(connection: Connection, passage_ids: Iterable[str]) -> None:
    """Recompute the index rows of these passages now (a passage that is gone just loses its rows)."""
    ids = list(dict.fromkeys(passage_ids))
    ix = schema.evidence_index
    connection.info[CHANGED] = True
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        connection.execute(delete(ix).where(ix.c.passage_id.in_(chunk)))
        rows = index_rows(connection, chunk)
        if rows:
            connection.execute(insert(ix), rows)


def refresh_all(connection: Connection) -> int:
    """Rebuild the whole index; the number of rows it has."""
    p = schema.passages
    connection.execute(delete(schema.evidence_index))
    ids = list(connection.execute(select(p.c.id).order_by(p.c.id)).scalars())
    recompute(connection, ids)
    return int(connection.execute(select(func.count()).select_from(schema.evidence_index)).scalar() or 0)


def announce(connection: Connection) -> None:
    """Count one more change of the index (after the change has committed): an explorer whose
    snapshot is of an older version reloads it."""
    v = schema.evidence_index_version
    connection.execute(update(v).where(v.c.id == 1).values(version=v.c.version + 1))


def version(connection: Connection) -> int:
    v = schema.evidence_index_version
    return int(connection.execute(select(v.c.version).where(v.c.id == 1)).scalar() or 0)


def index_rows(connection: Connection, passage_ids: list[str]) -> list[dict[str, Any]]:
    """The index rows of these passages, worked out from their document, figures, standing
    decisions and suggestions."""
    d, p, f, s = schema.documents, schema.passages, schema.figures, schema.suggestions
    places = {
        row.id: {"document_id": row.document_id, "organisation": row.organisation, "organisation_kind": row.organisation_kind, "kind": row.kind, "year": year_of(row.date)}
        for row in connection.execute(select(p.c.id, p.c.document_id, d.c.organisation, d.c.organisation_kind, d.c.kind, d.c.date).join(d, d.c.id == p.c.document_id).where(p.c.id.in_(passage_ids)))
    }
    figured = set(connection.execute(select(f.c.passage_id).where(f.c.passage_id.in_(passage_ids)).distinct()).scalars())
    decided, disputed = _standing(connection, passage_ids)
    scores: dict[tuple[str, str, int], float] = {}
    rows: list[dict[str, Any]] = []
    for row in connection.execute(select(s.c.taxonomy, s.c.passage_id, s.c.goal, s.c.score, s.c.predicted).where(s.c.passage_id.in_(passage_ids))):
        scores[(row.taxonomy, row.passage_id, row.goal)] = row.score
        if row.predicted and (row.taxonomy, row.passage_id) not in decided and row.passage_id in places:
            source = "disputed" if (row.taxonomy, row.passage_id) in disputed else "model"
            rows.append(_row(row.taxonomy, row.passage_id, row.goal, source, row.score, places, figured))
    for (taxonomy, passage_id), goals in decided.items():
        if passage_id in places:
            rows += [_row(taxonomy, passage_id, int(goal), "review", scores.get((taxonomy, passage_id, int(goal))), places, figured) for goal in dict.fromkeys(goals)]
    return rows


def _standing(connection: Connection, passage_ids: list[str]) -> tuple[dict[tuple[str, str], list[int]], set[tuple[str, str]]]:
    """(taxonomy, passage) -> goals of its standing decision, and the (taxonomy, passage) pairs
    reviewers dispute; the rule of ``standing.standing_decisions``: a settle wins, and a dispute
    stands for nobody."""
    kept, r = schema.passage_standing, schema.reviews
    statement = (
        select(kept.c.taxonomy, kept.c.passage_id, kept.c.disputed, kept.c.settled_id, kept.c.decided_id, r.c.goals_after, r.c.taxonomy.label("review_taxonomy"))
        .outerjoin(r, r.c.id == func.coalesce(kept.c.settled_id, kept.c.decided_id))
        .where(kept.c.passage_id.in_(passage_ids))
    )
    decided: dict[tuple[str, str], list[int]] = {}
    disputed: set[tuple[str, str]] = set()
    for row in connection.execute(statement):
        key = (row.taxonomy, row.passage_id)
        if row.review_taxonomy == row.taxonomy and (row.settled_id is not None or (row.decided_id is not None and not row.disputed)):
            decided[key] = list(row.goals_after or [])
        elif row.disputed:
            disputed.add(key)
    return decided, disputed


def _row(taxonomy: str, passage_id: str, goal: int, source: str, score: float | None, places: dict[str, dict[str, Any]], figured: set[str]) -> dict[str, Any]:
    return {"taxonomy": taxonomy, "passage_id": passage_id, "goal": goal, "source": source, "score": score, "figures": passage_id in figured} | places[passage_id]


def year_of(value: str | None) -> int | None:
    """The year of an ISO date ("2023-05-01", "2023-05-01T09:00:00+01:00"); None for no date or
    text that is not one (as the export's ``year`` column: a date pandas cannot read has none)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]).year
    except ValueError:
        return None
