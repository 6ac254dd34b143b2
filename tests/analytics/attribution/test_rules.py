from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from analytics.attribution import (
    ATTRIBUTION_SCHEMA,
    JOURNEYS_SCHEMA,
    PATHS_SCHEMA,
    first_touch,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from tests.analytics.attribution.fixtures import at
from tests.analytics.attribution.strategies import SETTINGS, path_frames

# 4 conversions worth 190.0 in total; the web-only path never converts.
PATHS = pl.DataFrame(
    [
        (["email", "web"], 2.0, 100.0, 1.0),  # A
        (["paid"], 1.0, 30.0, 2.0),  # B
        (["email", "paid", "email", "web"], 1.0, 60.0, 0.0),  # C
        (["web"], 0.0, 0.0, 3.0),  # D
    ],
    schema=PATHS_SCHEMA,
    orient="row",
)
# One converting journey with touches 14, 7 and 0 days before its order, one touched
# 3 days before, one that never converts.
JOURNEYS = pl.DataFrame(
    [
        (
            "order:1", "u1", "1", True, 70.0, ["email", "paid", "web"], [None, None, None],
            [at(3, 1), at(3, 8), at(3, 15)], at(3, 15),
        ),
        ("order:2", "u2", "2", True, 35.0, ["email"], ["k"], [at(3, 12)], at(3, 15)),
        ("open:u3", "u3", None, False, 0.0, ["web"], [None], [at(3, 1)], None),
    ],
    schema=JOURNEYS_SCHEMA,
    orient="row",
)  # fmt: skip


def frame(rows: list[tuple[str, float, float]]) -> pl.DataFrame:
    total = sum(conversions for _, conversions, _ in rows)
    return pl.DataFrame(
        [(key, c, r, c / total) for key, c, r in rows], schema=ATTRIBUTION_SCHEMA, orient="row"
    )


def test_first_touch() -> None:
    # email first in A (2 conv, 100) and C (1, 60); paid in B (1, 30)
    expected = frame([("email", 3.0, 160.0), ("paid", 1.0, 30.0), ("web", 0.0, 0.0)])
    assert_frame_equal(first_touch(PATHS), expected)


def test_last_touch() -> None:
    # web last in A and C, paid in B; email is never last but is listed with 0
    expected = frame([("email", 0.0, 0.0), ("paid", 1.0, 30.0), ("web", 3.0, 160.0)])
    assert_frame_equal(last_touch(PATHS), expected)


def test_linear() -> None:
    # A: email, web 1/2 each of 2 conv / 100 -> 1 conv, 50 each
    # B: paid 1, 30
    # C: 1/4 per step of 1 conv / 60: email twice 0.5, 30; paid 0.25, 15; web 0.25, 15
    expected = frame([("email", 1.5, 80.0), ("paid", 1.25, 45.0), ("web", 1.25, 65.0)])
    assert_frame_equal(linear(PATHS), expected)


def test_position_based_default() -> None:
    # A (two steps): 0.4 / (0.4 + 0.4) = 50/50 -> email 1, 50; web 1, 50
    # B (one step): paid 100% -> 1, 30
    # C: email 0.4, paid 0.1, email 0.1, web 0.4 -> email 0.5, 30; paid 0.1, 6; web 0.4, 24
    expected = frame([("email", 1.5, 80.0), ("paid", 1.1, 36.0), ("web", 1.4, 74.0)])
    assert_frame_equal(position_based(PATHS), expected)


def test_position_based_custom_weights() -> None:
    # first 0.3, middle 0, last 0.7
    # A: email 0.3 / 1.0, web 0.7 -> email 0.6, 30; web 1.4, 70
    # B: paid 1, 30
    # C: email 0.3, paid 0, email 0, web 0.7 -> email 0.3, 18; web 0.7, 42
    expected = frame([("email", 0.9, 48.0), ("paid", 1.0, 30.0), ("web", 2.1, 112.0)])
    assert_frame_equal(position_based(PATHS, first=0.3, middle=0.0, last=0.7), expected)


def test_position_based_with_no_end_weight_splits_two_steps_evenly() -> None:
    two_steps = PATHS.head(1)  # email > web, 2 conv, 100
    expected = frame([("email", 1.0, 50.0), ("web", 1.0, 50.0)])
    assert_frame_equal(position_based(two_steps, first=0.0, middle=1.0, last=0.0), expected)


def test_position_based_weights_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="must be >= 0 and sum to 1"):
        position_based(PATHS, first=0.5, middle=0.5, last=0.5)


def test_time_decay() -> None:
    # journey 1, half-life 7: 2^-2 = 0.25, 2^-1 = 0.5, 2^0 = 1 over 1.75
    #   -> email 1/7, paid 2/7, web 4/7 of 1 conv; of 70.0: 10, 20, 40
    # journey 2: email 1, 35.0
    expected = frame([("email", 8 / 7, 45.0), ("paid", 2 / 7, 20.0), ("web", 4 / 7, 40.0)])
    assert_frame_equal(time_decay(JOURNEYS), expected)


def test_time_decay_half_life_and_campaign_key() -> None:
    # half-life 14: 2^-1, 2^-0.5, 1; journey 2's campaign is "k"
    weights = [2**-1, 2**-0.5, 1.0]
    shares = [w / sum(weights) for w in weights]
    expected = frame(
        [
            ("email", shares[0], 70 * shares[0]),
            ("k", 1.0, 35.0),
            ("paid", shares[1], 70 * shares[1]),
            ("web", shares[2], 70 * shares[2]),
        ]
    )
    actual = time_decay(JOURNEYS, half_life_days=14, key="campaign")
    assert_frame_equal(actual, expected, check_exact=False, rel_tol=1e-12)


def test_time_decay_survives_lags_far_beyond_the_half_life() -> None:
    far = JOURNEYS.with_columns(converted_at=pl.col("converted_at").dt.offset_by("20000d"))
    result = time_decay(far, half_life_days=0.5)
    assert result["conversions"].sum() == pytest.approx(2.0, rel=1e-12)


def test_time_decay_needs_journeys() -> None:
    with pytest.raises(ValueError, match="journeys: column 'journey_id' is missing"):
        time_decay(PATHS)


@settings(SETTINGS, max_examples=30, deadline=None)
@given(path_frames())
def test_every_rule_hands_out_exactly_the_totals(paths: pl.DataFrame) -> None:
    conversions, value = paths["conversions"].sum(), paths["value"].sum()
    for model in (first_touch, last_touch, linear, position_based):
        result = model(paths)
        assert result["conversions"].sum() == pytest.approx(conversions)
        assert result["revenue"].sum() == pytest.approx(value)
        assert (result["conversions"] >= 0).all() and (result["revenue"] >= 0).all()
        steps = set(paths["path"].explode())
        assert set(result["key"]) <= steps
    # First and last touch agree on one-step paths, whatever the order of the rows.
    single = paths.filter(pl.col("path").list.len() == 1)
    if single.height:
        assert_frame_equal(first_touch(single), last_touch(single.reverse()))
