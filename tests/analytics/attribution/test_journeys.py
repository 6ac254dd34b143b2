from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.attribution import JOURNEYS_SCHEMA, build_journeys, compare_models
from tests.analytics.attribution.fixtures import ORDERS, TOUCHES, at
from tests.analytics.attribution.strategies import SETTINGS, touch_data

EXPECTED = pl.DataFrame(
    [
        (
            "order:o1", "c1", "o1", True, 50.0,
            ["email", "paid", "email", "web"], ["spring", None, "spring", None],
            [at(3, 1, 9), at(3, 1, 9), at(3, 3), at(3, 5)], at(3, 6),
        ),
        ("order:o2", "c1", "o2", True, 20.0, ["email"], ["summer"], [at(3, 8)], at(3, 10)),
        (
            "open:c1@2024-03-20T00:00:00.000000Z", "c1", None, False, 0.0,
            ["web"], [None], [at(3, 20)], None,
        ),
        (
            "open:c1@2024-04-24T00:00:00.000000Z", "c1", None, False, 0.0,
            ["paid"], [None], [at(4, 24)], None,
        ),
        (
            "open:c2@2024-03-01T00:00:00.000000Z", "c2", None, False, 0.0,
            ["social"], [None], [at(3, 1)], None,
        ),
        ("order:o3", "c2", "o3", True, 80.0, ["email"], ["summer"], [at(4, 10)], at(4, 15)),
        ("order:o4", "c3", "o4", True, 10.0, ["web"], [None], [at(3, 1)], at(3, 2)),
        ("order:o5", "c3", "o5", True, 5.0, [], [], [], at(3, 2)),
    ],
    schema=JOURNEYS_SCHEMA,
    orient="row",
)  # fmt: skip


def test_journeys_follow_the_documented_rules() -> None:
    assert_frame_equal(build_journeys(TOUCHES, ORDERS, lookback_days=30), EXPECTED)


def test_email_kinds_filter_email_touches_only() -> None:
    journeys = build_journeys(TOUCHES, ORDERS, email_kinds=("click",))
    paths = dict(zip(journeys["journey_id"], journeys["path"].to_list(), strict=True))
    assert paths["order:o1"] == ["paid", "web"]
    assert paths["order:o2"] == ["email"]  # a click
    assert paths["order:o3"] == []  # an open


def test_a_short_lookback_leaves_older_touches_to_non_converting_journeys() -> None:
    journeys = build_journeys(TOUCHES, ORDERS, lookback_days=2)
    o1 = journeys.filter(pl.col("journey_id") == "order:o1")
    assert o1["path"].to_list() == [["web"]]  # Mar 5 only: Mar 4 00:00 <= t < Mar 6
    opened = journeys.filter(~pl.col("converted") & (pl.col("customer_id") == "c1"))
    # Mar 1 09:00 (x2) and Mar 3 fall in one 2-day window; Mar 20 and Apr 24 alone
    assert opened["path"].to_list() == [["email", "paid", "email"], ["web"], ["paid"]]


def test_no_touches_and_no_orders_give_no_journeys() -> None:
    assert build_journeys(TOUCHES.clear(), ORDERS.clear()).schema == JOURNEYS_SCHEMA
    assert build_journeys(TOUCHES.clear(), ORDERS.clear()).height == 0


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (TOUCHES.drop("channel"), "touches: column 'channel' is missing"),
        (
            TOUCHES.with_columns(pl.col("occurred_at").dt.replace_time_zone(None)),
            "dt.replace_time_zone('UTC')",
        ),
        (
            TOUCHES.with_columns(pl.col("occurred_at").dt.cast_time_unit("ns")),
            "cast_time_unit('us')",
        ),
        (
            TOUCHES.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.col("channel"))),
            "column 'channel' is null in row 0",
        ),
        (TOUCHES.with_columns(channel=pl.lit("")), "column 'channel' is an empty string"),
    ],
)
def test_bad_touches_are_rejected_with_the_fix(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_journeys(frame, ORDERS)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (ORDERS.with_columns(pl.col("revenue").cast(pl.Int64)), r"cast\(Float64\)"),
        (ORDERS.with_columns(revenue=pl.lit(-1.0)), "column 'revenue' is -1.0 in row 0"),
        (ORDERS.with_columns(order_id=pl.lit("o1")), "column 'order_id' repeats 'o1'"),
    ],
)
def test_bad_orders_are_rejected_with_the_fix(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_journeys(TOUCHES, frame)


def test_lookback_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lookback_days must be > 0"):
        build_journeys(TOUCHES, ORDERS, lookback_days=0)


@SETTINGS
@given(data=touch_data(), order=st.randoms(use_true_random=False))
def test_input_order_of_touches_never_changes_results(data, order) -> None:
    touches, orders = data
    shuffled = (
        touches.with_row_index()
        .sample(fraction=1.0, shuffle=True, seed=order.randrange(2**32))
        .drop("index")
    )
    expected = build_journeys(touches, orders)
    actual = build_journeys(shuffled, orders.reverse())
    assert_frame_equal(actual, expected)
    assert_frame_equal(compare_models(actual), compare_models(expected))
    assert_frame_equal(
        compare_models(actual, key="campaign"), compare_models(expected, key="campaign")
    )


@SETTINGS
@given(data=touch_data())
def test_every_kept_touch_is_in_exactly_one_journey(data) -> None:
    touches, orders = data
    journeys = build_journeys(touches, orders)
    kept = touches.filter(
        (pl.col("channel") != "email") | pl.col("touch_kind").is_in(["delivered", "open", "click"])
    )
    assert journeys["path"].list.len().sum() == kept.height
    assert journeys.filter("converted").height == orders.height
    converted = journeys.filter("converted").explode("touched_at")
    assert (
        converted["touched_at"].drop_nulls() < converted.drop_nulls("touched_at")["converted_at"]
    ).all()
