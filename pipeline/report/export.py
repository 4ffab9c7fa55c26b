"""``levelup export``: the evidence database as tidy tables, Parquet and CSV, for pandas users.

One file per table, one row per record, columns as documented in ``COLUMNS`` (and README.md).
JSON-valued columns (goal lists, reasons, explanations, page offsets) are written as JSON text,
so Parquet and CSV hold the same thing; timestamps are UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.csvcells import neutralise_frame
from pipeline.errors import InputError
from pipeline.evidence.store import Store

COLUMNS: dict[str, dict[str, str]] = {
    "documents": {
        "id": "document id (from its URL)",
        "url": "address or file path",
        "kind": "html, pdf or txt",
        "title": "title",
        "author": "author, when the page names one",
        "date": "publication date (ISO), when found",
        "sitename": "site name",
        "organisation": "the organisation the document is about",
        "source": "the sources.yaml entry that found it (levelup ingest)",
        "also_at": "JSON list of other URLs with the same or nearly the same text",
        "encoding_warning": "bytes invalid in the declared encoding were replaced (what, how many); empty when clean",
        "content_hash": "SHA-256 of the text",
        "collected_at": "when it was collected (UTC)",
        "text": "the extracted text",
    },
    "passages": {
        "id": "passage id (from document and content)",
        "document_id": "its document",
        "ordinal": "position in the document, from 0",
        "start": "character offset of its start in the document text",
        "end": "character offset of its end",
        "page": "PDF page, from 1",
        "text": "the passage",
    },
    "entities": {
        "passage_id": "its passage",
        "label": "ORG, PERSON or GPE",
        "text": "as written",
        "start": "character offset in the passage",
        "end": "character offset of its end",
        "canonical": "ORG: the organisation's name resolved within the document",
        "title": "PERSON: honorific (Rt Hon, Dr, ...)",
        "role": "PERSON: role written next to the name",
        "role_org": "PERSON: organisation of that role",
        "model": "the spaCy pipeline that found it",
    },
    "figures": {
        "passage_id": "its passage",
        "text": "as written",
        "value": "normalised number (56 per cent -> 0.56)",
        "unit": "count, percent, GBP, ...",
        "qualifier": "more than, around, up to, ...",
        "counted": "what it counts (staff, patients, ...)",
        "year": "year attached to it",
        "start": "character offset in the passage",
        "end": "character offset of its end",
    },
    "quotes": {
        "passage_id": "its passage",
        "text": "the quoted words",
        "speaker": "who said it",
        "title": "speaker's honorific",
        "role": "speaker's role",
        "organisation": "speaker's organisation",
        "part": "part number of a quote running over several passages",
        "start": "character offset in the passage",
        "end": "character offset of its end",
    },
    "suggestions": {
        "passage_id": "its passage",
        "taxonomy": "levelling-up, sdg, ...",
        "goal": "goal number",
        "score": "model score (probability for a trained model)",
        "predicted": "whether the model chose the goal",
        "flagged": "whether it is in the review queue",
        "priority": "expected value of a review (higher first)",
        "reasons": "JSON list: uncertain, disagree, new_for_organisation",
        "explanation": "JSON: key phrases and nearest labelled examples",
        "model": "model id and version",
        "created_at": "when the suggestion was made (UTC)",
    },
    "reviews": {
        "id": "review id, in the order made",
        "passage_id": "its passage (kept even if the passage is gone)",
        "taxonomy": "levelling-up, sdg, ...",
        "decision": "accept, reject, change, no_goal, skip or undo",
        "goals_before": "JSON list: the goals suggested",
        "goals_after": "JSON list: the goals the reviewer settled on",
        "reviewer": "username",
        "note": "the reviewer's note",
        "undoes": "on an undo: the review it takes back",
        "created_at": "when (UTC)",
        "passage_text": "the passage as the reviewer saw it",
    },
}
FORMATS = ("parquet", "csv")


def tables(store: Store) -> dict[str, pd.DataFrame]:
    """Every exported table as a DataFrame with the documented columns, in that order."""
    return {name: store.table_frame(name, list(columns)) for name, columns in COLUMNS.items()}


def export(store: Store, out: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InputError(f"unknown export format {', '.join(unknown)}; use parquet and/or csv")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables(store).items():
        if "parquet" in formats:
            frame.to_parquet(out / f"{name}.parquet", index=False)
            written.append(out / f"{name}.parquet")
        if "csv" in formats:
            neutralise_frame(frame).to_csv(out / f"{name}.csv", index=False)
            written.append(out / f"{name}.csv")
    return written
