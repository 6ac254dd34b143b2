"""SVG response curves for the budget page: revenue against monthly spend with the 90%
band, the current and the optimal spend marked."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from server.web.attribution_chart import nice_ceiling

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 60, 12, 26, 30


def curve_chart(category: str, points: Sequence[dict[str, float]], *, current: float,
                optimal: float | None, currency: str) -> Markup:
    """``points`` (spend, revenue, lower, upper; spend ascending) as a line with a band."""
    spend_top = max((p["spend"] for p in points), default=0.0) or 1.0
    value_top = nice_ceiling(max((p["upper"] for p in points), default=0.0)) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(spend: float) -> float:
        return LEFT + min(max(spend / spend_top, 0.0), 1.0) * plot_w

    def y(value: float) -> float:
        return TOP + plot_h - min(max(value / value_top, 0.0), 1.0) * plot_h

    label = f"{category}: predicted monthly revenue by monthly spend ({currency})"
    line = " ".join(f"{x(p['spend']):.1f},{y(p['revenue']):.1f}" for p in points)
    band = " ".join([*(f"{x(p['spend']):.1f},{y(p['upper']):.1f}" for p in points),
                     *(f"{x(p['spend']):.1f},{y(p['lower']):.1f}" for p in reversed(points))])
    parts = [
        f'<svg class="chart curve" data-category="{escape(category)}" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" '
        f'font-size="11"><title>{escape(label)}</title>',
        f'<text x="0" y="14" font-weight="600">{escape(category)}</text>',
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        'stroke="#d0d5dd"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" fill="#667085">'
        f"{escape(f'{value_top:,.0f}')}</text>",
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" fill="#667085">0</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" fill="#667085">'
        f"{escape(f'{spend_top:,.0f}')} / month</text>",
        f'<polygon class="band" points="{band}" fill="#2f5bea" fill-opacity="0.12"/>',
        f'<polyline class="line" points="{line}" fill="none" stroke="#2f5bea" '
        'stroke-width="2"/>',
    ]
    for name, spend, colour in (("current", current, "#667085"),
                                ("optimal", optimal, "#12b76a")):
        if spend is None:
            continue
        parts.append(f'<line class="marker {name}" x1="{x(spend):.1f}" x2="{x(spend):.1f}" '
                     f'y1="{TOP}" y2="{TOP + plot_h}" stroke="{colour}" '
                     f'stroke-dasharray="4 3"><title>{name}: {escape(f"{spend:,.2f}")}'
                     "</title></line>")
    parts.append("</svg>")
    # every text from data went through escape() above
    return Markup("".join(parts))  # noqa: S704
