"""The review queue and the decisions staff make on it, over the evidence database.

A queue item is a passage with at least one flagged goal suggestion, ranked by its highest
review priority (the expected value of a review, ``pipeline.classify.flag``). A reviewer's queue
leaves out passages they have already decided (skips included) while the decision stands.

Decisions are rows of ``reviews`` and are never changed: an undo is a row of its own that points
at the review it takes back (``undoes``). The *effective* decisions are the rows that are not
undos and have not been undone. What each decision means for training:

=========  ==========================================  ==========================
decision   ``goals_after``                             a training label?
=========  ==========================================  ==========================
accept     the suggested goals                         yes
change     the goals the reviewer chose                yes
no_goal    ``[]``                                      yes ("no goal")
reject     ``[]``: none of the suggested goals apply   no: the right goals are unknown
skip       the suggested goals, unchanged              no
=========  ==========================================  ==========================
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import combinations
from typing import Any

from sqlalchemy import Select, and_, func, insert, or_, select

from pipeline.errors import DecisionError
from pipeline.evidence import schema
from pipeline.evidence.store import LABELLING_DECISIONS, Store, effective_reviews, now, training_labels

DECISIONS = ("accept", "reject", "change", "no_goal", "skip")
__all__ = ["DECISIONS", "LABELLING_DECISIONS", "Filters", "Item", "QueueItem", "ReviewQueue", "training_labels"]


@dataclass(frozen=True)
class Filters:
    organisation: str | None = None
    goal: int | None = None
    source: str | None = None  # a document's site name or URL host
    date_from: str | None = None  # ISO dates, compared with the document's date
    date_to: str | None = None

    @classmethod
    def parse(cls, values: dict[str, str]) -> Filters:
        """From query-string values; blank means no filter, a bad goal or date is ignored."""
        goal = values.get("goal", "").strip()
        return cls(
            organisation=values.get("organisation", "").strip() or None,
            goal=int(goal) if goal.isdigit() else None,
            source=values.get("source", "").strip() or None,
            date_from=_iso(values.get("date_from", "")),
            date_to=_iso(values.get("date_to", "")),
        )

    def query(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v not in (None, "")}


@dataclass(frozen=True)
class QueueItem:
    passage_id: str
    text: str
    priority: float
    goals: list[int]  # the flagged goals
    reasons: list[str]
    document_title: str | None
    organisation: str | None
    date: str | None


@dataclass
class Item:
    """Everything the review page shows for one passage."""

    passage_id: str
    text: str
    ordinal: int
    document: dict[str, Any]
    before: list[dict[str, Any]]  # neighbouring passages
    after: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    figures: list[dict[str, Any]]
    suggestions: list[dict[str, Any]]  # every goal with its score; predicted / flagged marked
    decisions: list[dict[str, Any]] = field(default_factory=list)  # effective reviews of the passage

    @property
    def suggested(self) -> list[int]:
        return [s["goal"] for s in self.suggestions if s["predicted"]]


class ReviewQueue:
    """Queue, item views, decisions, undo and statistics for one taxonomy."""

    def __init__(self, store: Store, taxonomy: str) -> None:
        self.store = store
        self.taxonomy = taxonomy

    # --- reading --------------------------------------------------------------------------

    def items(self, reviewer: str | None, filters: Filters = Filters(), limit: int = 50) -> list[QueueItem]:
        """Flagged passages not yet decided by ``reviewer`` (by anyone, if None), most valuable first."""
        s, p, d = schema.suggestions, schema.passages, schema.documents
        decided = self._decided_by(reviewer)
        statement = (
            select(p.c.id, p.c.text, s.c.goal, s.c.priority, s.c.reasons, d.c.title, d.c.organisation, d.c.date)
            .join(p, p.c.id == s.c.passage_id)
            .join(d, d.c.id == p.c.document_id)
            .where(s.c.taxonomy == self.taxonomy, s.c.flagged.is_(True))
        )
        statement = _filtered(statement, filters)
        grouped: dict[str, dict[str, Any]] = {}
        for row in self.store._read(statement):
            if row.id in decided:
                continue
            entry = grouped.setdefault(row.id, {"row": row, "goals": [], "reasons": set(), "priority": 0.0})
            entry["goals"].append(int(row.goal))
            entry["reasons"].update(row.reasons or [])
            entry["priority"] = max(entry["priority"], float(row.priority or 0.0))
        ranked = sorted(grouped.values(), key=lambda e: (-e["priority"], e["row"].id))
        return [
            QueueItem(
                passage_id=e["row"].id,
                text=e["row"].text,
                priority=round(e["priority"], 4),
                goals=sorted(e["goals"]),
                reasons=sorted(e["reasons"]),
                document_title=e["row"].title,
                organisation=e["row"].organisation,
                date=e["row"].date,
            )
            for e in ranked[:limit]
        ]

    def size(self, reviewer: str | None = None) -> int:
        """Passages waiting in the queue: for ``reviewer`` (their skips count as done), or for a
        first decision by anyone (a skip decides nothing)."""
        s = schema.suggestions
        flagged = set(self.store._read(select(s.c.passage_id).where(s.c.taxonomy == self.taxonomy, s.c.flagged.is_(True)).distinct()))
        ids = {row[0] for row in flagged}
        done = self._decided_by(reviewer) if reviewer else {r["passage_id"] for r in self.effective() if r["decision"] != "skip"}
        return len(ids - done)

    def item(self, passage_id: str) -> Item | None:
        p, d, e, f, s = schema.passages, schema.documents, schema.entities, schema.figures, schema.suggestions
        rows = self.store._read(select(p, d.c.url, d.c.title, d.c.date, d.c.organisation, d.c.sitename).join(d, d.c.id == p.c.document_id).where(p.c.id == passage_id))
        if not rows:
            return None
        row = rows[0]._mapping
        neighbours = self.store._read(
            select(p.c.id, p.c.ordinal, p.c.text)
            .where(p.c.document_id == row["document_id"], p.c.ordinal.between(row["ordinal"] - 2, row["ordinal"] + 2), p.c.id != passage_id)
            .order_by(p.c.ordinal)
        )
        entities = [dict(r._mapping) for r in self.store._read(select(e.c.label, e.c.text, e.c.start, e.c.end, e.c.canonical, e.c.role).where(e.c.passage_id == passage_id).order_by(e.c.start))]
        figures = [dict(r._mapping) for r in self.store._read(select(f.c.text, f.c.start, f.c.end, f.c.value, f.c.unit, f.c.counted).where(f.c.passage_id == passage_id).order_by(f.c.start))]
        suggestions = [
            dict(r._mapping)
            for r in self.store._read(
                select(s.c.goal, s.c.score, s.c.predicted, s.c.flagged, s.c.priority, s.c.reasons, s.c.explanation, s.c.model)
                .where(s.c.passage_id == passage_id, s.c.taxonomy == self.taxonomy)
                .order_by(s.c.score.desc())
            )
        ]
        return Item(
            passage_id=passage_id,
            text=row["text"],
            ordinal=row["ordinal"],
            document={k: row[k] for k in ("url", "title", "date", "organisation", "sitename")},
            before=[dict(n._mapping) for n in neighbours if n.ordinal < row["ordinal"]],
            after=[dict(n._mapping) for n in neighbours if n.ordinal > row["ordinal"]],
            entities=entities,
            figures=figures,
            suggestions=suggestions,
            decisions=[r for r in self.effective() if r["passage_id"] == passage_id],
        )

    def next_item(self, reviewer: str, filters: Filters = Filters()) -> str | None:
        items = self.items(reviewer, filters, limit=1)
        return items[0].passage_id if items else None

    def organisations(self) -> list[str]:
        d = schema.documents
        return [r[0] for r in self.store._read(select(d.c.organisation).where(d.c.organisation.is_not(None)).distinct().order_by(d.c.organisation))]

    # --- writing --------------------------------------------------------------------------

    def decide(self, passage_id: str, reviewer: str, decision: str, *, goals: Sequence[int] = (), note: str | None = None, goal_ids: Sequence[int] = ()) -> int:
        """Record a decision; returns the review id."""
        if decision not in DECISIONS:
            raise DecisionError(f"unknown decision '{decision}'; use one of {', '.join(DECISIONS)}")
        item = self.item(passage_id)
        if item is None:
            raise DecisionError(f"no passage '{passage_id}' in the database")
        chosen = sorted({int(g) for g in goals})
        if goal_ids and set(chosen) - set(goal_ids):
            raise DecisionError(f"goals {sorted(set(chosen) - set(goal_ids))} are not in taxonomy '{self.taxonomy}'")
        before = item.suggested
        after = {"accept": before, "skip": before, "reject": [], "no_goal": [], "change": chosen}[decision]
        if decision == "change" and not chosen:
            raise DecisionError("a change needs at least one goal; use 'no goal' for a passage that is evidence for none")
        return self._insert(passage_id, item.text, decision, before, after, reviewer, (note or "").strip() or None, None)

    def undo_last(self, reviewer: str) -> int | None:
        """Take back the reviewer's latest effective decision; returns its passage id's review id."""
        mine = [r for r in self.effective() if r["reviewer"] == reviewer]
        if not mine:
            return None
        last = max(mine, key=lambda r: (r["created_at"], r["id"]))
        self._insert(last["passage_id"], last["passage_text"], "undo", last["goals_before"], last["goals_before"], reviewer, None, last["id"])
        return last["id"]

    def _insert(self, passage_id: str, text: str, decision: str, before: list[int], after: list[int], reviewer: str, note: str | None, undoes: int | None) -> int:
        row = {
            "passage_id": passage_id,
            "passage_text": text,
            "taxonomy": self.taxonomy,
            "decision": decision,
            "goals_before": before,
            "goals_after": after,
            "reviewer": reviewer,
            "note": note,
            "created_at": now(),
            "undoes": undoes,
        }
        with self.store.transaction() as tx:
            result = tx.connection.execute(insert(schema.reviews).values(**row))
            return int(result.inserted_primary_key[0])

    # --- history and statistics -----------------------------------------------------------

    def history(self) -> list[dict[str, Any]]:
        """Every review row of the taxonomy, oldest first, undos included."""
        return self.store.reviews(self.taxonomy)

    def effective(self) -> list[dict[str, Any]]:
        return effective_reviews(self.history())

    def _decided_by(self, reviewer: str | None) -> set[str]:
        return {r["passage_id"] for r in self.effective() if reviewer is None or r["reviewer"] == reviewer}

    def status(self, today: date | None = None) -> dict[str, Any]:
        effective = self.effective()
        day = today or now().date()
        decided = [r for r in effective if r["decision"] != "skip"]
        return {
            "queue": self.size(),
            "reviews_today": sum(1 for r in decided if _day(r["created_at"]) == day),
            "reviews": len(decided),
            "reviewers": len({r["reviewer"] for r in decided}),
            "by_decision": {d: sum(1 for r in effective if r["decision"] == d) for d in DECISIONS},
            "agreement": agreement(decided),
            "model_precision": model_precision(decided),
        }


def agreement(reviews: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How often two reviewers of the same passage settled on the same goals (latest decision
    of each reviewer; pairs of reviewers per passage)."""
    latest: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for r in sorted(reviews, key=lambda r: (r["created_at"], r["id"])):
        latest[r["passage_id"]][r["reviewer"]] = sorted(r["goals_after"] or [])
    pairs = agreeing = 0
    for by_reviewer in latest.values():
        for a, b in combinations(by_reviewer.values(), 2):
            pairs += 1
            agreeing += a == b
    shared = sum(1 for by_reviewer in latest.values() if len(by_reviewer) > 1)
    return {"passages": shared, "pairs": pairs, "rate": round(agreeing / pairs, 3) if pairs else None}


def model_precision(reviews: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Of the goals the model suggested on reviewed passages, the share the reviewers kept."""
    suggested = kept = 0
    for r in reviews:
        before = set(r["goals_before"] or [])
        suggested += len(before)
        kept += len(before & set(r["goals_after"] or []))
    return {"suggested": suggested, "kept": kept, "precision": round(kept / suggested, 3) if suggested else None}


def _filtered(statement: Select, filters: Filters) -> Select:
    d, s = schema.documents, schema.suggestions
    if filters.organisation:
        statement = statement.where(d.c.organisation == filters.organisation)
    if filters.goal is not None:
        statement = statement.where(s.c.goal == filters.goal)
    if filters.source:
        pattern = f"%{filters.source}%"
        statement = statement.where(or_(d.c.sitename.ilike(pattern), d.c.url.ilike(pattern)))
    if filters.date_from:
        statement = statement.where(and_(d.c.date.is_not(None), func.substr(d.c.date, 1, 10) >= filters.date_from))
    if filters.date_to:
        statement = statement.where(and_(d.c.date.is_not(None), func.substr(d.c.date, 1, 10) <= filters.date_to))
    return statement


def _iso(value: str) -> str | None:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def _day(value: datetime | str) -> date:
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).date()
