"""Reading query results as polars frames on the caller's connection (so uncommitted rows
of the running transaction are visible), with timestamps typed the same on every database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection

UTC_DATETIME = pl.Datetime("us", "UTC")


def read_frame(connection: Connection, sql: str, *,
               schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of ``sql`` (no parameters: callers join against staged tables) with the
    columns and types of ``schema`` (timestamps as aware UTC, money as Float64)."""
    # The driver's own cursor, not SQLAlchemy's result: rows go straight into polars,
    # several times faster for the hundreds of thousands of rows an import may touch.
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    names = list(schema)
    raw = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    if raw.is_empty():
        return pl.DataFrame(schema=dict(schema))
    return raw.select(_typed(name, raw.schema[name], dtype) for name, dtype in schema.items())


def _typed(name: str, have: pl.DataType, want: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if isinstance(want, pl.Datetime):
        if have == pl.String:
            # SQLite keeps timestamps as text in SQLAlchemy's format.
            return column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us",
                                          time_zone="UTC", strict=False).alias(name)
        if isinstance(have, pl.Datetime) and have.time_zone is None:
            column = column.dt.replace_time_zone("UTC")
        return column.cast(want).alias(name)
    if have == pl.Object:
        column = column.map_elements(_plain, return_dtype=want)
    return column.cast(want).alias(name)


def _plain(value: Any) -> Any:
    return None if value is None else float(value)
