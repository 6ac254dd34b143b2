from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from analytics.metrics import METRIC_NAMES, METRICS, Targets, compute_rates
from tests.analytics.metrics.support import counter_frames, counters

COUNTERS = counters(
    campaign_id=["c1", "c2", "c3", "c4"],
    sent=[5, 3, 2, 0],
    delivered=[4, 2, 0, 0],
    bounced=[1, 1, 2, 0],
    hard_bounced=[1, 0, 2, 0],
    soft_bounced=[0, 1, 0, 0],
    unique_opens=[3, 1, 0, 0],
    human_unique_opens=[2, 1, 0, 0],
    total_opens=[6, 1, 0, 0],
    unique_clicks=[2, 1, 0, 0],
    total_clicks=[3, 1, 0, 0],
    unsubscribed=[1, 0, 0, 0],
    complained=[0, 1, 0, 0],
    conversions=[3, 0, 0, 0],
    revenue=[55.5, 0.0, 0.0, 0.0],
)

N = None
RATES = pl.DataFrame(
    {
        "delivery_rate": [0.8, 2 / 3, 0.0, N],
        "bounce_rate": [0.2, 1 / 3, 1.0, N],
        "hard_bounce_rate": [0.2, 0.0, 1.0, N],
        "soft_bounce_rate": [0.0, 1 / 3, 0.0, N],
        "open_rate": [0.75, 0.5, N, N],
        "human_open_rate": [0.5, 0.5, N, N],
        "click_rate": [0.5, 0.5, N, N],
        "click_to_open_rate": [2 / 3, 1.0, N, N],
        "unsubscribe_rate": [0.25, 0.0, N, N],
        "complaint_rate": [0.0, 0.5, N, N],
        "conversion_rate": [0.75, 0.0, N, N],
        "revenue_per_email": [13.875, 0.0, N, N],
        "revenue_per_recipient": [11.1, 0.0, 0.0, N],
    },
    schema={name: pl.Float64 for name in METRIC_NAMES},
)


def test_every_rate_golden() -> None:
    result = compute_rates(COUNTERS)
    assert_frame_equal(result.select(COUNTERS.columns), COUNTERS)
    assert_frame_equal(result.select(METRIC_NAMES), RATES)


def test_statuses_against_default_targets() -> None:
    result = compute_rates(COUNTERS, Targets())
    statuses = result.select(
        "delivery_rate_status",
        "bounce_rate_status",
        "click_to_open_rate_status",
        "complaint_rate_status",
        "revenue_per_email_status",
        "hard_bounce_rate_status",
    )
    expected = pl.DataFrame(
        {
            "delivery_rate_status": ["bad", "bad", "bad", "no_data"],
            "bounce_rate_status": ["bad", "bad", "bad", "no_data"],
            "click_to_open_rate_status": ["good", "good", "no_data", "no_data"],
            "complaint_rate_status": ["good", "bad", "no_data", "no_data"],
            "revenue_per_email_status": ["good", "bad", "no_data", "no_data"],
            "hard_bounce_rate_status": [None, None, None, None],
        },
        schema_overrides={"hard_bounce_rate_status": pl.String},
    )
    assert_frame_equal(statuses, expected)


@pytest.mark.parametrize(
    ("name", "delivered", "target", "status"),
    [
        # open_rate = 200 / delivered; higher is better, target 0.2, band 10% -> 0.18.
        ("open_rate", 1000, 0.2, "good"),
        ("open_rate", 1100, 0.2, "warning"),
        ("open_rate", 1111, 0.2, "warning"),
        ("open_rate", 1112, 0.2, "bad"),
        # unsubscribe_rate = 200 / delivered; lower is better, target 0.2 -> up to 0.22.
        ("unsubscribe_rate", 1000, 0.2, "good"),
        ("unsubscribe_rate", 910, 0.2, "warning"),
        ("unsubscribe_rate", 909, 0.2, "bad"),
    ],
)
def test_warning_band_edges(name: str, delivered: int, target: float, status: str) -> None:
    frame = counters(delivered=[delivered], unique_opens=[200], unsubscribed=[200])
    result = compute_rates(frame, Targets(values={name: target}))
    assert result[f"{name}_status"].item() == status


def test_missing_counter_is_named() -> None:
    with pytest.raises(ValueError, match="missing column\\(s\\) human_unique_opens"):
        compute_rates(COUNTERS.drop("human_unique_opens"))


@settings(database=None, max_examples=80, deadline=None)
@given(counter_frames())
def test_rates_are_bounded_and_null_only_without_denominator(frame: pl.DataFrame) -> None:
    result = compute_rates(frame)
    for definition in METRICS:
        values = result[definition.name].to_list()
        denominators = result[definition.denominator].to_list()
        for value, denominator in zip(values, denominators, strict=True):
            assert (value is None) == (denominator == 0)
            if value is not None:
                assert math.isfinite(value)
                assert value >= 0
                if definition.bounded:
                    assert value <= 1
