"""``levelup report --org NAME``: one organisation's evidence, goal by goal, as a first draft in
the shape of a Levelling Up Impact Report (HTML or Markdown).

For each goal with evidence: the strongest passages (reviewed first, then by model score) with
their source links and dates, the figures, quotes and people in them. Charts of evidence per goal
and over time are inline SVG, so the HTML is one self-contained file that opens in a browser
without a server. Every piece of scraped text is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from pipeline.errors import InputError
from pipeline.evidence.store import Store
from pipeline.report.summary import evidence_links
from pipeline.taxonomy import Taxonomy

TEMPLATES = Path(__file__).parent / "templates"
STRONGEST = 5  # passages shown per goal


@dataclass
class GoalSection:
    id: int
    title: str
    passages: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0  # passages of evidence


@dataclass
class OrganisationReport:
    organisation: str
    taxonomy: Taxonomy
    sections: list[GoalSection]
    documents: int
    first: str | None
    last: str | None
    by_period: dict[str, int]  # year or year-month -> passages of evidence

    @property
    def with_evidence(self) -> list[GoalSection]:
        return [s for s in self.sections if s.count]

    @property
    def without_evidence(self) -> list[GoalSection]:
        return [s for s in self.sections if not s.count]


def build(store: Store, taxonomy: Taxonomy, organisation: str) -> OrganisationReport:
    known = store.organisations()
    match = next((o for o in known if o.lower() == organisation.strip().lower()), None)
    if match is None:
        close = [o for o in known if organisation.strip().lower() in o.lower()]
        hint = f"did you mean {', '.join(repr(o) for o in close[:3])}?" if close else f"known: {', '.join(known[:8])}{' ...' if len(known) > 8 else ''}"
        raise InputError(f"no organisation named '{organisation}' in the database; {hint}")
    links = evidence_links(store, taxonomy)
    links = links[links["organisation"] == match]
    passage_ids = sorted(set(links["passage_id"]))
    passages = store.passages_with_documents(passage_ids)
    scores = store.scores(passage_ids, taxonomy.name)
    figures = _by_passage(store.figures(passage_ids))
    quotes = _by_passage(store.quotes(passage_ids))
    people = _by_passage(store.entities(passage_ids, label="PERSON"))

    sections = []
    for goal in taxonomy.goals:
        mine = links[links["goal"] == goal.id]
        ranked = sorted(
            {(row.passage_id, row.source) for row in mine.itertuples()},
            key=lambda item: (item[1] != "review", -scores.get((item[0], goal.id), 0.0), passages.get(item[0], {}).get("date") or ""),
        )
        section = GoalSection(goal.id, goal.title, count=len({pid for pid, _ in ranked}))
        for passage_id, source in ranked[:STRONGEST]:
            if passage_id not in passages:
                continue
            section.passages.append(passages[passage_id] | {"score": scores.get((passage_id, goal.id)), "source": source})
            section.figures.extend(figures.get(passage_id, []))
            section.quotes.extend(x for x in quotes.get(passage_id, []) if x["text"] not in {y["text"] for y in section.quotes})
            for person in people.get(passage_id, []):
                if person["text"] not in {x["text"] for x in section.people}:
                    section.people.append(person)
        sections.append(section)

    documents = store.documents_of(match)
    dates = sorted(r["date"][:10] for r in documents if r["date"])
    dated = pd.Series([passages[pid]["date"] for pid in set(links["passage_id"]) if pid in passages and passages[pid]["date"]], dtype="object")
    by_period = dated.str[:4].value_counts().sort_index().to_dict() if len(dated) else {}
    return OrganisationReport(match, taxonomy, sections, len(documents), dates[0] if dates else None, dates[-1] if dates else None, by_period)


def render(report: OrganisationReport, fmt: str) -> str:
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    environment.filters["md"] = _markdown_escape
    reviewed = any(p["source"] == "review" for s in report.sections for p in s.passages)
    context = {"r": report, "today": date.today().isoformat(), "goal_chart": goal_chart(report), "time_chart": time_chart(report), "reviewed": reviewed}
    if fmt == "html":
        return environment.get_template("organisation.html").render(**context)
    if fmt == "md":
        return environment.get_template("organisation.md").render(**context)
    raise InputError(f"unknown report format '{fmt}'; use html or md")


def goal_chart(report: OrganisationReport) -> Markup:
    """Horizontal bars: passages of evidence per goal."""
    width, bar, label = 720, 18, 340
    top = max((s.count for s in report.sections), default=0) or 1
    rows = []
    for i, section in enumerate(report.sections):
        y = 10 + i * (bar + 6)
        length = (width - label - 50) * section.count / top
        rows.append(
            Markup('<text x="{}" y="{}" text-anchor="end" font-size="12">{}. {}</text>').format(label - 8, y + 13, section.id, section.title)
            + Markup('<rect x="{}" y="{}" width="{:.1f}" height="{}" fill="#2b6cb0"><title>{}: {}</title></rect>').format(label, y, length, bar, section.title, section.count)
            + Markup('<text x="{:.1f}" y="{}" font-size="12">{}</text>').format(label + length + 6, y + 13, section.count)
        )
    height = 20 + len(report.sections) * (bar + 6)
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Passages of evidence per goal" width="{}" height="{}" viewBox="0 0 {} {}">').format(width, height, width, height) + Markup("").join(rows) + Markup("</svg>")


def time_chart(report: OrganisationReport) -> Markup:
    """Columns: passages of evidence per year of the source documents."""
    if not report.by_period:
        return Markup("<p><em>No dated documents.</em></p>")
    width, height, column = 640, 180, 40
    top = max(report.by_period.values())
    parts = []
    for i, (period, count) in enumerate(report.by_period.items()):
        x = 40 + i * (column + 20)
        h = (height - 50) * count / top
        parts.append(
            Markup('<rect x="{}" y="{:.1f}" width="{}" height="{:.1f}" fill="#38a169"><title>{}: {}</title></rect>').format(x, height - 25 - h, column, h, period, count)
            + Markup('<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>').format(x + column / 2, height - 8, period)
            + Markup('<text x="{}" y="{:.1f}" font-size="12" text-anchor="middle">{}</text>').format(x + column / 2, height - 30 - h, count)
        )
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Passages of evidence per year" width="{}" height="{}" viewBox="0 0 {} {}">').format(width, height, width, height) + Markup("").join(parts) + Markup("</svg>")


def _by_passage(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["passage_id"], []).append(row)
    return out


def _markdown_escape(text: object) -> str:
    """Scraped text made inert in Markdown: its syntax characters backslash-escaped, and < and >
    as entities (Markdown renderers pass raw HTML through)."""
    value = str(text or "").replace("\n", " ")
    for char in "\\`*_[]#|":
        value = value.replace(char, "\\" + char)
    return value.replace("<", "&lt;").replace(">", "&gt;")
