"""The review queue and the decisions staff make on it, over the evidence database.

A queue item is a passage with at least one flagged goal suggestion, ranked by its highest
review priority (the expected value of a review, ``pipeline.classify.flag``). A reviewer's queue
leaves out passages they have already decided while the decision stands; passages they skipped
come back after all the others.

Decisions are rows of ``reviews`` and are never changed: an undo is a row of its own that points
at the review it takes back (``undoes``). The *effective* decisions are the rows that are not
undos and have not been undone. What each decision means for training:

=========  ==========================================  ==========================
decision   ``goals_after``                             a training label?
=========  ==========================================  ==========================
accept     the goals shown ticked (the model's), kept   yes
change     the goals the reviewer ticked               yes
no_goal    ``[]``                                      yes ("no goal")
reject     ``[]``: none of the suggested goals apply   no: the right goals are unknown
skip       the suggested goals, unchanged              no
=========  ==========================================  ==========================

A decision made on the review page records what the reviewer saw: the form carries the
suggestions' ``version`` (a hash of every goal's score and marks and the model) and the goals
shown ticked; when the suggestions changed since the page was drawn the decision is refused
(``StaleDecision``). The page's "accept" saves the ticked goals: as ``accept`` when they are the
model's, ``no_goal`` when none is ticked, ``change`` otherwise. Each page carries a one-time
token, so a double submission stores one review.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from hashlib import sha256
from typing import Any

from pipeline.errors import DecisionError, InputError, StaleDecision
from pipeline.evidence.standing import agreement, agreement_by_goal, agreement_by_reviewer, model_precision
from pipeline.evidence.store import DECIDING, LABELLING_DECISIONS, SETTLE, Store, now

DECISIONS = ("accept", "reject", "change", "no_goal", "skip")
__all__ = ["DECISIONS", "LABELLING_DECISIONS", "Filters", "Item", "QueueItem", "ReviewQueue", "agreement", "agreement_by_goal", "agreement_by_reviewer", "model_precision"]
ENTITY_KEYS = ("label", "text", "start", "end", "canonical", "role")  # what the review page shows
FIGURE_KEYS = ("text", "start", "end", "value", "unit", "counted")
SUGGESTION_KEYS = ("goal", "score", "predicted", "flagged", "priority", "reasons", "explanation", "model", "created_at")
MAX_NOTE = 2000  # characters; a longer note is refused, not cut
MAX_FILTER = 200  # characters of a filter value
_GOAL = re.compile(r"^[0-9]{1,3}$")  # ASCII digits only


@dataclass(frozen=True)
class Filters:
    organisation: str | None = None
    goal: int | None = None
    source: str | None = None  # a document's site name or URL host
    date_from: str | None = None  # ISO dates, compared with the document's date
    date_to: str | None = None
    search: str | None = None  # words in the passage text

    @classmethod
    def parse(cls, values: dict[str, str]) -> Filters:
        """From query-string (or carried form) values; blank means no filter. A value no filter can
        use (a goal that is not 1-3 ASCII digits, a date not YYYY-MM-DD, text over 200 characters or
        with a NUL) is an ``InputError`` (a 400), raised before anything is read or stored."""
        for key in ("organisation", "source", "search", "date_from", "date_to", "goal"):
            value = values.get(key, "")
            if len(value) > MAX_FILTER or "\x00" in value:
                raise InputError(f"the {key.replace('_', ' ')} filter is too long or has a NUL character; use at most {MAX_FILTER} plain characters")
        goal = values.get("goal", "").strip()
        if goal and not _GOAL.match(goal):
            raise InputError(f"the goal filter '{goal[:20]}' is not a goal number; pick a goal from the list, or none")
        dates = {}
        for key in ("date_from", "date_to"):
            text = values.get(key, "").strip()
            dates[key] = _iso(text)
            if text and dates[key] is None:
                raise InputError(f"'{text[:20]}' is not a date; write dates as YYYY-MM-DD, e.g. 2026-05-01")
        return cls(
            organisation=values.get("organisation", "").strip() or None,
            goal=int(goal) if goal else None,
            source=values.get("source", "").strip() or None,
            date_from=dates["date_from"],
            date_to=dates["date_to"],
            search=" ".join(values.get("search", "").split()) or None,
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
    skipped: bool = False  # skipped by this reviewer before: back at the end of the queue


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
        return sorted(s["goal"] for s in self.suggestions if s["predicted"])

    @property
    def version(self) -> str:
        """What the reviewer is shown, as a short hash: each goal's score and marks, and the model."""
        return suggestion_version(self.suggestions)


