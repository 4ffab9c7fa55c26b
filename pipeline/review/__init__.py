"""Staff review of flagged suggestions: a web app (``app``), its queue and decisions (``queue``),
accounts (``accounts``) and exports to and imports from other labelling tools (``interop``)."""
