"""Which review decisions still stand: defined once, here, for every read that needs it
(training labels, reports and exports, the review queue).

Reviews are never changed in meaning: an undo is a row of its own that points at the review it
takes back (``undoes``). A review row *stands* when it is not an undo and no undo points at it.
The *standing decision* of a passage is its latest standing row (by time, then id) among the
decisions a reader cares about: training labels look at labelling decisions only, the evidence
tables at every decision but a skip. An administrator's standing "settle" (adjudicating a
disagreement between reviewers) is the standing decision of its passage for every reader.

Both are kept on write, so no read goes through the whole history: ``reviews.stands`` (indexed
with taxonomy and reviewer) and one ``passage_standing`` row per reviewed passage, refreshed by
``refresh`` from that passage's own rows whenever one of them is written.

The same row holds the passage's place in the review queue: ``priority`` is the best priority of
its flagged suggestions (None when none is flagged), so the queue is an index range over the
passages still open (``reviewers`` under the overlap wanted, not settled) instead of a pass over
every flag ever raised. A passage that is flagged and not yet reviewed has a row with no decision.
``refresh`` keeps it on review writes, ``refresh_queue`` on suggestion writes and
``drop_from_queue`` when passages are deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Subquery, bindparam, delete, func, insert, select, update

from pipeline.evidence import schema

LABELLING_DECISIONS = ("accept", "change", "no_goal")  # reviews that give a full training label
DECIDING = ("accept", "change", "no_goal", "reject")  # every decision but a skip (and an undo)
SETTLE = "settle"  # an administrator's label for a passage reviewers disagree on
_KEPT = {DECIDING: "decided_id", LABELLING_DECISIONS: "label_id"}  # which passage_standing column


def standing_reviews(taxonomy: str) -> Subquery:
    """Review rows of ``taxonomy`` that stand: not an undo, and not taken back by one."""
    r = schema.reviews
    return select(r).where(r.c.taxonomy == taxonomy, r.c.stands.is_(True)).subquery("standing")


def standing_decisions(taxonomy: str, decisions: Sequence[str]) -> Subquery:
    """Per passage, its latest standing review whose decision is one of ``decisions``
    (``DECIDING`` or ``LABELLING_DECISIONS``)."""
    column = _KEPT.get(tuple(decisions))
    if column is None:
        raise ValueError(f"standing decisions are kept for {list(_KEPT)} only, not {list(decisions)}")
    r, kept = schema.reviews, schema.passage_standing
    return (
        select(r)
        .join(kept, (func.coalesce(kept.c.settled_id, kept.c[column]) == r.c.id) & (kept.c.taxonomy == taxonomy))
        .where(r.c.taxonomy == taxonomy)
        .subquery("decided")
    )


def take_back(connection: Connection, review_id: int) -> None:
    """An undo was written for ``review_id``: it no longer stands."""
    r = schema.reviews
    connection.execute(update(r).where(r.c.id == review_id).values(stands=False))


def refresh(connection: Connection, taxonomy: str, passage_id: str) -> None:
    """Recompute one passage's standing decisions from its own review rows.

    Two reviewers deciding on one passage at once must not each recompute without the other's
    review (the later commit would then drop the earlier decision, or collide on the key): on
    PostgreSQL a transaction-scoped advisory lock per passage makes the second wait until the
    first has committed, and its read then sees both. SQLite already runs one writer at a time.
    """
    r, kept = schema.reviews, schema.passage_standing
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"standing:{taxonomy}:{passage_id}"))))
    rows = connection.execute(
        select(r.c.id, r.c.decision, r.c.reviewer)
        .where(r.c.taxonomy == taxonomy, r.c.passage_id == passage_id, r.c.stands.is_(True))
        .order_by(r.c.created_at, r.c.id)
    ).all()
    decided = [row.id for row in rows if row.decision in DECIDING]
    labels = [row.id for row in rows if row.decision in LABELLING_DECISIONS]
    settled = [row.id for row in rows if row.decision == SETTLE]
    reviewers = {row.reviewer for row in rows if row.decision in DECIDING}
    priority = _flagged_priorities(connection, taxonomy, [passage_id]).get(passage_id)
    connection.execute(delete(kept).where(kept.c.taxonomy == taxonomy, kept.c.passage_id == passage_id))
    if decided or settled or priority is not None:
        connection.execute(
            insert(kept).values(
                taxonomy=taxonomy, passage_id=passage_id, decided_id=decided[-1] if decided else None, label_id=labels[-1] if labels else None,
                settled_id=settled[-1] if settled else None, reviewers=len(reviewers), priority=priority,
            )
        )


def refresh_queue(connection: Connection, written: Iterable[tuple[str, str]]) -> None:
    """Suggestions of these (taxonomy, passage id) pairs were written: keep each passage's place in
    the review queue (its flagged priority) without touching its decisions."""
    kept = schema.passage_standing
    by_taxonomy: dict[str, list[str]] = {}
    for taxonomy, passage_id in dict.fromkeys(written):
        by_taxonomy.setdefault(taxonomy, []).append(passage_id)
    for taxonomy, ids in by_taxonomy.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            if connection.dialect.name == "postgresql":  # a reviewer's ``refresh`` of one of them waits, or we wait for it
                for passage_id in sorted(chunk):
                    connection.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"standing:{taxonomy}:{passage_id}"))))
            flagged = _flagged_priorities(connection, taxonomy, chunk)
            present = {row.passage_id for row in connection.execute(select(kept.c.passage_id).where(kept.c.taxonomy == taxonomy, kept.c.passage_id.in_(chunk)))}
            if present:
                connection.execute(
                    update(kept).where(kept.c.taxonomy == bindparam("t"), kept.c.passage_id == bindparam("p")).values(priority=bindparam("new_priority")),
                    [{"t": taxonomy, "p": passage_id, "new_priority": flagged.get(passage_id)} for passage_id in present],
                )
                _drop_empty(connection, taxonomy, list(present))
            fresh = [{"taxonomy": taxonomy, "passage_id": pid, "reviewers": 0, "priority": flagged[pid]} for pid in chunk if pid in flagged and pid not in present]
            if fresh:
                connection.execute(insert(kept), fresh)


def drop_from_queue(connection: Connection, passage_ids: Sequence[str]) -> None:
    """These passages are being deleted (with their suggestions): they leave every queue; their
    decisions stand (reviews outlive passages)."""
    kept = schema.passage_standing
    for start in range(0, len(passage_ids), _CHUNK):
        chunk = list(passage_ids[start : start + _CHUNK])
        connection.execute(update(kept).where(kept.c.passage_id.in_(chunk)).values(priority=None))
        connection.execute(delete(kept).where(kept.c.passage_id.in_(chunk), kept.c.decided_id.is_(None), kept.c.settled_id.is_(None)))


_CHUNK = 500  # ids per IN (...) list


def _flagged_priorities(connection: Connection, taxonomy: str, passage_ids: Sequence[str]) -> dict[str, float]:
    """The best priority of each passage's flagged suggestions (0 when a flag has none); passages
    with no flagged suggestion are left out."""
    s = schema.suggestions
    rows = connection.execute(
        select(s.c.passage_id, func.max(func.coalesce(s.c.priority, 0.0)).label("priority"))
        .where(s.c.taxonomy == taxonomy, s.c.passage_id.in_(list(passage_ids)), s.c.flagged.is_(True))
        .group_by(s.c.passage_id)
    )
    return {row.passage_id: float(row.priority) for row in rows}


def _drop_empty(connection: Connection, taxonomy: str, passage_ids: Sequence[str]) -> None:
    """Remove rows that neither decide nor queue anything."""
    kept = schema.passage_standing
    connection.execute(
        delete(kept).where(
            kept.c.taxonomy == taxonomy, kept.c.passage_id.in_(list(passage_ids)), kept.c.priority.is_(None), kept.c.decided_id.is_(None), kept.c.settled_id.is_(None)
        )
    )
