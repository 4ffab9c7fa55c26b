"""Labelled passages, ``{"text": ..., "goals": [int, ...]}`` per line, validated against a taxonomy."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.jsonl import Line, parse_lines
from pipeline.taxonomy import Taxonomy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Labelled:
    text: str
    goals: list[int]
    # how a realistic label was decided ("inferred", "explicit", "negative", ...): present on
    # labels of real-style passages (corpus/labels/web-passages.jsonl), which decisions are tuned on
    basis: str | None = None
    # the public page a real-style passage was written from (``source_url``): passages of one page
    # stay on one side of every cross-validation split
    source: str | None = None
    kind: str | None = None  # press, report, quote, negative: the kind of text a realistic passage is


def read_labels(path: Path, taxonomy: Taxonomy) -> list[Labelled]:
    """Every record must have a non-empty ``text`` and ``goals`` from the taxonomy ([] = no goal).

    A bad line is logged with its line number and skipped; the file fails only if no line is good,
    or if a line is not text at all (not UTF-8, or a lone surrogate escape such as ``"\\ud800"``):
    that is a broken file, an ``InputError`` naming the file and line, not a label to skip.
    Other keys (``style``, notes) are allowed and ignored.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such labels file; give a JSON lines file of {{\"text\", \"goals\"}} records")
    records, skipped = [], 0
    with path.open("rb") as stream:
        for line in parse_lines(stream):
            if line.undecodable:
                raise InputError(f"{path}: {line.error}")
            try:
                records.append(_record(line, path, taxonomy))
            except InputError as error:
                skipped += 1
                log.warning("skipped: %s", error)
    if skipped:
        log.warning("%s: %d bad line(s) skipped, %d labelled passages read", path, skipped, len(records))
    if not records:
        raise InputError(f"{path}: no usable labelled records ({skipped} bad lines); each line must be {{\"text\", \"goals\"}}")
    return records


def _record(line: Line, path: Path, taxonomy: Taxonomy) -> Labelled:
    where = f"{path}: line {line.number}"
    if line.error:
        raise InputError(f"{path}: {line.error}")
    value = line.value
    if not isinstance(value, dict) or not isinstance(value.get("text"), str) or not value["text"].strip():
        raise InputError(f"{where}: expected an object with a non-empty \"text\"")
    goals = value.get("goals")
    if not isinstance(goals, list) or not all(isinstance(g, int) and not isinstance(g, bool) for g in goals):
        raise InputError(f"{where}: \"goals\" must be a list of goal numbers, got {goals!r}")
    known = set(taxonomy.goal_ids)
    unknown = sorted(set(goals) - known)
    if unknown:
        raise InputError(f"{where}: goals {unknown} are not in taxonomy '{taxonomy.name}' ({min(known)}-{max(known)})")
    return Labelled(value["text"], sorted(set(goals)), _text(value, "label_basis"), _text(value, "source_url"), _text(value, "kind"))


def _text(value: dict, key: str) -> str | None:
    found = value.get(key)
    return found if isinstance(found, str) and found else None
