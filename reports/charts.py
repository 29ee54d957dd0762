"""Server-rendered SVG bar charts for the dashboard: no JavaScript, no chart
library, nothing for the Content-Security-Policy to allow (presentation
attributes only, no inline style).

A chart is horizontal bars, one row per category, stacked when the figure
has several series, with the value written at the end of each bar. It scales
with its container (a viewBox and width 100%), so at 390 px the text stays
readable; the figures themselves are also in a table next to the chart.
The SVG is an image for assistive technology (role="img") named by its
<title> and described by its <desc>.
"""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports.dashboard import Figure

WIDTH = 360
LABEL_WIDTH = 136
VALUE_WIDTH = 40
FONT_SIZE = 13
LINE_HEIGHT = 15
BAR_HEIGHT = 14
ROW_GAP = 8
LEGEND_ROW = 20
# Characters per label line: about what fits into LABEL_WIDTH at FONT_SIZE.
LABEL_CHARS = 18
# The project's dark blue and an orange, both at least 3:1 against white
# (WCAG 1.4.11) and apart in lightness, so the two series differ in grey too.
COLOURS = ("#0b4f8a", "#c25e00", "#5a6b7b")
TEXT = "#212529"
AXIS = "#6c757d"


def wrap_label(text: str, width: int = LABEL_CHARS, lines: int = 2) -> list[str]:
    """Split a label at spaces into at most `lines` lines of about `width`
    characters; what does not fit ends with an ellipsis (the table beside
    the chart has the whole label)."""
    words = text.split()
    result: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            result.append(current)
            current = word
    if current:
        result.append(current)
    if len(result) > lines:
        result = result[: lines - 1] + [" ".join(result[lines - 1 :])]
    return [line if len(line) <= width else line[: width - 1].rstrip() + "…" for line in result] or [""]


def _nice_max(value: float) -> float:
    """The scale's end: the value rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _legend(figure: Figure, y: float) -> tuple[list[str], float]:
    """Legend entries in rows across the chart; returns the elements and the y below them."""
    if not figure.stacked:
        return [], y
    parts: list[str] = []
    x = 0.0
    for index, name in enumerate(figure.series):
        width = 14 + 6 + len(name) * FONT_SIZE * 0.55 + 16
        if x and x + width > WIDTH:
            x = 0
            y += LEGEND_ROW
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 18:.1f}" y="{y + 12:.1f}" font-size="{FONT_SIZE}" fill="{TEXT}">{escape(name)}</text>'
        )
        x += width
    return parts, y + LEGEND_ROW + 4


def bar_chart(figure: Figure) -> SafeString:
    """The figure as an inline SVG bar chart."""
    chart_id = f"chart-{figure.key}"
    elements, y = _legend(figure, 0.0)
    bar_area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale_end = _nice_max(max((bar.total for bar in figure.bars), default=0))
    top = y
    for bar in figure.bars:
        lines = wrap_label(bar.label)
        row_height = max(BAR_HEIGHT, len(lines) * LINE_HEIGHT)
        bar_y = y + (row_height - BAR_HEIGHT) / 2
        summary = ", ".join(f"{value} {name}" for name, value in zip(figure.series, bar.shown_values, strict=True))
        elements.append(f"<g><title>{escape(bar.table_label)}: {escape(summary)}</title>")
        text_y = y + (row_height - len(lines) * LINE_HEIGHT) / 2 + FONT_SIZE - 1
        tspans = "".join(
            f'<tspan x="{LABEL_WIDTH - 8}" y="{text_y + index * LINE_HEIGHT:.1f}">{escape(line)}</tspan>'
            for index, line in enumerate(lines)
        )
        elements.append(f'<text text-anchor="end" font-size="{FONT_SIZE}" fill="{TEXT}">{tspans}</text>')
        x = float(LABEL_WIDTH)
        for index, value in enumerate(bar.values):
            width = bar_area * value / scale_end
            if width > 0:
                colour = COLOURS[index % len(COLOURS)]
                elements.append(
                    f'<rect x="{x:.1f}" y="{bar_y:.1f}" width="{width:.1f}" height="{BAR_HEIGHT}" fill="{colour}"/>'
                )
                x += width
        elements.append(
            f'<text x="{x + 4:.1f}" y="{bar_y + BAR_HEIGHT - 2:.1f}" font-size="{FONT_SIZE}" fill="{TEXT}">'
            f"{escape(bar.shown_total)}</text></g>"
        )
        y += row_height + ROW_GAP
    height = max(y - ROW_GAP + 2, top + BAR_HEIGHT)
    elements.insert(
        0, f'<line x1="{LABEL_WIDTH}" y1="{top - 2:.1f}" x2="{LABEL_WIDTH}" y2="{height:.1f}" stroke="{AXIS}"/>'
    )
    description = _("%(description)s Die Zahlen stehen auch in der Tabelle zum Diagramm.") % {
        "description": figure.description
    }
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'data-chart="{escape(figure.key)}" font-family="system-ui, sans-serif">'
        f'<title id="{chart_id}-title">{escape(figure.title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(elements) + "</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - every text in it went through escape()
