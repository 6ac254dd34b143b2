from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from analytics.metrics import COUNTERS, METRIC_NAMES, Targets, breakdown, compute_rates
from tests.analytics.metrics.support import counter_frames, counters

ROLLUP = counters(
    email_domain=["gmail.com", "yahoo.com", "gmail.com", None, "yahoo.com"],
    device=["mobile", "desktop", "desktop", "mobile", "mobile"],
    sent=[100, 40, 60, 0, 20],
    delivered=[95, 36, 60, 0, 19],
    bounced=[5, 4, 0, 0, 1],
    unique_opens=[30, 9, 12, 0, 5],
    unique_clicks=[6, 1, 3, 0, 0],
    revenue=[50.0, 0.0, 25.0, 0.0, 10.0],
)


def test_breakdown_by_domain_golden() -> None:
    result = breakdown(ROLLUP, "email_domain")
    columns = ["email_domain", "sent", "delivered", "unique_opens", "share_of_sent",
               "open_rate", "revenue_per_email"]
    assert_frame_equal(
        result.rows.select(columns),
        pl.DataFrame(
            {
                "email_domain": ["gmail.com", "yahoo.com", None],
                "sent": [160, 60, 0],
                "delivered": [155, 55, 0],
                "unique_opens": [42, 14, 0],
                "share_of_sent": [160 / 220, 60 / 220, 0.0],
                "open_rate": [42 / 155, 14 / 55, None],
                "revenue_per_email": [75 / 155, 10 / 55, None],
            },
            schema_overrides={name: pl.Int64 for name in ("sent", "delivered", "unique_opens")},
        ),
    )
    assert_frame_equal(
        result.totals.select(columns[1:]),
        pl.DataFrame(
            {
                "sent": [220],
                "delivered": [210],
                "unique_opens": [56],
                "share_of_sent": [1.0],
                "open_rate": [56 / 210],
                "revenue_per_email": [85 / 210],
            },
            schema_overrides={name: pl.Int64 for name in ("sent", "delivered", "unique_opens")},
        ),
    )
    assert result.dimension == ("email_domain",)


def test_breakdown_by_two_dimensions_with_statuses() -> None:
    result = breakdown(ROLLUP, ["email_domain", "device"], targets=Targets())
    assert result.rows.select("email_domain", "device", "sent", "open_rate_status").rows() == [
        ("gmail.com", "mobile", 100, "good"),
        ("gmail.com", "desktop", 60, "warning"),
        ("yahoo.com", "desktop", 40, "good"),
        ("yahoo.com", "mobile", 20, "good"),
        (None, "mobile", 0, "no_data"),
    ]
    assert result.totals["open_rate_status"].item() == "good"


def test_totals_rates_come_from_summed_counters() -> None:
    result = breakdown(ROLLUP, "device")
    assert_frame_equal(
        result.totals.drop("share_of_sent"),
        compute_rates(ROLLUP.select(COUNTERS).sum()),
    )


@settings(database=None, max_examples=60, deadline=None)
@given(counter_frames())
def test_rows_sum_to_totals(frame: pl.DataFrame) -> None:
    result = breakdown(frame, "segment")
    assert_frame_equal(result.rows.select(COUNTERS).sum(), result.totals.select(COUNTERS))
    assert result.rows["segment"].n_unique() == result.rows.height
    if result.totals["sent"].item() > 0:
        assert abs(result.rows["share_of_sent"].sum() - 1) < 1e-9
    for name in METRIC_NAMES:
        assert result.rows[name].is_nan().sum() == 0