def suggestion_version(suggestions: Sequence[dict[str, Any]]) -> str:
    parts = sorted(f"{s['goal']}:{s['score']:.4f}:{int(bool(s['predicted']))}:{int(bool(s['flagged']))}:{s['model']}" for s in suggestions)
    return sha256("|".join(parts).encode()).hexdigest()[:16]


class ReviewQueue:
    """Queue, item views, decisions, undo and statistics for one taxonomy."""

    def __init__(self, store: Store, taxonomy: str, *, reviewers_per_passage: int | None = None) -> None:
        self.store = store
        self.taxonomy = taxonomy
        self.reviewers_per_passage = reviewers_per_passage  # None: every reviewer sees every passage

    # --- reading --------------------------------------------------------------------------

    def items(self, reviewer: str | None, filters: Filters = Filters(), limit: int = 50, offset: int = 0) -> list[QueueItem]:
        """Flagged passages not yet decided by ``reviewer`` (by anyone, if None), most valuable
        first; the reviewer's skipped passages come back after the rest."""
        return self.page(reviewer, filters, limit, offset)[0]

    def page(self, reviewer: str | None, filters: Filters = Filters(), limit: int = 50, offset: int = 0) -> tuple[list[QueueItem], int]:
        """One page of the queue, and how many passages the queue holds with these filters."""
        rows, total = self.store.queue_page(
            self.taxonomy, reviewer, **asdict(filters), limit=limit, offset=offset, reviewers_per_passage=self.reviewers_per_passage
        )
        items = [
            QueueItem(
                passage_id=row["passage_id"], text=row["text"], priority=round(row["priority"], 4), goals=row["goals"], reasons=row["reasons"],
                document_title=row["title"], organisation=row["organisation"], date=row["date"], skipped=row["skipped"],
            )
            for row in rows
        ]
        return items, total

    def size(self, reviewer: str | None = None) -> int:
        """Passages waiting in the queue: for ``reviewer`` (their skips wait too, at the end), or
        for a first decision by anyone (a skip decides nothing)."""
        return self.page(reviewer, limit=1)[1]

    def item(self, passage_id: str) -> Item | None:
        row = self.store.passage(passage_id)
        if row is None:
            return None
        neighbours = self.store.neighbours(passage_id, row["document_id"], row["ordinal"])
        return Item(
            passage_id=passage_id,
            text=row["text"],
            ordinal=row["ordinal"],
            document={k: row[k] for k in ("url", "title", "date", "organisation", "sitename")},
            before=[n for n in neighbours if n["ordinal"] < row["ordinal"]],
            after=[n for n in neighbours if n["ordinal"] > row["ordinal"]],
            entities=[_only(e, ENTITY_KEYS) for e in self.store.entities([passage_id])],
            figures=[_only(f, FIGURE_KEYS) for f in self.store.figures([passage_id])],
            suggestions=[_only(s, SUGGESTION_KEYS) for s in self.store.suggestions([passage_id], self.taxonomy)],
            decisions=self.store.passage_reviews(self.taxonomy, passage_id),
        )

    def next_item(self, reviewer: str, filters: Filters = Filters()) -> str | None:
        items = self.items(reviewer, filters, limit=1)
        return items[0].passage_id if items else None

    def organisations(self) -> list[str]:
        return self.store.organisations()

    # --- writing --------------------------------------------------------------------------

    def decide(
        self,
        passage_id: str,
        reviewer: str,
        decision: str,
        *,
        goals: Sequence[int] | None = None,
        note: str | None = None,
        goal_ids: Sequence[int] = (),
        shown: str | None = None,
        shown_goals: Sequence[int] | None = None,
        token: str | None = None,
    ) -> int:
        """Record a decision; returns the review id (the earlier one when ``token`` was used before).

        ``shown`` and ``shown_goals``: the suggestions' version and the goals ticked on the page
        the decision was made on; a decision on suggestions that changed since is refused. With
        ``goals`` (the ticked goals), "accept" saves them; without, it keeps the model's.
        """
        row = self.review_row(passage_id, reviewer, decision, goals=goals, note=note, goal_ids=goal_ids, shown=shown, shown_goals=shown_goals, token=token)
        review_id = self.store.add_reviews([row])[0]
        stored = self.store.review(review_id) if token else None
        if stored is not None and stored["passage_id"] != passage_id:  # the token of a page about another passage
            raise DecisionError("this form was already used for a decision on another passage; nothing was saved. Reload the page and decide again")
        return review_id

    def full(self, passage_id: str, reviewer: str) -> bool:
        """Under double (or wider) review, whether the passage already has the ``reviewers_per_passage``
        reviewers it needs without ``reviewer``, who then may not decide it (an extra opinion would
        skew the measured agreement; revising one's own decision is always allowed)."""
        if not self.reviewers_per_passage or self.reviewers_per_passage < 2:  # sharing the work out: a second look is welcome
            return False
        deciders = {d["reviewer"] for d in self.store.passage_reviews(self.taxonomy, passage_id) if d["decision"] in DECIDING}
        return reviewer not in deciders and len(deciders) >= self.reviewers_per_passage

    def decide_all(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Store review rows made by ``review_row`` in one transaction: all of them or none."""
        return self.store.add_reviews(rows)

    def review_row(
        self,
        passage_id: str,
        reviewer: str,
        decision: str,
        *,
        goals: Sequence[int] | None = None,
        note: str | None = None,
        goal_ids: Sequence[int] = (),
        shown: str | None = None,
        shown_goals: Sequence[int] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """The review row a decision makes, checked (``DecisionError``, ``StaleDecision``), not stored."""
        if decision not in DECISIONS:
            raise DecisionError(f"unknown decision '{decision}'; use one of {', '.join(DECISIONS)}")
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise DecisionError(f"the note has {len(note):,} characters; keep it under {MAX_NOTE:,}")
        item = self.item(passage_id)
        if item is None:
            raise DecisionError(f"no passage '{passage_id}' in the database")
        chosen = None if goals is None else sorted({int(g) for g in goals})
        if goal_ids and chosen and set(chosen) - set(goal_ids):
            raise DecisionError(f"goals {sorted(set(chosen) - set(goal_ids))} are not in taxonomy '{self.taxonomy}'")
        before = item.suggested
        if shown is not None and (shown != item.version or (shown_goals is not None and sorted(shown_goals) != before)):
            raise StaleDecision(item, "the model's suggestions for this passage changed after the page was drawn; nothing was saved. Here they are as they stand now: decide again")
        if decision == "accept" and chosen is not None:
            decision = "accept" if chosen == before and chosen else "no_goal" if not chosen else "change"
        if decision == "change" and not chosen:
            raise DecisionError("a change needs at least one goal; use 'no goal' for a passage that is evidence for none")
        after = {"accept": before, "skip": before, "reject": [], "no_goal": [], "change": chosen or []}[decision]
        return {
            "passage_id": passage_id, "passage_text": item.text, "taxonomy": self.taxonomy, "decision": decision, "goals_before": before,
            "goals_after": after, "reviewer": reviewer, "note": note, "created_at": now(), "undoes": None,
            "token": _token_key(reviewer, token), "shown": shown or item.version, "stands": True,
        }

    def undo_last(self, reviewer: str) -> int | None:
        """Take back the reviewer's latest standing decision; returns that review's id."""
        mine = self.store.reviewer_reviews(self.taxonomy, reviewer, limit=1)
        return self.undo(int(mine[0]["id"]), reviewer) if mine else None

    def undo(self, review_id: int, reviewer: str) -> int | None:
        """Take back one of the reviewer's own standing decisions; returns its id, or None when
        it is not theirs or no longer stands."""
        row = self.store.review(review_id)
        if row is None or row["reviewer"] != reviewer or not row["stands"] or row["taxonomy"] != self.taxonomy:
            return None
        self._insert(row["passage_id"], row["passage_text"], "undo", row["goals_before"], row["goals_before"], reviewer, None, review_id)
        return review_id

    def disagreements(self) -> list[dict[str, Any]]:
        """Passages reviewers decided differently, not yet settled."""
        return self.store.disagreements(self.taxonomy)

    def settle(self, passage_id: str, admin: str, goals: Sequence[int], *, goal_ids: Sequence[int] = (), note: str | None = None) -> int:
        """An administrator's label for a passage reviewers disagree on: it becomes the passage's
        standing decision for reports, exports and training (until taken back)."""
        row = self.review_row(passage_id, admin, "change" if goals else "no_goal", goals=goals, goal_ids=goal_ids, note=note)
        return self.store.add_reviews([row | {"decision": SETTLE}])[0]

    def mine(self, reviewer: str, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """The reviewer's standing decisions, newest first (revising one adds a new review)."""
        return self.store.reviewer_reviews(self.taxonomy, reviewer, limit=limit, offset=offset)

    def _insert(self, passage_id: str, text: str, decision: str, before: list[int], after: list[int], reviewer: str, note: str | None, undoes: int | None) -> int:
        return self.store.add_review(
            passage_id=passage_id,
            passage_text=text,
            taxonomy=self.taxonomy,
            decision=decision,
            goals_before=before,
            goals_after=after,
            reviewer=reviewer,
            note=note,
            undoes=undoes,
        )

    # --- history and statistics -----------------------------------------------------------

    def history(self) -> list[dict[str, Any]]:
        """Every review row of the taxonomy, oldest first, undos included."""
        return self.store.reviews(self.taxonomy)

    def effective(self) -> list[dict[str, Any]]:
        """The standing decisions (not undos, not undone), oldest first."""
        return self.store.standing_reviews(self.taxonomy)

    def status(self, today: date | None = None) -> dict[str, Any]:
        """What /status shows, from aggregates the store keeps on every review write (``review_counts``,
        ``passage_standing.disputed``) and covering indexes: no read of the review history."""
        day = today or now().date()
        start = datetime.combine(day, time.min, tzinfo=UTC)
        found = self.store.status_counts(self.taxonomy, start, start + timedelta(days=1))
        by_decision = found["by_decision"]
        sums: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
        for kind, key, n, m, passages in found["sums"]:
            sums[kind][key] = (n, m, passages)
        pairs, agreeing, shared = sums["pair"].get("", (0, 0, 0))
        suggested, kept, _ = sums["model"].get("", (0, 0, 0))
        return {
            "queue": self.size(),
            "reviews_today": found["today"],
            "reviews": sum(by_decision.get(d, 0) for d in DECIDING),
            "reviewers": found["reviewers"],
            "by_decision": {d: by_decision.get(d, 0) for d in (*DECISIONS, SETTLE)},
            "agreement": {"passages": shared, "pairs": pairs, "rate": round(agreeing / pairs, 3) if pairs else None},
            "agreement_by_reviewer": {who: {"pairs": n, "rate": round(m / n, 3)} for who, (n, m, _) in sorted(sums["reviewer"].items()) if n},
            "agreement_by_goal": {int(goal): {"pairs": n, "rate": round(m / n, 3)} for goal, (n, m, _) in sorted(sums["goal"].items(), key=lambda kv: int(kv[0])) if n},
            "disagreements": found["disputed"],
            "model_precision": {"suggested": suggested, "kept": kept, "precision": round(kept / suggested, 3) if suggested else None},
        }


def _token_key(reviewer: str, token: str | None) -> str | None:
    """The stored form of a page's token: scoped to the reviewer, fixed length."""
    return sha256(f"{reviewer}\n{token}".encode()).hexdigest() if token else None


def _only(row: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {key: row[key] for key in keys}


def _iso(value: str) -> str | None:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None
