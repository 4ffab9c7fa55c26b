"""The ``levelup classify`` contract (design.md), as a function tests can call.

JSON lines ``{"id", "text"}`` in (optionally ``"headings": [...]``, the passage's heading path:
a heading that names a goal tags the passage with it); one JSON object out per input line, in input order:
``{"id", "goals": [{"goal", "score"}, ...], "scores": {"<goal>": score}}``, or ``{"id", "error"}``
for a line that is not valid JSON or has no string ``text``. Lines are scored in batches, big
enough for the encoder to sort by length, small enough that output streams while input arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.classify import Tagger, classify
from pipeline.jsonl import Line, parse_lines

BATCH_SIZE = 1024


def classify_lines(lines: Iterable[str], tagger: Tagger, *, batch_size: int = BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
    """The output objects, one per non-blank input line, a batch at a time (for flushing)."""
    for batch in batches(parse_lines(lines), batch_size):
        good = [line for line in batch if _valid(line)]
        headings = [_headings(line.value.get("headings")) for line in good]
        results = iter(classify([line.value["text"] for line in good], tagger, headings=headings))
        yield [next(results).to_contract(line.value.get("id")) if _valid(line) else _error(line) for line in batch]


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
