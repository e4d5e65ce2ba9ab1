"""Small server-side SVG charts (no JavaScript): they render in any browser, in e-mail and in PDFs.

Every value is a number we computed and every text goes through ``format_html``/``escape``, so the SVG is
safe to mark safe. Each chart carries a ``<title>``/``<desc>`` for screen readers and one ``<title>`` per
bar (the browser shows it as a tooltip); pages show the same numbers in a table too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
HEIGHT = 170
LEFT = 40
RIGHT = 8
TOP = 10
BOTTOM = 24


def _nice_max(value: int) -> int:
    """A round upper bound for the axis (1, 2, 5, 10, 20, 50 …)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for mult in (1, 2, 5):
            if step * mult >= value:
                return step * mult
        step *= 10


def _n(value: float) -> str:
    """Coordinates with two decimals (format_html escapes its arguments, so format before)."""
    return f"{value:.2f}"


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m")


def bar_chart_svg(
    points: Sequence[tuple[dt.date, int]],
    *,
    title: str,
    color: str = "#0b5394",
    description: str = "",
    chart_id: str = "chart",
) -> SafeString:
    """A bar per day, y axis from 0 to a round maximum, dates at the start, middle and end."""
    n = len(points)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max((v for _, v in points), default=0))
    parts: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="portal-chart" viewBox="0 0 {} {}" role="img" '
            'aria-labelledby="{}-t {}-d" preserveAspectRatio="xMidYMid meet">',
            WIDTH,
            HEIGHT,
            chart_id,
            chart_id,
        ),
        format_html(
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>', chart_id, title, chart_id, description
        ),
    ]
    # Axis lines and labels.
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h - plot_h * fraction
        label = f"{top_value * fraction:g}"
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d9e2ec" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#52606d">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                _n(y),
                _n(y),
                LEFT - 4,
                _n(y + 4),
                label,
            )
        )
    if n:
        slot = plot_w / n
        bar_w = max(1.0, slot * 0.8)
        for i, (day, value) in enumerate(points):
            height = plot_h * value / top_value
            x = LEFT + i * slot + (slot - bar_w) / 2
            y = TOP + plot_h - height
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                    _n(x),
                    _n(y),
                    _n(bar_w),
                    _n(max(height, 0.0)),
                    color,
                    _date(day),
                    value,
                )
            )
        for i, anchor in ((0, "start"), (n // 2, "middle"), (n - 1, "end")):
            x = LEFT + i * slot + slot / 2
            if anchor == "start":
                x = LEFT
            elif anchor == "end":
                x = WIDTH - RIGHT
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" text-anchor="{}" fill="#52606d">{}</text>',
                    _n(x),
                    HEIGHT - 6,
                    anchor,
                    _date(points[i][0]),
                )
            )
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part is escaped above
