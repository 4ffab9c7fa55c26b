"""Charts for the evidence explorer, drawn on the server as SVG (no script, no CDN): each scales
to its box (a phone's 390 px included) and is a described image; the page puts the same numbers
in a table beside it, for screen readers and for copying."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

# user units, about pixels on a phone: a bar chart is 380 wide (a 390 px screen shows it at about
# its own size), the heat map 462 (shown at 80 %); the SVG scales as a whole
BAR_HEIGHT, LABEL_WIDTH, CHART_WIDTH = 24, 110, 220
CELL, ROW_LABEL = 22, 150


def bars(rows: Sequence[tuple[str, int]], *, title: str, chart_id: str) -> Markup:
    """A horizontal bar chart of (label, count) rows, largest bar full width."""
    top = max((n for _, n in rows), default=0) or 1
    height = BAR_HEIGHT * max(1, len(rows)) + 4
    parts = [_svg_open(LABEL_WIDTH + CHART_WIDTH + 50, height, title, chart_id)]
    for i, (label, n) in enumerate(rows):
        y = i * BAR_HEIGHT + 2
        width = round(CHART_WIDTH * n / top, 1)
        parts.append(Markup('<text x="{}" y="{}" text-anchor="end" font-size="13">{}</text>').format(LABEL_WIDTH - 6, y + 16, _clip(label, 16)))
        parts.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="#2b6a99"><title>{}: {}</title></rect>').format(LABEL_WIDTH, y + 3, width, BAR_HEIGHT - 6, label, f"{n:,}"))
        parts.append(Markup('<text x="{}" y="{}" font-size="13">{}</text>').format(LABEL_WIDTH + width + 4, y + 16, f"{n:,}"))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def heat_map(rows: Sequence[str], columns: Sequence[int], counts: dict[tuple[str, int], int], *, title: str, chart_id: str) -> Markup:
    """Rows (organisations) by columns (goals), each cell shaded by its count (white: none)."""
    top = max(counts.values(), default=0) or 1
    width, height = ROW_LABEL + CELL * len(columns) + 4, CELL * (len(rows) + 1) + 4
    parts = [_svg_open(width, height, title, chart_id)]
    for j, column in enumerate(columns):
        parts.append(Markup('<text x="{}" y="{}" text-anchor="middle" font-size="12">{}</text>').format(ROW_LABEL + CELL * j + CELL // 2, CELL - 7, column))
    for i, row in enumerate(rows):
        y = CELL * (i + 1)
        parts.append(Markup('<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>').format(ROW_LABEL - 4, y + 15, _clip(row, 19)))
        label = escape(row)  # once a row, not once a cell: 560 cells escaped one value at a time took some 20 ms
        for j, column in enumerate(columns):
            n = counts.get((row, column), 0)
            cell = f'<rect x="{ROW_LABEL + CELL * j}" y="{y}" width="{CELL}" height="{CELL}" fill="{_shade(n, top)}" stroke="#ccc"><title>{label}, goal {escape(column)}: {n:,}</title></rect>'
            parts.append(Markup(cell))  # every value in it is a number, a colour or escaped
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _svg_open(width: int, height: int, title: str, chart_id: str) -> Markup:
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{id}-title" '
        'xmlns="http://www.w3.org/2000/svg" style="max-width:{w}px"><title id="{id}-title">{t}</title>'
    ).format(w=width, h=height, id=chart_id, t=title)


def _shade(n: int, top: int) -> str:
    """White for none, then lighter to darker blue with the count (square root: small counts show)."""
    if n <= 0:
        return "#ffffff"
    share = (n / top) ** 0.5
    light, dark = (222, 235, 247), (8, 48, 107)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(light, dark, strict=True))


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"

