"""JSON lines in and out: records read with line numbers, files written atomically.

Reading is total: every line becomes a :class:`Line`, with a value or an error saying what is
wrong with it (not valid JSON, not valid UTF-8, a lone surrogate such as ``"\\ud800"`` that no
UTF-8 writer can write back), so one bad line never ends a file or a stream.
"""

from __future__ import annotations

import json
import os
import re
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
    undecodable: bool = False  # the error is the text itself: not UTF-8, or a lone surrogate


# a \uD800-\uDFFF escape: only then can a parsed line hold a lone surrogate (checked in full)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_lines(stream: Iterable[str | bytes], *, keep_blank: bool = False) -> Iterator[Line]:
    """Parse JSON lines (``bytes`` lines are decoded as strict UTF-8); a bad line yields a
    ``Line`` with an error, never an exception. Blank lines are skipped, or with ``keep_blank``
    yield an error too (a streaming contract answers every line)."""
    for number, raw in enumerate(stream, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Line(number, error=f"line {number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}); "
                           "re-encode the input as UTF-8", undecodable=True)
                continue
        if not raw.strip():
            if keep_blank:
                yield Line(number, error=f"line {number}: blank line; expected a JSON object")
            continue
        yield _parse(number, raw)


def _parse(number: int, raw: str) -> Line:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return Line(number, error=f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return Line(number, error=f"line {number}: JSON nested too deeply")
    except ValueError as exc:  # e.g. an integer longer than Python's 4,300-digit limit
        return Line(number, error=f"line {number}: not valid JSON ({str(exc).splitlines()[0][:80]})")
    if (not raw.isascii() and has_surrogate(raw)) or (_SURROGATE_ESCAPE.search(raw) and has_surrogate(value)):
        return Line(number, error=f"line {number}: a lone surrogate escape (\\ud800-\\udfff) is not valid Unicode; "
                    "write the character itself or a surrogate pair", undecodable=True)
    return Line(number, value)


def has_surrogate(value: Any) -> bool:
    """Whether ``value`` (a parsed JSON value) holds a string that cannot be written as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def read_records(path: Path) -> list[dict[str, Any]]:
    """All records of a JSON lines file; any malformed line is an ``InputError`` naming it."""
    if not path.is_file():
        raise InputError(f"{path}: no such file; run the previous stage first or pass --input")
    records = []
    with path.open("rb") as stream:
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
