"""Charts drawn on the server as SVG: no script, no inline style, so they render under the
pages' Content-Security-Policy, print, and read the same in every browser.

A chart is never the only way to the numbers: each page puts a table with the same figures
beside or behind it. Colour is never the only signal either: every segment carries the
number of its series, and the legend names the series by that number.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import count

from markupsafe import Markup, escape

# Fills from the GOV.UK colour palette, each with enough contrast against white text.
FILLS = ("#1d70b8", "#00703c", "#4c2c92", "#d4351c", "#b58840", "#5694ca", "#f499be", "#28a197")
TEXT_ON_FILL = (
    "#ffffff",
    "#ffffff",
    "#ffffff",
    "#ffffff",
    "#0b0c0c",
    "#0b0c0c",
    "#0b0c0c",
    "#0b0c0c",
)

LABEL_WIDTH = 260  # room for a bidder's or a criterion's name left of its bar
BAR_WIDTH = 520
ROW_HEIGHT = 34
BAR_HEIGHT = 22
LEGEND_ROW = 22
TOTAL_WIDTH = 80

_ids = count(1)


@dataclass(frozen=True)
class Bar:
    """One row of a chart: a label, its parts (one per series, in the chart's series order;
    zero where a series adds nothing), and the text shown after the bar (e.g. "72.50")."""

    label: str
    parts: Sequence[Fraction]
    total_text: str
    note: str = ""  # said after the total, e.g. "not eligible"


def stacked_bars(
    title: str, description: str, series: Sequence[str], bars: Sequence[Bar], scale: Fraction
) -> Markup:
    """Horizontal bars, one per row, each stacked from its parts, on a scale from 0 to `scale`.

    `series` names the parts; with a single series the legend is left out."""
    chart_id = f"chart-{next(_ids)}"
    legend_rows = len(series) if len(series) > 1 else 0
    height = len(bars) * ROW_HEIGHT + legend_rows * LEGEND_ROW + 30
    width = LABEL_WIDTH + BAR_WIDTH + TOTAL_WIDTH
    shapes = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for row, bar in enumerate(bars):
        shapes.extend(_row(row, bar, scale, numbered=len(series) > 1))
    shapes.extend(_axis(len(bars) * ROW_HEIGHT, scale))
    top = len(bars) * ROW_HEIGHT + 30
    for index, name in enumerate(series if legend_rows else ()):
        y = top + index * LEGEND_ROW
        shapes.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="16" height="16" '
            f'fill="{FILLS[index % len(FILLS)]}"/>'
        )
        shapes.append(
            f'<text x="{LABEL_WIDTH + 8}" y="{y + 12}" text-anchor="middle" font-size="11" '
            f'fill="{TEXT_ON_FILL[index % len(FILLS)]}">{index + 1}</text>'
        )
        # The swatch carries the number; the name beside it is not numbered again.
        shapes.append(
            f'<text x="{LABEL_WIDTH + 24}" y="{y + 13}" font-size="14" fill="#0b0c0c">'
            f"{escape(name)}</text>"
        )
    shapes.append("</svg>")
    return Markup("".join(shapes))


def _row(row: int, bar: Bar, scale: Fraction, numbered: bool) -> list[str]:
    y = row * ROW_HEIGHT + 4
    middle = y + BAR_HEIGHT / 2 + 5
    shapes = [
        f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" font-size="14" '
        f'fill="#0b0c0c">{escape(_clip(bar.label))}</text>'
    ]
    x = Fraction(0)
    for index, part in enumerate(bar.parts):
        if part <= 0:
            continue
        width = part / scale * BAR_WIDTH
        left = LABEL_WIDTH + x
        shapes.append(
            f'<rect x="{float(left):.2f}" y="{y}" width="{float(width):.2f}" '
            f'height="{BAR_HEIGHT}" fill="{FILLS[index % len(FILLS)]}" stroke="#ffffff"/>'
        )
        if numbered and width >= 14:  # the series' number, where it fits
            shapes.append(
                f'<text x="{float(left + width / 2):.2f}" y="{middle - 1}" text-anchor="middle" '
                f'font-size="11" fill="{TEXT_ON_FILL[index % len(FILLS)]}">{index + 1}</text>'
            )
        x += width
    after = f"{bar.total_text} {bar.note}".strip()
    shapes.append(
        f'<text x="{float(LABEL_WIDTH + x) + 6:.2f}" y="{middle}" font-size="14" '
        f'font-weight="bold" fill="#0b0c0c">{escape(after)}</text>'
    )
    return shapes


def _axis(bottom: int, scale: Fraction) -> list[str]:
    """A baseline with its two ends marked: 0 and the scale's top."""
    y = bottom + 6
    return [
        f'<line x1="{LABEL_WIDTH}" y1="{y}" x2="{LABEL_WIDTH + BAR_WIDTH}" y2="{y}" '
        f'stroke="#505a5f"/>',
        f'<text x="{LABEL_WIDTH}" y="{y + 16}" font-size="12" fill="#505a5f">0</text>',
        f'<text x="{LABEL_WIDTH + BAR_WIDTH}" y="{y + 16}" text-anchor="end" font-size="12" '
        f'fill="#505a5f">{escape(_number(scale))}</text>',
    ]


def _number(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else f"{float(value):.2f}"


def _clip(label: str, most: int = 32) -> str:
    """Long names are cut on the chart; the table beside it has them whole."""
    return label if len(label) <= most else label[: most - 1] + "…"
