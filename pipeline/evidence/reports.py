"""Reads for reports and exports, as DataFrames: evidence per passage and goal (model and
standing reviews), documents per organisation, and whole tables."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import JSON, DateTime, select

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

    def scores(self, passage_ids: Sequence[str], taxonomy: str) -> dict[tuple[str, int], float]:
        """The model's score by (passage id, goal)."""
        s = schema.suggestions
        rows = self._read(select(s.c.passage_id, s.c.goal, s.c.score).where(s.c.passage_id.in_(list(passage_ids)), s.c.taxonomy == taxonomy))
        return {(row.passage_id, row.goal): row.score for row in rows}

    def table_frame(self, name: str, columns: Sequence[str]) -> pd.DataFrame:
        """Table ``name`` with ``columns`` in that order; JSON-valued columns as JSON text, times
        as UTC without a zone (SQLite gives them so, PostgreSQL with one: the same on both)."""
        table = schema.metadata.tables.get(name)
        if table is None or set(columns) - set(table.c.keys()):
            raise InputError(f"no table '{name}' with columns {', '.join(columns)} in the evidence database")
        frame = self._frame(select(*(table.c[c] for c in columns)), list(columns))
        for column in columns:
            kind = table.c[column].type
            if isinstance(kind, JSON):
                frame[column] = frame[column].map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
            elif isinstance(kind, DateTime):
                frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
        return frame

    def _frame(self, statement: object, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame([tuple(row) for row in self._read(statement)], columns=columns)
