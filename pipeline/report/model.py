"""The document model of an organisation's Levelling Up Impact Report draft.

One model, three renderings (HTML, Markdown, Word: :mod:`pipeline.report.organisation` and
:mod:`pipeline.report.word`), so the three carry the same sections in the same order. The model
holds plain text only; each renderer escapes it for its own format.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Protocol

# The section headings every rendering shows, in order (goal chapters sit between PLACE, or
# GLANCE where no figure or place qualifies, and STRENGTHS, one per goal with evidence).
FOREWORD = "Foreword"
SUMMARY = "Executive summary"
HEADLINE = "Headline numbers"
GLANCE = "Evidence at a glance"
PLACE = "The organisation and its place"
PEOPLE = "People named in the evidence"
STRENGTHS = "Key strengths"
WITHOUT = "What more could be done"
SOURCE_LIST = "Sources"
SOURCES = "About this draft"
STRENGTH_GOALS = 3  # goals named as key strengths


@dataclass(frozen=True)
class Block:
    """A piece of a passage: a paragraph of text, or a table (rows of cells, the first the header)."""

    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    note: bool = False  # the draft's own words about the passage ("Quoted in the foreword: ..."), not the source's

    @property
    def is_table(self) -> bool:
        return bool(self.rows)

    @property
    def caption(self) -> str:
        """A table's title row ("Apprenticeships at a glance | |"), shown as its caption."""
        return self.rows[0][0] if len(self.rows) > 2 and not any(self.rows[0][1:]) else ""

    @property
    def header(self) -> tuple[str, ...]:
        """The column headings; empty when the first row (after a caption) is already data."""
        first = self.rows[1 if self.caption else 0]
        return () if any(re.search(r"\d", cell) and not _year(cell) for cell in first[1:]) else first

    @property
    def body(self) -> tuple[tuple[str, ...], ...]:
        return self.rows[(1 if self.caption else 0) + (1 if self.header else 0) :]


# Singular nouns a share is "of" ("31 per cent of workforce"), besides any plural.
GROUPS = {"workforce", "staff", "population", "people", "intake", "cohort", "leadership", "board", "management", "team", "budget", "spend", "total"}


@dataclass(frozen=True)
class FigureItem:
    text: str  # as written: "more than 750", "56 per cent"
    counted: str  # what it counts: "apprentices in learning (2021/22)"
    year: int | None = None  # only when the text ties the figure to it
    from_table: bool = False  # a table cell: the table already shows it where the passage is shown

    @property
    def is_share(self) -> bool:
        return bool(re.search(r"%|\bper\s*cent\b|\bpercent\b", self.text, re.IGNORECASE))

    @property
    def counts(self) -> str:
        """What it counts, read after the figure: "of participants" after "43%" (never "43%
        participants"), "apprentices" after "more than 2,000"."""
        last = self.counted.split()[-1].lower() if self.counted.split() else ""
        whole = last.endswith("s") or last in GROUPS  # a share of a group ("43% of participants"), not "20% hydrogen"
        if self.is_share and whole and not self.from_table and not re.match(r"(?:of|in|at|from|for)\b", self.counted, re.IGNORECASE):
            return f"of {self.counted}"
        return self.counted

    @property
    def label(self) -> str:
        """The figure as one phrase: "43% of participants (2022)", "Women in senior leadership: 48%"
        (a table's row label comes first, as the table reads)."""
        text = f"{self.counted}: {self.text}" if self.from_table else f"{self.text} {self.counts}"
        return text + (f" ({self.year})" if self.year and str(self.year) not in text else "")

    @property
    def caption(self) -> str:
        """What a headline box prints under the figure: what it counts, and its year if tied."""
        return self.counts + (f" ({self.year})" if self.year and str(self.year) not in self.counts else "")

    @property
    def key(self) -> str:
        """The number itself ("48%" and "48 per cent" alike): one headline figure per number."""
        number = re.sub(r"\s*(?:per\s*cent|percent)\b", "%", self.text, flags=re.IGNORECASE)
        return re.sub(r"[^\d.%£$€]", "", number)


@dataclass(frozen=True)
class QuoteItem:
    text: str
    speaker: str
    title: str | None = None
    role: str | None = None
    organisation: str | None = None

    @property
    def attribution(self) -> str:
        name = f"{self.title} {self.speaker}" if self.title else self.speaker
        return ", ".join(part for part in (name, self.role, self.organisation) if part)


