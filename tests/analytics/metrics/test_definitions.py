from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.metrics import COUNTERS, METRIC_NAMES, METRICS, Direction, metric
from analytics.metrics.definitions import MetricDefinition, ValueFormat


def test_every_metric_reads_known_counters() -> None:
    for definition in METRICS:
        assert definition.numerator in COUNTERS
        assert definition.denominator in COUNTERS


def test_lower_is_better_metrics() -> None:
    lower = {definition.name for definition in METRICS if definition.direction is Direction.LOWER}
    assert lower == {
        "bounce_rate",
        "hard_bounce_rate",
        "soft_bounce_rate",
        "unsubscribe_rate",
        "complaint_rate",
    }


def test_default_targets() -> None:
    targets = {d.name: d.default_target for d in METRICS if d.default_target is not None}
    assert targets == {
        "delivery_rate": 0.98,
        "bounce_rate": 0.02,
        "open_rate": 0.22,
        "click_rate": 0.03,
        "click_to_open_rate": 0.15,
        "unsubscribe_rate": 0.005,
        "complaint_rate": 0.001,
        "conversion_rate": 0.02,
        "revenue_per_email": 0.50,
    }


def test_names_are_unique_and_looked_up() -> None:
    assert len(set(METRIC_NAMES)) == len(METRICS)
    assert metric("open_rate").label == "Open rate"
    with pytest.raises(ValueError, match="unknown metric 'opens'; choose one of delivery_rate"):
        metric("opens")


def test_format_value() -> None:
    assert metric("bounce_rate").format_value(0.0312) == "3.12%"
    assert metric("revenue_per_email").format_value(1234.5) == "1,234.50"


@settings(database=None, max_examples=60, deadline=None)
@given(st.sampled_from(METRICS), st.floats(0, 1e6, allow_nan=False),
       st.floats(0, 1e6, allow_nan=False))
def test_format_value_is_faithful_to_its_precision_and_keeps_order(
        definition: MetricDefinition, a: float, b: float) -> None:
    low, high = sorted((a, b))
    if definition.format is ValueFormat.PERCENT:
        low, high = low / 1e6, high / 1e6  # shares

    def shown(value: float) -> float:
        text = definition.format_value(value).replace(",", "")
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)

    step = 0.00005 if definition.format is ValueFormat.PERCENT else 0.005
    assert abs(shown(low) - low) <= step + 1e-9 * low
    assert shown(low) <= shown(high)
    start, end = definition.target_range
    assert definition.default_target is None or start <= definition.default_target <= end
