"""The evidence explorer: search, organisation, goal and coalition pages over the evidence that
stands, for every signed-in user, and the only pages a ``viewer`` may open.

The URL is the query, as in Datasette: ``/evidence?q=apprentices&goal=5&year=2023`` lists the
matching passages with facet counts that follow the filters, and ``/evidence.csv`` or
``/evidence.parquet`` with the same parameters downloads exactly those evidence rows, with the
``evidence`` export's columns. Every parameter is checked before anything is read: an unknown
name or a bad value is a 400 with one line saying what to send instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from pipeline.errors import InputError, NotFound
from pipeline.evidence.explorer import EvidenceQuery
from pipeline.evidence.store import Store
from pipeline.extract.people import confirmed_people
from pipeline.records import ORGANISATION_KINDS
from pipeline.report import export, organisation, word
from pipeline.review import charts
from pipeline.taxonomy import Taxonomy

VIEWER_PAGES = frozenset({"/", "/account", "/logout", "/health", "/evidence", "/evidence.csv", "/evidence.parquet", "/coalition", "/organisation", "/organisation/report.html", "/organisation/report.docx"})
VIEWER_PREFIXES = ("/goals/",)

PAGE_SIZE = 20  # passages per results page
MAX_DOWNLOAD = 100_000  # evidence rows one download may have; more: narrow the filters or use levelup export
MAX_VALUES = 20  # values one filter may have
MAX_TEXT = 200  # characters of a search or a name
FILTERS = ("goal", "organisation", "organisation_kind", "year", "kind", "source", "figures")  # URL name = facet name
PARAMETERS = ("q", *FILTERS, "page")
SOURCES = {"model": "the model", "review": "reviewed", "disputed": "disputed"}
KINDS = ("html", "pdf", "txt")
YEAR = re.compile(r"^(19|20)[0-9]{2}$")
NUMBER = re.compile(r"^[0-9]{1,6}$")
GAP_SHARE = 0.5  # a goal is a gap for an organisation when at least this share of its peers report it
HEAT_ROWS = 40  # organisations in the coalition heat map (most evidence first); the table lists them all


@dataclass(frozen=True)
class Search:
    """A checked explorer URL: the store's query and the page asked for."""

    query: EvidenceQuery
    page: int
    pairs: tuple[tuple[str, str], ...]  # the filters as sent, for links that add or drop one


def viewer_may(path: str) -> bool:
    """Whether a read-only viewer may open ``path``: the explorer and their own account, nothing
    of the review queue, the decisions, administration or the export of everything (an allow-list,
    so a page added later is closed to viewers until it is named here)."""
    return path in VIEWER_PAGES or path.startswith(VIEWER_PREFIXES)


def parse_search(params: list[tuple[str, str]], taxonomy: Taxonomy) -> Search:
    """The explorer's query from URL parameters; an ``InputError`` (400) naming the first bad one."""
    values: dict[str, list[str]] = defaultdict(list)
    for key, value in params:
        if key not in PARAMETERS:
            raise InputError(f"'{key[:30]}' is not a search parameter; use {', '.join(PARAMETERS)}")
        values[key].append(value.strip())
    for key, given in values.items():
        if len(given) > (1 if key in ("q", "page") else MAX_VALUES):
            raise InputError(f"'{key}' is given {len(given)} times; give it at most {1 if key in ('q', 'page') else MAX_VALUES} times")
        if any(len(v) > MAX_TEXT for v in given):
            raise InputError(f"a '{key}' value is longer than {MAX_TEXT} characters; shorten it")
    goals = tuple(_checked(values["goal"], "goal", lambda v: NUMBER.match(v) is not None and int(v) in taxonomy.goal_ids, f"a goal number from 1 to {max(taxonomy.goal_ids)}"))
    years = tuple(_checked(values["year"], "year", lambda v: YEAR.match(v) is not None, "a year such as 2023"))
    kinds = tuple(_checked(values["kind"], "kind", lambda v: v in KINDS, " or ".join(KINDS)))
    organisation_kinds = tuple(_checked(values["organisation_kind"], "organisation_kind", lambda v: v in ORGANISATION_KINDS, ", ".join(ORGANISATION_KINDS)))
    sources = tuple(_checked(values["source"], "source", lambda v: v in SOURCES, " or ".join(SOURCES)))
    figures = _checked(values["figures"], "figures", lambda v: v in ("yes", "no"), "yes or no")
    if len(set(figures)) > 1:
        raise InputError("'figures' is both yes and no; give one")
    if any(not v for v in values["organisation"]):
        raise InputError("an 'organisation' value is empty; give an organisation's name")
    page = values["page"][0] if values["page"] else "1"
    if not NUMBER.match(page) or not 1 <= int(page) <= 10_000:
        raise InputError(f"'{page[:20]}' is not a page number; use 1, 2, 3 …")
    query = EvidenceQuery(
        taxonomy.name, text=values["q"][0] if values["q"] else "", goals=tuple(int(g) for g in goals), organisations=tuple(dict.fromkeys(values["organisation"])), organisation_kinds=organisation_kinds,
        years=tuple(int(y) for y in years), kinds=kinds, sources=sources, figures=None if not figures else figures[0] == "yes",
    )  # fmt: skip
    pairs = tuple((k, v) for k, v in params if k in FILTERS or (k == "q" and v.strip()))
    return Search(query, int(page), pairs)