@dataclass(frozen=True)
class PersonItem:
    """A person the evidence names, confirmed by a title, a role or a quote (never a place or a
    programme read as a name), with what the text says they are."""

    name: str
    title: str | None = None
    role: str | None = None
    organisation: str | None = None
    quoted: bool = False

    @property
    def described(self) -> str:
        name = f"{self.title} {self.name}" if self.title else self.name
        return ", ".join(part for part in (name, self.role, self.organisation) if part)


@dataclass(frozen=True)
class SourceItem:
    """One document of the numbered source list, cited by its number from each passage."""

    number: int
    title: str  # the document's title, or its file name
    link: str | None  # a web address to follow; None for a local file
    file: str | None  # a local file's name (shown, never linked)
    date: str | None  # ISO date of the document

    @property
    def details(self) -> str:
        """What follows the title in the list: "2023-07-11, file impact-report.pdf"."""
        parts = [self.date or "undated"]
        if self.file and self.file != self.title:
            parts.append(f"file {self.file}")
        return ", ".join(parts)


def cite(number: int, page: int | None) -> str:
    """"[1, page 3]": the source list's number, and the page where there is one."""
    return f"[{number}{f', page {page}' if page else ''}]"


class Cited(Protocol):
    """What the source list numbers: a document's title, link, file name and date, and the
    number it gets (evidence passages and the profile's facts alike)."""

    source: str
    link: str | None
    file: str | None
    date: str | None
    number: int


@dataclass
class Evidence:
    """One passage of evidence, shown once in the whole report; with the passages a quote runs on
    into (``joined``, in source order after ``passage_id``) it is shown as one, so the quote is whole."""

    passage_id: str
    blocks: list[Block]
    source: str  # the document's title, or its file name
    link: str | None  # a web address to follow; None for a local file
    date: str | None  # ISO date of the document
    page: int | None
    reviewed: bool
    score: float
    file: str | None = None  # a local file's name
    disputed: bool = False  # reviewers disagree and nobody has settled it: not reviewed
    number: int = 0  # its document's number in the source list
    joined: tuple[str, ...] = ()  # the passages after it that a quote of it runs on into, in source order

    @property
    def passage_ids(self) -> tuple[str, ...]:
        """Every passage shown here, in source order."""
        return (self.passage_id, *self.joined)

    @property
    def text(self) -> str:
        """The source's words (no table, no note of the draft's own)."""
        return "\n\n".join(b.text for b in self.blocks if not b.is_table and not b.note)

    @property
    def citation(self) -> str:
        """"[1, page 3]": the source list's number, and the page where there is one."""
        return cite(self.number, self.page)

    @property
    def standing(self) -> str:
        """"reviewed", "disputed: reviewers disagree", or "" for the model's tagging alone."""
        return "reviewed" if self.reviewed else "disputed: reviewers disagree" if self.disputed else ""


@dataclass
class GoalChapter:
    id: int
    title: str
    description: str
    includes: list[str]
    count: int = 0  # passages of evidence for the goal, shown here or under another goal
    peers: int = 0  # other organisations of the same kind in the database with evidence for the goal
    peer_names: list[str] = field(default_factory=list)  # which, alphabetically
    evidence: list[Evidence] = field(default_factory=list)
    figures: list[FigureItem] = field(default_factory=list)
    quotes: list[QuoteItem] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"Goal {self.id}: {self.title}"

    @property
    def shown(self) -> int:
        """Passages of evidence shown in this goal's own section: what "at a glance" counts."""
        return sum(len(e.passage_ids) for e in self.evidence)

    @property
    def elsewhere(self) -> int:
        """Passages of evidence for this goal shown under a goal they fit better."""
        return max(self.count - self.shown, 0)


# What a line of "the organisation and its place" tells, in the order they are shown.
STAFF, SERVES, SITES, PLACES = "Staff", "Serves", "Sites", "Places named"
PROFILE_KINDS = (STAFF, SERVES, SITES, PLACES)


