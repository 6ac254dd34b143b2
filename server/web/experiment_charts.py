"""Experiment charts as inline SVG drawn on the server: a forest plot of intervals and
line charts of the always-valid interval and p-value by day. No JavaScript."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

GOOD, BAD, NEUTRAL, GRID, TEXT = "#1a7f4b", "#c0262d", "#475467", "#e4e7ec", "#667085"
WIDTH, LABEL, RIGHT, ROW, TOP = 860, 210, 210, 26, 28


@dataclass(frozen=True)
class ForestRow:
    """One interval: ``good`` True/False colours it, None leaves it neutral."""

    label: str
    estimate: float | None
    low: float | None
    high: float | None
    good: bool | None
    note: str


def _pct(value: float) -> str:
    return f"{value:+.1%}"


def _open(width: int, height: int, label: str) -> list[str]:
    return [f'<svg class="chart" role="img" aria-label="{escape(label)}" '
            f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" '
            f'font-family="system-ui, sans-serif" font-size="12">',
            f"<title>{escape(label)}</title>"]


def forest_plot(rows: Sequence[ForestRow], *, label: str) -> Markup:
    """Relative-lift intervals on one shared axis, one row each, with the 0 line."""
    ends = [v for r in rows for v in (r.low, r.high, r.estimate) if v is not None]
    # Lifts beyond ±200% are clipped (with an arrow) so one noisy metric cannot squash the
    # scale for the others.
    span = max(0.05, min(2.0, max((abs(v) for v in ends), default=0.05)) * 1.1)
    plot = WIDTH - LABEL - RIGHT
    height = TOP + ROW * max(len(rows), 1) + 8

    def x(value: float) -> float:
        return LABEL + plot * (max(-span, min(span, value)) + span) / (2 * span)

    parts = _open(WIDTH, height, label)
    for tick in (-span, -span / 2, 0.0, span / 2, span):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP - 6}" '
                     f'y2="{height - 8}" stroke="{NEUTRAL if tick == 0 else GRID}"/>'
                     f'<text x="{x(tick):.1f}" y="{TOP - 10}" text-anchor="middle" '
                     f'fill="{TEXT}">{escape(_pct(tick))}</text>')
    for i, row in enumerate(rows):
        y = TOP + ROW * i + ROW / 2
        colour = NEUTRAL if row.good is None else (GOOD if row.good else BAD)
        parts.append(f'<g class="forest-row"><title>{escape(row.label)}: {escape(row.note)}'
                     f'</title><text x="{LABEL - 8}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(row.label)}</text>')
        if row.low is not None and row.high is not None:
            parts.append(f'<line x1="{x(row.low):.1f}" x2="{x(row.high):.1f}" y1="{y:.1f}" '
                         f'y2="{y:.1f}" stroke="{colour}" stroke-width="3"/>')
            for end, bound in ((row.low, -span), (row.high, span)):
                if (end < bound) if bound < 0 else (end > bound):
                    tip = x(bound)
                    step = -6 if bound < 0 else 6
                    parts.append(f'<path d="M{tip + step:.1f},{y:.1f} L{tip:.1f},{y - 5:.1f} '
                                 f'L{tip:.1f},{y + 5:.1f} Z" fill="{colour}"/>')
        if row.estimate is not None:
            parts.append(f'<circle cx="{x(row.estimate):.1f}" cy="{y:.1f}" r="4.5" '
                         f'fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 8}" y="{y + 4:.1f}" fill="{TEXT}">'
                     f'{escape(row.note)}</text></g>')
    parts.append("</svg>")
    # Safe: every text above went through escape(); the rest are numbers formatted here.
    return Markup("".join(parts))  # noqa: S704


@dataclass(frozen=True)
class Point:
    day: int
    value: float | None
    low: float | None = None
    high: float | None = None


def line_chart(points: Sequence[Point], *, label: str, y_label: str, fmt: str = "{:+.2%}",
               reference: float | None = None, reference_label: str = "",
               y_range: tuple[float, float] | None = None,
               x_label: str = "day since send") -> Markup:
    """``value`` by day with an optional band ``low``..``high`` (clipped to the range) and a
    dashed reference line (0 for a difference, alpha for a p-value)."""
    height, left, bottom, top = 240, 70, 40, 40
    plot_w, plot_h = WIDTH - left - 20, height - top - bottom
    finite = [v for p in points for v in (p.value, p.low, p.high) if v is not None]
    low, high = y_range or (min([*finite, reference or 0.0], default=-1.0),
                            max([*finite, reference or 0.0], default=1.0))
    if high <= low:
        low, high = low - 1.0, high + 1.0
    days = [p.day for p in points] or [0]
    first, last = min(days), max(max(days), min(days) + 1)

    def x(day: float) -> float:
        return left + plot_w * (day - first) / (last - first)

    def y(value: float) -> float:
        return top + plot_h * (1 - (max(low, min(high, value)) - low) / (high - low))

    parts = _open(WIDTH, height, label)
    for tick in range(5):
        value = low + (high - low) * tick / 4
        parts.append(f'<line x1="{left}" x2="{WIDTH - 20}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="{GRID}"/><text x="{left - 6}" '
                     f'y="{y(value) + 4:.1f}" text-anchor="end" fill="{TEXT}">'
                     f'{escape(fmt.format(value))}</text>')
    step = max(1, math.ceil((last - first) / 15))
    for day in range(first, last + 1, step):
        parts.append(f'<text x="{x(day):.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                     f'fill="{TEXT}">{day}</text>')
    band = [p for p in points if p.low is not None and p.high is not None]
    if band:
        upper = " ".join(f"{x(p.day):.1f},{y(p.high):.1f}" for p in band)  # type: ignore[arg-type]
        lower = " ".join(f"{x(p.day):.1f},{y(p.low):.1f}" for p in reversed(band))  # type: ignore[arg-type]
        parts.append(f'<polygon class="band" points="{upper} {lower}" fill="#2f5bea" '
                     'fill-opacity="0.15"/>')
    if reference is not None:
        parts.append(f'<line x1="{left}" x2="{WIDTH - 20}" y1="{y(reference):.1f}" '
                     f'y2="{y(reference):.1f}" stroke="{BAD}" stroke-dasharray="5 4"/>'
                     f'<text x="{WIDTH - 24}" y="{y(reference) - 4:.1f}" text-anchor="end" '
                     f'fill="{BAD}">{escape(reference_label)}</text>')
    line = " ".join(f"{x(p.day):.1f},{y(p.value):.1f}" for p in points if p.value is not None)
    parts.append(f'<polyline class="line" points="{line}" fill="none" stroke="#2f5bea" '
                 'stroke-width="2"/>')
    for p in points:
        if p.value is not None:
            parts.append(f'<circle cx="{x(p.day):.1f}" cy="{y(p.value):.1f}" r="3" '
                         f'fill="#2f5bea"><title>day {p.day}: {escape(fmt.format(p.value))}'
                         '</title></circle>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                 f'fill="{TEXT}">{escape(x_label)}</text><text x="12" y="{top - 22}" '
                 f'fill="{TEXT}">{escape(y_label)}</text></svg>')
    # Safe: every text above went through escape(); the rest are numbers formatted here.
    return Markup("".join(parts))  # noqa: S704
