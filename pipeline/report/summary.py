"""The evidence summary: passages per organisation and goal.

A passage counts for a goal when the model predicted it, unless a reviewer has decided on that
passage: then the latest review's goals count instead (a "skip" decides nothing, and a decision
taken back by an undo counts for nothing).
"""

from __future__ import annotations

import pandas as pd

from pipeline.evidence.store import Store
from pipeline.taxonomy import Taxonomy

UNATTRIBUTED = "(organisation not identified)"


def evidence_links(store: Store, taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per (passage, goal) of evidence: organisation, document, passage, goal, source:
    "review" (a standing decision), "model" (the model's suggestion stands) or "disputed" (the
    model's suggestion, on a passage reviewers disagree on that nobody has settled)."""
    model = store.predicted_goals(taxonomy.name)
    human = store.reviewed_goals(taxonomy.name)  # the standing decision of each reviewed passage
    model["source"] = model["passage_id"].isin(store.disputed_passages(taxonomy.name)).map({True: "disputed", False: "model"}) if len(model) else "model"
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
    docs = store.document_organisations()
    docs["organisation"] = docs["organisation"].fillna(UNATTRIBUTED)
    table = pd.crosstab(links["organisation"], links["goal"]) if len(links) else pd.DataFrame()
    table = table.reindex(index=sorted(docs["organisation"].unique()), columns=taxonomy.goal_ids, fill_value=0)
    table = table.fillna(0).astype(int)
    table.columns = [str(goal) for goal in table.columns]
    table.insert(0, "documents", docs.groupby("organisation")["document_id"].nunique().reindex(table.index).fillna(0).astype(int))
    table["passages"] = links.groupby("organisation")["passage_id"].nunique().reindex(table.index).fillna(0).astype(int)
    table.index.name = "organisation"
    return table.sort_values(["passages", "documents"], ascending=False)