@dataclass
class ProfileFact:
    """One line of "the organisation and its place": a headline figure of its size (``figure``:
    its staff, the people it serves, its sites) or the places its documents name (``text``), with
    the document that says so."""

    kind: str  # one of PROFILE_KINDS
    text: str  # "over 18,000 staff"; "Sheffield, South Yorkshire"
    source: str  # the document's title, or its file name
    link: str | None
    file: str | None
    date: str | None
    page: int | None = None
    number: int = 0  # its document's number in the source list
    figure: FigureItem | None = None

    @property
    def citation(self) -> str:
        return cite(self.number, self.page)


@dataclass
class SummaryPoint:
    text: str
    goal: int
    goal_title: str
    reviewed: bool
    disputed: bool = False  # from a passage reviewers disagree on, not yet settled: the model's word is not the last

    @property
    def standing(self) -> str:
        """", reviewed", ", disputed: reviewers disagree", or "" for the model's tagging alone."""
        return ", reviewed" if self.reviewed else ", disputed: reviewers disagree" if self.disputed else ""


@dataclass
class ImpactReport:
    organisation: str
    framework: str  # the taxonomy's title
    drafted: date
    documents: int
    first: str | None  # ISO date of the oldest document
    last: str | None
    chapters: list[GoalChapter]
    others: int = 0  # other organisations of the same kind in the database (its peers)
    summary: list[SummaryPoint] = field(default_factory=list)
    headline: list[FigureItem] = field(default_factory=list)
    by_period: dict[str, int] = field(default_factory=dict)  # year -> passages of evidence
    people: list[PersonItem] = field(default_factory=list)
    sources: list[SourceItem] = field(default_factory=list)
    foreword: list[QuoteItem] = field(default_factory=list)  # the organisation's leaders' words, with their roles
    profile: list[ProfileFact] = field(default_factory=list)  # the organisation and its place
    kind: str | None = None  # what kind of organisation it is (pipeline/evidence/organisation_kind.py): peers share it

    @property
    def peer_note(self) -> str:
        """What "what more could be done" compares with: the organisation's peers of its kind, or
        that the database holds none (never all organisations of every kind)."""
        if not self.others:
            return f"No other {kind_noun(self.kind, 1)} is in the database, so there are no peers of the same kind to compare with."
        return f"Each goal says which of its peers, the {plural_kind(self.others, self.kind)} in the database, report evidence for it."

    @property
    def place(self) -> list[tuple[str, list[ProfileFact]]]:
        """The profile's lines grouped by what they tell (staff, serves, sites, places named), in
        that order; empty when nothing qualifies (then the report has no such section)."""
        return [(kind, facts) for kind in PROFILE_KINDS if (facts := [f for f in self.profile if f.kind == kind])]

    @property
    def with_evidence(self) -> list[GoalChapter]:
        """The goals with a section: those with a passage of their own to show."""
        return [c for c in self.chapters if c.evidence]

    @property
    def without_evidence(self) -> list[GoalChapter]:
        """The goals with no passage of their own (some may be touched on by a passage shown
        under a goal it fits better)."""
        return [c for c in self.chapters if not c.evidence]

    @property
    def reviewed(self) -> bool:
        return any(e.reviewed for c in self.chapters for e in c.evidence)

    @property
    def period(self) -> str:
        """"July 2023", or "March 2021 to July 2023"; empty when no document is dated."""
        if not self.first or not self.last:
            return ""
        first, last = _month(self.first), _month(self.last)
        return first if first == last else f"{first} to {last}"

    @property
    def introduction(self) -> str:
        """The opening sentence of the executive summary."""
        goals = self.with_evidence
        text = (
            f"This draft gathers {plural(sum(len(c.evidence) for c in goals), 'passage')} of published evidence from "
            f"{plural(self.documents, 'document')} by {self.organisation}"
            f"{' (' + self.period + ')' if self.period else ''}, set against the {self.framework}."
        )
        if not goals:
            return text + " No passage has been tagged to a goal yet."
        strongest = sorted(goals, key=lambda c: (-c.shown, -c.count, c.id))[:3]
        return text + (
            f" It finds evidence for {len(goals)} of the {len(self.chapters)} goals,"
            f" most of all {_join([c.title for c in strongest])}."
        )

    @property
    def strengths(self) -> list[GoalChapter]:
        """The goals with the strongest evidence: most reviewed passages, then most shown."""
        ranked = sorted(self.with_evidence, key=lambda c: (-sum(e.reviewed for e in c.evidence), -c.shown, -c.count, c.id))
        return ranked[:STRENGTH_GOALS]

    def numbers(self, chapter: GoalChapter) -> list[FigureItem]:
        """A goal's "In numbers": its figures less those its tables already show and any number
        the headline box or one of the goal's tables already prints, so no figure is printed twice."""
        printed = {f.key for f in self.headline} | {f.key for f in chapter.figures if f.from_table} | self.profile_keys
        return [f for f in chapter.figures if not f.from_table and f.key not in printed]

    @property
    def profile_keys(self) -> set[str]:
        """The numbers "the organisation and its place" prints: never printed again."""
        return {f.figure.key for f in self.profile if f.figure is not None}

    def section_headings(self) -> list[str]:
        """Every top-level heading, in order: what each rendering must show."""
        headings = [FOREWORD, SUMMARY]
        if self.headline:
            headings.append(HEADLINE)
        headings.append(GLANCE)
        if self.place:
            headings.append(PLACE)
        headings += [c.heading for c in self.with_evidence]
        if self.strengths:
            headings.append(STRENGTHS)
        if self.people:
            headings.append(PEOPLE)
        if self.without_evidence:
            headings.append(WITHOUT)
        if self.sources:
            headings.append(SOURCE_LIST)
        headings.append(SOURCES)
        return headings


