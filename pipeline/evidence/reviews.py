"""Reviews: the history of staff decisions, the decisions that stand (``standing.py``), what
they mean for training labels and for each organisation's known goals, and recording one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select

from pipeline.errors import StoreError
from pipeline.evidence import schema
from pipeline.evidence.base import StoreBase
from pipeline.evidence.standing import DECIDING, LABELLING_DECISIONS, standing_decisions, standing_reviews
from pipeline.evidence.transaction import now


class ReviewStore(StoreBase):
    def reviews(self, taxonomy: str) -> list[dict[str, Any]]:
        """Every review row of a taxonomy, oldest first (undo rows included)."""
        r = schema.reviews
        return self._dicts(select(r).where(r.c.taxonomy == taxonomy).order_by(r.c.created_at, r.c.id))

    def standing_reviews(self, taxonomy: str) -> list[dict[str, Any]]:
        """The review rows of a taxonomy that stand (not an undo, not undone), oldest first."""
        standing = standing_reviews(taxonomy)
        return self._dicts(select(standing).order_by(standing.c.created_at, standing.c.id))

    def reviewed_labels(self, taxonomy: str) -> list[tuple[str, list[int]]]:
        """Training labels from staff reviews: (text, goals) per passage from its standing accept,
        change or "no goal" decision; passages in the order of their first such decision."""
        decided = standing_decisions(taxonomy, LABELLING_DECISIONS)
        standing = standing_reviews(taxonomy)
        first = (
            select(standing.c.passage_id, func.min(standing.c.created_at).label("at"), func.min(standing.c.id).label("id"))
            .where(standing.c.decision.in_(LABELLING_DECISIONS))
            .group_by(standing.c.passage_id)
            .subquery("first")
        )
        rows = self._read(
            select(decided.c.passage_text, decided.c.goals_after)
            .join(first, first.c.passage_id == decided.c.passage_id)
            .order_by(first.c.at, first.c.id)
        )
        return [(row.passage_text, sorted({int(g) for g in row.goals_after or []})) for row in rows]

    def waiting_flags(self, taxonomy: str, *, except_documents: Sequence[str] = ()) -> int:
        """Passages flagged for review in ``taxonomy`` that no standing decision has settled (a
        skip settles nothing): the review queue's length, which the flag budget caps. Passages of
        ``except_documents`` (about to be re-tagged, flags and all) are left out."""
        s, p = schema.suggestions, schema.passages
        decided = standing_decisions(taxonomy, DECIDING)
        statement = (
            select(func.count(func.distinct(s.c.passage_id)))
            .join(p, p.c.id == s.c.passage_id)
            .where(s.c.taxonomy == taxonomy, s.c.flagged.is_(True), s.c.passage_id.not_in(select(decided.c.passage_id)))
        )
        if except_documents:
            statement = statement.where(p.c.document_id.not_in(list(except_documents)))
        return int(self._read(statement)[0][0])

    def goals_by_organisation(self, taxonomy: str) -> dict[str, set[int]]:
        """The goals each organisation already has evidence for: predicted by a model, or set by a
        standing accept, change or "no goal" review."""
        d, p, s = schema.documents, schema.passages, schema.suggestions
        standing = standing_reviews(taxonomy)
        predicted = (
            select(d.c.organisation, s.c.goal)
            .join(p, p.c.document_id == d.c.id)
            .join(s, s.c.passage_id == p.c.id)
            .where(s.c.taxonomy == taxonomy, s.c.predicted.is_(True), d.c.organisation.is_not(None))
            .distinct()
        )
        reviewed = (
            select(d.c.organisation, standing.c.goals_after)
            .join(p, p.c.document_id == d.c.id)
            .join(standing, standing.c.passage_id == p.c.id)
            .where(standing.c.decision.in_(LABELLING_DECISIONS), d.c.organisation.is_not(None))
        )
        known: dict[str, set[int]] = {}
        for row in self._read(predicted):
            known.setdefault(row.organisation, set()).add(int(row.goal))
        for row in self._read(reviewed):
            known.setdefault(row.organisation, set()).update(int(g) for g in row.goals_after or [])
        return known

    def add_review(
        self,
        *,
        passage_id: str,
        passage_text: str,
        taxonomy: str,
        decision: str,
        goals_before: Sequence[int],
        goals_after: Sequence[int],
        reviewer: str,
        note: str | None = None,
        undoes: int | None = None,
    ) -> int:
        """Append one review row (stamped now); returns its id."""
        row = {
            "passage_id": passage_id,
            "passage_text": passage_text,
            "taxonomy": taxonomy,
            "decision": decision,
            "goals_before": list(goals_before),
            "goals_after": list(goals_after),
            "reviewer": reviewer,
            "note": note,
            "created_at": now(),
            "undoes": undoes,
        }
        with self.transaction() as tx:
            result = tx.connection.execute(insert(schema.reviews).values(**row))
            key = result.inserted_primary_key
            if key is None:
                raise StoreError("the database did not return the new review's id")
            return int(key[0])
