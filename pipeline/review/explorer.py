"""The evidence explorer: search, organisation, goal and coalition pages over the evidence that
stands, for every signed-in user, and the only pages a ``viewer`` may open."""

from __future__ import annotations

VIEWER_PAGES = frozenset({"/", "/account", "/logout", "/health", "/evidence", "/evidence.csv", "/evidence.parquet", "/coalition"})
VIEWER_PREFIXES = ("/organisations/", "/goals/")


def viewer_may(path: str) -> bool:
    """Whether a read-only viewer may open ``path``: the explorer and their own account, nothing
    of the review queue, the decisions, administration or the export of everything (an allow-list,
    so a page added later is closed to viewers until it is named here)."""
    return path in VIEWER_PAGES or path.startswith(VIEWER_PREFIXES)