def strength(chapter: GoalChapter) -> str:
    """One line on a key strength: "5 passages of evidence, 2 of them reviewed"."""
    reviewed = sum(e.reviewed for e in chapter.evidence)
    return plural(chapter.shown, "passage") + " of evidence" + (f", {reviewed} of them reviewed" if reviewed else "") + "."


# How a kind of organisation (pipeline/evidence/organisation_kind.py) reads in a sentence: one, several.
KIND_NOUNS = {
    "nhs": ("NHS organisation", "NHS organisations"),
    "university": ("university", "universities"),
    "council": ("council", "councils"),
    "public body": ("public body", "public bodies"),
    "housing": ("housing organisation", "housing organisations"),
    "charity": ("charity", "charities"),
    "company": ("company", "companies"),
}
PEERS_NAMED = 3  # peers named for a goal; more are counted


def kind_noun(kind: str | None, count: int) -> str:
    """ "university", "universities"; "organisation(s)" for an unknown kind."""
    one, many = KIND_NOUNS.get(kind or "", ("organisation", "organisations"))
    return one if count == 1 else many


def plural_kind(count: int, kind: str | None) -> str:
    """ "1 other university", "3 other NHS organisations"."""
    return f"{count:,} other {kind_noun(kind, count)}"


def peers(chapter: GoalChapter, others: int, kind: str | None = None) -> str:
    """What the organisation's peers (the ``others`` of its ``kind`` in the database) report for a
    goal this one has no section for: how many have evidence for it, and which."""
    if not others:
        return ""
    among = plural_kind(others, kind) + " in the database"
    if not chapter.peers:
        return f"The {among} has no evidence for this goal." if others == 1 else f"None of the {among} has evidence for this goal."
    text = f"The {among} has" if others == 1 else f"{chapter.peers} of the {among} {'has' if chapter.peers == 1 else 'have'}"
    text += " evidence for this goal"
    names = chapter.peer_names[:PEERS_NAMED]
    if names:
        rest = len(chapter.peer_names) - len(names)
        text += ": " + _join(names + ([f"{rest} more"] if rest else []))
    return text + "."


def touched(chapter: GoalChapter) -> str:
    """What a goal without a section of its own is told about passages that touch on it."""
    return f"Touched on by {plural(chapter.count, 'passage')} shown under the goal {'it fits' if chapter.count == 1 else 'they fit'} better, or left out as weaker."