def _checked(values: list[str], key: str, valid: Callable[[str], bool], expected: str) -> list[str]:
    for value in values:
        if not valid(value):
            raise InputError(f"'{value[:30]}' is not a valid {key}; use {expected}")
    return list(dict.fromkeys(values))


def link(pairs: tuple[tuple[str, str], ...], *, add: tuple[str, str] | None = None, drop: tuple[str, str] | None = None, path: str = "/evidence", page: int | None = None) -> str:
    """The explorer URL of ``pairs`` with one filter added or dropped (back to page 1)."""
    kept = [p for p in pairs if p != drop]
    if add is not None and add not in kept:
        kept.append(add)
    if page and page > 1:
        kept.append(("page", str(page)))
    return path + (f"?{urlencode(kept)}" if kept else "")


def facet_label(name: str, value: Any, goal_titles: dict[int, str]) -> str:
    if name == "goal":
        return f"{value} · {goal_titles.get(value, '')}"
    if name == "source":
        return SOURCES.get(value, str(value))
    if name == "figures":
        return "with figures" if value else "without figures"
    return "not identified" if value is None else str(value)


def url_value(name: str, value: Any) -> str | None:
    """A facet value as the URL gives it; None for one that cannot be filtered on (no organisation, no date)."""
    if value is None:
        return None
    if name == "figures":
        return "yes" if value else "no"
    return str(value)


def download_frame(store: Store, query: EvidenceQuery) -> pd.DataFrame:
    """Exactly the matching evidence rows, with the ``evidence`` export's columns and types."""
    keys = store.evidence_keys(query, limit=MAX_DOWNLOAD + 1)
    if len(keys) > MAX_DOWNLOAD:
        raise InputError(f"more than {MAX_DOWNLOAD:,} evidence rows match; narrow the filters, or export everything with levelup export")
    frame = export.evidence_frame(store, [query.taxonomy], passage_ids=sorted({pid for pid, _ in keys}))
    wanted = pd.MultiIndex.from_tuples(keys, names=["passage_id", "goal"]) if keys else pd.MultiIndex.from_tuples([], names=["passage_id", "goal"])
    found = pd.MultiIndex.from_arrays([frame["passage_id"].astype(object), frame["goal"].astype("int64")]) if len(frame) else wanted[:0]
    return frame[found.isin(wanted)].reset_index(drop=True) if len(frame) else frame


