"""Charts as inline SVG, drawn by matplotlib (issue 5: "charts come from a charting library").

Presentation code shared by the exposure report PDF and the web contract page. Only room-night counts
are plotted (never money), so converting them to floats for drawing loses nothing a reader could see.

Output is deterministic for the same input: a fixed ``svg.hashsalt`` for the element ids, no date or
creator in the metadata, and text kept as ``<text>`` (``svg.fonttype: none``) in DejaVu Sans, which
matplotlib bundles and the PDF templates embed from ``templates/pdf/fonts``. Nothing is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import StringIO
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Count = int | Decimal

# Matplotlib's SVG writer puts the metadata in RDF; leaving these out keeps the output byte-stable.
_NO_METADATA: dict[str, str | None] = {"Date": None, "Creator": None, "Format": None, "Type": None}

PICKUP_COLOUR = "#4f7fb3"
BLOCK_COLOUR = "#222222"
MINIMUM_COLOUR = "#c0392b"
FORECAST_COLOUR = "#e08a1e"

WIDTH_INCHES = 7.0
HEIGHT_INCHES = 2.8

#: The bars carry these ids (``pickup-0``, ``pickup-1``, ...) so that a page or a test can find them.
BAR_ID = "pickup-{index}"
#: A longer stay is summarised where a row per night would make a page or a report long and slow: the
#: exposure report shows it week by week (nights table and room attrition lines; the invoice keeps every
#: night), and the staff contract page folds its per-night tables under a summary.
NIGHTS_SHOWN_SINGLY = 31
#: Up to this many nights, a bar and a marker per night and every night labelled. A longer stay is drawn
#: as steps (one shape per series) with a label every few nights: per-night shapes would cost the
#: drawing, the PDF renderer and the browser in proportion to the nights, and no longer be readable.
BARS_UP_TO_NIGHTS = 62
#: The most night labels under a long stay's chart.
MAX_LABELS = 26


@dataclass(frozen=True, slots=True)
class ChartNight:
    """One night of the block: what is booked, what was contracted and what must be reached.

    ``label`` is the night as the reader's locale writes it; the forecast fields are optional.
    """

    night: date
    label: str
    pickup_room_nights: int
    block_room_nights: int
    minimum_room_nights: Count | None = None
    expected_room_nights: Count | None = None
    low_room_nights: Count | None = None
    high_room_nights: Count | None = None


@dataclass(frozen=True, slots=True)
class ChartLabels:
    """The legend and axis words, already in the reader's language."""

    pickup: str
    block: str
    minimum: str
    expected: str
    band: str
    axis: str


