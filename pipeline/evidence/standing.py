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

Reviewers who decided a passage differently (each reviewer's latest standing decision, by its
goals) *dispute* it until an administrator settles it: a disputed passage has no standing decision
for any reader (``passage_standing.disputed``), so the last reviewer to decide never wins by
default. ``refresh`` also keeps the passage's share of what /status adds up (``review_counts``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

from sqlalchemy import Connection, Subquery, bindparam, delete, func, insert, select, update

from pipeline.evidence import evidence_index, schema

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
        .join(
            kept,
            (func.coalesce(kept.c.settled_id, kept.c[column]) == r.c.id)
            & (kept.c.taxonomy == taxonomy)
            & (kept.c.settled_id.is_not(None) | kept.c.disputed.is_(False)),  # a dispute stands for nobody
        )
        .where(r.c.taxonomy == taxonomy)
        .subquery("decided")
    )


def of_passages(passage_ids: Sequence[str]) -> tuple[Any, ...]:
    """The conditions for the standing review rows of these passages, of every taxonomy (callers
    keep the taxonomy they want: a passage has a handful of reviews). Only the passage id and
    ``stands``, so every database reads them through the passage index: with the taxonomy too,
    SQLite picks a taxonomy-led index and walks every review (1.6 s a decision at 100,000 reviews)."""
    r = schema.reviews
    return (r.c.passage_id.in_(list(passage_ids)), r.c.stands.is_(True))


def take_back(connection: Connection, review_ids: Sequence[int]) -> None:
    """Undos were written for ``review_ids``: they no longer stand."""
    r = schema.reviews
    for start in range(0, len(review_ids), _CHUNK):
        connection.execute(update(r).where(r.c.id.in_(list(review_ids[start : start + _CHUNK]))).values(stands=False))


def refresh(connection: Connection, written: Iterable[tuple[str, str]]) -> None:
    """Recompute the standing decisions of these (taxonomy, passage id) pairs from their own review
    rows: one read and one write per ``_CHUNK`` passages, so loading a batch of reviews costs a few
    statements, not a few per review.

    Two reviewers deciding on one passage at once must not each recompute without the other's
    review (the later commit would then drop the earlier decision, or collide on the key): on
    PostgreSQL a transaction-scoped advisory lock per passage (taken in sorted order, so two
    batches never wait on each other) makes the second wait until the first has committed, and its
    read then sees both. SQLite already runs one writer at a time.
    """
    by_taxonomy: dict[str, list[str]] = {}
    for taxonomy, passage_id in dict.fromkeys(written):
        by_taxonomy.setdefault(taxonomy, []).append(passage_id)
    for taxonomy, ids in by_taxonomy.items():
        ids.sort()
        for start in range(0, len(ids), _CHUNK):
            _refresh_chunk(connection, taxonomy, ids[start : start + _CHUNK])


def _refresh_chunk(connection: Connection, taxonomy: str, passage_ids: Sequence[str]) -> None:
    r, kept, counts = schema.reviews, schema.passage_standing, schema.review_counts
    if connection.dialect.name == "postgresql":
        for passage_id in passage_ids:
            connection.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"standing:{taxonomy}:{passage_id}"))))
    rows = connection.execute(
        select(r.c.id, r.c.passage_id, r.c.taxonomy, r.c.decision, r.c.reviewer, r.c.goals_before, r.c.goals_after, r.c.created_at)
        .where(*of_passages(passage_ids))
        .order_by(r.c.created_at, r.c.id)
    ).all()
    of: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        if row.taxonomy == taxonomy:
            of[row.passage_id].append(row)
    priorities = _flagged_priorities(connection, taxonomy, passage_ids)
    standing: list[dict[str, Any]] = []
    counted: list[dict[str, Any]] = []
    for passage_id in passage_ids:
        kept_row = _standing_row(taxonomy, passage_id, of.get(passage_id, []), priorities.get(passage_id))
        if kept_row is not None:
            standing.append(kept_row)
        deciding = [dict(row._mapping) for row in of.get(passage_id, []) if row.decision in DECIDING]
        counted += [{"taxonomy": taxonomy, "passage_id": passage_id, "kind": kind, "key": key, "n": n, "m": m} for kind, key, n, m in passage_counts(deciding)]
    connection.execute(delete(kept).where(kept.c.taxonomy == taxonomy, kept.c.passage_id.in_(list(passage_ids))))
    if standing:
        connection.execute(insert(kept), standing)
    connection.execute(delete(counts).where(counts.c.taxonomy == taxonomy, counts.c.passage_id.in_(list(passage_ids))))
    if counted:
        connection.execute(insert(counts), counted)
    evidence_index.refresh(connection, passage_ids)  # what stands for the explorer


