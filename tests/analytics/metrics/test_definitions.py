from __future__ import annotations

import pytest

from analytics.metrics import COUNTERS, METRIC_NAMES, METRICS, Direction, metric


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