def plural(count: int, noun: str) -> str:
    """ "1 document", "3 documents": never "document(s)"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def source_name(url: str, title: str | None) -> tuple[str, str | None]:
    """(what to show, link to follow): a web page's title and address; a local file's title or
    name, with no link (a file path is a dead link for whoever reads the report)."""
    if re.match(r"https?://", url):
        return title or url, url
    return title or file_name(url), None


def file_name(url: str) -> str:
    return PureWindowsPath(url).name if "\\" in url else PurePosixPath(url).name


def number_sources(evidence: Sequence[Cited]) -> list[SourceItem]:
    """The documents ``evidence`` (in report order: the profile's facts, then the passages) comes
    from, numbered in order of first citation; each item gets its document's number."""
    numbers: dict[tuple[str, str | None, str | None, str | None], int] = {}
    for item in evidence:
        key = (item.source, item.link, item.file, item.date)
        item.number = numbers.setdefault(key, len(numbers) + 1)
    return [SourceItem(n, title, link, file, day) for (title, link, file, day), n in numbers.items()]


def blocks_of(text: str, table: Any = None) -> list[Block]:
    """A passage as blocks: its ``table`` rows when the store has them; otherwise its text, with
    any Markdown pipe table in it parsed into rows, so no report shows raw pipes."""
    if table:
        stored = tuple(tuple(str(cell or "").strip() for cell in row) for row in table)
        caption = text if text and "|" not in text else ""
        return ([Block(text=caption)] if caption else []) + [Block(rows=_square(stored))]
    blocks: list[Block] = []
    prose: list[str] = []
    rows: list[tuple[str, ...]] = []
    for line in [line.strip() for line in text.splitlines()] + [""]:
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            if prose:
                blocks.append(Block(text=" ".join(prose)))
                prose = []
            if not re.fullmatch(r"\|[\s:|-]*\|", line):  # not a |---|---| rule
                rows.append(tuple(cell.strip() for cell in line[1:-1].split("|")))
            continue
        if rows and line:
            blocks.append(Block(rows=_square(tuple(rows))))
            rows = []
        if line:
            prose.append(line)
        elif prose and not rows:
            blocks.append(Block(text=" ".join(prose)))
            prose = []
    if rows:
        blocks.append(Block(rows=_square(tuple(rows))))
    return blocks


def table_figures(rows: tuple[tuple[str, ...], ...]) -> list[FigureItem]:
    """Figures of a table, each labelled by its row and column: a cell with a number, past the
    first column, counts what its row's first cell says (and its column header, if any)."""
    table = Block(rows=rows)
    header, body = table.header, table.body
    generic = {"", "measure", "metric", "indicator", "figure", "value", "total"}
    figures = []
    for row in body:
        label = row[0].strip()
        for column, cell in enumerate(row[1:], start=1):
            if not label or not re.search(r"\d", cell):
                continue
            heading = header[column].strip() if column < len(header) else ""
            heading = "" if heading == label else heading
            counted = label if heading.lower() in generic else f"{label} ({heading})"
            year = _year(heading) if re.fullmatch(r"\d{4}", heading) else None
            figures.append(FigureItem(text=cell.strip(), counted=counted, year=year, from_table=True))
    return figures


def tied_year(text: str, figure: str, year: int | None) -> int | None:
    """``year`` when the sentence of ``text`` holding ``figure`` ties the figure to it ("in 2022",
    "(2022)", "2021/22"), None when it is a set-up year ("since 2019", "set up in 2017") or the
    sentence does not name it."""
    if not year:
        return None
    sentence = next((s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if figure in s), "")
    y = str(year)
    if not re.search(rf"\b{y}\b", sentence):
        return None
    started = rf"\b(?:since|from|set\s+up|established|founded|launched|began|started|created|opened|introduced)\b[^,.;]{{0,30}}?\b{y}\b"
    if re.search(started, sentence, re.IGNORECASE):
        return None
    return year if re.search(rf"\b(?:in|during|for|by|of|as\s+at|as\s+of)\s+(?:FY\s*)?{y}\b|\({y}\)|\b{y}\s*[/-]\s*\d{{2}}\b", sentence, re.IGNORECASE) else None


def _square(rows: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    width = max(len(row) for row in rows)
    return tuple(row + ("",) * (width - len(row)) for row in rows)


def _year(text: str) -> int | None:
    """A column heading that is a year ("2022") or a financial year ("2021/22", only matched
    here: such a figure keeps the heading in what it counts but gets no single year)."""
    match = re.fullmatch(r"(?:FY\s*)?(\d{4})(\s*[/-]\s*\d{2,4})?", text.strip())
    if not match or not 1900 < int(match.group(1)) < 2100:
        return None
    return int(match.group(1))


def _month(iso: str) -> str:
    try:
        return date.fromisoformat(iso[:10]).strftime("%B %Y")
    except ValueError:
        return iso[:4]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
