"""The report's charts as PNG images (matplotlib, drawn off screen), for the Word file: passages
of evidence shown per goal, and per year of the source documents."""

from __future__ import annotations

import io

from pipeline.report.model import ImpactReport

BLUE, GREY, GREEN = "#2b6cb0", "#cbd5e0", "#38a169"
DPI = 200  # sharp in print at the 16 cm the Word file gives a chart


def goals_chart(report: ImpactReport) -> bytes:
    """A horizontal bar per goal (goal 1 at the top): the passages its section shows."""
    labels = [f"{c.id}. {c.title}" for c in report.chapters]
    counts = [c.shown for c in report.chapters]
    return _bars(labels, counts, [BLUE if n else GREY for n in counts], "Passages of evidence shown under each goal")


def years_chart(report: ImpactReport) -> bytes:
    """A horizontal bar per year of the source documents."""
    labels = list(report.by_period)
    return _bars(labels, list(report.by_period.values()), [GREEN] * len(labels), "Passages of evidence by the year of their source")


def _bars(labels: list[str], counts: list[int], colours: list[str], title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # no display: a server or CI draws the same
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    figure, axes = pyplot.subplots(figsize=(6.3, 0.3 * len(labels) + 0.9), dpi=DPI)
    try:
        positions = range(len(labels))
        axes.barh(positions, counts, color=colours, height=0.65)
        axes.set_yticks(list(positions), labels, fontsize=8)
        axes.invert_yaxis()
        axes.set_title(title, fontsize=9, loc="left")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # passages are whole: no 2.5 tick
        axes.tick_params(axis="x", labelsize=8)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for position, count in zip(positions, counts, strict=True):
            axes.text(count, position, f" {count}", va="center", fontsize=8)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()
    finally:
        pyplot.close(figure)
