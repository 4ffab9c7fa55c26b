"""Tables as data: pipe-table text (the form trafilatura writes and the PDF extractor builds) into
rows of cells, and rows back into a sentence-like form for readers and models.

A table in a document's text is a run of lines that start with ``|``:

    | Apprenticeships at a glance |  |  |
    |---|---|---|
    | Measure | 2022 | 2023 |
    |---|---|---|
    | Apprenticeship starts | 95 | 120 |

``parse_pipe_table`` gives its rows (separator rows dropped, every row as wide as the widest);
``structure`` tells the caption row (one non-empty cell in a wider table) and the header row
(labels, not data, over the columns) from the body; ``linearise`` writes
"Apprenticeships at a glance. Apprenticeship starts: 95 (2022), 120 (2023)."
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_SEPARATOR_CELL = re.compile(r"^:?-{3,}:?$")
# A cell that is data: a number, possibly with a currency, a qualifier or a unit ("up to 20%").
_NUMBER = re.compile(r"\d")
# A column label that is a year or a financial year: "2023", "2021/22", "2021-22", "FY2023".
YEAR_LABEL = re.compile(r"^(?:FY\s?)?(?:19|20)\d\d(?:\s?[/–-]\s?(?:\d\d|(?:19|20)\d\d))?$", re.IGNORECASE)

Cell = tuple[str, int, int]  # text, start, end (offsets into the table's text)


def parse_pipe_table(text: str) -> list[list[str]] | None:
    """The rows of a pipe table, first row first; ``None`` when ``text`` is not a pipe table
    (every non-blank line must start with ``|``, and one row must have a non-empty cell)."""
    spans = cell_spans(text)
    if spans is None:
        return None
    return [[cell for cell, _, _ in row] for row in spans]


def cell_spans(text: str) -> list[list[Cell]] | None:
    """As ``parse_pipe_table``, with each cell's character span in ``text`` (padding cells added
    to make rows equally wide have an empty span at the row's end)."""
    rows: list[list[Cell]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        line_start = offset
        offset += len(line)
        if not stripped:
            continue
        if not stripped.startswith("|"):
            return None
        row = _split_row(line.rstrip("\r\n"), line_start)
        if row and not all(_SEPARATOR_CELL.match(cell) for cell, _, _ in row):
            rows.append(row)
    rows = [row for row in rows if any(cell for cell, _, _ in row)]
    if not rows:
        return None
    width = max(len(row) for row in rows)
    return [row + [("", row[-1][2], row[-1][2])] * (width - len(row)) for row in rows]


def _split_row(line: str, offset: int) -> list[Cell]:
    bars = [i for i, char in enumerate(line) if char == "|"]
    if len(bars) == 1 or line.rstrip()[-1:] != "|":
        bars.append(len(line.rstrip()))  # an unclosed last cell
    cells = []
    for left, right in itertools.pairwise(bars):
        raw = line[left + 1 : right]
        lead = len(raw) - len(raw.lstrip())
        cell = raw.strip()
        start = offset + left + 1 + lead
        cells.append((cell, start, start + len(cell)))
    return cells


@dataclass(frozen=True)
class TableStructure:
    caption: str | None  # the table's title row ("Apprenticeships at a glance")
    header: list[str] | None  # the column labels ("Measure", "2022", "2023")
    body: list[list[str]]  # the data rows

    @property
    def leading_rows(self) -> int:
        """How many rows come before the body (caption and header)."""
        return (self.caption is not None) + (self.header is not None)


def structure(rows: list[list[str]]) -> TableStructure:
    """Split rows into caption, header and body.

    The first row is a caption when it has one non-empty cell in a table of several columns. The
    next row is a header when its cells after the first are labels (text or years), not data,
    and a row of data follows it; a table whose cells are all text has its first row as header."""
    rest = list(rows)
    caption = None
    if len(rest) > 1 and len(rest[0]) > 1 and sum(bool(cell) for cell in rest[0]) == 1 and rest[0][0]:
        caption = rest.pop(0)[0]
    header = None
    if len(rest) > 1 and all(_is_label(cell) for cell in rest[0][1:]):
        header = rest.pop(0)
    return TableStructure(caption, header, rest)


def _is_label(cell: str) -> bool:
    return not _NUMBER.search(cell) or bool(YEAR_LABEL.match(cell))


def linearise(rows: list[list[str]]) -> str:
    """A sentence-like reading of a table: the caption, then one clause per body row, each value
    with its column label: "Apprenticeships at a glance. Starts: 120; Completions: 80."."""
    table = structure(rows)
    sentences = [_sentence(table.caption)] if table.caption else []
    clauses = [clause for row in table.body if (clause := _row_clause(row, table.header))]
    if clauses:
        sentences.append(_sentence("; ".join(clauses)))
    return " ".join(sentences)


def readable(text: str, rows: list[list[str]] | None) -> str:
    """What a model or a reader should see of a passage: a table's linearised rows, else its
    text (``readable(passage.text, passage.table)``)."""
    return linearise(rows) if rows else text


def _row_clause(row: list[str], header: list[str] | None) -> str:
    label, values = row[0], row[1:]
    columns = header[1:] if header else [""] * len(values)
    parts = [f"{value} ({column})" if column and len(values) > 1 else value for value, column in zip(values, columns, strict=False) if value]
    if not parts:
        return label
    if len(values) == 1 and header and header[1] and not _NUMBER.search(values[0]):
        parts = [f"{header[1]} {values[0]}"]  # "Partner: Leeds College"
    return f"{label}: {', '.join(parts)}" if label else ", ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":")) else f"{text}."


def cell_label(table: TableStructure, row: list[str], column: int) -> tuple[str | None, int | None]:
    """What a value in ``row`` at ``column`` counts, from its row and column labels, and the year
    a year label gives it: ("Apprenticeship starts (2023)", 2023); a row labelled by a year reads
    the other way round: ("Starts (2023)", 2023)."""
    row_label = row[0].strip() if column > 0 else ""
    column_label = table.header[column].strip() if table.header and column < len(table.header) else ""
    if column_label and table.header and len(table.header) == 2 and not YEAR_LABEL.match(column_label):
        column_label = ""  # "Measure | Figure": the one value column's label says nothing
    year = _year(column_label) or _year(row_label)
    if row_label and YEAR_LABEL.match(row_label) and column_label:
        return f"{column_label} ({row_label})", year
    if row_label and column_label:
        return f"{row_label} ({column_label})", year
    return (row_label or column_label or table.caption or None), year


def _year(label: str) -> int | None:
    match = YEAR_LABEL.match(label)
    if not match:
        return None
    return int(re.search(r"(?:19|20)\d\d", label).group())  # type: ignore[union-attr]  # YEAR_LABEL has one
