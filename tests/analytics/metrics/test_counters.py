from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from analytics.metrics import COUNTER_SCHEMA, COUNTERS, counters_from_messages, sum_counters
from tests.analytics.metrics.support import at, counter_frames, message_frame, message_frames

# message_id, campaign, variant, customer, sent, delivered, bounced, bounce_type,
# first_open, open_count, machine_opens, first_human_open, first_click, click_count,
# unsubscribed, complained, conversions, revenue, email_domain
MESSAGES = message_frame(
    [
        (1, "c1", "A", 1, at(1, 9), at(1, 9), None, None,
         at(1, 10), 2, 0, at(1, 10), at(1, 11), 1, None, None, 1, 20.0, "gmail.com"),
        (2, "c1", "A", 2, at(1, 9), at(1, 9), None, None,
         at(1, 9, 1), 1, 1, None, None, 0, None, None, 0, 0.0, "gmail.com"),
        (3, "c1", "A", 3, at(1, 9), None, at(1, 9), "hard",
         None, 0, 0, None, None, 0, None, None, 0, 0.0, "yahoo.com"),
        (4, "c1", "B", 4, at(1, 9), at(1, 9), None, None,
         None, 0, 0, None, None, 0, at(2), None, 0, 0.0, "yahoo.com"),
        (5, "c1", "B", 5, at(1, 9), at(1, 9), None, None,
         at(1, 12), 3, 0, at(1, 12), at(1, 13), 2, None, None, 2, 35.5, "gmail.com"),
        (6, "c2", "A", 1, at(3, 9), None, at(3, 9), "soft",
         None, 0, 0, None, None, 0, None, None, 0, 0.0, "gmail.com"),
        (7, "c2", "A", 2, at(3, 9), at(3, 9), None, None,
         at(3, 10), 1, 0, at(3, 10), None, 0, None, at(3, 11), 0, 0.0, "gmail.com"),
        # Clicked without a recorded open: the client blocked the tracking pixel.
        (8, "c2", "A", 6, at(3, 9), at(3, 9), None, None,
         None, 0, 0, None, at(3, 12), 1, None, None, 0, 0.0, "outlook.com"),
    ],
    extra={"email_domain": pl.String()},
)

#            sent dlv bnc hard soft uo hum to uc tc uns cmp conv revenue
BY_CAMPAIGN = [
    ("c1", 5, 4, 1, 1, 0, 3, 2, 6, 2, 3, 1, 0, 3, 55.5),
    ("c2", 3, 2, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0.0),
]
BY_CAMPAIGN_VARIANT = [
    ("c1", "A", 3, 2, 1, 1, 0, 2, 1, 3, 1, 1, 0, 0, 1, 20.0),
    ("c1", "B", 2, 2, 0, 0, 0, 1, 1, 3, 1, 2, 1, 0, 2, 35.5),
    ("c2", "A", 3, 2, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0.0),
]
BY_DOMAIN = [
    ("gmail.com", 5, 4, 1, 0, 1, 4, 3, 7, 2, 3, 0, 1, 3, 55.5),
    ("outlook.com", 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0.0),
    ("yahoo.com", 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0.0),
]
TOTALS = [(8, 6, 2, 1, 1, 4, 3, 7, 3, 4, 1, 1, 3, 55.5)]


def expected(rows: list[tuple], *keys: str) -> pl.DataFrame:
    schema = {**{key: pl.String() for key in keys}, **COUNTER_SCHEMA}
    return pl.DataFrame(rows, schema=schema, orient="row")


def test_counters_by_campaign() -> None:
    result = counters_from_messages(MESSAGES, by=["campaign_id"])
    assert_frame_equal(result, expected(BY_CAMPAIGN, "campaign_id"))


def test_counters_by_campaign_and_variant() -> None:
    result = counters_from_messages(MESSAGES, by=["campaign_id", "variant_id"])
    assert_frame_equal(result, expected(BY_CAMPAIGN_VARIANT, "campaign_id", "variant_id"))


def test_counters_by_a_joined_dimension() -> None:
    result = counters_from_messages(MESSAGES, by=["email_domain"])
    assert_frame_equal(result, expected(BY_DOMAIN, "email_domain"))


def test_counters_without_by_are_one_totals_row() -> None:
    assert_frame_equal(counters_from_messages(MESSAGES), expected(TOTALS))


def test_counters_of_no_messages() -> None:
    empty = MESSAGES.clear()
    assert_frame_equal(counters_from_messages(empty), expected([(0,) * 13 + (0.0,)]))
    assert_frame_equal(
        counters_from_messages(empty, by=["campaign_id"]), expected([], "campaign_id")
    )


def test_bounce_without_type_counts_as_bounce_only() -> None:
    untyped = MESSAGES.with_columns(bounce_type=pl.lit(None, dtype=pl.String))
    row = counters_from_messages(untyped).row(0, named=True)
    assert (row["bounced"], row["hard_bounced"], row["soft_bounced"]) == (2, 0, 0)


def test_null_dimension_is_its_own_group_sorted_last() -> None:
    frame = MESSAGES.with_columns(
        email_domain=pl.when(pl.col("message_id") == 8).then(None).otherwise(pl.lit("x.com"))
    )
    result = counters_from_messages(frame, by=["email_domain"])
    assert result["email_domain"].to_list() == ["x.com", None]
    assert result["sent"].to_list() == [7, 1]


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="missing column\\(s\\) first_click_at, device"):
        counters_from_messages(MESSAGES.drop("first_click_at"), by=["device"])


def test_sum_counters_rolls_up_groups() -> None:
    by_variant = counters_from_messages(MESSAGES, by=["campaign_id", "variant_id"])
    assert_frame_equal(
        sum_counters(by_variant, by=["campaign_id"]), expected(BY_CAMPAIGN, "campaign_id")
    )
    assert_frame_equal(sum_counters(by_variant), expected(TOTALS))


@settings(database=None, max_examples=60, deadline=None)
@given(message_frames())
def test_group_counters_sum_to_the_totals(messages: pl.DataFrame) -> None:
    totals = counters_from_messages(messages)
    grouped = counters_from_messages(messages, by=["campaign_id", "variant_id"])
    assert_frame_equal(grouped.select(COUNTERS).sum(), totals)
    row = totals.row(0, named=True)
    assert row["sent"] == messages.height
    assert row["delivered"] + row["bounced"] == row["sent"]
    assert row["hard_bounced"] + row["soft_bounced"] == row["bounced"]
    assert row["human_unique_opens"] <= row["unique_opens"] <= row["total_opens"]
    assert row["unique_clicks"] <= row["total_clicks"]


@settings(database=None, max_examples=30, deadline=None)
@given(counter_frames())
def test_sum_counters_by_group_sums_to_total(frame: pl.DataFrame) -> None:
    by_segment = sum_counters(frame, by=["segment"])
    assert_frame_equal(by_segment.select(COUNTERS).sum(), sum_counters(frame))
