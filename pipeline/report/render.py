"""Rendering for a terminal (rich): the evidence table, and ``levelup analyze`` passages."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pipeline.report.model import Block, blocks_of
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


def analyze_text(records: Sequence[Mapping[str, Any]], taxonomy: Taxonomy) -> list[Panel]:
    """``levelup analyze`` records as a person reads them: per passage its text, the goals with why
    (the phrases that drove the score, the nearest labelled example), what was flagged for review,
    and the organisations, people, places, figures and quotes found in it."""
    return [_passage_panel(record, taxonomy) for record in records]


def _passage_panel(record: Mapping[str, Any], taxonomy: Taxonomy) -> Panel:
    titles = {goal.id: goal.title for goal in taxonomy.goals}
    lines: list[Text | Table] = [_block(block) for block in blocks_of(str(record.get("text") or ""), record.get("table"))]
    goals = record.get("goals") or []
    if goals:
        lines.append(Text("Goals", style="bold"))
        for goal in goals:
            lines.append(Text.assemble(("  ● ", "green"), (f"{goal['goal']} {titles.get(goal['goal'], '')}", "bold green"), f"  score {goal['score']:.2f}"))
            why = goal.get("why") or {}
            phrases = [p["text"] for p in why.get("phrases") or []][:3]
            if phrases:
                lines.append(Text("    because: " + "; ".join(f"“{p}”" for p in phrases), style="dim"))
            examples = why.get("examples") or []
            if examples:
                lines.append(Text(f"    like: “{_clip(str(examples[0]['text']), 120)}”", style="dim"))
    else:
        lines.append(Text("No goal", style="dim"))
    for flag in record.get("review") or []:
        reasons = ", ".join(flag.get("reasons") or [])
        lines.append(Text(f"  ? goal {flag['goal']} {titles.get(flag['goal'], '')} flagged for review ({reasons}, score {flag['score']:.2f})", style="yellow"))
    found = _entities(record.get("entities") or [])
    if found:
        lines.append(Text.assemble(("Found  ", "bold"), found))
    figures = [_figure(f) for f in record.get("figures") or []]
    if figures:
        lines.append(Text.assemble(("Figures  ", "bold"), "; ".join(figures)))
    for quote in record.get("quotes") or []:
        speaker = ", ".join(str(x) for x in (quote.get("speaker"), quote.get("role"), quote.get("organisation")) if x)
        lines.append(Text(f"Quote  “{_clip(str(quote['text']), 200)}”" + (f" — {speaker}" if speaker else ""), style="italic"))
    where = f"{record.get('doc')} · passage {record.get('passage')}" + (f" · page {record['page']}" if record.get("page") else "")
    heading = " > ".join(record.get("headings") or [])
    return Panel(Group(*lines), title=where, subtitle=_clip(heading, 80) or None, title_align="left", subtitle_align="left", border_style="green" if goals else "dim")


def _block(block: Block) -> Text | Table:
    if not block.is_table:
        return Text(block.text)
    table = Table(title=block.caption or None, title_justify="left", show_header=bool(block.header), box=None, padding=(0, 2, 0, 0))
    for heading in block.header or block.rows[0]:
        table.add_column(heading if block.header else "", overflow="fold")
    for row in block.body:
        table.add_row(*row)
    return table


def _entities(entities: Sequence[Mapping[str, Any]]) -> str:
    names = {"ORG": "organisations", "PERSON": "people", "GPE": "places"}
    parts = []
    for label, name in names.items():
        seen: list[str] = []
        for entity in entities:
            if entity.get("label") != label:
                continue
            text = str(entity.get("canonical") or entity["text"])
            if label == "PERSON":
                text = " ".join(str(x) for x in (entity.get("title"), entity["text"]) if x) + "".join(f", {x}" for x in (entity.get("role"), entity.get("role_org")) if x)
            if text not in seen:
                seen.append(text)
        if seen:
            parts.append(f"{name}: {'; '.join(seen)}")
    return " · ".join(parts)


def _figure(figure: Mapping[str, Any]) -> str:
    counted = figure.get("counted") if re.search(r"[A-Za-z]", str(figure.get("counted") or "")) else None
    year = f" ({figure['year']})" if figure.get("year") else ""
    return f"{figure['text']}{' → ' + str(counted) if counted else ''}{year}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(re.sub(r"\|[\s:|-]*-[\s:|-]*\||\|", " ", text).split())  # no table pipes
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
