from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings

from analytics.metrics import MetricStatus, Targets, ValueFormat, evaluate, sum_counters
from tests.analytics.metrics.support import counter_frames, counters

SUMMARY = {
    "sent": 1000,
    "delivered": 970,
    "bounced": 30,
    "hard_bounced": 20,
    "soft_bounced": 10,
    "unique_opens": 200,
    "human_unique_opens": 150,
    "total_opens": 300,
    "unique_clicks": 25,
    "total_clicks": 40,
    "unsubscribed": 6,
    "complained": 1,
    "conversions": 21,
    "revenue": 480.0,
}

# metric, value, target, status, numerator, denominator
EXPECTED = [
    ("delivery_rate", 0.97, 0.98, "warning", 970, 1000),
    ("bounce_rate", 0.03, 0.02, "bad", 30, 1000),
    ("open_rate", 200 / 970, 0.22, "warning", 200, 970),
    ("click_rate", 25 / 970, 0.03, "bad", 25, 970),
    ("click_to_open_rate", 0.125, 0.15, "bad", 25, 200),
    ("unsubscribe_rate", 6 / 970, 0.005, "bad", 6, 970),
    ("complaint_rate", 1 / 970, 0.001, "warning", 1, 970),
    ("conversion_rate", 21 / 970, 0.02, "good", 21, 970),
    ("revenue_per_email", 480 / 970, 0.50, "warning", 480.0, 970),
]
LOWER = {"bounce_rate", "unsubscribe_rate", "complaint_rate"}


def test_evaluate_golden() -> None:
    statuses = evaluate(SUMMARY)
    assert [s.metric for s in statuses] == [row[0] for row in EXPECTED]
    for status, (name, value, target, label, numerator, denominator) in zip(
        statuses, EXPECTED, strict=True
    ):
        assert status.value == pytest.approx(value, abs=1e-12)
        assert status.target == target
        assert status.status == label
        assert status.difference == pytest.approx(value - target, abs=1e-12)
        assert status.higher_is_better is (name not in LOWER)
        assert (status.numerator, status.denominator) == (numerator, denominator)


def test_evaluate_one_metric_exactly() -> None:
    assert evaluate(SUMMARY)[1] == MetricStatus(
        metric="bounce_rate",
        label="Bounce rate",
        value=0.03,
        target=0.02,
        status="bad",
        difference=0.03 - 0.02,
        higher_is_better=False,
        numerator=30,
        denominator=1000,
        format=ValueFormat.PERCENT,
    )


def test_one_row_frame_equals_mapping() -> None:
    frame = pl.DataFrame({name: [value] for name, value in SUMMARY.items()})
    assert evaluate(frame) == evaluate(SUMMARY)


def test_custom_targets_add_and_remove_metrics() -> None:
    targets = Targets.from_dict({"hard_bounce_rate": 0.01, "open_rate": None})
    names = [status.metric for status in evaluate(SUMMARY, targets)]
    assert "hard_bounce_rate" in names
    assert "open_rate" not in names


def test_no_sends_is_no_data_everywhere() -> None:
    statuses = evaluate(dict.fromkeys(SUMMARY, 0))
    assert {s.status for s in statuses} == {"no_data"}
    assert all(s.value is None and s.difference is None for s in statuses)


def test_bad_input_is_explained() -> None:
    with pytest.raises(ValueError, match="missing revenue"):
        evaluate({name: 1 for name in SUMMARY if name != "revenue"})
    with pytest.raises(ValueError, match="must be one row; got 2 rows"):
        evaluate(counters(sent=[1, 2]))


@settings(database=None, max_examples=40, deadline=None)
@given(counter_frames(min_size=1))
def test_statuses_agree_with_the_rule(frame: pl.DataFrame) -> None:
    targets = Targets()
    for status in evaluate(sum_counters(frame), targets):
        if status.value is None:
            assert status.status == "no_data"
            continue
        miss = -status.difference if status.higher_is_better else status.difference
        band = status.target * targets.warning_band
        if miss <= 0:
            assert status.status == "good"
        elif abs(miss - band) < 1e-12:
            assert status.status in {"warning", "bad"}  # float rounding at the band's edge
        elif miss < band:
            assert status.status == "warning"
        else:
            assert status.status == "bad"