def install(app: FastAPI, store: Store, taxonomy: Taxonomy, *, page: Callable[..., HTMLResponse], user_of: Callable[[Request], Any], mark: Callable[..., Markup]) -> None:
    """Add the explorer's pages to the review app: ``page`` draws a template for the signed-in
    user, ``user_of`` checks the session (and keeps viewers to ``viewer_may``), ``mark`` draws a
    passage with its entities and figures marked."""
    titles = {g.id: g.title for g in taxonomy.goals}

    def draw(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
        return page(request, name, context | {"link": link})

    def results(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row | {"marked": mark(row["text"], row["entities"], row["figures"])} for row in rows]

    @app.get("/evidence", response_class=HTMLResponse)
    def evidence_page(request: Request) -> Response:
        user_of(request)
        search = parse_search(list(request.query_params.multi_items()), taxonomy)
        count = store.evidence_count(search.query)
        facets = store.evidence_facets(search.query)
        rows = results(store.evidence_page(search.query, PAGE_SIZE + 1, (search.page - 1) * PAGE_SIZE))
        shown = {
            name: [
                {"label": facet_label(name, value, titles), "n": n, "value": url_value(name, value), "selected": (name, url_value(name, value)) in search.pairs}
                for value, n in values[:30]
            ]
            for name, values in facets.items()
        }
        downloads = link(search.pairs, path="")
        context = {
            "search": search, "count": count, "facets": shown, "rows": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE, "pairs": search.pairs,
            "csv": "/evidence.csv" + downloads, "parquet": "/evidence.parquet" + downloads,
            "chips": [(k, v, facet_label(k, int(v) if k in ("goal", "year") else v == "yes" if k == "figures" else v, titles)) for k, v in search.pairs if k != "q"],
        }  # fmt: skip
        return draw(request, "evidence.html", context)

    def download(request: Request, write: Callable[[pd.DataFrame], str | bytes], media_type: str, filename: str) -> Response:
        """Exactly the filtered evidence rows (every page of them), as the ``evidence`` export writes them."""
        user_of(request)
        search = parse_search([(k, v) for k, v in request.query_params.multi_items() if k != "page"], taxonomy)
        body = write(download_frame(store, search.query))
        return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @app.get("/evidence.csv")
    def evidence_csv(request: Request) -> Response:
        return download(request, export.csv_text, "text/csv; charset=utf-8", "evidence.csv")

    @app.get("/evidence.parquet")
    def evidence_parquet(request: Request) -> Response:
        return download(request, export.parquet_bytes, "application/vnd.apache.parquet", "evidence.parquet")

    def organisation_of(request: Request) -> str:
        """The ``name`` parameter (the only one): an organisation with evidence, else a 400 or 404."""
        params = list(request.query_params.multi_items())
        if [k for k, _ in params] != ["name"] or not params[0][1].strip() or len(params[0][1]) > MAX_TEXT:
            raise InputError("give one organisation as ?name=… (its name as the evidence page shows it)")
        name = params[0][1].strip()
        if not store.evidence_count(EvidenceQuery(taxonomy.name, organisations=(name,))):
            raise NotFound(f"There is no evidence for an organisation named '{name[:80]}'. Search the evidence to find its name.")
        return name

    @app.get("/organisation", response_class=HTMLResponse)
    def organisation_page(request: Request) -> Response:
        user_of(request)
        name = organisation_of(request)
        mine = EvidenceQuery(taxonomy.name, organisations=(name,))
        by_goal = store.evidence_crosstab(mine, "goal", "source")
        goals: list[dict[str, Any]] = []
        for each in taxonomy.goals:
            n = sum(v for (g, _), v in by_goal.items() if g == each.id)
            reviewed = by_goal.get((each.id, "review"), 0)
            goals.append({"id": each.id, "title": each.title, "n": n, "reviewed": reviewed, "share": reviewed / n if n else None})
        years = sorted(((y, n) for y, n in store.evidence_facets(mine, ("year",))["year"] if y is not None), reverse=True)
        strongest_by_goal = store.evidence_strongest_by_goal(mine, STRONGEST)
        # .get: the snapshot may have been reloaded since the counts above (a goal gone meanwhile: no rows, not a 500)
        best = {g["id"]: strongest_by_goal.get(g["id"], []) for g in goals if g["n"]}
        found = {row["passage_id"]: row for row in results(store.evidence_passages(taxonomy.name, list(dict.fromkeys(pid for ids in best.values() for pid in ids))))}
        strongest = [{"goal": g, "rows": [found[pid] for pid in best[g["id"]] if pid in found]} for g in goals if g["id"] in best]
        shown = [pid for ids in best.values() for pid in ids if pid in found]
        quotes = store.quotes(shown)
        people = confirmed_people(store.entities(shown, label="PERSON"), quotes)
        top = max((int(g["n"]) for g in goals), default=0) or 1
        context = {
            "name": name, "goals": goals, "top": top, "years": years, "strongest": strongest, "quotes": quotes, "people": people,
            "year_chart": charts.bars([(str(y), n) for y, n in years], title=f"Evidence of {name} by year", chart_id="by-year"),
            "total": sum(g["n"] for g in goals), "query": urlencode({"name": name}), "evidence_link": link((("organisation", name),)),
        }  # fmt: skip
        return draw(request, "organisation.html", context)

    @app.get("/organisation/report.html")
    def organisation_report_html(request: Request) -> Response:
        user_of(request)
        draft = organisation.build(store, taxonomy, organisation_of(request))
        return HTMLResponse(organisation.render(draft, "html"), headers={"Content-Disposition": 'attachment; filename="report.html"'})

    @app.get("/organisation/report.docx")
    def organisation_report_docx(request: Request) -> Response:
        user_of(request)
        draft = organisation.build(store, taxonomy, organisation_of(request))
        return Response(word.render_docx(draft), media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document", headers={"Content-Disposition": 'attachment; filename="report.docx"'})

    @app.get("/goals/{goal}", response_class=HTMLResponse)
    def goal_page(request: Request, goal: str) -> Response:
        user_of(request)
        if not NUMBER.match(goal) or int(goal) not in taxonomy.goal_ids:
            raise InputError(f"'{goal[:20]}' is not a goal; use a number from 1 to {max(taxonomy.goal_ids)}")
        if request.query_params:
            raise InputError("the goal page takes no parameters; filter on the evidence page instead")
        number = int(goal)
        query = EvidenceQuery(taxonomy.name, goals=(number,))
        ranked = [(o, n) for o, n in store.evidence_facets(query, ("organisation",), limit=500)["organisation"] if o is not None]
        context = {
            "goal": next(g for g in taxonomy.goals if g.id == number), "count": store.evidence_count(query), "ranked": ranked,
            "chart": charts.bars(ranked[:CHART_ROWS], title=f"Organisations with most evidence for goal {number}", chart_id="ranked"),
            "figures": [row | {"summed": row["unit"] not in UNSUMMED and bool(row["counted"])} for row in store.evidence_figures(query)],
            "recent": results(store.evidence_page(query, RECENT, 0)), "evidence_link": link((("goal", goal),)),
        }  # fmt: skip
        return draw(request, "goal.html", context)

    @app.get("/coalition", response_class=HTMLResponse)
    def coalition_page(request: Request) -> Response:
        user_of(request)
        if request.query_params:
            raise InputError("the coalition overview takes no parameters; filter on the evidence page instead")
        everything = EvidenceQuery(taxonomy.name)
        cells = {(o, g): n for (o, g), n in store.evidence_crosstab(everything, "organisation", "goal").items() if o is not None}
        totals: dict[str, int] = defaultdict(int)
        for (o, _), n in cells.items():
            totals[o] += n
        names = sorted(totals, key=lambda o: (-totals[o], o))
        years = sorted((y, n) for y, n in store.evidence_facets(everything, ("year",))["year"] if y is not None)
        goal_ids = [g.id for g in taxonomy.goals]
        kinds = store.organisation_kinds()  # each organisation's kind, by most of its documents
        context = {
            "names": names, "totals": totals, "goal_ids": goal_ids, "kinds": kinds,
            "table": [(o, [cells.get((o, g), 0) for g in goal_ids]) for o in names],  # looked up here: 7,000 calls from the template took some 30 ms
            "gaps": gaps(names, goal_ids, cells, kinds=kinds),
            "heat": charts.heat_map(names[:HEAT_ROWS], goal_ids, cells, title="Evidence per organisation and goal", chart_id="heat"),
            "years": years, "year_chart": charts.bars([(str(y), n) for y, n in years], title="Evidence by year of publication", chart_id="over-time"),
            "heat_rows": HEAT_ROWS,
        }  # fmt: skip
        return draw(request, "coalition.html", context)


STRONGEST = 3  # passages per goal on an organisation's page
RECENT = 10  # passages on a goal's page
CHART_ROWS = 20  # bars in a ranking chart (the table lists every row)
UNSUMMED = ("percent",)  # units whose values are never added up (shares of different wholes)


def gaps(names: list[str], goal_ids: list[int], cells: dict[tuple[str, int], int], *, kinds: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """Organisations with no evidence for a goal at least ``GAP_SHARE`` of their peers (the other
    organisations of the same kind in ``kinds``, at least two) report: the gaps worth asking about.
    Counted once per kind and goal, not per organisation and peer (500 organisations: 250,000
    pairs for each of 14 goals)."""
    members: dict[str | None, list[str]] = defaultdict(list)
    for name in names:
        members[kinds.get(name)].append(name)
    found = []
    for group in members.values():
        peers = len(group) - 1
        if peers < 2:
            continue
        reporting = {goal: sum(1 for o in group if cells.get((o, goal))) for goal in goal_ids}
        for name in group:
            for goal in goal_ids:
                # the organisation does not report the goal, so every organisation of its kind that does is a peer
                if not cells.get((name, goal)) and reporting[goal] >= GAP_SHARE * peers:
                    found.append({"organisation": name, "goal": goal, "reporting": reporting[goal], "peers": peers})
    return sorted(found, key=lambda g: (-g["reporting"] / g["peers"], g["organisation"], g["goal"]))
