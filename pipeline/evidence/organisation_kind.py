"""What kind of organisation a document is about: an NHS body, a university, a council, ...

Peers are compared within a kind (the report's "what more could be done", the explorer's gaps):
a university's goals set against an NHS trust's say little. A source in ``sources.yaml`` may
declare its organisation's kind (``organisation_kind``); otherwise it is read from the
organisation's name and, failing that, the document's web address (``.nhs.uk``, ``.ac.uk``,
``.police.uk``, ``.gov.uk``). Names that say nothing are companies, the commonest member.

    organisation_kind("Sheffield Teaching Hospitals NHS Foundation Trust")  # "nhs"
    organisation_kind("Sodexo", "https://uk.sodexo.com/impact")              # "company"
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pipeline.records import ORGANISATION_KINDS as KINDS

__all__ = ["KINDS", "organisation_kind"]

# First match wins: "University Hospitals ... NHS Trust" is NHS, "Police and Crime Commissioner" a
# public body, "Council for At-Risk Academics" is not a council (it has no place before it).
_BY_NAME: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("nhs", r"\bNHS\b|\bhospitals?\b|\bhealth ?care trust\b|\bhealth board\b|\bambulance service\b|\bintegrated care (board|system)\b|\bprimary care\b"),
        ("public body", r"\bpolice\b|\bconstabulary\b|\bfire (and|&) rescue\b|\bfire service\b|\bdepartment (for|of)\b|\bministry of\b|\boffice for\b|\bagency\b|\bcommission(er)?\b|\bregulator\b|\bHM\b"),
        ("council", r"\b(borough|city|county|district|metropolitan|town|parish) council\b|\bcouncil$|\bcombined authority\b|\blocal authority\b|\bgreater london authority\b|\bmayor of\b"),
        ("university", r"\buniversit(y|ies)\b|\bcollege\b|\binstitute of technology\b|\bschool of (economics|medicine)\b"),
        ("housing", r"\bhousing\b|\bhomes$|\bhomes (group|trust)\b"),
        ("company", r"\b(plc|ltd|limited|llp|holdings|bank|building society)\b"),
        ("charity", r"\bcharit(y|able)\b|\bfoundation$|\btrust$|\bassociation$|\bsociety$|\bcoalition$|\bnetwork$|\bCIC\b"),
    )
)
_BY_HOST = (("nhs", ".nhs.uk"), ("university", ".ac.uk"), ("public body", ".police.uk"), ("council", ".gov.uk"))


def organisation_kind(name: str | None, url: str | None = None) -> str | None:
    """The kind of the organisation named ``name`` (None when there is no organisation)."""
    if not name or not name.strip():
        return None
    for kind, pattern in _BY_NAME:
        if pattern.search(name.strip()):
            return kind
    host = (urlsplit(url).hostname or "") if url and url.startswith(("http://", "https://")) else ""
    for kind, suffix in _BY_HOST:
        if host.endswith(suffix):
            return kind
    return "company"
