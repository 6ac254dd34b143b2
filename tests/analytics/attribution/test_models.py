from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from polars.testing import assert_frame_equal

from analytics.attribution import (
    COMPARISON_SCHEMA,
    JOURNEYS_SCHEMA,
    MODEL_NAMES,
    PATHS_SCHEMA,
    ModelSpec,
    attribute,
    build_journeys,
    compare_models,
    journeys_to_paths,
    linear,
    markov,
)
from tests.analytics.attribution.fixtures import ORDERS, TOUCHES
from tests.analytics.attribution.strategies import SETTINGS, path_frames

PATHS = pl.DataFrame(
    [
        (["email", "web"], 2.0, 100.0, 1.0),
        (["paid"], 1.0, 30.0, 2.0),
        (["email", "paid", "email", "web"], 1.0, 60.0, 0.0),
        (["web"], 0.0, 0.0, 3.0),
    ],
    schema=PATHS_SCHEMA,
    orient="row",
)
PATH_MODELS = [name for name in MODEL_NAMES if name != "time_decay"]


def test_model_names() -> None:
    assert MODEL_NAMES == (
        "first_touch", "last_touch", "linear", "time_decay", "position_based", "markov",
        "shapley",
    )  # fmt: skip


def test_attribute_runs_the_named_model_with_parameters() -> None:
    assert_frame_equal(attribute(PATHS, "linear"), linear(PATHS))
    assert_frame_equal(attribute(PATHS, "markov", order=2), markov(PATHS, order=2))


def test_journeys_and_their_paths_give_the_same_credit() -> None:
    journeys = build_journeys(TOUCHES, ORDERS)
    for key in ("channel", "campaign"):
        paths = journeys_to_paths(journeys, key=key)
        for model in PATH_MODELS:
            assert_frame_equal(attribute(journeys, model, key=key), attribute(paths, model))


def test_compare_models_stacks_every_model_the_data_supports() -> None:
    on_paths = compare_models(PATHS)
    assert on_paths.schema == COMPARISON_SCHEMA
    assert on_paths["model"].unique(maintain_order=True).to_list() == PATH_MODELS
    journeys = build_journeys(TOUCHES, ORDERS)
    assert compare_models(journeys)["model"].unique(maintain_order=True).to_list() == list(
        MODEL_NAMES
    )
    linear_rows = on_paths.filter(pl.col("model") == "linear").drop("model")
    assert_frame_equal(linear_rows, linear(PATHS))


