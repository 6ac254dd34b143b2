"""The calibration chart of a model version: forecast against outcome per bin, for the
served model and its baseline, with the diagonal a perfect forecast would follow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from server.web.charts import PALETTE, _svg, _text

SIZE, MARGIN = 300, 36


def calibration_chart(series: Sequence[tuple[str, Sequence[dict[str, Any]]]], *,
                      title: str) -> Markup:
    """One polyline per (name, bins) with a point per bin (mean predicted → observed
    rate); bins come from the ``model { calibration }`` query."""
    plot = SIZE - 2 * MARGIN

    def x(value: float) -> float:
        return MARGIN + value * plot

    def y(value: float) -> float:
        return SIZE - MARGIN - value * plot

    body = [_text(0, 14, title, css="chart-title"),
            f'<line class="diagonal" x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(1):.1f}" '
            f'y2="{y(1):.1f}" stroke="#98a2b3" stroke-dasharray="4 3"/>',
            _text(SIZE / 2, SIZE - 6, "predicted", anchor="middle", css="axis"),
            _text(4, MARGIN - 8, "observed", css="axis")]
    for tick in (0.0, 0.5, 1.0):
        body.append(_text(x(tick), SIZE - MARGIN + 14, f"{tick:.1f}", anchor="middle",
                          css="axis"))
        body.append(_text(MARGIN - 4, y(tick) + 4, f"{tick:.1f}", anchor="end", css="axis"))
    for index, (name, bins) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = [(x(b["meanPredicted"]), y(b["observedRate"]), b) for b in bins]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                        f'points="{path}"/>')
        for px, py, b in points:
            label = (f"{name}: predicted {b['meanPredicted']:.3f}, observed "
                     f"{b['observedRate']:.3f} ({b['count']} customers)")
            body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}" '
                        f'data-series="{escape(name)}"><title>{escape(label)}</title>'
                        "</circle>")
        body.append(_text(SIZE - MARGIN, MARGIN + 14 * index, name, anchor="end",
                          css="legend") .replace("<text", f'<text fill="{colour}"', 1))
    if not any(bins for _, bins in series):
        body.append(_text(SIZE / 2, SIZE / 2, "No holdout forecasts", anchor="middle",
                          css="empty"))
    return _svg(SIZE, SIZE, title, body, "calibration-chart")
