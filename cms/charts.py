"""Server-side SVG charts for statistics (category bars and monthly columns), safe to mark safe:
every text goes through format_html. Same conventions as exchange/portal/charts.py (title/desc for
screen readers, one <title> per bar); pages show the numbers in a table next to each chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#0b5394", "#e69138", "#6aa84f", "#a64d79", "#3d85c6", "#cc0000"]


def _nice_max(value: float) -> int:
    if value <= 0:
        return 1
    step = 1
    while True:
        for mult in (1, 2, 5):
            if step * mult >= value:
                return step * mult
        step *= 10


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def hbar_svg(
    rows: Sequence[tuple[str, float]], *, title: str, chart_id: str, color: str = PALETTE[0], width: int = 640
) -> SafeString:
    """One horizontal bar per category, labels on the left, values at the bar end."""
    label_w, bar_h, gap, top = 220, 18, 6, 6
    height = top * 2 + max(1, len(rows)) * (bar_h + gap)
    plot_w = width - label_w - 60
    top_value = _nice_max(max((v for _, v in rows), default=0))
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="stats-chart" viewBox="0 0 {} {}" width="{}" '
            'height="{}" role="img" aria-labelledby="{}-t">',
            width,
            height,
            width,
            height,
            chart_id,
            chart_id,
        ),
        format_html('<title id="{}-t">{}</title>', chart_id, title),
    ]
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = plot_w * (value or 0) / top_value
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#1f2933">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="12" fill="#1f2933">{}</text>',
                label_w - 6,
                y + bar_h - 4,
                short,
                label_w,
                y,
                f"{max(w, 0.0):.2f}",
                bar_h,
                color,
                label,
                _fmt(value or 0),
                f"{label_w + w + 4:.2f}",
                y + bar_h - 4,
                _fmt(value or 0),
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html above


def columns_svg(
    months: Sequence[tuple[dt.date, Sequence[float]]],
    *,
    title: str,
    series: Sequence[str],
    chart_id: str,
    width: int = 640,
    height: int = 200,
) -> SafeString:
    """Stacked columns per month (e.g. offers and requests), a legend and month labels."""
    left, bottom, top, right = 36, 34, 10, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((sum(vals) for _, vals in months), default=0))
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="stats-chart" viewBox="0 0 {} {}" width="{}" '
            'height="{}" role="img" aria-labelledby="{}-t">',
            width,
            height,
            width,
            height,
            chart_id,
            chart_id,
        ),
        format_html('<title id="{}-t">{}</title>', chart_id, title),
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h - plot_h * fraction
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d9e2ec"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#52606d">{}</text>',
                left,
                width - right,
                f"{y:.2f}",
                f"{y:.2f}",
                left - 4,
                f"{y + 4:.2f}",
                f"{top_value * fraction:g}",
            )
        )
    n = max(1, len(months))
    slot = plot_w / n
    bar_w = max(2.0, slot * 0.7)
    for i, (month, values) in enumerate(months):
        x = left + i * slot + (slot - bar_w) / 2
        base = top + plot_h
        for j, value in enumerate(values):
            h = plot_h * (value or 0) / top_value
            base -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} {}: {}</title></rect>',
                    f"{x:.2f}",
                    f"{base:.2f}",
                    f"{bar_w:.2f}",
                    f"{h:.2f}",
                    PALETTE[j % len(PALETTE)],
                    month.strftime("%m/%Y"),
                    series[j] if j < len(series) else "",
                    _fmt(value or 0),
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#52606d">{}</text>',
                f"{x + bar_w / 2:.2f}",
                height - bottom + 14,
                month.strftime("%m/%y"),
            )
        )
    for j, name in enumerate(series):
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="{}" font-size="11" fill="#1f2933">{}</text>',
                left + j * 140,
                height - 12,
                PALETTE[j % len(PALETTE)],
                left + j * 140 + 14,
                height - 3,
                name,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html above
