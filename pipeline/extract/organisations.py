"""One name per organisation within a document, and which organisation a document is about.

``resolve_names`` maps every organisation mention to a canonical name: an acronym introduced in
brackets ("University Hospitals Birmingham NHS Foundation Trust (UHB)") to its full name, a
known alias or name to the gazetteer's canonical form, and a short form ("Barts Health") to
the formal name it begins ("Barts Health NHS Trust"). Across documents, names are compared by
``gazetteer.normalise_name``.

``subject_organisation``: press releases about an organisation's impact report mention the
framework's own bodies (the Purpose Coalition, the Social Mobility Pledge) nearly as often as the
subject, so those are excluded, and a name in the title weighs most.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.extract.gazetteer import Gazetteer, load_gazetteer

FRAMEWORK_BODIES = {
    "purpose coalition", "purpose health coalition", "social mobility pledge", "levelling up goals",
    "parliament", "government", "uk government", "the government", "nhs", "house of commons",
}  # fmt: skip
TITLE_WEIGHT = 5  # a name in the headline outweighs several mentions in the body
# "University Hospitals Birmingham NHS Foundation Trust (UHB)": capitalised words (and of/and/
# for/the/&) on one line, then a short capitalised form in brackets.
_ACRONYM = re.compile(r"((?:[A-Z][\w&'’.-]*[ ]+)(?:(?:of|and|for|the|&)[ ]+|[A-Z][\w&'’.-]*[ ]+){0,9}?[A-Z][\w&'’.-]*)[ ]+\(([A-Z][A-Za-z&]{1,7})\)")
ORGANISATION_TYPES = {
    "trust", "university", "college", "council", "ltd", "limited", "plc", "group", "society",
    "foundation", "partnership", "board", "authority", "system", "care", "service", "services",
}  # fmt: skip
# Single words the small model tags as organisations when they refer back to one ("the Society").
GENERIC_NAMES = {
    "trust", "society", "council", "university", "college", "company", "group", "board",
    "foundation", "centre", "institute", "partnership", "coalition", "business", "firm",
}  # fmt: skip


def acronyms_in(text: str) -> dict[str, str]:
    """Acronyms introduced in brackets after a name: {"UHB": "University Hospitals ..."}."""
    return {short: full for full, short in _ACRONYM.findall(text)}


def resolve_names(names: list[str], text: str, gazetteer: Gazetteer | None = None) -> dict[str, str]:
    """Map each organisation mention in a document to its canonical name."""
    acronyms = acronyms_in(text)

    def expand(name: str) -> str:
        full = acronyms.get(name, name)
        return (gazetteer.canonical(full) if gazetteer else None) or full

    expanded = {name: expand(name) for name in names}
    merged = _merge_short_forms([expanded[name] for name in names])
    return {name: merged[full] for name, full in expanded.items()}


def subject_organisation(title: str, text: str, names: list[str], gazetteer: Gazetteer | None = None) -> str | None:
    """The organisation the document is about, or None when no organisation is named.

    Names resolve to the gazetteer's canonical names (``BMBC``, "Barnsley Metropolitan Borough
    Council" -> "Barnsley Council"; the shipped gazetteer unless one is given), and a one-word
    name that begins exactly one other candidate is that organisation ("Barnsley" in a document
    about Barnsley Council)."""
    gazetteer = gazetteer or load_gazetteer()
    acronyms = acronyms_in(text)
    candidates = [
        _known(acronyms.get(name, name), gazetteer)
        for name in names
        if name.lower() not in FRAMEWORK_BODIES and name.lower() not in GENERIC_NAMES
    ]
    if not candidates:
        return None
    canonical = _merge_short_forms(candidates)
    canonical = _merge_first_words(canonical)
    counts = Counter(canonical[name] for name in candidates)
    in_title = {
        name for name in counts if _named_in(title, [name, *_forms_of(name, canonical, acronyms), *gazetteer.aliases_of(name)])
    }
    for name in in_title:
        if not any(name != other and name in other for other in in_title):  # "Derby" in "University of Derby"
            counts[name] += TITLE_WEIGHT
    return max(counts, key=lambda name: (counts[name], -candidates.index(name)))  # ties: first named


def _known(name: str, gazetteer: Gazetteer) -> str:
    return gazetteer.canonical(name) or name


def _merge_first_words(canonical: dict[str, str]) -> dict[str, str]:
    """Map a one-word name to the one formal name (ending in Council, Trust, University ...)
    that begins with it ("Barnsley" -> "Barnsley Council"; not "Derby" -> "Derby Guarantee");
    left alone when several do ("Sheffield": Sheffield Hallam University, Sheffield
    Teaching Hospitals) or none."""
    merged = dict(canonical)
    targets = set(canonical.values())
    for name, target in canonical.items():
        if " " in name or target != name:
            continue
        longer = {other for other in targets if other.startswith(name + " ") and _is_formal(other)}
        if len(longer) == 1:
            merged[name] = longer.pop()
    return merged


def _merge_short_forms(names: list[str]) -> dict[str, str]:
    """Map names that start one another word for word ("Barts Health", "Barts Health NHS Trust")
    to one of them: the formal name (ending in Trust, University, Ltd ...) if there is one, else
    the one mentioned most. Names of one word stay apart: too ambiguous ("Derby")."""
    mentions = Counter(names)
    canonical = {name: name for name in mentions}
    for name in sorted(mentions, key=len):
        if " " in name:
            group = [other for other in mentions if other == name or other.startswith(name + " ")]
            best = max(group, key=lambda other: (_is_formal(other), mentions[other], len(other)))
            canonical.update(dict.fromkeys(group, best))
    return canonical


def _is_formal(name: str) -> bool:
    return name.rsplit(" ", 1)[-1].lower() in ORGANISATION_TYPES


def _forms_of(name: str, canonical: dict[str, str], acronyms: dict[str, str]) -> list[str]:
    return [short for short, full in canonical.items() if full == name] + [a for a, full in acronyms.items() if full == name]


def _named_in(title: str, forms: list[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(form)}(?!\w)", title, re.IGNORECASE) for form in forms)
