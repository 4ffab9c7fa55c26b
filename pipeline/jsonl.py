"""JSON lines in and out: records read with line numbers, files written atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pipeline.errors import InputError


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    value: Any = None
    error: str | None = None


def parse_lines(stream: Iterable[str]) -> Iterator[Line]:
    """Parse JSON lines; blank lines are skipped, a malformed line yields an error, not an exception."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            yield Line(number, json.loads(raw))
        except json.JSONDecodeError as exc:
            yield Line(number, error=f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")


def read_records(path: Path) -> list[dict[str, Any]]:
    """All records of a JSON lines file; any malformed line is an ``InputError`` naming it."""
    if not path.is_file():
        raise InputError(f"{path}: no such file; run the previous stage first or pass --input")
    records = []
    with path.open(encoding="utf-8") as stream:
        for line in parse_lines(stream):
            if line.error or not isinstance(line.value, dict):
                raise InputError(f"{path}: {line.error or f'line {line.number}: expected a JSON object'}")
            records.append(line.value)
    return records


def write_records(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write JSON lines atomically (``*.tmp`` then rename): readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as stream:
        for record in records:
            dump(record, stream)
            count += 1
    os.replace(tmp, path)
    return count


def dump(record: Any, stream: TextIO) -> None:
    stream.write(json.dumps(record, ensure_ascii=False) + "\n")
