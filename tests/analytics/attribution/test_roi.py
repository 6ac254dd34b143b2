from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.attribution import ATTRIBUTION_SCHEMA, ROI_SCHEMA, SPEND_SCHEMA, roi
from tests.analytics.attribution.strategies import SETTINGS

ATTRIBUTED = pl.DataFrame(
    [("email", 3.0, 160.0, 0.75), ("paid", 1.0, 30.0, 0.25), ("web", 0.0, 0.0, 0.0)],
    schema=ATTRIBUTION_SCHEMA,
    orient="row",
)
SPEND = pl.DataFrame(
    [("email", 40.0), ("paid", 0.0), ("tv", 50.0)], schema=SPEND_SCHEMA, orient="row"
)


def test_roi_per_key() -> None:
    expected = pl.DataFrame(
        [
            ("email", 160.0, 40.0, 3.0),  # (160 - 40) / 40
            ("paid", 30.0, 0.0, None),  # no spend: undefined
            ("tv", 0.0, 50.0, -1.0),  # spend without attributed revenue
            ("web", 0.0, None, None),  # spend absent
        ],
        schema=ROI_SCHEMA,
        orient="row",
    )
    assert_frame_equal(roi(ATTRIBUTED, SPEND), expected)


def test_roi_per_model_of_a_comparison() -> None:
    compared = pl.concat(
        [
            ATTRIBUTED.select(pl.lit("first_touch").alias("model"), pl.all()),
            ATTRIBUTED.head(1)
            .with_columns(revenue=pl.lit(20.0))
            .select(pl.lit("linear").alias("model"), pl.all()),
        ]
    )
    result = roi(compared, SPEND)
    linear = result.filter(pl.col("model") == "linear")
    assert linear.select("key", "roi").rows() == [
        ("email", -0.5),
        ("paid", None),
        ("tv", -1.0),
    ]
    assert result.filter(pl.col("model") == "first_touch").height == 4


def test_spend_is_validated() -> None:
    with pytest.raises(ValueError, match="spend: column 'key' repeats 'email'"):
        roi(ATTRIBUTED, pl.concat([SPEND, SPEND]))
    with pytest.raises(ValueError, match="spend: column 'spend' is -1.0 in row 0"):
        roi(ATTRIBUTED, SPEND.with_columns(spend=pl.lit(-1.0)))


KEYS = st.sampled_from(["email", "paid", "social", "web", "sms"])
MONEY = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)


@settings(SETTINGS, max_examples=40, deadline=None)
@given(st.dictionaries(KEYS, MONEY, max_size=5), st.dictionaries(KEYS, MONEY, max_size=5))
def test_roi_keeps_revenue_and_spend_and_is_their_ratio(revenue: dict[str, float],
                                                         spend: dict[str, float]) -> None:
    attributed = pl.DataFrame({"key": list(revenue), "revenue": list(revenue.values())},
                              schema={"key": pl.String, "revenue": pl.Float64})
    spent = pl.DataFrame({"key": list(spend), "spend": list(spend.values())},
                         schema=SPEND_SCHEMA)
    result = roi(attributed, spent)
    assert result["key"].to_list() == sorted(set(revenue) | set(spend))
    assert result["revenue"].sum() == pytest.approx(sum(revenue.values()))
    assert result["spend"].sum() == pytest.approx(sum(spend.values()))
    for row in result.iter_rows(named=True):
        if row["spend"] is not None and row["spend"] > 0:
            assert row["roi"] == pytest.approx((row["revenue"] - row["spend"]) / row["spend"])
        else:
            assert row["roi"] is None
