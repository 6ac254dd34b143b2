from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.attribution import (
    CONVERSIONS_SCHEMA,
    PATHS_SCHEMA,
    TOUCHES_SCHEMA,
    validate_conversions,
    validate_paths,
    validate_touches,
)
from tests.analytics.attribution.strategies import SETTINGS, path_frames

TOUCHES = pl.DataFrame(
    {
        "customer_id": ["c1"],
        "occurred_at": ["2024-03-01T09:00:00Z"],
        "channel": ["email"],
        "campaign_id": [None],
        "touch_kind": ["open"],
        "extra": [1],
    }
)


def test_an_all_null_campaign_column_and_extra_columns_are_fine() -> None:
    ok = TOUCHES.with_columns(
        pl.col("occurred_at").str.to_datetime(time_unit="us", time_zone="UTC")
    )
    assert ok.schema["campaign_id"] == pl.Null
    validate_touches(ok)


def test_text_times_get_a_parsing_hint() -> None:
    with pytest.raises(ValueError, match=r"str.to_datetime\(time_unit='us', time_zone='UTC'\)"):
        validate_touches(TOUCHES)


def test_other_time_zones_get_a_conversion_hint() -> None:
    local = TOUCHES.with_columns(
        pl.col("occurred_at").str.to_datetime(time_unit="us", time_zone="Europe/Paris")
    )
    with pytest.raises(ValueError, match=r"dt.convert_time_zone\('UTC'\)"):
        validate_touches(local)


def test_non_frames_are_rejected() -> None:
    with pytest.raises(ValueError, match="conversions: expected a polars DataFrame, got dict"):
        validate_conversions({"order_id": ["o1"]})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pl.DataFrame([([], 1.0, 1.0, 0.0)], schema=PATHS_SCHEMA, orient="row"),
            "column 'path' is empty in row 0",
        ),
        (
            pl.DataFrame([(["a"], float("inf"), 1.0, 0.0)], schema=PATHS_SCHEMA, orient="row"),
            "column 'conversions' is inf in row 0",
        ),
        (
            pl.DataFrame([(["a"], 1.0, 1.0, None)], schema=PATHS_SCHEMA, orient="row"),
            "column 'nulls' is null in row 0",
        ),
    ],
)
def test_bad_paths_name_the_row(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_paths(frame)


def test_schemas_are_exported_for_the_api_layer() -> None:
    assert TOUCHES_SCHEMA.names() == [
        "customer_id",
        "occurred_at",
        "channel",
        "campaign_id",
        "touch_kind",
    ]
    assert CONVERSIONS_SCHEMA.names() == ["order_id", "customer_id", "occurred_at", "revenue"]


@settings(SETTINGS, max_examples=30, deadline=None)
@given(path_frames(), st.data())
def test_valid_paths_pass_and_one_negative_count_is_refused(paths: pl.DataFrame,
                                                            data: st.DataObject) -> None:
    validate_paths(paths)
    row = data.draw(st.integers(0, paths.height - 1))
    column = data.draw(st.sampled_from(["conversions", "nulls"]))
    broken = paths.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(-1.0).otherwise(pl.col(column))
        .alias(column))
    with pytest.raises(ValueError, match=column):
        validate_paths(broken)
