"""The evidence summary: passages per organisation and goal.

A passage counts for a goal when the model predicted it, unless a reviewer has decided on that
passage: then the latest review's goals count instead (a "skip" decides nothing, and a decision
taken back by an undo counts for nothing).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from pipeline.taxonomy import Taxonomy
from pipeline.evidence import schema
from pipeline.evidence.store import Store

UNATTRIBUTED = "(organisation not identified)"


def evidence_links(store: Store, taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per (passage, goal) of evidence: organisation, document, passage, goal, source."""
    d, p, s, r = schema.documents, schema.passages, schema.suggestions, schema.reviews
    predicted = (
        select(d.c.organisation, d.c.id.label("document_id"), p.c.id.label("passage_id"), s.c.goal)
        .join(p, p.c.document_id == d.c.id)
        .join(s, s.c.passage_id == p.c.id)
        .where(s.c.taxonomy == taxonomy.name, s.c.predicted.is_(True))
    )
    latest_review = (
        select(r.c.passage_id, func.max(r.c.id).label("id"))
        .where(
            r.c.taxonomy == taxonomy.name,
            r.c.decision.not_in(("skip", "undo")),
            r.c.id.not_in(select(r.c.undoes).where(r.c.undoes.is_not(None)).scalar_subquery()),  # taken back
        )
        .group_by(r.c.passage_id)
        .subquery()
    )
    reviewed = (
        select(d.c.organisation, d.c.id.label("document_id"), p.c.id.label("passage_id"), r.c.goals_after)
        .join(p, p.c.document_id == d.c.id)
        .join(latest_review, latest_review.c.passage_id == p.c.id)
        .join(r, r.c.id == latest_review.c.id)
    )
    with store.engine.connect() as connection:
        model = pd.DataFrame(connection.execute(predicted).mappings().all(), columns=["organisation", "document_id", "passage_id", "goal"])
        human = pd.DataFrame(connection.execute(reviewed).mappings().all(), columns=["organisation", "document_id", "passage_id", "goals_after"])
    model["source"] = "model"
    model = model[~model["passage_id"].isin(human["passage_id"])]
    human = human.explode("goals_after").dropna(subset=["goals_after"]).rename(columns={"goals_after": "goal"})
    human["source"] = "review"
    links = pd.concat([model, human], ignore_index=True)
    links["goal"] = links["goal"].astype(int)
    links["organisation"] = links["organisation"].fillna(UNATTRIBUTED)
    return links


def evidence_table(store: Store, taxonomy: Taxonomy) -> pd.DataFrame:
    """Passages of evidence per organisation (rows) and goal (columns), with totals.

    Every goal of the taxonomy has a column, so a goal with no evidence shows as zeros; every
    stored organisation has a row, so one with documents but no evidence shows too.
    """
    links = evidence_links(store, taxonomy)
    with store.engine.connect() as connection:
        docs = pd.DataFrame(
            connection.execute(select(schema.documents.c.id, schema.documents.c.organisation)).all(),
            columns=["document_id", "organisation"],
        )
    docs["organisation"] = docs["organisation"].fillna(UNATTRIBUTED)
    table = pd.crosstab(links["organisation"], links["goal"]) if len(links) else pd.DataFrame()
    table = table.reindex(index=sorted(docs["organisation"].unique()), columns=taxonomy.goal_ids, fill_value=0)
    table = table.fillna(0).astype(int)
    table.columns = [str(goal) for goal in table.columns]
    table.insert(0, "documents", docs.groupby("organisation")["document_id"].nunique().reindex(table.index).fillna(0).astype(int))
    table["passages"] = links.groupby("organisation")["passage_id"].nunique().reindex(table.index).fillna(0).astype(int)
    table.index.name = "organisation"
    return table.sort_values(["passages", "documents"], ascending=False)
