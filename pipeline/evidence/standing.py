"""Which review decisions still stand: defined once, in SQL, for every read that needs it.

Reviews are never changed: an undo is a row of its own that points at the review it takes back
(``undoes``). A review row *stands* when it is not an undo and no undo points at it. The
*standing decision* of a passage is its latest standing row (by time, then id) among the
decisions a reader cares about: training labels look at labelling decisions only, the evidence
tables at every decision but a skip.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Subquery, func, select

from pipeline.evidence import schema

LABELLING_DECISIONS = ("accept", "change", "no_goal")  # reviews that give a full training label
DECIDING = ("accept", "change", "no_goal", "reject")  # every decision but a skip (and an undo)


def standing_reviews(taxonomy: str) -> Subquery:
    """Review rows of ``taxonomy`` that stand: not an undo, and not taken back by one."""
    r = schema.reviews
    undone = select(r.c.undoes).where(r.c.decision == "undo", r.c.undoes.is_not(None))
    return select(r).where(r.c.taxonomy == taxonomy, r.c.decision != "undo", r.c.id.not_in(undone)).subquery("standing")


def standing_decisions(taxonomy: str, decisions: Sequence[str]) -> Subquery:
    """Per passage, its latest standing review whose decision is one of ``decisions``."""
    standing = standing_reviews(taxonomy)
    latest_first = func.row_number().over(
        partition_by=standing.c.passage_id, order_by=(standing.c.created_at.desc(), standing.c.id.desc())
    )
    ranked = select(standing, latest_first.label("rank")).where(standing.c.decision.in_(list(decisions))).subquery("ranked")
    return select(*(ranked.c[c.name] for c in schema.reviews.columns)).where(ranked.c.rank == 1).subquery("decided")
