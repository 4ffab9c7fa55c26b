"""Which organisation a document is about.

Press releases about an organisation's impact report mention the framework's own bodies (the
Purpose Coalition, the Social Mobility Pledge) nearly as often as the subject, so those are
excluded; acronyms introduced in brackets count towards their full name, short forms
("Barts Health") towards the longest name they begin, and a name in the title weighs most.
"""

from __future__ import annotations

import re
from collections import Counter

FRAMEWORK_BODIES = {
    "purpose coalition", "purpose health coalition", "social mobility pledge", "levelling up goals",
    "parliament", "government", "uk government", "the government", "nhs", "house of commons",
}  # fmt: skip
TITLE_WEIGHT = 5  # a name in the headline outweighs several mentions in the body
_ACRONYM = re.compile(r"((?:[A-Z][\w&'’.-]*\s+)(?:(?:of|and|for|the|&)\s+|[A-Z][\w&'’.-]*\s+){0,9}?[A-Z][\w&'’.-]*)\s+\(([A-Z][A-Za-z&]{1,7})\)")


def subject_organisation(title: str, text: str, names: list[str]) -> str | None:
    """The organisation the document is about, or None when no organisation is named."""
    acronyms = {short: full for full, short in _ACRONYM.findall(text)}
    candidates = [acronyms.get(name, name) for name in names if name.lower() not in FRAMEWORK_BODIES]
    if not candidates:
        return None
    canonical = _merge_short_forms(candidates)
    counts = Counter(canonical[name] for name in candidates)
    title_lower = title.lower()
    for name in counts:
        short = [a for a, full in acronyms.items() if full == name]
        if any(form.lower() in title_lower for form in [name, *short, *_forms_of(name, canonical)]):
            counts[name] += TITLE_WEIGHT
    return max(counts, key=lambda name: (counts[name], -candidates.index(name)))  # ties: first named


def _merge_short_forms(names: list[str]) -> dict[str, str]:
    """Map each name to the longest name that starts with it word for word."""
    distinct = sorted(set(names), key=len, reverse=True)
    canonical: dict[str, str] = {}
    for name in distinct:
        longer = next((other for other in distinct if len(other) > len(name) and other.startswith(name + " ")), None)
        canonical[name] = canonical.get(longer, longer) if longer else name
    return canonical


def _forms_of(name: str, canonical: dict[str, str]) -> list[str]:
    return [short for short, full in canonical.items() if full == name]
