"""The server-side grouped bar chart: axis scale, one bar per pair, escaped labels."""

from __future__ import annotations

import re

import pytest

from server.web.attribution_chart import HEIGHT, grouped_bars, nice_ceiling


@pytest.mark.parametrize(("value", "ceiling"), [
    (0, 1.0), (-3, 1.0), (0.03, 0.03), (0.7, 0.8), (1, 1.0), (7, 8.0), (12, 15.0),
    (31_000, 40_000.0), (1000, 1000.0), (1001, 1500.0), (48_000, 50_000.0)])
def test_nice_ceiling(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == pytest.approx(ceiling)


def test_bars_scale_to_the_ceiling_and_skip_missing_pairs() -> None:
    svg = str(grouped_bars(["email", "<web>"], ["markov", "linear"],
                           {("email", "markov"): 30.0, ("email", "linear"): 15.0,
                            ("<web>", "markov"): 0.0}, label="Revenue by model"))
    bars = re.findall(r'<rect class="bar" data-group="([^"]*)" data-series="(\w+)" '
                      r'x="[\d.]+" y="([\d.]+)" width="\d+" height="([\d.]+)"', svg)
    plot = HEIGHT - 16 - 56
    assert bars == [("email", "markov", f"{16:.1f}", f"{plot:.1f}"),
                    ("email", "linear", f"{16 + plot / 2:.1f}", f"{plot / 2:.1f}"),
                    ("&lt;web&gt;", "markov", f"{16 + plot:.1f}", "0.0")]
    assert "<web>" not in svg
    assert '<svg class="chart" role="img" aria-label="Revenue by model"' in svg
    assert svg.count("<text") == 5 + 2 + 2  # axis ticks, group labels, legend
