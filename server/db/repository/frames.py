"""Reading query results as polars frames, typed the same on every database.

``read_frame`` reads on the caller's connection (so uncommitted rows of the running
transaction are visible). ``read_table`` reads whole result sets for reports and exports:
through connectorx (Arrow) on PostgreSQL, and through the engine's own connections on
SQLite. connectorx must never read SQLite here: it links its own copy of the SQLite
library, and two copies in one process do not share file locks or the WAL index, so its
reads miss rows committed by this process after its first read (and the lock confusion
can corrupt a database that is being written).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, text

from server.db.engine import arrow_uri

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
    return rows_frame(rows, schema)


def rows_frame(rows: Sequence[Sequence[Any]], schema: Mapping[str, pl.DataType]
               ) -> pl.DataFrame:
    """Result rows (tuples or SQLAlchemy rows, columns in ``schema`` order) as a frame
    of ``schema``'s types. Every row decides the column types, not the first hundred: a
    column null in those and set later would fail the build."""
    raw = pl.DataFrame([tuple(row) for row in rows], schema=list(schema), orient="row",
                       infer_schema_length=None)
    return typed(raw, schema)


def read_table(engine: Engine, sql: str, *,
               schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of ``sql`` (no parameters) with the columns and types of ``schema``."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            return read_frame(connection, sql, schema=schema)
    uri = arrow_uri(engine.url.render_as_string(hide_password=False))
    return typed(pl.read_database_uri(sql, uri, engine="connectorx"), schema)


def query_frame(engine: Engine, sql: str, params: Mapping[str, Any],
                schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of a small parameterised query (bound with SQLAlchemy ``:name``
    parameters) with the columns and types of ``schema``."""
    with engine.connect() as connection:
        rows = connection.execute(text(sql), dict(params)).all()
    return rows_frame(rows, schema)


def typed(raw: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``raw`` (columns in ``schema`` order) cast to ``schema``: SQLite's timestamp and
    date text parsed, timestamps aware UTC, decimals as the numbers asked for."""
    if raw.is_empty():
        return pl.DataFrame(schema=dict(schema))
    raw = raw.rename(dict(zip(raw.columns, schema, strict=True)))
    return raw.select(_typed(name, raw.schema[name], dtype) for name, dtype in schema.items())


def _typed(name: str, have: pl.DataType, want: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if want == pl.Date and have == pl.String:
        return column.str.slice(0, 10).str.to_date("%Y-%m-%d").alias(name)
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