def _standing_row(taxonomy: str, passage_id: str, rows: Sequence[Any], priority: float | None) -> dict[str, Any] | None:
    """One passage's ``passage_standing`` row from its standing review rows (oldest first); None when
    it neither decides nor queues anything."""
    decided = [row.id for row in rows if row.decision in DECIDING]
    labels = [row.id for row in rows if row.decision in LABELLING_DECISIONS]
    settled = [row.id for row in rows if row.decision == SETTLE]
    if not (decided or settled or priority is not None):
        return None
    deciding = [dict(row._mapping) for row in rows if row.decision in DECIDING]
    return {
        "taxonomy": taxonomy, "passage_id": passage_id, "decided_id": decided[-1] if decided else None, "label_id": labels[-1] if labels else None,
        "settled_id": settled[-1] if settled else None, "reviewers": len({row.reviewer for row in rows if row.decision in DECIDING}), "priority": priority,
        "disputed": not settled and disputed(deciding),
    }


def disputed(reviews: Sequence[dict[str, Any]]) -> bool:
    """Whether the latest decisions of a passage's reviewers differ in their goals."""
    return any(len({tuple(goals) for goals in by_reviewer.values()}) > 1 for by_reviewer in latest_by_passage(reviews).values())


def passage_counts(reviews: Sequence[dict[str, Any]]) -> list[tuple[str, str, int, int]]:
    """One passage's share of /status's sums, from its standing deciding reviews: (kind, key, n, m)
    rows of ``review_counts``."""
    found: list[tuple[str, str, int, int]] = []
    pairs = agreement(reviews)
    if pairs["pairs"]:
        found.append(("pair", "", pairs["pairs"], round((pairs["rate"] or 0) * pairs["pairs"])))
    for who, a in agreement_by_reviewer_counts(reviews).items():
        found.append(("reviewer", who[:64], a[0], a[1]))
    for goal, a in agreement_by_goal_counts(reviews).items():
        found.append(("goal", str(goal), a[0], a[1]))
    model = model_precision(reviews)
    if model["suggested"]:
        found.append(("model", "", model["suggested"], model["kept"]))
    return found


def latest_by_passage(reviews: Sequence[dict[str, Any]]) -> dict[str, dict[str, list[int]]]:
    """Per passage, each reviewer's latest goals."""
    latest: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for r in sorted(reviews, key=lambda r: (r["created_at"], r["id"])):
        latest[r["passage_id"]][r["reviewer"]] = sorted(r["goals_after"] or [])
    return latest


def agreement(reviews: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How often two reviewers of the same passage settled on the same goals (latest decision
    of each reviewer; pairs of reviewers per passage)."""
    latest = latest_by_passage(reviews)
    pairs = agreeing = 0
    for by_reviewer in latest.values():
        for a, b in combinations(by_reviewer.values(), 2):
            pairs += 1
            agreeing += a == b
    shared = sum(1 for by_reviewer in latest.values() if len(by_reviewer) > 1)
    return {"passages": shared, "pairs": pairs, "rate": round(agreeing / pairs, 3) if pairs else None}


def agreement_by_reviewer_counts(reviews: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """Per reviewer: [pairs shared with another reviewer, pairs that agree]."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for by_reviewer in latest_by_passage(reviews).values():
        for (a, goals_a), (b, goals_b) in combinations(by_reviewer.items(), 2):
            for who in (a, b):
                counts[who][0] += 1
                counts[who][1] += goals_a == goals_b
    return dict(counts)


def agreement_by_reviewer(reviews: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per reviewer: of the passages they share with another reviewer, the pairs that agree."""
    return {who: {"pairs": n, "rate": round(agree / n, 3)} for who, (n, agree) in sorted(agreement_by_reviewer_counts(reviews).items())}


def agreement_by_goal_counts(reviews: Sequence[dict[str, Any]]) -> dict[int, list[int]]:
    """Per goal: [reviewer pairs where at least one chose it, pairs where both did]."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for by_reviewer in latest_by_passage(reviews).values():
        for goals_a, goals_b in combinations(by_reviewer.values(), 2):
            for goal in set(goals_a) | set(goals_b):
                counts[goal][0] += 1
                counts[goal][1] += goal in goals_a and goal in goals_b
    return dict(counts)


def agreement_by_goal(reviews: Sequence[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per goal: of the reviewer pairs where at least one chose it, the share where both did
    (positive agreement)."""
    return {goal: {"pairs": n, "rate": round(both / n, 3)} for goal, (n, both) in sorted(agreement_by_goal_counts(reviews).items())}


def model_precision(reviews: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Of the goals the model suggested on reviewed passages, the share the reviewers kept."""
    suggested = kept = 0
    for r in reviews:
        before = set(r["goals_before"] or [])
        suggested += len(before)
        kept += len(before & set(r["goals_after"] or []))
    return {"suggested": suggested, "kept": kept, "precision": round(kept / suggested, 3) if suggested else None}


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
