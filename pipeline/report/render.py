"""Rendering the evidence table for a terminal (rich)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from pipeline.taxonomy import Taxonomy


def evidence_rich_table(table: pd.DataFrame, taxonomy: Taxonomy) -> Table:
    """Organisations by goal; zero cells dimmed so the evidence stands out; a legend of goal titles."""
    legend = "   ".join(f"{goal.id} {goal.title}" for goal in taxonomy.goals)
    rich_table = Table(
        title=f"Passages of evidence per organisation and goal ({taxonomy.title})",
        caption=legend,
        caption_justify="left",
        show_lines=False,
    )
    rich_table.add_column("Organisation", overflow="fold", max_width=44)
    rich_table.add_column("Docs", justify="right")
    for goal in taxonomy.goal_ids:
        rich_table.add_column(str(goal), justify="right")
    rich_table.add_column("Passages", justify="right", style="bold")
    if table.empty:
        rich_table.add_row("(no documents stored yet)", *[""] * (len(taxonomy.goal_ids) + 2))
        return rich_table
    for organisation, row in table.iterrows():
        cells = [_cell(int(row[str(goal)])) for goal in taxonomy.goal_ids]
        rich_table.add_row(str(organisation), str(int(row["documents"])), *cells, str(int(row["passages"])))
    totals = table.sum(numeric_only=True)
    rich_table.add_section()
    rich_table.add_row(
        "Total", str(int(totals["documents"])), *[str(int(totals[str(g)])) for g in taxonomy.goal_ids], str(int(totals["passages"]))
    )
    return rich_table


def _cell(value: int) -> str:
    return f"[dim]{value}[/dim]" if value == 0 else str(value)
