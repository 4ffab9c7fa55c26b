"""``levelup export``: the evidence database as tidy tables, Parquet and CSV, for pandas users.

One file per table, one row per record, columns as documented in ``COLUMNS`` (and README.md).
Columns are typed: in Parquet, JSON-valued columns (goal lists, reasons, explanations) are lists
and structs, whole numbers that may be missing (years, pages) are nullable integers (``Int64``),
times are UTC timestamps; CSV holds the same values with lists and structs as JSON text.

``evidence`` is the table researchers start from: one row per passage and goal that stands (the
model's suggestion, or the passage's standing review decision, which replaces the model's goals),
with the document, organisation, source URL, date, score and reviewer.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.csvcells import neutralise_frame
from pipeline.errors import InputError
from pipeline.evidence.store import Store
from pipeline.report.outputs import write_arrow

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
        "organisation_kind": "nhs, university, council, public body, housing, charity or company (sources.yaml, else read from the name)",
        "source": "the sources.yaml entry that found it (levelup ingest)",
        "also_at": "list of other URLs with the same or nearly the same text",
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
        "headings": "list: the heading path above it, outermost first",
        "table_rows": "a table passage's rows (list of lists of cells, the first row its header); empty otherwise",
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
        "upper": "the upper end of a range (200-300 apprentices: value 200, upper 300); empty otherwise",
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
        "reasons": "list: uncertain, disagree, new_for_organisation",
        "explanation": "struct: key phrases and nearest labelled examples",
        "model": "model id and version",
        "created_at": "when the suggestion was made (UTC)",
    },
    "reviews": {
        "id": "review id, in the order made",
        "passage_id": "its passage (kept even if the passage is gone)",
        "taxonomy": "levelling-up, sdg, ...",
        "decision": "accept, reject, change, no_goal, skip or undo",
        "goals_before": "list: the goals suggested",
        "goals_after": "list: the goals the reviewer settled on",
        "reviewer": "username",
        "note": "the reviewer's note",
        "undoes": "on an undo: the review it takes back",
        "created_at": "when (UTC)",
        "passage_text": "the passage as the reviewer saw it",
    },
    "evidence": {
        "taxonomy": "levelling-up, sdg, ...",
        "organisation": "the organisation the document is about (empty when not identified)",
        "document_id": "its document",
        "passage_id": "the passage",
        "goal": "a goal the passage is evidence for",
        "source": "model (the model's suggestion stands), review (a reviewer's standing decision) or disputed "
        "(reviewers decided the passage differently and nobody has settled it: the model's suggestion, no reviewer's label)",
        "score": "the model's score for that goal (also on reviewed rows, where the model scored it)",
        "model": "the model that suggested it (model rows)",
        "decision": "the standing review decision: accept or change (review rows)",
        "reviewer": "who decided (review rows)",
        "reviewed_at": "when the standing decision was made (UTC timestamp; review rows)",
        "document_date": "the document's publication date (UTC timestamp), when found",
        "year": "its year (integer), when found",
        "url": "the document's address or file path",
        "title": "the document's title",
        "ordinal": "position of the passage in its document, from 0",
        "text": "the passage",
    },
}
# The shape of each JSON-valued column in Parquet (CSV keeps them as JSON text).
_PHRASE = pa.struct([("text", pa.string()), ("score", pa.float64())])
_EXAMPLE = pa.struct([("text", pa.string()), ("goals", pa.list_(pa.int64())), ("similarity", pa.float64())])
JSON_TYPES: dict[str, pa.DataType] = {
    "also_at": pa.list_(pa.string()),
    "reasons": pa.list_(pa.string()),
    "headings": pa.list_(pa.string()),
    "table_rows": pa.list_(pa.list_(pa.string())),
    "goals_before": pa.list_(pa.int64()),
    "goals_after": pa.list_(pa.int64()),
    "explanation": pa.struct([("goal", pa.int64()), ("phrases", pa.list_(_PHRASE)), ("examples", pa.list_(_EXAMPLE))]),
}
FORMATS = ("parquet", "csv")


def tables(store: Store, taxonomies: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every exported table as a typed DataFrame with the documented columns, in that order;
    JSON-valued columns hold lists and dicts. ``evidence`` covers ``taxonomies`` (default: every
    taxonomy with suggestions or reviews)."""
    frames = {}
    for name, columns in COLUMNS.items():
        if name == "evidence":
            continue
        kinds = store.table_columns(name)
        frame = store.table_frame(name, list(columns), json_text=False)
        frames[name] = _typed(frame, {column: kinds[column] for column in columns})
    frames["evidence"] = evidence_frame(store, store.taxonomies_in_use() if taxonomies is None else taxonomies)
    return frames


