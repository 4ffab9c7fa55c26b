"""``levelup report --org NAME``: one organisation's evidence as a first draft in the shape of a
Levelling Up Impact Report: a cover with the organisation and period, an executive summary taken
from the strongest (reviewed first) evidence, a headline-numbers box, then per goal its
description, what the organisation does, its figures and quotes, and the goals without evidence.

:func:`build` makes the document model (:mod:`pipeline.report.model`); :func:`render` writes it
as self-contained HTML (print styles, charts that fit a phone) or Markdown, and
:func:`pipeline.report.word.render_docx` as an editable Word file. Each passage appears once in
the whole report, under the goal it fits best; a passage that is only a heading is never evidence.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipeline.errors import InputError
from pipeline.evidence.organisation_kind import organisation_kind
from pipeline.evidence.store import Store
from pipeline.extract.people import confirmed_people
from pipeline.report import model, profile, sentences
from pipeline.report.model import Block, Evidence, FigureItem, GoalChapter, ImpactReport, QuoteItem, SummaryPoint
from pipeline.report.summary import UNATTRIBUTED, evidence_links
from pipeline.taxonomy import Taxonomy

TEMPLATES = Path(__file__).parent / "templates"
STRONGEST = 5  # passages shown per goal
SUMMARY_POINTS = 5  # sentences in the executive summary, one per goal at most
HEADLINE_FIGURES = 6  # figures in the headline box
FOREWORD_QUOTES = 3  # leaders' quotes in the foreword
LEADER = re.compile(r"\b(?:chief|vice[- ]chancellor|chair|director|president|principal|head\s+of|leader|managing|cabinet|officer|board)\b", re.IGNORECASE)
TOP = re.compile(r"\b(?:chief\s+executive|ceo|vice[- ]chancellor|managing\s+director|chair|president|principal|leader\s+of)\b", re.IGNORECASE)
HEADING_WORDS = 10  # a line of at most this many words with no full stop can be a heading
QUOTE_MARKS = "“”\"‘’"


class Cut(NamedTuple):
    """Words of a passage the foreword prints: where they stand in its text, and whose they are."""

    start: int
    end: int
    speaker: str
    attribution: str


Spans = dict[str, list[Cut]]  # passage id -> the foreword's words in its text


def build(store: Store, taxonomy: Taxonomy, organisation: str, *, today: date | None = None) -> ImpactReport:
    name = _match_organisation(store, organisation)
    links = evidence_links(store, taxonomy)
    kinds = store.organisation_kinds()
    kind = kinds.get(name) or organisation_kind(name)
    same = sorted(o for o in store.organisations() if o != name and (kinds.get(o) or organisation_kind(o)) == kind)  # its peers
    others = links[links["organisation"].isin(same) & (links["organisation"] != UNATTRIBUTED)]
    peers = {int(goal): sorted(set(group)) for goal, group in others.groupby("goal")["organisation"]}
    links = links[links["organisation"] == name]
    quoted = store.quotes_of(name)
    foreword, in_foreword = _foreword_quotes(quoted, name)
    stored = store.report_passages(sorted(set(links["passage_id"])))
    passages = {pid: p for pid, p in _without_boilerplate(stored).items() if not _is_heading(p, taxonomy)}
    scores = store.scores(list(passages), taxonomy.name)
    disputed = store.disputed_passages(taxonomy.name, list(passages))
    goals_of: dict[str, dict[int, bool]] = defaultdict(dict)  # passage -> goal -> reviewed
    for row in links.itertuples():
        if row.passage_id in passages:
            goals_of[row.passage_id][int(row.goal)] = row.source == "review"

    chapters = {g.id: GoalChapter(g.id, g.title, g.description, list(g.includes)) for g in taxonomy.goals}
    for goal_id, chapter in chapters.items():
        chapter.peer_names = peers.get(goal_id, [])
        chapter.peers = len(chapter.peer_names)
    assigned: dict[int, list[Evidence]] = defaultdict(list)
    best: dict[str, int] = {}
    for pid, goals in goals_of.items():
        for goal in goals:
            chapters[goal].count += 1
        best[pid] = max(goals, key=lambda g: (goals[g], scores.get((pid, g), 0.0), -g))
    runs = _quote_runs(quoted)
    units = list(dict.fromkeys(runs.get(pid, (pid,)) for pid in goals_of))  # a quote running over passages: shown as one, in source order
    missing = [pid for unit in units for pid in unit if pid not in passages]
    passages |= _without_boilerplate(store.report_passages(missing)) if missing else {}
    for unit in units:
        lead = max((pid for pid in unit if pid in goals_of), key=lambda pid: (goals_of[pid][best[pid]], scores.get((pid, best[pid]), 0.0), pid))
        goal = best[lead]
        parts = [passages[pid] for pid in unit if pid in passages]
        assigned[goal].append(_evidence(parts, goals_of[lead][goal], scores.get((lead, goal), 0.0), lead in disputed, in_foreword))
    for goal, evidence in assigned.items():
        evidence.sort(key=lambda e: (not e.reviewed, -e.score, e.date or "", e.passage_id))
        chapters[goal].evidence = evidence[:STRONGEST]

    _attach_figures_and_quotes(store, chapters.values(), name, foreword)
    documents = store.documents_of(name)
    dates = sorted(r["date"][:10] for r in documents if r["date"])
    report = ImpactReport(
        organisation=name,
        framework=taxonomy.title,
        drafted=today or date.today(),
        documents=len(documents),
        first=dates[0] if dates else None,
        last=dates[-1] if dates else None,
        chapters=list(chapters.values()),
        others=len(same),
        kind=kind,
    )
    report.profile = profile.profile(store.found_in(name, "figures"), store.found_in(name, "entities", label="GPE"))
    report.summary = _summary(report)
    report.headline = _headline(report)
    years = [str(passages[pid]["date"])[:4] for pid in goals_of if passages[pid].get("date")]
    report.by_period = {year: years.count(year) for year in sorted(set(years))}
    report.people = _people(store, [pid for c in report.chapters for e in c.evidence for pid in e.passage_ids])
    report.foreword = foreword
    report.sources = model.number_sources([*report.profile, *(e for c in report.with_evidence for e in c.evidence)])
    return report


def _foreword(store: Store, organisation: str) -> list[QuoteItem]:
    """The organisation's leaders' words (:func:`_foreword_quotes`)."""
    return _foreword_quotes(store.quotes_of(organisation), organisation)[0]


def _foreword_quotes(rows: list[dict[str, Any]], organisation: str) -> tuple[list[QuoteItem], Spans]:
    """The organisation's leaders' words, whole and in reading order, from its quote rows (as
    :meth:`pipeline.evidence.store.Store.quotes_of` gives them), and where in which passages they
    stand (so a goal section does not print them again). A leader is a speaker the text gives a
    senior role at this organisation, never the coalition's or a partner's: its top leaders (chief
    executive, vice-chancellor, chair ...) where any is quoted, else its directors and heads."""
    found: list[tuple[QuoteItem, list[tuple[str, int, int]]]] = []
    for passage_rows in _by_passage(rows).values():
        for row in _whole_quotes(passage_rows):
            role, own = str(row.get("role") or ""), str(row.get("organisation") or "")
            if row["speaker"] and LEADER.search(role) and _same_organisation(own, organisation):
                if found and found[-1][0].speaker == row["speaker"]:  # one leader's words in a row: one quote
                    last, before = found[-1]
                    found[-1] = (QuoteItem(f"{last.text} {row['text']}", row["speaker"], last.title, role, own), before + row["spans"])
                else:
                    found.append((QuoteItem(row["text"], row["speaker"], row.get("title"), role, own), list(row["spans"])))
    top = [item for item in found if TOP.search(item[0].role or "")]
    chosen = (top or found)[:FOREWORD_QUOTES]
    cuts: Spans = defaultdict(list)
    for quote, where in chosen:
        for pid, start, end in where:
            cuts[pid].append(Cut(start, end, quote.speaker, quote.attribution))
    return [quote for quote, _where in chosen], dict(cuts)


def _same_organisation(named: str, organisation: str) -> bool:
    """Whether a role's organisation is the report's: the same name, or its name followed by a
    part or region ("Sodexo UK & Ireland" for Sodexo)."""
    named, organisation = named.lower(), organisation.lower()
    return named == organisation or named.startswith(organisation + " ")


def _quote_runs(rows: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Passage id -> the passages one speaker's quote runs over, in source order (the document's
    passage ordinal): a quote whose later part opens the next passage (“A,” she said. | “B.”) joins
    the two, so a report shows them together, first part first. Passages no quote joins are absent."""
    runs: list[list[str]] = []
    previous: dict[str, Any] | None = None
    for row in rows:  # in reading order: document, ordinal, position
        continues = (
            previous is not None
            and (row.get("part") or 1) > 1
            and row["speaker"]
            and row["speaker"] == previous["speaker"]
            and row.get("document_id") == previous.get("document_id")
            and row.get("ordinal") == (previous.get("ordinal") or 0) + 1
        )
        if continues and previous is not None:
            if runs and runs[-1][-1] == previous["passage_id"]:
                runs[-1].append(row["passage_id"])
            else:
                runs.append([previous["passage_id"], row["passage_id"]])
        previous = row
    return {pid: tuple(run) for run in runs for pid in run}


