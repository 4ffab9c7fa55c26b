"""Which text may stand in a report as evidence or as a summary sentence.

Publication boilerplate ("The full Levelling Up Impact Report is available from the Purpose
Coalition website.", "For more information visit ...") is never evidence. A summary sentence is
read out of its passage, so it must stand on its own: it names the organisation (its name, a
distinctive word of it, its initials, "the Council" for a name with Council in it, or "the
University" for an organisation whose kind is university, never for "Nottingham University
Hospitals NHS Trust", an NHS trust) and does not lean on
the sentence before it (a leading pronoun, "Similar ...", "Of the ...", "Also ...").
"""

from __future__ import annotations

import re

from pipeline.evidence.organisation_kind import organisation_kind

BOILERPLATE = re.compile(
    r"""\b(?:the\s+)?(?:full|complete)\b[^.]{0,80}\breport\b[^.]{0,60}\b(?:available|published|can\s+be\s+(?:found|read|downloaded))\b
    |\bsee\s+the\s+full\b|\bread\s+the\s+full\b|\bfor\s+(?:more|further)\s+information\b|\bclick\s+here\b
    |\bvisit\s+(?:our|the|their)\b[^.]{0,40}\bwebsite\b|\bavailable\s+(?:from|on|at)\s+the\b[^.]{0,50}\bwebsite\b
    |\bdownload\s+the\b[^.]{0,40}\breport\b|\ball\s+rights\s+reserved\b|^\s*(?:©|copyright\b)""",
    re.IGNORECASE | re.VERBOSE,
)
# A first word that points back at something said before: the sentence cannot stand alone.
LEANING = re.compile(
    r"^(?:it|its|they|their|them|this|these|those|that|he|she|his|her|we|our|us|such|similar(?:ly)?|also|however|"
    r"meanwhile|moreover|furthermore|additionally|likewise|here|there|both|others?|another|of\s+(?:the|these|those|them|whom))\b",
    re.IGNORECASE,
)
# Words of a name that do not pick out one organisation ("Sheffield Hallam University": Hallam does).
GENERIC = {
    "the", "of", "and", "for", "ltd", "limited", "plc", "group", "uk", "gas", "council", "university", "trust", "nhs",
    "foundation", "hospitals", "hospital", "teaching", "healthcare", "society", "building", "city", "borough",
    "metropolitan", "county", "company", "services", "ireland", "england", "sheffield", "north", "south", "east", "west",
}  # fmt: skip
# Words of a name that may stand for it with "the" ("the Council", "the Trust"); "the University"
# only for a university (by its kind, not its name: "University Hospitals" are an NHS trust's).
KINDS = {"university", "council", "trust", "society", "hospitals", "group", "college", "foundation"}


def is_boilerplate(sentence: str) -> bool:
    """A publication's own furniture (where to find the full report, copyright), not evidence."""
    return bool(BOILERPLATE.search(sentence))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z£0-9“\"‘])", " ".join(text.split())) if s.strip()]


def without_boilerplate(text: str) -> str:
    """``text`` with its boilerplate sentences taken out, paragraph by paragraph (empty when
    nothing else is left)."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text):
        sentences = split_sentences(paragraph)
        kept = [s for s in sentences if not is_boilerplate(s)]
        if kept:
            paragraphs.append(paragraph.strip() if len(kept) == len(sentences) else " ".join(kept))
    return "\n\n".join(paragraphs)


def names_of(organisation: str, kind: str | None = None) -> re.Pattern[str]:
    """What counts as naming ``organisation`` in a sentence: its full name, a distinctive word of
    it ("Cadent", "Hallam"), its initials ("SHU"), or "the" and a word of its name that says what
    it is ("the Council", "the Trust"); "the University" only when its ``kind`` (read from its name
    when not given: :func:`pipeline.evidence.organisation_kind.organisation_kind`) is university."""
    kind = kind or organisation_kind(organisation)
    words = re.findall(r"[\w’']+", organisation)
    forms = [re.escape(organisation)]
    forms += [re.escape(w) + r"(?:[’']s)?" for w in words if w.lower() not in GENERIC and len(w) > 2]
    initials = "".join(w[0] for w in words if w[0].isupper())
    if len(initials) >= 2:
        forms.append(re.escape(initials))
    forms += [r"[Tt]he\s+" + w for w in words if w.lower() in KINDS - {"university"} and w[0].isupper()]
    if kind == "university":
        forms.append(r"[Tt]he\s+University")
    return re.compile(r"\b(?:" + "|".join(forms) + r")\b")


def stands_alone(sentence: str, organisation: str, kind: str | None = None) -> bool:
    """Whether ``sentence`` can be read out of its passage as a claim about ``organisation`` (of
    ``kind``, read from its name when not given)."""
    text = sentence.strip()
    if LEANING.match(text) or is_boilerplate(text) or text.startswith(("“", '"', "‘")):
        return False
    return bool(names_of(organisation, kind).search(text))
