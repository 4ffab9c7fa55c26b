"""``levelup report --all``: the coalition's view of the same model. One draft per organisation
(:mod:`pipeline.report.organisation`, in HTML, Markdown or Word) and an index comparing the
organisations goal by goal: the passages each draft's goal section shows, linked to the drafts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipeline.evidence.store import Store
from pipeline.report import organisation
from pipeline.report.model import ImpactReport
from pipeline.report.word import render_docx
from pipeline.taxonomy import Taxonomy


@dataclass(frozen=True)
class Row:
    """One organisation's line of the index: its draft's file and the passages per goal it shows."""

    organisation: str
    file: str
    shown: tuple[int, ...]
    documents: int

    @property
    def total(self) -> int:
        return sum(self.shown)


def write_all(store: Store, taxonomy: Taxonomy, folder: Path, fmt: str, *, today: date | None = None) -> list[Path]:
    """Every stored organisation's draft as ``<slug>.<fmt>`` in ``folder``, and ``index.html`` (or
    ``index.md`` for Markdown) comparing them; the paths written, the index last."""
    folder.mkdir(parents=True, exist_ok=True)
    written, rows = [], []
    for name in store.organisations():
        report = organisation.build(store, taxonomy, name, today=today)
        path = folder / f"{slug(name)}.{fmt}"
        _write(path, render_docx(report) if fmt == "docx" else organisation.render(report, fmt).encode("utf-8"))
        written.append(path)
        rows.append(_row(report, path.name))
    index = folder / ("index.md" if fmt == "md" else "index.html")
    _write(index, render_index(rows, taxonomy, "md" if fmt == "md" else "html").encode("utf-8"))
    return [*written, index]


def render_index(rows: list[Row], taxonomy: Taxonomy, fmt: str) -> str:
    environment = Environment(loader=FileSystemLoader(str(organisation.TEMPLATES)), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    environment.filters["md"] = organisation._markdown_escape
    ordered = sorted(rows, key=lambda r: (-r.total, r.organisation))
    totals = [sum(r.shown[i] for r in rows) for i in range(len(taxonomy.goals))]
    return environment.get_template(f"index.{fmt}").render(rows=ordered, goals=taxonomy.goals, totals=totals, framework=taxonomy.title)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "organisation"


def _row(report: ImpactReport, file: str) -> Row:
    return Row(report.organisation, file, tuple(c.shown for c in report.chapters), report.documents)


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a half-written draft never sits beside the others."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