def _without_boilerplate(passages: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The passages with their boilerplate sentences taken out ("The full ... Report is available
    from the ... website."); a passage with nothing else left is no evidence."""
    kept = {}
    for pid, passage in passages.items():
        if passage.get("table") or "|" in str(passage.get("text") or ""):
            kept[pid] = passage
        elif text := sentences.without_boilerplate(str(passage.get("text") or "")):
            kept[pid] = {**passage, "text": text}
    return kept


def _people(store: Store, passage_ids: list[str]) -> list[model.PersonItem]:
    """The persons the shown evidence names: PERSON mentions confirmed by a title, a role or a
    quote (:func:`pipeline.extract.people.confirmed_people`), so no place or programme."""
    found = confirmed_people(store.entities(passage_ids, label="PERSON"), store.quotes(passage_ids))
    return [model.PersonItem(p.name, p.title, p.role, p.organisation, p.quoted) for p in found]


def render(report: ImpactReport, fmt: str) -> str:
    """The report as HTML or Markdown text (Word: :func:`pipeline.report.word.render_docx`)."""
    if fmt not in ("html", "md"):
        raise InputError(f"unknown report format '{fmt}'; use html, md or docx")
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    environment.filters["md"] = _markdown_escape
    environment.filters["plural"] = model.plural
    top = max((c.shown for c in report.chapters), default=0) or 1
    context = {"r": report, "m": model, "top": top, "top_period": max(report.by_period.values(), default=1)}
    return environment.get_template(f"organisation.{fmt}").render(**context)


def _match_organisation(store: Store, organisation: str) -> str:
    """The stored organisation ``organisation`` names: itself, or any alias or short form of it
    (``Barnsley`` and ``BMBC`` find Barnsley Council)."""
    known = store.organisations()
    wanted = organisation.strip().lower()
    match = store.resolve_organisation(organisation.strip())
    if match is None:
        close = [o for o in known if wanted in o.lower()]
        hint = f"did you mean {', '.join(repr(o) for o in close[:3])}?" if close else f"known: {', '.join(known[:8])}{' ...' if len(known) > 8 else ''}"
        raise InputError(f"no organisation named '{organisation}' in the database; {hint}")
    return match


def _is_heading(passage: dict[str, Any], taxonomy: Taxonomy) -> bool:
    """A passage that is only a heading ("Positive destinations post 16+"): one of its own
    heading path, a goal's title, or one short line with no sentence punctuation and no number."""
    if passage.get("table"):
        return False
    text = " ".join(str(passage.get("text") or "").split())
    if "|" in text:
        return False
    folded = text.lower().rstrip(":")
    titles = {h.lower() for h in passage.get("headings") or []} | {g.title.lower() for g in taxonomy.goals}
    if folded in titles:
        return True
    return len(text.split()) <= HEADING_WORDS and not re.search(r"[.!?;\"”]\s*$|\d", text)


def _evidence(parts: list[dict[str, Any]], reviewed: bool, score: float, disputed: bool, in_foreword: Spans | None = None) -> Evidence:
    """One passage of evidence, or several in source order that one quote runs over; a leader's
    words the foreword prints are cut out and pointed to (quotes are never printed twice)."""
    passage = parts[0]
    source, link = model.source_name(str(passage["url"]), passage.get("title"))
    blocks: list[Block] = []
    cuts = [cut for part in parts for cut in (in_foreword or {}).get(part["id"], [])]
    for part in parts:
        spans = (in_foreword or {}).get(part["id"])
        if spans and not part.get("table"):
            blocks += [Block(text=text) for text in [_without_quoted(str(part["text"]), spans)] if text]
        else:
            blocks += model.blocks_of(str(part["text"]), part.get("table"))
    if cuts:
        blocks.append(Block(text=f"Quoted in the foreword: {'; '.join(dict.fromkeys(c.attribution for c in cuts))}.", note=True))
    return Evidence(
        passage_id=passage["id"],
        blocks=blocks,
        source=source,
        link=link,
        date=str(passage["date"])[:10] if passage.get("date") else None,
        page=passage.get("page"),
        reviewed=reviewed,
        score=score,
        file=None if link else model.file_name(str(passage["url"])),
        disputed=disputed and not reviewed,
        joined=tuple(part["id"] for part in parts[1:]),
    )


def _without_quoted(text: str, spans: list[Cut]) -> str:
    """``text`` without the quoted words at ``spans`` (and their quotation marks) and without what is
    left of their attribution ("said Jane Doe, chief executive."): only sentences of its own stay,
    boilerplate taken out."""
    pieces, at = [], 0
    for start, end, _speaker, _attribution in sorted(spans):
        begin = start - 1 if start > 0 and text[start - 1] in QUOTE_MARKS else start
        stop = end + 1 if end < len(text) and text[end] in QUOTE_MARKS else end
        pieces.append(text[at:begin])
        at = max(at, stop)
    pieces.append(text[at:])
    rest = " ".join("".join(pieces).split())
    names = {cut.speaker.split()[-1] for cut in spans if cut.speaker.split()}
    kept = [
        s
        for s in sentences.split_sentences(rest)
        if len(re.findall(r"[A-Za-z]{2,}", s)) >= 6 and not any(re.search(rf"\b{re.escape(n)}\b", s) for n in names)
    ]
    return sentences.without_boilerplate(" ".join(kept))


def _attach_figures_and_quotes(store: Store, chapters: Any, organisation: str, foreword: list[QuoteItem] | None = None) -> None:
    """Figures with what they count (a table's from its row and column labels; a year only where
    the text ties the figure to it), each once in the report; quotes with a speaker, each once,
    whole across the passages one runs over, and none the foreword already prints."""
    shown = [pid for c in chapters for e in c.evidence for pid in e.passage_ids]
    figures = _by_passage(store.figures(shown))
    quotes = _by_passage(store.quotes(shown))
    seen_figures: set[tuple[str, str]] = set()
    seen_quotes: set[str] = {" ".join(q.text.split()) for q in foreword or []}
    printed = " ".join(seen_quotes)
    for chapter in chapters:
        for evidence in chapter.evidence:
            tables = [b for b in evidence.blocks if b.is_table]
            rows = [f for pid in evidence.passage_ids for f in figures.get(pid, [])]
            found = [f for t in tables for f in model.table_figures(t.rows)] if tables else _figures(rows, organisation, evidence.text)
            for figure in found:
                key = (figure.key, figure.counted.lower())
                if key not in seen_figures:
                    seen_figures.add(key)
                    chapter.figures.append(figure)
            in_order = [{**row, "seq": i} for i, pid in enumerate(evidence.passage_ids) for row in quotes.get(pid, [])]
            for row in _whole_quotes(in_order):
                text = " ".join(str(row["text"]).split())
                if row["speaker"] and text not in seen_quotes and text not in printed:
                    seen_quotes.add(text)
                    chapter.quotes.append(QuoteItem(row["text"], row["speaker"], row.get("title"), row.get("role"), row.get("organisation")))


def _whole_quotes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A passage's quotes with the parts of one quote joined in order (“A,” she said. “B.” is one
    quote of two parts: the report shows it once, whole, first part first)."""
    whole: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: (r.get("seq", 0), r["start"])):  # seq: the passage's place when several are joined
        spans = [(row.get("passage_id"), row["start"], row.get("end", row["start"] + len(str(row["text"]))))]
        previous = whole[-1] if whole else None
        if previous is not None and (row.get("part") or 1) > 1 and row["speaker"] and row["speaker"] == previous["speaker"]:
            first = str(previous["text"])
            if first.endswith(",") and row["text"][:1].isupper():  # “A,” she said. “B.”: A. B.
                first = first[:-1] + "."
            whole[-1] = {**previous, "text": f"{first} {row['text']}", "spans": previous["spans"] + spans}
        else:
            whole.append({**row, "spans": spans})
    return whole


def _figures(rows: list[dict[str, Any]], organisation: str, text: str) -> list[FigureItem]:
    """Extracted figures worth printing: written with digits and saying what they count (not
    just the organisation's name: "31 per cent | Cadent"), with a year only where ``text`` ties
    the figure to it (:func:`pipeline.report.model.tied_year`)."""
    names = {word.lower() for word in re.findall(r"\w+", organisation)}
    out = []
    for row in rows:
        counted = re.sub(r"[\s|]+", " ", str(row.get("counted") or "")).strip(" |,.;:")
        if re.search(r"\d", row["text"]) and re.search(r"[A-Za-z]{3}", counted) and counted.lower() not in names:
            out.append(FigureItem(text=row["text"], counted=counted, year=model.tied_year(text, row["text"], row.get("year"))))
    return out


def _summary(report: ImpactReport) -> list[SummaryPoint]:
    """One sentence from the strongest passage of each of the best-evidenced goals, reviewed
    passages first: extractive, so every sentence is the organisation's own."""
    points = []
    for chapter in sorted(report.with_evidence, key=lambda c: (-sum(e.reviewed for e in c.evidence), -c.count, c.id)):
        sentence = next((s for e in chapter.evidence if (s := _key_sentence(e.text, report.organisation, report.kind))), None)
        if sentence:
            source = [e for e in chapter.evidence if sentence in e.text]
            reviewed = any(e.reviewed for e in source)
            points.append(SummaryPoint(sentence, chapter.id, chapter.title, reviewed, disputed=not reviewed and any(e.disputed for e in source)))
        if len(points) == SUMMARY_POINTS:
            break
    return points


def _key_sentence(text: str, organisation: str, kind: str | None = None) -> str | None:
    """The first sentence that stands on its own (names the organisation, leans on no sentence
    before it; :func:`pipeline.report.sentences.stands_alone`) with a number in it, else the
    first that stands on its own; none from a quotation."""
    found = [s for s in sentences.split_sentences(text) if 8 <= len(s.split()) <= 60 and s.endswith((".", "!", "?"))]
    found = [s for s in found if sentences.stands_alone(s, organisation, kind) and not any(mark in s for mark in "“”\"")]  # no quotation: quotes are printed once
    return next((s for s in found if re.search(r"\d", s)), found[0] if found else None)


def _headline(report: ImpactReport) -> list[FigureItem]:
    """Figures of the strongest evidence, taken in turn from the best-evidenced goals (so the box
    spans the report), one per thing counted and one per number; a goal's "In numbers" then
    leaves out what the box shows (no figure twice)."""
    ranked = sorted(report.with_evidence, key=lambda c: (-sum(e.reviewed for e in c.evidence), -c.count, c.id))
    picked: list[FigureItem] = []
    counted: set[str] = set()
    profiled = report.profile_keys  # "the organisation and its place" prints these
    for turn in range(max((len(c.figures) for c in ranked), default=0)):
        for chapter in ranked:
            figure = chapter.figures[turn] if turn < len(chapter.figures) else None
            if figure is not None and figure.counted.lower() not in counted and figure.key not in {f.key for f in picked} | profiled:
                counted.add(figure.counted.lower())
                picked.append(figure)
            if len(picked) == HEADLINE_FIGURES:
                return picked
    return picked


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
