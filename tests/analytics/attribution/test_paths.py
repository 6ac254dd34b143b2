from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from analytics.attribution import PATHS_SCHEMA, build_journeys, journeys_to_paths
from analytics.attribution.paths import sort_paths
from tests.analytics.attribution.fixtures import ORDERS, TOUCHES
from tests.analytics.attribution.strategies import SETTINGS, touch_data

# From the journeys in fixtures.py: o5 has no touch and is left out.
CHANNEL_PATHS = pl.DataFrame(
    [
        (["email"], 2.0, 100.0, 0.0),  # o2, o3
        (["email", "paid", "email", "web"], 1.0, 50.0, 0.0),  # o1
        (["paid"], 0.0, 0.0, 1.0),  # c1 from Apr 24
        (["social"], 0.0, 0.0, 1.0),  # c2 Mar 1
        (["web"], 1.0, 10.0, 1.0),  # o4; c1 from Mar 20
    ],
    schema=PATHS_SCHEMA,
    orient="row",
)
CAMPAIGN_PATHS = pl.DataFrame(
    [
        (["paid"], 0.0, 0.0, 1.0),
        (["social"], 0.0, 0.0, 1.0),
        (["spring", "paid", "spring", "web"], 1.0, 50.0, 0.0),
        (["summer"], 2.0, 100.0, 0.0),
        (["web"], 1.0, 10.0, 1.0),
    ],
    schema=PATHS_SCHEMA,
    orient="row",
)


def test_journeys_aggregate_by_channel() -> None:
    journeys = build_journeys(TOUCHES, ORDERS)
    assert_frame_equal(journeys_to_paths(journeys), CHANNEL_PATHS)


def test_campaign_steps_fall_back_to_the_channel() -> None:
    journeys = build_journeys(TOUCHES, ORDERS)
    assert_frame_equal(journeys_to_paths(journeys, key="campaign"), CAMPAIGN_PATHS)


def test_unknown_key_is_rejected() -> None:
    journeys = build_journeys(TOUCHES, ORDERS)
    with pytest.raises(ValueError, match="key must be 'channel' or 'campaign'"):
        journeys_to_paths(journeys, key="touch_kind")  # type: ignore[arg-type]


def test_paths_need_a_journeys_frame() -> None:
    with pytest.raises(ValueError, match="journeys: column 'journey_id' is missing"):
        journeys_to_paths(CHANNEL_PATHS)


@settings(SETTINGS, max_examples=25, deadline=None)
@given(touch_data())
def test_paths_keep_every_touched_journey_and_ignore_row_order(
        data: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    touches, orders = data
    journeys = build_journeys(touches, orders, lookback_days=30)
    touched = journeys.filter(pl.col("path").list.len() > 0)
    for key in ("channel", "campaign"):
        paths = journeys_to_paths(journeys, key=key)
        assert paths["conversions"].sum() == touched["converted"].sum()
        assert paths["nulls"].sum() == (~touched["converted"]).sum()
        assert paths["value"].sum() == pytest.approx(touched["revenue"].sum())
        assert paths["path"].is_unique().all()
        shuffled = journeys.sample(fraction=1.0, shuffle=True, seed=3)
        assert_frame_equal(journeys_to_paths(shuffled, key=key), paths)
        assert_frame_equal(sort_paths(paths.reverse()), paths)
