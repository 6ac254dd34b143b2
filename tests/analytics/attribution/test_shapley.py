from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.attribution import ATTRIBUTION_SCHEMA, PATHS_SCHEMA, linear, shapley
from tests.analytics.attribution.strategies import SETTINGS, path_frames

# 4 conversions worth 190.0; web alone never converts.
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


def test_three_channels_by_hand() -> None:
    """v(S) = conversions of paths whose channel set lies within S:
    v() = v(e) = v(w) = 0, v(p) = 1 (B), v(e,p) = 1, v(e,w) = 2 (A), v(p,w) = 1,
    v(e,p,w) = 4. With n = 3 the weights are 1/3, 1/6, 1/6, 1/3 for |S| = 0, 1, 1, 2:

        phi_email = 1/3 * 0 + 1/6 * (v(ep) - v(p)) + 1/6 * (v(ew) - v(w))
                    + 1/3 * (v(epw) - v(pw)) = 0 + 0 + 2/6 + 3/3 = 4/3
        phi_paid  = 1/3 * 1 + 1/6 * 1 + 1/6 * 1 + 1/3 * (v(epw) - v(ew)) = 2/3 + 2/3 = 4/3
        phi_web   = 4 - 4/3 - 4/3 = 4/3

    Revenue, same game on value: v(p) = 30, v(e,p) = 30, v(e,w) = 100, v(p,w) = 30,
    v(e,p,w) = 190:

        email = 1/6 * 0 + 1/6 * 100 + 1/3 * 160 = 70;  paid = 10 + 5 + 5 + 30 = 50
        web = 190 - 70 - 50 = 70
    """
    expected = pl.DataFrame(
        [
            ("email", 4 / 3, 70.0, 1 / 3),
            ("paid", 4 / 3, 50.0, 1 / 3),
            ("web", 4 / 3, 70.0, 1 / 3),
        ],
        schema=ATTRIBUTION_SCHEMA,
        orient="row",
    )
    assert_frame_equal(shapley(PATHS), expected, check_exact=False, rel_tol=1e-12)


@SETTINGS
@given(
    only_a=st.integers(0, 50),
    only_b=st.integers(0, 50),
    both=st.integers(0, 50),
    lost=st.integers(0, 50),
)
def test_two_channels_follow_the_hand_formula(only_a, only_b, both, lost) -> None:
    # phi_a = 1/2 v(a) + 1/2 (v(ab) - v(b)) = c_a + c_ab / 2, and likewise for b
    paths = pl.DataFrame(
        [
            (["a"], float(only_a), 0.0 if not only_a else 10.0 * only_a, float(lost)),
            (["b"], float(only_b), 0.0 if not only_b else 20.0 * only_b, 0.0),
            (["b", "a", "b"], float(both), 0.0 if not both else 30.0 * both, 1.0),
        ],
        schema=PATHS_SCHEMA,
        orient="row",
    )
    result = dict(zip(*shapley(paths).select("key", "conversions"), strict=True))
    assert result["a"] == pytest.approx(only_a + both / 2, abs=1e-9)
    assert result["b"] == pytest.approx(only_b + both / 2, abs=1e-9)


@SETTINGS
@given(paths=path_frames())
def test_subset_sum_transform_equals_splitting_over_distinct_channels(paths) -> None:
    # v is a sum of unanimity games, so phi splits each path evenly over its channel set
    distinct = paths.with_columns(pl.col("path").list.unique().list.sort())
    assert_frame_equal(shapley(paths), linear(distinct), check_exact=False, rel_tol=1e-9)


def test_beyond_the_exact_limit_the_closed_form_gives_the_same_values() -> None:
    assert_frame_equal(shapley(PATHS, exact_limit=2), shapley(PATHS), check_exact=False,
                       rel_tol=1e-12)


def test_many_channels_are_exact() -> None:
    channels = [f"c{i:02d}" for i in range(20)]
    paths = pl.DataFrame(
        [(channels[i : i + 3], 1.0 + i, 5.0 * (1 + i), 1.0) for i in range(18)],
        schema=PATHS_SCHEMA,
        orient="row",
    )
    # three distinct channels per path: the closed form is linear
    assert_frame_equal(shapley(paths), linear(paths), check_exact=False, rel_tol=1e-12)


def test_channels_only_on_non_converting_paths_get_nothing() -> None:
    result = shapley(
        PATHS.vstack(pl.DataFrame([(["tv"], 0.0, 0.0, 9.0)], schema=PATHS_SCHEMA, orient="row"))
    )
    assert result.filter(pl.col("key") == "tv")["conversions"].to_list() == [0.0]


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="exact_limit must be between 1 and 24"):
        shapley(PATHS, exact_limit=30)