def test_compare_models_takes_labelled_specs() -> None:
    result = compare_models(PATHS, ["linear", ModelSpec("markov", {"order": 2}, label="markov_2")])
    assert result["model"].unique(maintain_order=True).to_list() == ["linear", "markov_2"]
    assert compare_models(PATHS, []).schema == COMPARISON_SCHEMA
    with pytest.raises(ValueError, match="model labels repeat"):
        compare_models(PATHS, ["linear", "linear"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: attribute(PATHS, "lift"), "unknown model 'lift'; choose one of first_touch"),
        (lambda: attribute(PATHS, "markov", steps=2), "model 'markov' has no parameter steps"),
        (lambda: attribute(PATHS, "linear", order=2), "it accepts: no parameters"),
        (lambda: attribute(PATHS, "time_decay"), "pass journeys from build_journeys"),
        (lambda: attribute(PATHS, "linear", key="campaign"), "key applies to journeys only"),
        (lambda: attribute(PATHS.drop("path"), "linear"), "data must be aggregated paths"),
        (
            lambda: attribute(PATHS.with_columns(value=pl.lit(1.0)), "linear"),
            "column 'value' is positive with zero conversions in row 3",
        ),
        (
            lambda: attribute(PATHS.with_columns(path=pl.lit(["a", ""])), "linear"),
            "column 'path' has a null or empty step in row 0",
        ),
    ],
)
def test_bad_requests_name_the_fix(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@SETTINGS
@given(paths=path_frames())
def test_every_model_hands_out_exactly_the_totals(paths: pl.DataFrame) -> None:
    result = compare_models(paths)
    totals = result.group_by("model").agg(pl.col("conversions", "revenue").sum())
    for conversions, revenue in totals.select("conversions", "revenue").iter_rows():
        assert conversions == pytest.approx(paths["conversions"].sum(), rel=1e-9, abs=1e-9)
        assert revenue == pytest.approx(paths["value"].sum(), rel=1e-9, abs=1e-9)
    assert (result["conversions"] >= -1e-12).all()


@SETTINGS
@given(paths=path_frames(channels=("email", "paid", "web")))
def test_channels_never_on_a_path_get_nothing(paths: pl.DataFrame) -> None:
    tv_only = pl.DataFrame([(["tv"], 0.0, 0.0, 5.0)], schema=PATHS_SCHEMA, orient="row")
    result = compare_models(paths.vstack(tv_only))
    steps = set(paths["path"].explode().to_list())
    assert set(result["key"].to_list()) <= steps | {"tv"}
    # tv only leads to null: removal changes nothing, and v(S) ignores it
    assert result.filter(pl.col("key") == "tv")["conversions"].to_list() == [0.0] * len(PATH_MODELS)


def synthetic_journeys(count: int, *, channels: int = 8, seed: int = 1) -> pl.DataFrame:
    """``count`` journeys of 1-6 touches over ``channels`` channels, about 1 in 5
    converting, with touch times spread over the 30 days before the end."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 7, count)
    steps = rng.integers(0, channels, lengths.sum())
    names = np.array([f"channel_{i}" for i in range(channels)])
    converted = rng.random(count) < 0.2
    end = np.datetime64(datetime(2024, 6, 1, tzinfo=UTC).replace(tzinfo=None), "us")
    lag = np.sort(rng.integers(0, 30 * 86_400_000_000, lengths.sum()))[::-1]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    frame = pl.DataFrame(
        {
            "journey_id": [f"j{i}" for i in range(count)],
            "customer_id": [f"u{i}" for i in range(count)],
            "order_id": [f"o{i}" if c else None for i, c in enumerate(converted)],
            "converted": converted,
            "revenue": np.where(converted, rng.gamma(2.0, 40.0, count), 0.0),
        }
    )
    step_frame = pl.DataFrame(
        {
            "journey": np.repeat(np.arange(count), lengths),
            "channel": names[steps],
            "at": end - lag.astype("timedelta64[us]"),
        }
    ).sort("journey", "at")
    lists = step_frame.group_by("journey", maintain_order=True).agg(
        path=pl.col("channel"), touched_at=pl.col("at").dt.replace_time_zone("UTC")
    )
    assert (np.diff(offsets) == lists["path"].list.len().to_numpy()).all()
    return (
        frame.with_columns(
            path=lists["path"],
            campaigns=lists["path"].list.eval(pl.lit(None, pl.String)),
            touched_at=lists["touched_at"],
            converted_at=pl.when("converted").then(pl.lit(end).dt.replace_time_zone("UTC")),
        )
        .select(JOURNEYS_SCHEMA.names())
        .cast(dict(JOURNEYS_SCHEMA))
    )


def test_all_seven_models_on_200k_journeys_take_seconds() -> None:
    journeys = synthetic_journeys(200_000)
    started = time.perf_counter()
    result = compare_models(journeys)
    elapsed = time.perf_counter() - started
    assert result["model"].n_unique() == 7
    assert result.height == 7 * 8
    converted = journeys.filter("converted")
    totals = result.group_by("model").agg(pl.col("conversions", "revenue").sum())
    assert np.allclose(totals["conversions"], converted.height, rtol=1e-9)
    assert np.allclose(totals["revenue"], converted["revenue"].sum(), rtol=1e-9)
    assert elapsed < 15, f"seven models took {elapsed:.1f}s"
