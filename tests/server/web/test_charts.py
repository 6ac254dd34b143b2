"""SVG charts: values, escaping, gaps for periods without sends, empty states."""

from __future__ import annotations

import re
from datetime import date

from markupsafe import Markup

from server.web.charts import amount, bar_chart, funnel_chart, line_chart, percent


def test_bar_chart_escapes_and_shows_values() -> None:
    svg = bar_chart([("<b>gmail</b>", 0.5), ("yahoo.com", None)], title="Open & click",
                    target=0.25, statuses=["good", None])
    assert isinstance(svg, Markup)
    assert "<b>" not in svg and "&lt;b&gt;gmail&lt;/b&gt;" in svg
    assert 'aria-label="Open &amp; click"' in svg
    assert re.findall(r'data-value="([^"]+)"', svg) == ["0.5"]
    assert 'fill="#1a7f4b"' in svg and ">50.00%<" in svg and ">—<" in svg
    assert 'class="target"' in svg


def test_bar_chart_without_rows() -> None:
    assert "No data for this period" in bar_chart([], title="x")


def test_line_chart_breaks_at_missing_periods() -> None:
    periods = [date(2026, 3, day) for day in (1, 2, 3, 4)]
    svg = line_chart(periods, [("Open rate", [0.2, None, 0.4, 0.3])], title="Open rate",
                     target=0.22)
    assert svg.count("<polyline") == 2
    assert ">2026-03-01<" in svg and ">2026-03-04<" in svg and ">40.00%<" in svg
    assert 'data-series="Open rate"' in svg


def test_line_chart_without_sends() -> None:
    assert "No sends in this period" in line_chart([], [("Revenue", [])], title="Revenue",
                                                   value_format=amount)


def test_funnel_shares() -> None:
    svg = funnel_chart([("Sent", 200), ("Delivered", 190), ("Opened", 0)], title="Funnel")
    assert re.findall(r'data-step="(\w+)" data-value="(\d+)"', svg) == [
        ("Sent", "200"), ("Delivered", "190"), ("Opened", "0")]
    assert "95.0% of sent · 95.0% of previous" in svg and "0.0% of sent" in svg
    assert "—" in funnel_chart([("Sent", 0)], title="Empty")


def test_formats() -> None:
    assert (percent(0.1234), amount(1234.5)) == ("12.34%", "1,234.50")
