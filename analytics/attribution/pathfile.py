"""The common path-file format: ``path;total_conversions;total_conversion_value;total_null``.

Steps are joined by ``>`` (spaces around it are ignored), one path per line, e.g.
``email > paid > web;120;5400.0;880``. A header row with exactly these column names is
optional, blank lines are skipped, and repeated paths are summed.
"""

from __future__ import annotations

import math
import re

import polars as pl

from analytics.attribution.paths import sort_paths
from analytics.attribution.schemas import PATHS_SCHEMA, validate_paths

COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
_NUMBER = re.compile(r"\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_EXAMPLE = "email > paid > web;120;5400.0;880"


def parse_paths_text(text: str) -> pl.DataFrame:
    """Parse path-file text into aggregated paths (``PATHS_SCHEMA``).

    Raises ``ValueError`` naming the line number, the column and the fix for the first
    bad line.
    """
    rows: dict[tuple[str, ...], list[float]] = {}
    lines = text.removeprefix("\ufeff").splitlines()
    data_seen = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = [field.strip() for field in line.split(";")]
        if not data_seen and [f.lower() for f in fields] == list(COLUMNS):
            data_seen = True
            continue
        data_seen = True
        if len(fields) != len(COLUMNS):
            raise ValueError(
                f"line {number}: expected {len(COLUMNS)} fields separated by ';' "
                f"({';'.join(COLUMNS)}), found {len(fields)}; write e.g. {_EXAMPLE}"
            )
        path = _path(fields[0], number)
        conversions, value, nulls = (
            _amount(field, number, column)
            for field, column in zip(fields[1:], COLUMNS[1:], strict=True)
        )
        if conversions == 0 and value > 0:
            raise ValueError(
                f"line {number}, column total_conversion_value: {fields[2]} with 0 "
                "total_conversions; the value is the revenue of the path's conversions, "
                "so set it to 0 or give the conversions"
            )
        totals = rows.setdefault(path, [0.0, 0.0, 0.0])
        totals[0] += conversions
        totals[1] += value
        totals[2] += nulls
    frame = pl.DataFrame(
        {
            "path": [list(path) for path in rows],
            "conversions": [totals[0] for totals in rows.values()],
            "value": [totals[1] for totals in rows.values()],
            "nulls": [totals[2] for totals in rows.values()],
        },
        schema=PATHS_SCHEMA,
    )
    return sort_paths(frame)


def paths_to_text(paths: pl.DataFrame, *, header: bool = True) -> str:
    """Write aggregated paths in the path-file format (steps joined by `` > ``)."""
    validate_paths(paths)
    bad = paths.filter(pl.col("path").list.eval(pl.element().str.contains(r"[>;\r\n]")).list.any())
    if bad.height:
        raise ValueError(
            f"paths: step names in {bad['path'][0].to_list()} contain '>', ';' or a line "
            "break, which the path-file format cannot hold; rename those steps"
        )
    lines = [";".join(COLUMNS)] if header else []
    for path, conversions, value, nulls in paths.iter_rows():
        lines.append(f"{' > '.join(path)};{conversions!r};{value!r};{nulls!r}")
    return "\n".join(lines) + "\n"


def _path(field: str, number: int) -> tuple[str, ...]:
    steps = tuple(step.strip() for step in field.split(">"))
    for position, step in enumerate(steps, start=1):
        if not step:
            raise ValueError(
                f"line {number}, column path: step {position} of {field!r} is empty; "
                f"join channel names with ' > ', e.g. {_EXAMPLE.split(';')[0]}"
            )
    return steps


def _amount(field: str, number: int, column: str) -> float:
    if not _NUMBER.fullmatch(field):
        raise ValueError(
            f"line {number}, column {column}: {field!r} is not a number >= 0; write a "
            "plain decimal such as 120 or 5400.0 (a header row must read "
            f"{';'.join(COLUMNS)})"
        )
    amount = float(field)
    if not math.isfinite(amount):
        raise ValueError(f"line {number}, column {column}: {field!r} is too large")
    return amount
