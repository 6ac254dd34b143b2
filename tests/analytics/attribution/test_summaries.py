from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from analytics.attribution import (
    PATHS_SCHEMA,
    build_journeys,
    journey_length_distribution,
    time_to_convert_distribution,
    top_paths,
)
from tests.analytics.attribution.fixtures import ORDERS, TOUCHES
from tests.analytics.attribution.strategies import SETTINGS, touch_data

PATHS = pl.DataFrame(
    [
        (["email", "web"], 2.0, 100.0, 8.0),
        (["paid"], 1.0, 30.0, 9.0),
        (["web"], 0.0, 0.0, 10.0),
        (["email"], 3.0, 90.0, 7.0),
        (["social"], 0.0, 0.0, 1.0),
    ],
    schema=PATHS_SCHEMA,
    orient="row",
)


def test_journey_lengths() -> None:
    # length 0: o5; length 1: o2, o3, o4 and three non-converting; length 4: o1
    expected = pl.DataFrame(
        {
            "length": [0, 1, 4],
            "journeys": [1, 6, 1],
            "conversions": [1, 3, 1],
            "revenue": [5.0, 110.0, 50.0],
            "conversion_rate": [1.0, 0.5, 1.0],
        }
    )
    assert_frame_equal(journey_length_distribution(build_journeys(TOUCHES, ORDERS)), expected)


def test_time_to_convert() -> None:
    # o1: Mar 1 09:00 -> Mar 6 = 4.625 d; o2: 2 d; o3: 5 d; o4: exactly 1 d (left-closed)
    expected = pl.DataFrame(
        {
            "bin": ["[0, 1) d", "[1, 3) d", "[3, 7) d", "[7, 14) d", "[14, 30) d", "[30, inf) d"],
            "lower_days": [0.0, 1.0, 3.0, 7.0, 14.0, 30.0],
            "upper_days": [1.0, 3.0, 7.0, 14.0, 30.0, None],
            "conversions": [0, 2, 2, 0, 0, 0],
            "revenue": [0.0, 30.0, 130.0, 0.0, 0.0, 0.0],
            "share": [0.0, 0.5, 0.5, 0.0, 0.0, 0.0],
        }
    )
    actual = time_to_convert_distribution(build_journeys(TOUCHES, ORDERS))
    assert_frame_equal(actual, expected)


def test_time_to_convert_without_conversions_has_no_share() -> None:
    journeys = build_journeys(TOUCHES, ORDERS.clear())
    result = time_to_convert_distribution(journeys, bins_days=[2])
    assert result.select("bin", "conversions", "share").rows() == [
        ("[0, 2) d", 0, None),
        ("[2, inf) d", 0, None),
    ]


@pytest.mark.parametrize("bins", [(3, 1), (0, 1), (1, 1)])
def test_bins_must_increase(bins: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="bins_days must be increasing and > 0"):
        time_to_convert_distribution(build_journeys(TOUCHES, ORDERS), bins_days=bins)


def test_top_paths() -> None:
    expected = pl.DataFrame(
        {
            "path": ["email", "email > web", "paid", "web"],
            "journeys": [10.0, 10.0, 10.0, 10.0],
            "conversions": [3.0, 2.0, 1.0, 0.0],
            "revenue": [90.0, 100.0, 30.0, 0.0],
            "conversion_rate": [0.3, 0.2, 0.1, 0.0],
        }
    )
    # all four tie on journeys, so conversions order them; social (1 journey) is 5th
    assert_frame_equal(top_paths(PATHS, n=4), expected)


def test_top_paths_of_journeys() -> None:
    result = top_paths(build_journeys(TOUCHES, ORDERS), n=2)
    # [email]: o2, o3; [web]: o4 and c1's Mar 20 window; the rest are single journeys
    assert result.rows() == [("email", 2.0, 2.0, 100.0, 1.0), ("web", 2.0, 1.0, 10.0, 0.5)]


@settings(SETTINGS, max_examples=25, deadline=None)
@given(touch_data())
def test_summaries_account_for_every_journey(data: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    touches, orders = data
    journeys = build_journeys(touches, orders, lookback_days=30)
    lengths = journey_length_distribution(journeys)
    assert lengths["journeys"].sum() == journeys.height
    assert lengths["conversions"].sum() == journeys["converted"].sum()
    assert lengths["revenue"].sum() == pytest.approx(journeys["revenue"].sum())
    assert ((lengths["conversion_rate"] >= 0) & (lengths["conversion_rate"] <= 1)).all()
    timing = time_to_convert_distribution(journeys)
    touched = journeys.filter(pl.col("converted") & (pl.col("path").list.len() > 0))
    assert timing["conversions"].sum() == touched.height
    if touched.height:
        assert timing["share"].sum() == pytest.approx(1.0)
    top = top_paths(journeys, n=1000)
    assert top["journeys"].sum() == journeys.filter(pl.col("path").list.len() > 0).height
