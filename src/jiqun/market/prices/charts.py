"""Line charts as inline SVG, drawn on the server: the public price pages work offline, with no
script and no CDN.

A chart is a few series of (day, value) points over one date axis; a missing value breaks
the line (a day without trading is not drawn as a price).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")  # fmt: skip

Series = Sequence[tuple[date, float | None]]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis values covering [low, high] (steps of 1, 2 or 5 × 10^n)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step / 2:
        ticks.append(round(value, 10))
        value += step
    return ticks


def line_chart(
    series: Mapping[str, Series],
    *,
    title: str,
    unit: str,
    width: int = 720,
    height: int = 300,
    reference: float | None = None,
    span: tuple[date, date] | None = None,
) -> str:
    """An SVG line chart of ``series`` (name → points); ``reference`` draws a dashed line
    (the index's 100); ``span`` is the date axis (default: the days with points)."""
    points = [(d, v) for s in series.values() for d, v in s if v is not None]
    legend_rows = max(1, math.ceil(len(series) / 4))
    left, right, top, bottom = 64, 16, 28, 30 + 16 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="18" class="chart-title">{escape(title)}</text>',
    ]
    if not points:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">—</text></svg>')
        return "".join(parts)
    days = sorted({d for d, _ in points})
    first, last = span if span is not None else (days[0], days[-1])
    if span is not None:
        days = sorted({*days, first, last})
    values = [v for _, v in points if v is not None]
    if reference is not None:
        values.append(reference)
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    span_days = max((last - first).days, 1)

    def x(d: date) -> float:
        if first == last:
            return left + plot_w / 2
        return left + plot_w * (d - first).days / span_days

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    for tick in ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'class="grid"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    parts.append(
        f'<text x="8" y="{top + plot_h / 2}" transform="rotate(-90 8 {top + plot_h / 2})" '
        f'text-anchor="middle" dominant-baseline="hanging">{escape(unit)}</text>'
    )
    labelled = days if len(days) <= 8 else days[:: math.ceil(len(days) / 8)]
    for d in labelled:
        parts.append(
            f'<text x="{x(d):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
            f"{d.isoformat()[5:]}</text>"
        )
    if reference is not None:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(reference):.1f}" '
            f'y2="{y(reference):.1f}" class="reference"/>'
        )
    for i, (name, s) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for d, v in sorted(s, key=lambda p: p[0]):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(d):.1f},{y(v):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                    'stroke-width="2"/>'
                )
            for p in run if len(run) == 1 or len(days) <= 31 else ():
                cx, cy = p.split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{color}"/>')
        legend_x = left + 8 + (i % 4) * 150
        legend_y = top + plot_h + 38 + 16 * (i // 4)
        parts.append(
            f'<rect x="{legend_x}" y="{legend_y - 9}" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14}" y="{legend_y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
