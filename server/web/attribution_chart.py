"""A grouped bar chart as inline SVG, drawn on the server: one group per key (channel or
campaign), one bar per model. No JavaScript, so htmx swaps it like any other markup."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup, escape

# Distinguishable on white and for the common colour-vision deficiencies (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
           "#F0E442")
HEIGHT, TOP, BOTTOM, LEFT, RIGHT = 300, 16, 56, 64, 12
BAR, GROUP_GAP, TICKS = 9, 18, 4


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten)
    that is >= ``value``; 1 for values <= 0."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
                if step * power >= value)


def grouped_bars(groups: Sequence[str], series: Sequence[str],
                 values: Mapping[tuple[str, str], float], *, label: str,
                 fmt: Callable[[float], str] = "{:,.0f}".format,
                 series_labels: Mapping[str, str] | None = None) -> Markup:
    """SVG bars for ``values[(group, series)]`` (missing pairs draw nothing), with a y axis,
    group labels under the bars and a legend; every bar has a tooltip with its value."""
    names = series_labels or {}
    top_value = nice_ceiling(max((v for v in values.values() if v > 0), default=0.0))
    group_width = len(series) * BAR + GROUP_GAP
    width = LEFT + RIGHT + max(len(groups), 1) * group_width
    plot = HEIGHT - TOP - BOTTOM
    parts = [f'<svg class="chart" role="img" aria-label="{escape(label)}" '
             f'viewBox="0 0 {width} {HEIGHT + 20 * _legend_rows(series)}" '
             f'width="{width}" xmlns="http://www.w3.org/2000/svg" '
             f'font-family="system-ui, sans-serif" font-size="11">',
             f"<title>{escape(label)}</title>"]
    for tick in range(TICKS + 1):
        amount = top_value * tick / TICKS
        y = TOP + plot - plot * tick / TICKS
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#e4e7ec"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="#667085">{escape(fmt(amount))}</text>')
    for g, group in enumerate(groups):
        x0 = LEFT + g * group_width + GROUP_GAP / 2
        for s, name in enumerate(series):
            value = values.get((group, name))
            if value is None:
                continue
            bar = plot * max(value, 0.0) / top_value
            parts.append(
                f'<rect class="bar" data-group="{escape(group)}" data-series="{escape(name)}" '
                f'x="{x0 + s * BAR:.1f}" y="{TOP + plot - bar:.1f}" width="{BAR - 1}" '
                f'height="{bar:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(names.get(name, name))} · {escape(group)}: "
                f"{escape(fmt(value))}</title></rect>")
        centre = x0 + len(series) * BAR / 2
        parts.append(f'<text x="{centre:.1f}" y="{TOP + plot + 14}" text-anchor="end" '
                     f'transform="rotate(-30 {centre:.1f} {TOP + plot + 14})">'
                     f"{escape(_short(group))}</text>")
    parts.extend(_legend(series, names, width))
    parts.append("</svg>")
    # every text that came from data went through escape() above
    return Markup("".join(parts))  # noqa: S704


def _legend_rows(series: Sequence[str]) -> int:
    return (len(series) + 3) // 4


def _legend(series: Sequence[str], names: Mapping[str, str], width: int) -> list[str]:
    parts = []
    column = max((width - LEFT) / 4, 120)
    for s, name in enumerate(series):
        x = LEFT + (s % 4) * column
        y = HEIGHT + 20 * (s // 4)
        parts.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" '
                     f'fill="{PALETTE[s % len(PALETTE)]}"/>'
                     f'<text x="{x + 14:.1f}" y="{y}">{escape(names.get(name, name))}</text>')
    return parts


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
