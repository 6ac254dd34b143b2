"""Server-side SVG charts: bars, lines and a funnel, drawn in Python (no JavaScript).

Every piece of text goes through ``escape``; numbers are formatted here. The result is
``Markup`` so templates embed it as is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

Format = Callable[[float], str]
PALETTE = ("#2f5bea", "#12b76a", "#f79009", "#7a5af8", "#ee46bc", "#0ba5ec")
STATUS_COLOURS = {"good": "#1a7f4b", "warning": "#b54708", "bad": "#c0262d"}


def percent(value: float) -> str:
    return f"{value:.2%}"


def amount(value: float) -> str:
    return f"{value:,.2f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def _svg(width: int, height: int, label: str, body: list[str], css: str) -> Markup:
    # Safe: every text and attribute value in ``body`` went through ``escape``.
    return Markup(  # noqa: S704
        f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
        + "".join(body) + "</svg>")


def _text(x: float, y: float, content: str, *, anchor: str = "start", css: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{escape(css)}">'
            f"{escape(content)}</text>")


def bar_chart(items: Sequence[tuple[str, float | None]], *, title: str,
              value_format: Format = percent, target: float | None = None,
              statuses: Sequence[str | None] | None = None, width: int = 520) -> Markup:
    """Horizontal bars, one per (label, value); a null value is shown as "—" with no bar.
    ``target`` draws a dashed line; ``statuses`` colour each bar by its target status."""
    row, label_width, value_width = 26, 150, 80
    height = max(1, len(items)) * row + 30
    values = [v for _, v in items if v is not None]
    top = max([*values, target or 0.0, 0.0]) or 1.0
    plot = width - label_width - value_width
    body = [_text(0, 14, title, css="chart-title")]
    for index, (label, value) in enumerate(items):
        y = 24 + index * row
        body.append(_text(label_width - 8, y + 15, label, anchor="end", css="axis"))
        shown = "—" if value is None else value_format(value)
        if value is not None:
            status = statuses[index] if statuses else None
            colour = STATUS_COLOURS.get(status or "", PALETTE[0])
            length = max(0.0, value) / top * plot
            body.append(f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{length:.1f}" '
                        f'height="{row - 8}" fill="{colour}" data-label="{escape(label)}" '
                        f'data-value="{value!r}"><title>{escape(label)}: {escape(shown)}'
                        "</title></rect>")
        body.append(_text(width - value_width + 6, y + 15, shown, css="value"))
    if target is not None:
        x = label_width + target / top * plot
        body.append(f'<line class="target" x1="{x:.1f}" x2="{x:.1f}" y1="20" '
                    f'y2="{height - 4}" stroke="#667085" stroke-dasharray="4 3"/>')
    if not items:
        body.append(_text(width / 2, 40, "No data for this period", anchor="middle",
                          css="empty"))
    return _svg(width, height, title, body, "bar-chart")


def _points(values: Sequence[float | None], x_at: Callable[[int], float],
            y_at: Callable[[float], float]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive non-null values (a null breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x_at(index), y_at(value)))
    return [run for run in runs if run]


def line_chart(periods: Sequence[date], series: Sequence[tuple[str, Sequence[float | None]]],
               *, title: str, value_format: Format = percent, target: float | None = None,
               width: int = 520, height: int = 200) -> Markup:
    """One line per (name, values) over ``periods``; nulls (no sends) break the line.
    ``target`` draws a dashed horizontal line."""
    left, right, top_pad, bottom = 64, 12, 24, 36
    values = [v for _, vs in series for v in vs if v is not None]
    high = max([*values, target or 0.0, 0.0]) or 1.0
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    step = plot_w / max(1, len(periods) - 1)

    def x_at(index: int) -> float:
        return left + (index * step if len(periods) > 1 else plot_w / 2)

    def y_at(value: float) -> float:
        return top_pad + plot_h - max(0.0, value) / high * plot_h

    body = [_text(0, 14, title, css="chart-title"),
            f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top_pad + plot_h}" '
            f'y2="{top_pad + plot_h}" stroke="#d0d5dd"/>',
            _text(left - 6, top_pad + 4, value_format(high), anchor="end", css="axis"),
            _text(left - 6, top_pad + plot_h, value_format(0.0), anchor="end", css="axis")]
    if periods:
        body.append(_text(left, height - 8, periods[0].isoformat(), css="axis"))
        body.append(_text(width - right, height - 8, periods[-1].isoformat(), anchor="end",
                          css="axis"))
    if target is not None:
        y = y_at(target)
        body.append(f'<line class="target" x1="{left}" x2="{width - right}" y1="{y:.1f}" '
                    f'y2="{y:.1f}" stroke="#667085" stroke-dasharray="4 3"/>')
    for number, (name, series_values) in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        for run in _points(series_values, x_at, y_at):
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            body.append(f'<polyline class="line" fill="none" stroke="{colour}" '
                        f'stroke-width="2" points="{path}" data-series="{escape(name)}"/>')
            for x, y in run:
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        # Legend on the title row, right-aligned, so it never covers the lines.
        legend_x = width - right - (len(series) - 1 - number) * 130
        body.append(f'<rect x="{legend_x - 128}" y="6" width="10" height="3" '
                    f'fill="{colour}"/>')
        body.append(_text(legend_x - 114, 11, name, css="legend"))
    if not values:
        body.append(_text(width / 2, height / 2, "No sends in this period", anchor="middle",
                          css="empty"))
    return _svg(width, height, title, body, "line-chart")


def funnel_chart(steps: Sequence[tuple[str, int]], *, title: str, width: int = 520) -> Markup:
    """Centred bars narrowing from the first step; each shows its count, its share of
    the first step and of the step before."""
    row = 48
    height = len(steps) * row + 24
    first = steps[0][1] if steps else 0
    body = [_text(0, 14, title, css="chart-title")]
    previous: int | None = None
    for index, (label, value) in enumerate(steps):
        y = 22 + index * row
        share = value / first if first else 0.0
        bar = max(2.0, min(share, 1.0) * (width - 220))
        x = 110 + (width - 220 - bar) / 2
        body.append(f'<rect class="step" x="{x:.1f}" y="{y}" width="{bar:.1f}" '
                    f'height="{row - 20}" fill="{PALETTE[0]}" '
                    f'fill-opacity="{1 - index * 0.12:.2f}" '
                    f'data-step="{escape(label)}" data-value="{value}"/>')
        body.append(_text(100, y + 18, label, anchor="end", css="axis"))
        body.append(_text(width - 104, y + 18, f"{value:,}", css="value"))
        note = "—"
        if first:
            note = f"{share:.1%} of sent"
            if previous:
                note += f" · {value / previous:.1%} of previous"
        body.append(_text(width / 2, y + row - 7, note, anchor="middle", css="note"))
        previous = value
    return _svg(width, height, title, body, "funnel-chart")
