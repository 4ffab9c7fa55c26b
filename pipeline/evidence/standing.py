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
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Subquery, delete, func, insert, select, update

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
    connection.execute(delete(kept).where(kept.c.taxonomy == taxonomy, kept.c.passage_id == passage_id))
    if decided or settled:
        connection.execute(
            insert(kept).values(
                taxonomy=taxonomy, passage_id=passage_id, decided_id=decided[-1] if decided else None, label_id=labels[-1] if labels else None,
                settled_id=settled[-1] if settled else None, reviewers=len(reviewers),
            )
        )
