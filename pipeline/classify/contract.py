"""The ``levelup classify`` contract (design.md), as a function tests can call.

JSON lines ``{"id", "text"}`` in (optionally ``"headings": [...]``, the passage's heading path:
a heading that names a goal tags the passage with it); exactly one JSON object out per input line,
in input order: ``{"id", "goals": [{"goal", "score"}, ...], "scores": {"<goal>": score}}``, or
``{"id", "error"}`` for a line that is blank, not valid JSON, not valid UTF-8, holds a lone
surrogate (``"\\ud800"``), has no string ``text``, or could not be scored. Nothing in one line
can end the batch: if scoring a batch fails, its lines are scored one by one and only the line
that fails gets an error. Lines are scored in batches, big enough for the encoder to sort by
length, small enough that output streams while input arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.classify import Tagger, classify
from pipeline.jsonl import Line, parse_lines

log = logging.getLogger(__name__)

BATCH_SIZE = 1024


def classify_lines(lines: Iterable[str | bytes], tagger: Tagger, *, batch_size: int = BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
    """The output objects, exactly one per input line (``bytes`` lines are decoded as UTF-8
    here, so bad bytes are one line's error), a batch at a time (for flushing)."""
    for batch in batches(parse_lines(lines, keep_blank=True), batch_size):
        good = [line for line in batch if _valid(line)]
        scored = iter(_score(good, tagger))
        yield [next(scored) if _valid(line) else _error(line) for line in batch]


def _score(lines: list[Line], tagger: Tagger) -> list[dict[str, Any]]:
    """One output per line; a batch that fails is retried line by line to find the culprit."""
    if not lines:
        return []
    try:
        results = classify([line.value["text"] for line in lines], tagger, headings=[_headings(line.value.get("headings")) for line in lines])
        return [result.to_contract(line.value.get("id")) for line, result in zip(lines, results, strict=True)]
    except Exception as exc:
        if len(lines) == 1:
            log.debug("line %d could not be scored", lines[0].number, exc_info=exc)
            return [{"id": lines[0].value.get("id"), "error": f"line {lines[0].number}: could not be scored ({exc.__class__.__name__})"}]
    return [out for line in lines for out in _score([line], tagger)]


def _valid(line: Line) -> bool:
    return line.error is None and isinstance(line.value, dict) and isinstance(line.value.get("text"), str)


def _headings(value: Any) -> list[str] | None:
    """The optional ``"headings"`` of a line (its heading path, outermost first); anything else is ignored."""
    if isinstance(value, list) and all(isinstance(h, str) for h in value):
        return value
    return None


def _error(line: Line) -> dict[str, Any]:
    reason = line.error or f'line {line.number}: expected {{"id", "text"}} with a string text'
    return {"id": line.value.get("id") if isinstance(line.value, dict) else None, "error": reason}


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of ``size`` items (the last one shorter), without reading ahead."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
