"""Server-side SVG charts of a valuation (same style and safety rules as ``exchange.portal.charts``):
a football field of the methods' ranges, a radar of the qualitative scores, a histogram of the Monte Carlo.

Every coordinate is a number we computed and every text goes through ``format_html``, so the SVG is safe
to mark safe; each chart has a ``<title>``/``<desc>`` and the pages show the same numbers in tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from exchange.portal.charts import _n, _nice_max

WIDTH = 720
COLORS = {"bar": "#0b5394", "range": "#9fc5e8", "grid": "#d9e2ec", "text": "#52606d", "mark": "#cc4125"}


def _nice_ceiling(value: float) -> float:
    """A round axis maximum a little above ``value`` (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k)."""
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for mult in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if mult * exponent >= value:
            return mult * exponent
    return 10 * exponent


def short_money(value: float) -> str:
    """1 234 000 000 → "1,23 tỷ"; 12 500 000 → "12,5 tr" (axis labels only; tables show full VND)."""
    sign = "−" if value < 0 else ""
    v = abs(value)
    if v >= 1e9:
        text = f"{v / 1e9:.3g} tỷ"
    elif v >= 1e6:
        text = f"{v / 1e6:.3g} tr"
    else:
        text = f"{v:,.0f}"
    return sign + text.replace(".", ",")


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    return [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="portal-chart valuation-chart" '
            'viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" preserveAspectRatio="xMidYMid meet">',
            width,
            height,
            chart_id,
            chart_id,
        ),
        format_html(
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>', chart_id, title, chart_id, description
        ),
    ]


def football_field_svg(
    rows: Sequence[tuple[str, int, int, int]], *, title: str, description: str = "", chart_id: str = "ff"
) -> SafeString:
    """One horizontal bar per method from its low to its high value, a mark at its value.

    ``rows`` = [(label, low, value, high)] in VND; a method without a range has low = value = high.
    """
    left, right, top, row_h = 170, 16, 10, 30
    height = top + row_h * max(len(rows), 1) + 28
    lo = min([0, *(r[1] for r in rows)])
    hi = _nice_ceiling(max([1, *(r[3] for r in rows)]))
    span = (hi - lo) or 1
    plot_w = WIDTH - left - right

    def x(v: float) -> float:
        return left + plot_w * (v - lo) / span

    parts = _open(chart_id, WIDTH, height, title, description)
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        v = lo + span * fraction
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="{}">{}</text>',
                _n(x(v)),
                _n(x(v)),
                top,
                height - 22,
                COLORS["grid"],
                _n(x(v)),
                height - 8,
                COLORS["text"],
                short_money(v),
            )
        )
    for i, (label, low, value, high) in enumerate(rows):
        y = top + i * row_h
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#1f2933">{}</text>',
                left - 8,
                _n(y + row_h / 2 + 4),
                label,
            )
        )
        width = max(x(high) - x(low), 2.0)
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2">'
                "<title>{}: {} – {}</title></rect>"
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3">'
                "<title>{}: {}</title></line>",
                _n(x(low)),
                _n(y + 6),
                _n(width),
                row_h - 12,
                COLORS["range"],
                label,
                short_money(low),
                short_money(high),
                _n(x(value)),
                _n(x(value)),
                _n(y + 3),
                _n(y + row_h - 3),
                COLORS["bar"],
                label,
                short_money(value),
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


def radar_svg(
    axes: Sequence[tuple[str, float | None]], *, title: str, description: str = "", chart_id: str = "radar"
) -> SafeString:
    """A radar (spider) chart of category scores on 1–5; an unscored category sits at the centre."""
    size, cx, cy, radius = 360, 180, 175, 120
    n = max(len(axes), 3)
    parts = _open(chart_id, size, size, title, description)

    def point(i: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    for level in (1, 2, 3, 4, 5):
        ring = " ".join(f"{_n(px)},{_n(py)}" for px, py in (point(i, radius * level / 5) for i in range(n)))
        parts.append(format_html('<polygon points="{}" fill="none" stroke="{}"/>', ring, COLORS["grid"]))
    for i, (label, value) in enumerate(axes):
        ex, ey = point(i, radius)
        lx, ly = point(i, radius + 22)
        anchor = "middle" if abs(lx - cx) < 10 else ("start" if lx > cx else "end")
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" font-size="12" text-anchor="{}" fill="#1f2933">{} ({})</text>',
                cx,
                cy,
                _n(ex),
                _n(ey),
                COLORS["grid"],
                _n(lx),
                _n(ly + 4),
                anchor,
                label,
                "–" if value is None else f"{value:g}",
            )
        )
    shape = " ".join(
        f"{_n(px)},{_n(py)}" for px, py in (point(i, radius * (v or 0) / 5) for i, (_, v) in enumerate(axes))
    )
    parts.append(
        format_html(
            '<polygon points="{}" fill="{}" fill-opacity="0.35" stroke="{}" stroke-width="2"/>',
            shape,
            COLORS["range"],
            COLORS["bar"],
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


def histogram_svg(
    bins: Sequence[dict],
    *,
    title: str,
    description: str = "",
    marks: dict | None = None,
    chart_id: str = "hist",
) -> SafeString:
    """The Monte Carlo histogram (``[{"from","to","count"}]``) with P10/P50/P90 marked."""
    left, right, top, bottom, height = 40, 10, 10, 26, 180
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    parts = _open(chart_id, WIDTH, height, title, description)
    if not bins:
        parts.append(mark_safe("</svg>"))
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above
    lo, hi = bins[0]["from"], bins[-1]["to"]
    span = (hi - lo) or 1
    top_count = _nice_max(max(b["count"] for b in bins))

    def x(v: float) -> float:
        return left + plot_w * (v - lo) / span

    for b in bins:
        h = plot_h * b["count"] / top_count
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} – {}: {}</title></rect>',
                _n(x(b["from"]) + 0.5),
                _n(top + plot_h - h),
                _n(max(x(b["to"]) - x(b["from"]) - 1, 0.5)),
                _n(h),
                COLORS["range"],
                short_money(b["from"]),
                short_money(b["to"]),
                b["count"],
            )
        )
    for name, value in (marks or {}).items():
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="{}">{}</text>',
                _n(x(value)),
                _n(x(value)),
                top,
                top + plot_h,
                COLORS["mark"],
                _n(x(value)),
                height - 14,
                COLORS["mark"],
                f"{name.upper()} {short_money(value)}",
            )
        )
    for v, anchor in ((lo, "start"), (hi, "end")):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="{}" fill="{}">{}</text>',
                _n(x(v)),
                height - 2,
                anchor,
                COLORS["text"],
                short_money(v),
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above