def evidence_frame(store: Store, taxonomies: Sequence[str], *, passage_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (passage, goal) that stands, per taxonomy (of ``passage_ids`` only, when
    given): see ``COLUMNS["evidence"]``."""
    parts = []
    for taxonomy in taxonomies:
        model, reviewed = store.standing_evidence(taxonomy, passage_ids)
        model["source"] = ["disputed" if flag else "model" for flag in model["disputed"]] if len(model) else "model"
        reviewed = reviewed.explode("goals_after").dropna(subset=["goals_after"]).rename(columns={"goals_after": "goal"})
        reviewed["source"] = "review"
        scores = store.scores(sorted(set(reviewed["passage_id"])), taxonomy)
        reviewed["score"] = [scores.get((pid, int(goal))) for pid, goal in zip(reviewed["passage_id"], reviewed["goal"], strict=True)]
        both = pd.concat([frame for frame in (model, reviewed) if len(frame)], ignore_index=True) if len(model) or len(reviewed) else pd.DataFrame()
        both["taxonomy"] = taxonomy
        parts.append(both)
    columns = list(COLUMNS["evidence"])
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    frame = frame.rename(columns={"date": "document_date"}).reindex(columns=columns)
    frame["document_date"] = _timestamps(frame["document_date"])
    frame["year"] = frame["document_date"].dt.year.astype("Int64")
    frame["reviewed_at"] = _timestamps(frame["reviewed_at"])
    frame["goal"] = frame["goal"].astype("Int64")
    frame["ordinal"] = frame["ordinal"].astype("Int64")
    frame["score"] = frame["score"].astype("float64")
    for column in ("taxonomy", "organisation", "document_id", "passage_id", "source", "model", "decision", "reviewer", "url", "title", "text"):
        frame[column] = frame[column].astype("string")
    return frame.sort_values(["taxonomy", "organisation", "document_id", "ordinal", "goal"], na_position="last", ignore_index=True)


def export(store: Store, out: Path, formats: Sequence[str] = FORMATS, *, taxonomies: Sequence[str] | None = None) -> list[Path]:
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InputError(f"unknown export format {', '.join(unknown)}; use parquet and/or csv")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables(store, taxonomies).items():
        if "parquet" in formats:
            written.append(write_arrow(out / f"{name}.parquet", _arrow(frame)))
        if "csv" in formats:
            (out / f"{name}.csv").write_text(csv_text(frame), encoding="utf-8")
            written.append(out / f"{name}.csv")
    return written


def csv_text(frame: pd.DataFrame) -> str:
    """A table as ``export`` writes its CSV file: lists and structs as JSON text, cells a
    spreadsheet would run as a formula neutralised."""
    text = frame.copy()
    for column in set(JSON_TYPES) & set(text.columns):
        text[column] = text[column].map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
    return str(neutralise_frame(text).to_csv(index=False))


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A table as ``export`` writes its Parquet file, in memory (a download)."""
    sink = io.BytesIO()
    pq.write_table(_arrow(frame), sink)
    return sink.getvalue()


def _typed(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    for column, kind in kinds.items():
        if kind == "integer":
            frame[column] = frame[column].astype("Int64")
        elif kind == "float":
            frame[column] = frame[column].astype("float64")
        elif kind == "boolean":
            frame[column] = frame[column].astype("boolean")
        elif kind == "datetime":
            frame[column] = _timestamps(frame[column])
        elif kind == "text":
            frame[column] = frame[column].astype("string")
    return frame


def _timestamps(values: pd.Series) -> pd.Series:
    """UTC timestamps (stored times without a zone are UTC); text that is no date becomes NaT."""
    return pd.to_datetime(values.astype("object").where(values.notna(), None), utc=True, errors="coerce", format="ISO8601")


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table, JSON-valued columns typed as lists and structs."""
    fields = []
    arrays = []
    for column in frame.columns:
        if column in JSON_TYPES:
            array = pa.array([None if v is None else v for v in frame[column].astype("object")], type=JSON_TYPES[column])
        else:
            array = pa.Array.from_pandas(frame[column])
        arrays.append(array)
        fields.append(pa.field(column, array.type))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    return table.replace_schema_metadata(pa.Schema.from_pandas(frame, preserve_index=False).metadata)
