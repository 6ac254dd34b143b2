from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.attribution import PATHS_SCHEMA, parse_paths_text, paths_to_text
from tests.analytics.attribution.strategies import SETTINGS, path_frames

TEXT = """\ufeffpath;total_conversions;total_conversion_value;total_null
email > paid > web;120;5400.0;880

email;50;2000;500
paid>email ; 30 ; 900 ; 100
email;5;250.5;0
web;0;0;2000
"""
EXPECTED = pl.DataFrame(
    [
        (["email"], 55.0, 2250.5, 500.0),  # two rows summed
        (["email", "paid", "web"], 120.0, 5400.0, 880.0),
        (["paid", "email"], 30.0, 900.0, 100.0),
        (["web"], 0.0, 0.0, 2000.0),
    ],
    schema=PATHS_SCHEMA,
    orient="row",
)


def test_parses_paths_with_header_blank_lines_and_repeats() -> None:
    assert_frame_equal(parse_paths_text(TEXT), EXPECTED)


def test_header_is_optional() -> None:
    assert_frame_equal(parse_paths_text(TEXT.split("\n", 1)[1]), EXPECTED)


def test_empty_text_gives_no_paths() -> None:
    assert parse_paths_text("").schema == PATHS_SCHEMA
    assert (
        parse_paths_text("path;total_conversions;total_conversion_value;total_null\n").height == 0
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("email;1;2;3\nweb;1;2\n", r"line 2: expected 4 fields separated by ';'"),
        ("\n\nemail > > web;1;2;3\n", r"line 3, column path: step 2 of 'email > > web' is empty"),
        ("email;x;2;3\n", r"line 1, column total_conversions: 'x' is not a number"),
        ("email;1;-2;3\n", r"line 1, column total_conversion_value: '-2' is not a number >= 0"),
        ("email;1;2;nan\n", r"line 1, column total_null: 'nan' is not a number"),
        ("email;1;2;1_000\n", r"line 1, column total_null: '1_000'"),
        ("email;0;9;3\n", r"line 1, column total_conversion_value: 9 with 0 total_conversions"),
        ("paths;conversions;value;nulls\n", r"line 1, column total_conversions: 'conversions'"),
        ("email;1;2;1e999\n", r"line 1, column total_null: '1e999' is too large"),
    ],
)
def test_errors_name_the_line_column_and_fix(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_paths_text(text)


def test_writing_rejects_steps_the_format_cannot_hold() -> None:
    paths = pl.DataFrame([(["a>b"], 1.0, 1.0, 0.0)], schema=PATHS_SCHEMA, orient="row")
    with pytest.raises(ValueError, match="contain '>', ';' or a line break"):
        paths_to_text(paths)


def test_writes_the_format() -> None:
    assert paths_to_text(EXPECTED.head(2), header=False) == (
        "email;55.0;2250.5;500.0\nemail > paid > web;120.0;5400.0;880.0\n"
    )


@SETTINGS
@given(paths=path_frames())
def test_text_round_trips(paths: pl.DataFrame) -> None:
    merged = parse_paths_text(paths_to_text(paths))
    expected = (
        paths.group_by("path")
        .agg(pl.col("conversions", "value", "nulls").sum())
        .with_columns(_k=pl.col("path").list.join("\x1f"))
        .sort("_k")
        .drop("_k")
    )
    assert_frame_equal(merged, expected, check_exact=False, rel_tol=1e-12)


@SETTINGS
@given(
    good=st.lists(st.sampled_from(["email;1;2;3", "a > b;0;0;4", "", "web;2;2.5;0"]), max_size=8),
    bad=st.sampled_from(["email;1;2", "email;one;2;3", "a >> b;1;1;1", "x;1;1;-1"]),
    position=st.integers(0, 8),
)
def test_the_first_bad_line_is_named(good: list[str], bad: str, position: int) -> None:
    lines = [*good]
    lines.insert(min(position, len(lines)), bad)
    with pytest.raises(ValueError, match=rf"^line {lines.index(bad) + 1}[:,] "):
        parse_paths_text("\n".join(lines))
