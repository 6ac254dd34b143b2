from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from analytics.attribution import (
    INTERVALS_SCHEMA,
    MODEL_NAMES,
    PATHS_SCHEMA,
    attribute,
    bootstrap_intervals,
    build_journeys,
)
from analytics.attribution.paths import sort_paths
from tests.analytics.attribution.fixtures import ORDERS, TOUCHES
from tests.analytics.attribution.strategies import SETTINGS, path_frames

PATHS = sort_paths(
    pl.DataFrame(
        [
            (["email", "web"], 20.0, 1000.0, 10.0),
            (["paid"], 10.0, 300.0, 20.0),
            (["email", "paid", "email", "web"], 10.0, 600.0, 0.0),
            (["web"], 0.0, 0.0, 30.0),
        ],
        schema=PATHS_SCHEMA,
        orient="row",
    )
)
PATH_MODELS = [name for name in MODEL_NAMES if name != "time_decay"]


def test_a_single_certain_path_has_no_spread() -> None:
    # every resample draws the same 10 converting journeys
    certain = pl.DataFrame([(["email"], 10.0, 100.0, 0.0)], schema=PATHS_SCHEMA, orient="row")
    expected = pl.DataFrame(
        [("email", 10.0, 10.0, 10.0, 100.0, 100.0, 100.0)],
        schema=INTERVALS_SCHEMA,
        orient="row",
    )
    assert_frame_equal(bootstrap_intervals(certain, "markov", n_resamples=20), expected)


@pytest.mark.parametrize("model", PATH_MODELS)
def test_one_resample_is_the_model_on_the_resampled_paths(model: str) -> None:
    # the same seeded multinomial draw, then the plain model on that frame
    counts = np.concatenate([PATHS["conversions"], PATHS["nulls"]])
    draw = np.random.default_rng(5).multinomial(int(counts.sum()), counts / counts.sum(), 1)[0]
    converted, lost = draw[: PATHS.height].astype(float), draw[PATHS.height :].astype(float)
    resampled = PATHS.with_columns(
        conversions=converted,
        value=converted * (PATHS["value"] / PATHS["conversions"]).fill_nan(0.0).to_numpy(),
        nulls=lost,
    )
    expected = attribute(resampled, model)
    result = bootstrap_intervals(PATHS, model, n_resamples=1, seed=5)
    for bound in ("lower", "upper"):
        for column in ("conversions", "revenue"):
            np.testing.assert_allclose(result[f"{column}_{bound}"], expected[column], rtol=1e-9)


@pytest.mark.parametrize("model", PATH_MODELS)
def test_intervals_bracket_the_point_and_repeat_with_the_seed(model: str) -> None:
    result = bootstrap_intervals(PATHS, model, n_resamples=300, seed=11)
    assert_frame_equal(
        result.select("key", "conversions", "revenue"),
        attribute(PATHS, model).select("key", "conversions", "revenue"),
    )
    assert (result["conversions_lower"] <= result["conversions"]).all()
    assert (result["conversions"] <= result["conversions_upper"]).all()
    assert (result["revenue_lower"] <= result["revenue"]).all()
    assert (result["revenue"] <= result["revenue_upper"]).all()
    assert_frame_equal(result, bootstrap_intervals(PATHS, model, n_resamples=300, seed=11))
    assert not result.equals(bootstrap_intervals(PATHS, model, n_resamples=300, seed=12))


def test_time_decay_resamples_journeys() -> None:
    journeys = build_journeys(TOUCHES, ORDERS)
    result = bootstrap_intervals(journeys, "time_decay", n_resamples=200, half_life_days=3)
    assert result["key"].to_list() == ["email", "paid", "social", "web"]
    assert (result["conversions_lower"] <= result["conversions_upper"]).all()
    assert result["conversions"].sum() == pytest.approx(4.0)  # o5 has no touch


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="n_resamples must be >= 1"):
        bootstrap_intervals(PATHS, "linear", n_resamples=0)
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        bootstrap_intervals(PATHS, "linear", level=95)
    with pytest.raises(ValueError, match="model 'linear' has no parameter order"):
        bootstrap_intervals(PATHS, "linear", order=2)


@settings(SETTINGS, max_examples=15, deadline=None)
@given(path_frames())
def test_intervals_hold_the_totals_and_repeat_with_the_seed(paths: pl.DataFrame) -> None:
    result = bootstrap_intervals(paths, "linear", n_resamples=20, seed=7)
    assert result["conversions"].sum() == pytest.approx(paths["conversions"].sum())
    assert result["revenue"].sum() == pytest.approx(paths["value"].sum())
    journeys = (paths["conversions"] + paths["nulls"]).sum()
    for column in ("conversions", "revenue"):
        lower, upper = result[f"{column}_lower"], result[f"{column}_upper"]
        assert ((lower >= -1e-9) & (lower <= upper + 1e-9)).all()
    assert (result["conversions_upper"] <= journeys + 1e-9).all()
    assert_frame_equal(result, bootstrap_intervals(paths, "linear", n_resamples=20, seed=7))
