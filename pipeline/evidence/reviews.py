"""Reviews: the history of staff decisions, the decisions that stand (``standing.py``), what
they mean for training labels and for each organisation's known goals, and recording one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, false, func, insert, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from pipeline.errors import StoreError
from pipeline.evidence import schema
from pipeline.evidence.base import StoreBase, store_error
from pipeline.evidence.standing import (
    DECIDING,
    LABELLING_DECISIONS,
    of_passages,
    refresh,
    standing_decisions,
    standing_reviews,
    take_back,
)
from pipeline.evidence.transaction import now

# the columns a review row is written with (``id`` is made by the database, ``stands`` kept on write)
_REVIEW_COLUMNS = ("passage_id", "passage_text", "taxonomy", "decision", "goals_before", "goals_after", "reviewer", "note", "created_at", "undoes", "token", "shown")


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
        p, kept = schema.passages, schema.passage_standing
        statement = select(func.count()).where(  # the queue's rows (standing.py): flagged, undecided, unsettled
            kept.c.taxonomy == taxonomy, kept.c.reviewers == 0, kept.c.priority.is_not(None), kept.c.decided_id.is_(None), kept.c.settled_id.is_(None)
        )
        if except_documents:
            statement = statement.where(kept.c.passage_id.not_in(select(p.c.id).where(p.c.document_id.in_(list(except_documents)))))
        return int(self._read(statement)[0][0])

    def goals_by_organisation(self, taxonomy: str) -> dict[str, set[int]]:
        """The goals each organisation already has evidence for: predicted by a model, or set by a
        passage's standing label (its latest standing accept, change or "no goal" review, or an
        administrator's settled label, which wins over the reviewers')."""
        d, p, s = schema.documents, schema.passages, schema.suggestions
        standing = standing_decisions(taxonomy, LABELLING_DECISIONS)
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
            .where(d.c.organisation.is_not(None))
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
        token: str | None = None,
        shown: str | None = None,
    ) -> int:
        """Append one review row (stamped now) and keep what stands; returns its id. A ``token``
        seen before stores nothing and returns the review it stored (one review per submission)."""
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
            "token": token,
            "shown": shown,
            "stands": decision != "undo",
        }
        return self.add_reviews([row])[0]

    def add_reviews(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Append review rows in one transaction (all or none) and keep what stands; returns their
        ids in order. A row whose ``token`` is already stored (or comes earlier in ``rows``) is not
        added again and the stored id is returned in its place. Rows are written in one statement
        per batch and the passages they touch refreshed together (``standing.refresh``), so a
        batch of thousands costs a few dozen statements."""
        r = schema.reviews
        tokens = [row["token"] for row in rows if row.get("token")]
        try:
            with self._writing() as connection:
                known: dict[str, int] = dict(connection.execute(select(r.c.token, r.c.id).where(r.c.token.in_(tokens))).all()) if tokens else {}
                fresh: list[dict[str, Any]] = []
                first: dict[str, int] = {}  # token -> its row's place in ``fresh``
                places: list[tuple[str, Any]] = []  # per row: ("stored", id) or ("fresh", place)
                for row in rows:
                    token = row.get("token")
                    if token in known:
                        places.append(("stored", int(known[token])))
                    elif token in first:
                        places.append(("fresh", first[token]))
                    else:
                        if token:
                            first[token] = len(fresh)
                        places.append(("fresh", len(fresh)))
                        fresh.append({column: row.get(column) for column in _REVIEW_COLUMNS} | {"stands": row.get("stands", True)})
                made = [int(i) for i in connection.execute(insert(r).returning(r.c.id, sort_by_parameter_order=True), fresh).scalars()] if fresh else []
                if len(made) != len(fresh):
                    raise StoreError("the database did not return the new reviews' ids")
                take_back(connection, [row["undoes"] for row in fresh if row["decision"] == "undo" and row.get("undoes") is not None])
                refresh(connection, [(row["taxonomy"], row["passage_id"]) for row in fresh])
                return [value if kind == "stored" else made[value] for kind, value in places]
        except IntegrityError as exc:  # the same token written by a concurrent request
            if len(tokens) == 1 and len(rows) == 1:
                found = self._read(select(r.c.id).where(r.c.token == tokens[0]))
                if found:
                    return [int(found[0].id)]
            raise store_error("database write failed and was rolled back", exc) from exc
        except SQLAlchemyError as exc:
            raise store_error("database write failed and was rolled back", exc) from exc

    def queue_page(
        self,
        taxonomy: str,
        reviewer: str | None,
        *,
        organisation: str | None = None,
        goal: int | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        search: str | None = None,
        limit: int = 50,
        offset: int = 0,
        reviewers_per_passage: int | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the review queue and the number of passages in it with these filters.

        The queue: passages with a flagged suggestion of ``taxonomy`` that ``reviewer`` has no
        standing decision on (skips aside: those come back after the rest), or, for no reviewer,
        that nobody has decided; highest review priority first. Filters: the document's
        organisation, a flagged goal, the document's site or URL and date (ISO, inclusive), and
        words in the passage text. With ``reviewers_per_passage``, a passage leaves every queue
        once that many reviewers have decided it (the work is shared out; 2 or more gives overlap
        for agreement); a passage an administrator settled leaves every queue. Rows: passage id, text, priority, flagged goals and reasons,
        document title, organisation and date, and ``skipped``.
        """
        s, p, d, r, kept = schema.suggestions, schema.passages, schema.documents, schema.reviews, schema.passage_standing
        # every flagged passage has a passage_standing row with its priority: the queue is the open ones
        conditions = [kept.c.taxonomy == taxonomy, kept.c.priority.is_not(None), kept.c.settled_id.is_(None)]
        if reviewer is None:
            conditions.append(kept.c.reviewers < 1)  # nobody has decided it
            skipped = select(kept.c.passage_id).where(false())
        else:
            if reviewers_per_passage:
                conditions.append(kept.c.reviewers < reviewers_per_passage)
            mine = select(r.c.passage_id).where(r.c.taxonomy == taxonomy, r.c.reviewer == reviewer, r.c.stands.is_(True))
            conditions.append(kept.c.passage_id.not_in(mine.where(r.c.decision != "skip")))
            skipped = mine.where(r.c.decision == "skip")
        if goal is not None:
            flagged_goal = select(s.c.id).where(s.c.passage_id == kept.c.passage_id, s.c.taxonomy == taxonomy, s.c.goal == goal, s.c.flagged.is_(True))
            conditions.append(flagged_goal.exists())
        waiting = select(kept.c.passage_id, kept.c.priority)
        if organisation or source or date_from or date_to or search:  # the joins only a filter needs
            waiting = waiting.join(p, p.c.id == kept.c.passage_id).join(d, d.c.id == p.c.document_id)
        if organisation:
            conditions.append(d.c.organisation == organisation)
        if source:
            conditions.append(or_(d.c.sitename.ilike(f"%{source}%"), d.c.url.ilike(f"%{source}%")))
        day = func.substr(d.c.date, 1, 10)
        if date_from:
            conditions.append(and_(d.c.date.is_not(None), day >= date_from))
        if date_to:
            conditions.append(and_(d.c.date.is_not(None), day <= date_to))
        for word in (search or "").split()[:8]:
            conditions.append(p.c.text.ilike(f"%{word}%"))
        grouped = waiting.where(*conditions).subquery("waiting")
        later = case((grouped.c.passage_id.in_(skipped), 1), else_=0).label("skipped")
        page = self._read(  # the page and, beside each row, the queue's length: one pass over the open passages
            select(grouped.c.passage_id, grouped.c.priority, later, func.count().over().label("total"))
            .order_by(later, grouped.c.priority.desc(), grouped.c.passage_id)
            .limit(limit)
            .offset(offset)
        )
        total = int(page[0].total) if page else int(self._read(select(func.count()).select_from(grouped))[0][0]) if offset else 0
        if not page:
            return [], total
        ids = [row.passage_id for row in page]
        # by passage and taxonomy (the unique index), flags picked out here: a planner without
        # statistics would otherwise walk every flagged suggestion by the flagged index
        details = select(s.c.passage_id, s.c.goal, s.c.reasons, s.c.flagged).where(s.c.passage_id.in_(ids), s.c.taxonomy == taxonomy)
        flags: dict[str, list[Any]] = {}
        for row in self._read(details):
            if row.flagged and (goal is None or row.goal == goal):
                flags.setdefault(row.passage_id, []).append(row)
        passages = {
            row.id: row
            for row in self._read(select(p.c.id, p.c.text, d.c.title, d.c.organisation, d.c.date).join(d, d.c.id == p.c.document_id).where(p.c.id.in_(ids)))
        }
        rows = []
        for row in page:
            found = passages.get(row.passage_id)
            if found is None:  # deleted by a re-ingest while a reviewer's decision kept its queue row: not shown
                continue
            rows.append(
                {
                    "passage_id": row.passage_id, "text": found.text, "priority": float(row.priority or 0.0), "skipped": bool(row.skipped),
                    "goals": sorted(int(f.goal) for f in flags.get(row.passage_id, [])),
                    "reasons": sorted({reason for f in flags.get(row.passage_id, []) for reason in f.reasons or []}),
                    "title": found.title, "organisation": found.organisation, "date": found.date,
                }
            )
        return rows, total

    def disagreements(self, taxonomy: str, *, limit: int = 200) -> list[dict[str, Any]]:
        """Passages two or more reviewers decided differently and no administrator has settled:
        passage id, text, and each reviewer's latest standing decision and goals."""
        r, kept = schema.reviews, schema.passage_standing
        shared = select(kept.c.passage_id).where(kept.c.taxonomy == taxonomy, kept.c.disputed.is_(True))
        rows = self._read(
            select(r.c.passage_id, r.c.passage_text, r.c.reviewer, r.c.decision, r.c.goals_after, r.c.note)
            .where(r.c.taxonomy == taxonomy, r.c.stands.is_(True), r.c.decision.in_(DECIDING), r.c.passage_id.in_(shared))
            .order_by(r.c.created_at, r.c.id)
        )
        by_passage: dict[str, dict[str, Any]] = {}
        for row in rows:
            entry = by_passage.setdefault(row.passage_id, {"passage_id": row.passage_id, "text": row.passage_text, "reviewers": {}})
            entry["reviewers"][row.reviewer] = {"decision": row.decision, "goals": sorted(row.goals_after or []), "note": row.note}
        found = [e for e in by_passage.values() if len({tuple(v["goals"]) for v in e["reviewers"].values()}) > 1]
        return found[:limit]

    def status_counts(self, taxonomy: str, day_start: datetime, day_end: datetime) -> dict[str, Any]:
        """What /status shows, from kept aggregates and covering indexes, never the history:
        standing rows by decision, deciding reviews in [day_start, day_end), reviewers, disputed
        passages, and the sums of ``review_counts`` by kind and key."""
        r, kept, counts = schema.reviews, schema.passage_standing, schema.review_counts
        today = case((and_(r.c.created_at >= day_start, r.c.created_at < day_end), 1), else_=0)
        by_decision: dict[str, int] = {}
        deciders: set[str] = set()
        decided_today = 0
        for row in self._read(  # one pass over the covering index: by decision and reviewer
            select(r.c.decision, r.c.reviewer, func.count().label("n"), func.sum(today).label("today"))
            .where(r.c.taxonomy == taxonomy, r.c.stands.is_(True))
            .group_by(r.c.decision, r.c.reviewer)
        ):
            by_decision[row.decision] = by_decision.get(row.decision, 0) + int(row.n)
            if row.decision in DECIDING:
                deciders.add(row.reviewer)
                decided_today += int(row.today or 0)
        disputed = self._read(select(func.count()).where(kept.c.taxonomy == taxonomy, kept.c.disputed.is_(True)))[0][0]
        sums = self._read(
            select(counts.c.kind, counts.c.key, func.sum(counts.c.n).label("n"), func.sum(counts.c.m).label("m"), func.count().label("passages"))
            .where(counts.c.taxonomy == taxonomy)
            .group_by(counts.c.kind, counts.c.key)
        )
        return {
            "by_decision": by_decision, "today": decided_today, "reviewers": len(deciders), "disputed": int(disputed),
            "sums": [(row.kind, row.key, int(row.n), int(row.m), int(row.passages)) for row in sums],
        }

    def disputed(self, taxonomy: str, passage_id: str) -> bool:
        """Whether reviewers decided this passage differently and nobody has settled it yet."""
        kept = schema.passage_standing
        rows = self._read(select(kept.c.disputed).where(kept.c.taxonomy == taxonomy, kept.c.passage_id == passage_id))
        return bool(rows and rows[0].disputed)

    def known_tokens(self, tokens: Iterable[str]) -> set[str]:
        """Which of these review tokens are stored."""
        r, wanted = schema.reviews, list(tokens)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            found.update(row.token for row in self._read(select(r.c.token).where(r.c.token.in_(wanted[start : start + 500]))))
        return found

    def decided_by(self, taxonomy: str, reviewer: str, *, skips: bool = True) -> set[str]:
        """Passages with a standing decision by ``reviewer`` (skips included unless ``skips=False``)."""
        r = schema.reviews
        statement = select(r.c.passage_id).where(r.c.taxonomy == taxonomy, r.c.reviewer == reviewer, r.c.stands.is_(True))
        if not skips:
            statement = statement.where(r.c.decision != "skip")
        return {row.passage_id for row in self._read(statement.distinct())}

    def decided_passages(self, taxonomy: str) -> set[str]:
        """Passages with a standing decision (any but a skip) by anyone."""
        kept = schema.passage_standing
        return {row.passage_id for row in self._read(select(kept.c.passage_id).where(kept.c.taxonomy == taxonomy, kept.c.decided_id.is_not(None)))}

    def passage_reviews(self, taxonomy: str, passage_id: str) -> list[dict[str, Any]]:
        """The standing review rows of one passage, oldest first."""
        r = schema.reviews
        rows = self._dicts(select(r).where(*of_passages([passage_id])).order_by(r.c.created_at, r.c.id))
        return [row for row in rows if row["taxonomy"] == taxonomy]

    def review(self, review_id: int) -> dict[str, Any] | None:
        rows = self._dicts(select(schema.reviews).where(schema.reviews.c.id == review_id))
        return rows[0] if rows else None

    def reviewer_reviews(self, taxonomy: str, reviewer: str, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """A reviewer's standing reviews, newest first."""
        r = schema.reviews
        return self._dicts(
            select(r)
            .where(r.c.taxonomy == taxonomy, r.c.reviewer == reviewer, r.c.stands.is_(True))
            .order_by(r.c.created_at.desc(), r.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
