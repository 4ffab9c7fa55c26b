"""Reads for reports and exports, as DataFrames: evidence per passage and goal (model and
standing reviews), documents per organisation, and whole tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, select

from pipeline.errors import InputError
from pipeline.evidence import schema
from pipeline.evidence.base import StoreBase
from pipeline.evidence.standing import DECIDING, standing_decisions


class ReportReads(StoreBase):
    def predicted_goals(self, taxonomy: str) -> pd.DataFrame:
        """One row per goal the model predicted for a passage: organisation, document_id,
        passage_id, goal."""
        d, p, s = schema.documents, schema.passages, schema.suggestions
        statement = (
            select(d.c.organisation, d.c.id.label("document_id"), p.c.id.label("passage_id"), s.c.goal)
            .join(p, p.c.document_id == d.c.id)
            .join(s, s.c.passage_id == p.c.id)
            .where(s.c.taxonomy == taxonomy, s.c.predicted.is_(True))
        )
        return self._frame(statement, ["organisation", "document_id", "passage_id", "goal"])

    def reviewed_goals(self, taxonomy: str) -> pd.DataFrame:
        """One row per stored passage with a standing decision (any but a skip): organisation,
        document_id, passage_id, goals_after (a list; empty for a reject or "no goal")."""
        d, p = schema.documents, schema.passages
        decided = standing_decisions(taxonomy, DECIDING)
        statement = (
            select(d.c.organisation, d.c.id.label("document_id"), p.c.id.label("passage_id"), decided.c.goals_after)
            .join(p, p.c.document_id == d.c.id)
            .join(decided, decided.c.passage_id == p.c.id)
        )
        return self._frame(statement, ["organisation", "document_id", "passage_id", "goals_after"])

    def suggestions_frame(self, taxonomy: str) -> pd.DataFrame:
        """Every suggestion of a taxonomy with its passage's text and its document's organisation
        and title: what a notebook needs to look at the model's errors."""
        d, p, s = schema.suggestions.c, schema.passages, schema.documents
        statement = (
            select(d.passage_id, d.goal, d.score, d.predicted, d.flagged, d.priority, d.reasons, d.explanation, d.model,
                   p.c.text, s.c.organisation, s.c.title)
            .join(p, p.c.id == d.passage_id)
            .join(s, s.c.id == p.c.document_id)
            .where(d.taxonomy == taxonomy)
        )  # fmt: skip
        columns = ["passage_id", "goal", "score", "predicted", "flagged", "priority", "reasons", "explanation", "model", "text", "organisation", "title"]
        frame = self._frame(statement, columns)
        frame["predicted"] = frame["predicted"].astype(bool)
        frame["flagged"] = frame["flagged"].astype(bool)
        return frame

    def document_organisations(self) -> pd.DataFrame:
        """document_id and organisation (None when not identified) of every document."""
        d = schema.documents
        return self._frame(select(d.c.id, d.c.organisation), ["document_id", "organisation"])

    def report_passages(self, passage_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """By passage id: every column of the passage (its ``table`` too, where the schema has
        one), and its document's url, title and date."""
        p, d = schema.passages, schema.documents
        rows = self._dicts_for(lambda ids: select(p, d.c.url, d.c.title, d.c.date).join(d, d.c.id == p.c.document_id).where(p.c.id.in_(ids)), passage_ids)
        return {row["id"]: row for row in rows}

    def disputed_passages(self, taxonomy: str, passage_ids: Sequence[str] | None = None) -> set[str]:
        """Those of ``passage_ids`` (None: of all) reviewers decided differently that nobody has
        settled: no review stands for them, so a report marks them disputed (never reviewed)."""
        kept = schema.passage_standing
        where = (kept.c.taxonomy == taxonomy, kept.c.disputed.is_(True))
        if passage_ids is None:  # a few rows, read through their own index
            return {row.passage_id for row in self._read(select(kept.c.passage_id).where(*where))}
        rows = self._dicts_for(lambda ids: select(kept.c.passage_id).where(*where, kept.c.passage_id.in_(ids)), passage_ids)
        return {row["passage_id"] for row in rows}

    def standing_evidence(self, taxonomy: str, passage_ids: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The two halves of the evidence that stands for ``taxonomy``.

        ``model``: one row per goal the model predicted, on passages without a standing decision
        (passage_id, goal, score, model, suggested_at, and ``disputed``: reviewers decided the
        passage differently and nobody has settled it, so no review stands). ``reviewed``: one row per passage with a
        standing decision but a skip (passage_id, goals_after, reviewer, decision, reviewed_at);
        goals_after is empty for a reject or "no goal". Both carry the passage's document,
        organisation, url, title, date, text and ordinal. ``passage_ids``: only those passages.
        """
        d, p, s = schema.documents, schema.passages, schema.suggestions
        decided = standing_decisions(taxonomy, DECIDING)
        where = (d.c.organisation, d.c.id.label("document_id"), d.c.url, d.c.title, d.c.date, p.c.id.label("passage_id"), p.c.ordinal, p.c.text)
        place = ["organisation", "document_id", "url", "title", "date", "passage_id", "ordinal", "text"]
        kept = schema.passage_standing
        disputed = p.c.id.in_(select(kept.c.passage_id).where(kept.c.taxonomy == taxonomy, kept.c.disputed.is_(True)))
        model = (
            select(*where, s.c.goal, s.c.score, s.c.model, s.c.created_at, disputed.label("disputed"))
            .join(p, p.c.document_id == d.c.id)
            .join(s, s.c.passage_id == p.c.id)
            .where(s.c.taxonomy == taxonomy, s.c.predicted.is_(True), p.c.id.not_in(select(decided.c.passage_id)))
        )
        reviewed = (
            select(*where, decided.c.goals_after, decided.c.reviewer, decided.c.decision, decided.c.created_at)
            .join(p, p.c.document_id == d.c.id)
            .join(decided, decided.c.passage_id == p.c.id)
        )
        model_columns, reviewed_columns = [*place, "goal", "score", "model", "suggested_at", "disputed"], [*place, "goals_after", "reviewer", "decision", "reviewed_at"]
        if passage_ids is None:
            return self._frame(model, model_columns), self._frame(reviewed, reviewed_columns)
        ids = list(dict.fromkeys(passage_ids))
        chunks = [ids[start : start + 500] for start in range(0, len(ids), 500)]
        return (
            pd.DataFrame([tuple(row) for chunk in chunks for row in self._read(model.where(p.c.id.in_(chunk)))], columns=model_columns),
            pd.DataFrame([tuple(row) for chunk in chunks for row in self._read(reviewed.where(p.c.id.in_(chunk)))], columns=reviewed_columns),
        )

    def taxonomies_in_use(self) -> list[str]:
        """Every taxonomy some suggestion or review is for, alphabetically."""
        s, r = schema.suggestions, schema.reviews
        names = {row[0] for row in self._read(select(s.c.taxonomy).distinct())}
        names |= {row[0] for row in self._read(select(r.c.taxonomy).distinct())}
        return sorted(names)

    def table_columns(self, name: str) -> dict[str, str]:
        """Column name -> kind (json, datetime, integer, float, boolean, text) of a stored table."""
        table = schema.metadata.tables[name]
        return {column.name: _kind(column.type) for column in table.c}

    def scores(self, passage_ids: Sequence[str], taxonomy: str) -> dict[tuple[str, int], float]:
        """The model's score by (passage id, goal)."""
        s = schema.suggestions
        rows = self._dicts_for(lambda ids: select(s.c.passage_id, s.c.goal, s.c.score).where(s.c.passage_id.in_(ids), s.c.taxonomy == taxonomy), passage_ids)
        return {(row["passage_id"], row["goal"]): row["score"] for row in rows}

    def table_frame(self, name: str, columns: Sequence[str], *, json_text: bool = True) -> pd.DataFrame:
        """Table ``name`` with ``columns`` in that order; JSON-valued columns as JSON text (or as
        the decoded lists and dicts with ``json_text=False``), times as UTC without a zone
        (SQLite gives them so, PostgreSQL with one: the same on both)."""
        table = schema.metadata.tables.get(name)
        if table is None or set(columns) - set(table.c.keys()):
            raise InputError(f"no table '{name}' with columns {', '.join(columns)} in the evidence database")
        frame = self._frame(select(*(table.c[c] for c in columns)), list(columns))
        for column in columns:
            kind = table.c[column].type
            if json_text and isinstance(kind, JSON):
                frame[column] = frame[column].map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
            elif isinstance(kind, DateTime):
                frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
        return frame

    def _frame(self, statement: object, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame([tuple(row) for row in self._read(statement)], columns=columns)


def _kind(column_type: object) -> str:
    for kind, sql_type in (("json", JSON), ("datetime", DateTime), ("boolean", Boolean), ("integer", Integer), ("float", Float)):
        if isinstance(column_type, sql_type):
            return kind
    return "text"