def pickup_chart_svg(nights: Sequence[ChartNight], *, title: str, labels: ChartLabels) -> str:
    """Pickup to date per night (bars) against the block and the attrition minimum (lines), with the
    forecast's expected final pickup and its low–high band where given; an inline ``<svg>`` element
    whose ``<title>`` and ``aria-label`` carry ``title`` (the page around it shows its own heading)."""
    # matplotlib and numpy take a good share of the app's start-up to import: load them when a chart is
    # drawn, not with every process that imports the PDF or web layers.
    import matplotlib
    from matplotlib.figure import Figure

    positions = list(range(len(nights)))
    steps = len(nights) > BARS_UP_TO_NIGHTS
    # Tick marks for the block and the minimum: as wide as a bar slot, within reason (none as steps).
    marker = 0.0 if steps else max(4.0, min(14.0, 300 / max(1, len(nights))))
    with matplotlib.rc_context(
        {
            "svg.hashsalt": "attrition-charts",
            "svg.fonttype": "none",
            "font.family": "DejaVu Sans",
            "font.size": 8.0,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.fontsize": 7.0,
            "legend.frameon": False,
        }
    ):
        # The width of an A4 page's text block, so that the PDF shows the chart at its own scale.
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), layout="constrained")
        axes = figure.add_subplot()
        pickup = [float(n.pickup_room_nights) for n in nights]
        if steps:
            axes.fill_between(
                positions,
                pickup,
                step="mid",
                color=PICKUP_COLOUR,
                label=labels.pickup,
                zorder=2,
                gid="pickup",
            )
        else:
            bars = axes.bar(positions, pickup, width=0.6, color=PICKUP_COLOUR, label=labels.pickup, zorder=2)
            for index, bar in enumerate(bars.patches):
                bar.set_gid(BAR_ID.format(index=index))
        axes.plot(
            positions,
            [float(n.block_room_nights) for n in nights],
            color=BLOCK_COLOUR,
            marker="_" if marker else "",
            markersize=marker,
            linestyle=":",
            linewidth=0.8,
            label=labels.block,
            zorder=3,
            gid="block",
            drawstyle="steps-mid" if steps else "default",
        )
        _optional_line(axes, positions, [n.minimum_room_nights for n in nights], labels.minimum, marker)
        _forecast(axes, positions, nights, labels, steps=steps)
        axes.set_ylabel(labels.axis)
        # A long stay is labelled every week or every few weeks, from its first night.
        every = 1 if not steps else 7 * -(-len(nights) // (7 * MAX_LABELS))
        axes.set_xticks(
            positions[::every], [n.label for n in nights][::every], rotation=90 if len(nights) > 12 else 0
        )
        axes.set_ylim(bottom=0)
        axes.set_xlim(-0.6, len(nights) - 0.4)
        axes.grid(axis="y", linewidth=0.4, alpha=0.5, zorder=0)
        figure.legend(loc="outside lower center", ncols=3)
        buffer = StringIO()
        figure.savefig(buffer, format="svg", metadata=_NO_METADATA)
    return _inline(buffer.getvalue(), title)


def _optional_line(
    axes: Axes, positions: list[int], values: Sequence[Count | None], label: str, marker: float
) -> None:
    points = [(x, float(v)) for x, v in zip(positions, values, strict=True) if v is not None]
    if not points:
        return
    xs, ys = zip(*points, strict=True)
    axes.plot(
        xs,
        ys,
        color=MINIMUM_COLOUR,
        marker="_" if marker else "",
        markersize=marker,
        linestyle="--",
        linewidth=0.8,
        label=label,
        zorder=3,
        gid="minimum",
        drawstyle="default" if marker else "steps-mid",
    )


def _forecast(
    axes: Axes, positions: list[int], nights: Sequence[ChartNight], labels: ChartLabels, *, steps: bool
) -> None:
    expected = [(x, n) for x, n in zip(positions, nights, strict=True) if n.expected_room_nights is not None]
    if not expected:
        return
    xs = [x for x, _ in expected]
    banded = [(x, n) for x, n in expected if n.low_room_nights is not None and n.high_room_nights is not None]
    if steps:
        if banded:
            axes.fill_between(
                [x for x, _ in banded],
                [float(n.low_room_nights or 0) for _, n in banded],
                [float(n.high_room_nights or 0) for _, n in banded],
                step="mid",
                color=FORECAST_COLOUR,
                alpha=0.35,
                linewidth=0,
                label=labels.band,
                zorder=3,
                gid="band",
            )
        axes.plot(
            xs,
            [float(n.expected_room_nights or 0) for _, n in expected],
            color=FORECAST_COLOUR,
            linewidth=1.2,
            label=labels.expected,
            zorder=4,
            gid="expected",
            drawstyle="steps-mid",
        )
        return
    if banded:
        axes.vlines(
            [x for x, _ in banded],
            [float(n.low_room_nights or 0) for _, n in banded],
            [float(n.high_room_nights or 0) for _, n in banded],
            color=FORECAST_COLOUR,
            linewidth=5,
            alpha=0.35,
            label=labels.band,
            zorder=3,
            gid="band",
        )
    axes.plot(
        xs,
        [float(n.expected_room_nights or 0) for _, n in expected],
        color=FORECAST_COLOUR,
        marker="D",
        markersize=4,
        linestyle="none",
        label=labels.expected,
        zorder=4,
        gid="expected",
    )


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def _inline(svg: str, title: str) -> str:
    """The ``<svg>`` element alone (no XML prologue or DOCTYPE, which HTML does not take), labelled."""
    svg = _PROLOGUE.sub("", svg, count=1)
    opening = _SVG_OPEN.search(svg)
    assert opening is not None  # matplotlib always writes one root element
    tag = opening.group(0)[:-1] + f' role="img" aria-label={quoteattr(title)}>'
    return tag + f"\n <title>{escape(title)}</title>" + svg[opening.end() :]
