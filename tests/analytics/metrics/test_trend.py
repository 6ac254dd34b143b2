from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.metrics import COUNTERS, Granularity, period_start, trend
from tests.analytics.metrics.support import counters

DAYS = counters(
    day=[
        date(2024, 1, 1),  # Monday
        date(2024, 1, 7),  # Sunday, same week
        date(2024, 1, 8),
        date(2024, 2, 29),
        date(2024, 4, 1),
        date(2025, 1, 2),  # Thursday of the week starting Monday 2024-12-30
    ],
    campaign_id=["c1", "c1", "c2", "c1", "c2", "c1"],
    sent=[100, 50, 20, 10, 40, 10],
    delivered=[90, 50, 20, 5, 40, 10],
    unique_opens=[30, 10, 20, 5, 4, 1],
)
COLUMNS = ["period", "sent", "delivered", "unique_opens", "delivery_rate", "open_rate"]


def expected(rows: list[tuple], *keys: str) -> pl.DataFrame:
    schema = {
        "period": pl.Date(),
        **{key: pl.String() for key in keys},
        "sent": pl.Int64(),
        "delivered": pl.Int64(),
        "unique_opens": pl.Int64(),
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(
        delivery_rate=pl.when(pl.col("sent") > 0).then(pl.col("delivered") / pl.col("sent")),
        open_rate=pl.when(pl.col("delivered") > 0).then(
            pl.col("unique_opens") / pl.col("delivered")
        ),
    )


@pytest.mark.parametrize(
    ("granularity", "rows"),
    [
        (
            Granularity.DAY,
            [
                (date(2024, 1, 1), 100, 90, 30),
                (date(2024, 1, 7), 50, 50, 10),
                (date(2024, 1, 8), 20, 20, 20),
                (date(2024, 2, 29), 10, 5, 5),
                (date(2024, 4, 1), 40, 40, 4),
                (date(2025, 1, 2), 10, 10, 1),
            ],
        ),
        (
            Granularity.WEEK,
            [
                (date(2024, 1, 1), 150, 140, 40),
                (date(2024, 1, 8), 20, 20, 20),
                (date(2024, 2, 26), 10, 5, 5),
                (date(2024, 4, 1), 40, 40, 4),
                (date(2024, 12, 30), 10, 10, 1),
            ],
        ),
        (
            Granularity.MONTH,
            [
                (date(2024, 1, 1), 170, 160, 60),
                (date(2024, 2, 1), 10, 5, 5),
                (date(2024, 4, 1), 40, 40, 4),
                (date(2025, 1, 1), 10, 10, 1),
            ],
        ),
        (
            Granularity.QUARTER,
            [
                (date(2024, 1, 1), 180, 165, 65),
                (date(2024, 4, 1), 40, 40, 4),
                (date(2025, 1, 1), 10, 10, 1),
            ],
        ),
        (
            Granularity.YEAR,
            [(date(2024, 1, 1), 220, 205, 69), (date(2025, 1, 1), 10, 10, 1)],
        ),
    ],
)
def test_trend_golden(granularity: Granularity, rows: list[tuple]) -> None:
    assert_frame_equal(trend(DAYS, granularity).select(COLUMNS), expected(rows))


def test_granularity_accepts_plain_strings() -> None:
    assert_frame_equal(trend(DAYS, "week"), trend(DAYS, Granularity.WEEK))
    with pytest.raises(ValueError, match="'fortnight' is not a valid Granularity"):
        trend(DAYS, "fortnight")


def test_range_filters_and_fills_gaps_with_null_rates() -> None:
    result = trend(DAYS, "month", start=date(2024, 1, 15), end=date(2024, 5, 10))
    assert_frame_equal(
        result.select(COLUMNS),
        expected(
            [
                (date(2024, 1, 1), 0, 0, 0),
                (date(2024, 2, 1), 10, 5, 5),
                (date(2024, 3, 1), 0, 0, 0),
                (date(2024, 4, 1), 40, 40, 4),
                (date(2024, 5, 1), 0, 0, 0),
            ]
        ),
    )
    assert result.select(COUNTERS).null_count().sum_horizontal().item() == 0


def test_gap_filling_per_group() -> None:
    result = trend(
        DAYS, "quarter", start=date(2024, 1, 1), end=date(2024, 12, 31), by=["campaign_id"]
    )
    assert_frame_equal(
        result.select("period", "campaign_id", *COLUMNS[1:]),
        expected(
            [
                (date(2024, 1, 1), "c1", 160, 145, 45),
                (date(2024, 1, 1), "c2", 20, 20, 20),
                (date(2024, 4, 1), "c1", 0, 0, 0),
                (date(2024, 4, 1), "c2", 40, 40, 4),
                (date(2024, 7, 1), "c1", 0, 0, 0),
                (date(2024, 7, 1), "c2", 0, 0, 0),
                (date(2024, 10, 1), "c1", 0, 0, 0),
                (date(2024, 10, 1), "c2", 0, 0, 0),
            ],
            "campaign_id",
        ).select("period", "campaign_id", *COLUMNS[1:]),
    )


def test_only_a_start_fills_up_to_the_last_data_period() -> None:
    result = trend(DAYS, "quarter", start=date(2024, 7, 1))
    assert result["period"].to_list() == [date(2024, 7, 1), date(2024, 10, 1), date(2025, 1, 1)]
    assert result["sent"].to_list() == [0, 0, 10]


def test_empty_range_without_data() -> None:
    result = trend(DAYS, "week", start=date(2030, 1, 1), end=date(2030, 1, 14))
    assert result["period"].to_list() == [date(2029, 12, 31), date(2030, 1, 7), date(2030, 1, 14)]
    assert result["open_rate"].to_list() == [None, None, None]


def test_day_column_must_be_a_date() -> None:
    with pytest.raises(ValueError, match="column day must be pl.Date; got Datetime"):
        trend(DAYS.with_columns(pl.col("day").cast(pl.Datetime)), "day")


def test_period_start() -> None:
    assert period_start(date(2024, 2, 29), "week") == date(2024, 2, 26)
    assert period_start(date(2024, 12, 31), "quarter") == date(2024, 10, 1)
    assert period_start(date(2024, 5, 17), Granularity.YEAR) == date(2024, 1, 1)


@settings(database=None, max_examples=40, deadline=None)
@given(
    days=st.lists(st.dates(date(2023, 1, 1), date(2025, 12, 31)), min_size=1, max_size=30),
    granularity=st.sampled_from(list(Granularity)),
    data=st.data(),
)
def test_periods_partition_the_days(days: list[date], granularity: Granularity, data) -> None:
    sent = data.draw(st.lists(st.integers(0, 1000), min_size=len(days), max_size=len(days)))
    frame = counters(day=days, sent=sent)
    result = trend(frame, granularity, start=min(days), end=max(days))
    assert result["sent"].sum() == sum(sent)
    periods = result["period"].to_list()
    assert periods == sorted(set(periods))
    for period in periods:
        assert period_start(period, granularity) == period
        if granularity is Granularity.WEEK:
            assert period.isoweekday() == 1
        if granularity is Granularity.QUARTER:
            assert period.month in {1, 4, 7, 10} and period.day == 1
    assert all(
        rate is None for rate, s in zip(result["delivery_rate"], result["sent"], strict=True)
        if s == 0
    )
