"""The organisation and its place: the headline figures of its size (its staff, the people it
serves, its sites) and the places its documents name, each citing the document that says so.

Figures are picked by what extraction says they count (the figure's counted noun): "over 18,000
staff", "more than 31,000 students", "around 2.1 million patient contacts". "People" counts staff
or the people served only where the words before the figure say which ("employs over 8,000
people", "home to around 245,000 people", "caring for a population of around 285,000 people");
"25 million people" given skills is neither; so for homes and households ("supplies water to
4.6 million households", not "full fibre to 3.2 million homes and businesses"). A figure inside a quotation is someone's story ("We
have taken on nine more staff"), not the organisation's size. The first qualifying figure of each
kind in reading order is kept: documents describe the organisation before its programmes.

Places are the GPE entities of its documents, most named first; a name that is part of a
programme's ("the Aspire programme", "HyNet North West project") or written in lower case
("the south-west" of a city) is no place it serves. The nation ("UK", "England") is listed only
when no other place is named: "below the England average" is a comparison, not a place served.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pipeline.report import model
from pipeline.report.model import FigureItem, ProfileFact

PLACES_SHOWN = 8
STAFF_NOUNS = {"staff", "employees", "colleagues", "workers", "workforce", "people employed"}
SERVED_NOUNS = {"students", "undergraduates", "learners", "patients", "patient contacts", "residents", "members", "customers", "tenants", "passengers", "service users"}
# Counted nouns that are the people or places served only where the words before say so ("supplies
# water to 4.6 million households"; not "full fibre to 3.2 million homes and businesses").
CUED_NOUNS = {"people", "population", "households", "homes", "homes and businesses", "households and businesses", "premises"}
SITE_NOUNS = {"sites", "campuses", "hospitals", "branches", "offices", "stores", "shops", "depots", "locations", "clinics"}
# Words right before "N people" that say whom the figure counts.
EMPLOYS = re.compile(r"\b(?:employs?|employing|employer\s+of|workforce\s+of|team\s+of)\b[^.;:]{0,25}$", re.IGNORECASE)
SERVES = re.compile(
    r"\b(?:home\s+to|population\s+of|serves?|serving|caring\s+for|cares\s+for|used\s+by|(?:provid(?:es?|ing)|suppl(?:y|ies|ying)|deliver(?:s|ing)?|carr(?:y|ies|ying)|bring(?:s|ing)?)\b[^.;:]{0,60}\bto)\b[^.;:]{0,25}$",
    re.IGNORECASE,
)
# A name followed by one of these is a programme's, not a place ("the Aspire programme").
PROGRAMME = re.compile(r"^[\s’']*(?:programme|program|project|scheme|initiative|partnership|fund|campaign|trial|award)s?\b", re.IGNORECASE)
NATIONS = {"uk", "united kingdom", "britain", "great britain", "england"}


def profile(figures: Sequence[dict[str, Any]], places: Sequence[dict[str, Any]]) -> list[ProfileFact]:
    """The facts of "the organisation and its place" from the rows of
    :meth:`pipeline.evidence.store.Store.found_in`: its ``figures`` and its GPE entities (``places``),
    each row with its passage's text and page and its document's url, title and date, in reading
    order. Empty when nothing qualifies."""
    facts: list[ProfileFact] = []
    for kind, row in _size_figures(figures):
        counted = _counted(row)
        figure = FigureItem(text=str(row["text"]), counted=counted)
        facts.append(_fact(kind, figure.label, row, figure))
    facts += _places(places)
    return facts


def kind_of(row: dict[str, Any]) -> str | None:
    """Which size a figure row tells (``model.STAFF``, ``model.SERVES``, ``model.SITES``) from what it
    counts and, for "people", the words before it; None for any other figure."""
    if row.get("unit") != "count" or not re.search(r"\d", str(row.get("text") or "")):
        return None
    counted = _counted(row).lower()
    text = str(row.get("passage_text") or "")
    start = int(row.get("start") or 0)
    if _in_quotation(text, start):
        return None
    if _ends_with(counted, STAFF_NOUNS):
        return model.STAFF
    if _ends_with(counted, SERVED_NOUNS):
        return model.SERVES
    if _ends_with(counted, SITE_NOUNS):
        return model.SITES
    if counted in CUED_NOUNS:
        before = text[max(start - 80, 0) : start]
        if counted == "people" and EMPLOYS.search(before):
            return model.STAFF
        if SERVES.search(before):
            return model.SERVES
    return None


def _size_figures(rows: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The first figure of each kind, in reading order."""
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        kind = kind_of(row)
        if kind is not None and kind not in first:
            first[kind] = row
    return [(kind, first[kind]) for kind in model.PROFILE_KINDS if kind in first]


def _places(rows: Sequence[dict[str, Any]]) -> list[ProfileFact]:
    """The places named most, each cited to the document (and page) that first names it; places
    cited alike share a line."""
    named: Counter[str] = Counter()
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = " ".join(str(row["text"]).split())
        text = str(row.get("passage_text") or "")
        if not name[:1].isupper() or PROGRAMME.match(text[int(row.get("end") or 0) :]):
            continue
        key = name.lower()
        named[key] += 1
        first.setdefault(key, {**row, "text": name})
    local = [key for key in named if key not in NATIONS]
    keys = sorted(local or list(named), key=lambda k: -named[k])[:PLACES_SHOWN]  # a stable sort: ties in reading order
    facts: list[ProfileFact] = []
    for key in keys:
        row = first[key]
        source, link, file = _source(row)
        same = next((f for f in facts if (f.source, f.link, f.file, f.date, f.page) == (source, link, file, _date(row), row.get("page"))), None)
        if same is not None:
            same.text += ", " + str(row["text"])
        else:
            facts.append(ProfileFact(model.PLACES, str(row["text"]), source, link, file, _date(row), row.get("page")))
    return facts


def _fact(kind: str, text: str, row: dict[str, Any], figure: FigureItem | None = None) -> ProfileFact:
    source, link, file = _source(row)
    return ProfileFact(kind, text, source, link, file, _date(row), row.get("page"), figure=figure)


def _source(row: dict[str, Any]) -> tuple[str, str | None, str | None]:
    source, link = model.source_name(str(row["url"]), row.get("document_title"))
    return source, link, None if link else model.file_name(str(row["url"]))


def _date(row: dict[str, Any]) -> str | None:
    return str(row["date"])[:10] if row.get("date") else None


def _counted(row: dict[str, Any]) -> str:
    return re.sub(r"[\s|]+", " ", str(row.get("counted") or "")).strip(" |,.;:")


def _ends_with(counted: str, nouns: set[str]) -> bool:
    return any(counted == noun or counted.endswith(" " + noun) for noun in nouns)


def _in_quotation(text: str, at: int) -> bool:
    """Whether position ``at`` of ``text`` is inside curly or straight double quotation marks."""
    before = text[:at]
    return before.count("“") > before.count("”") or before.count('"') % 2 == 1
