"""Reading query results as polars frames on the caller's connection (so uncommitted rows
of the running transaction are visible), with timestamps typed the same on every database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection, text

UTC_DATETIME = pl.Datetime("us", "UTC")


def read_frame(connection: Connection, sql: str, *, params: Mapping[str, Any] | None = None,
               schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of ``sql`` with the columns and types of ``schema`` (timestamps as aware
    UTC, money as Float64)."""
    result = connection.execute(text(sql), dict(params or {}))
    rows = result.fetchall()
    names = list(schema)
    raw = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    columns = []
    for name, dtype in schema.items():
        values = raw[name]
        if isinstance(dtype, pl.Datetime):
            columns.append(_datetimes(name, values))
        else:
            columns.append(pl.Series(name, [_number(v) for v in values]
                                     if dtype.is_numeric() else values, dtype=dtype,
                                     strict=False))
    return pl.DataFrame(columns) if columns else pl.DataFrame(schema=dict(schema))


def _number(value: Any) -> Any:
    return None if value is None else float(value) if not isinstance(value, int) else value


def _datetimes(name: str, values: list[Any]) -> pl.Series:
    if any(isinstance(value, str) for value in values):
        # SQLite keeps timestamps as text in SQLAlchemy's format.
        return pl.Series(name, values, dtype=pl.String).str.to_datetime(
            "%Y-%m-%d %H:%M:%S%.f", time_unit="us", time_zone="UTC", strict=False)
    return pl.Series(name, values).cast(UTC_DATETIME)
