"""Exports: every importable kind read back with its import column names and types, so an
exported file re-imports unchanged (and BI tools get the same format the docs describe).
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from server.db.engine import arrow_uri, get_engine
from server.ingest.convert import DATETIME_DTYPE, MONEY_DTYPE
from server.ingest.kinds import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    FLOAT,
    KINDS,
    Kind,
    get_kind,
)

EXPORT_FORMATS = ("csv", "parquet")
DATASETS = KINDS
# Timestamps in CSV exports: ISO 8601 with microseconds and an explicit UTC "Z".
CSV_DATETIME = "%Y-%m-%dT%H:%M:%S%.6fZ"
# Events are matched to their message on import, which the export keeps; the email
# column is an alternative way in and stays out.
_LEFT_OUT = {"events": ("email",)}


def dataset_columns(spec: Kind) -> list[str]:
    return [name for name in spec.names if name not in _LEFT_OUT.get(spec.name, ())]


def _typed(spec: Kind, frame: pl.DataFrame) -> pl.DataFrame:
    columns = []
    for name in frame.columns:
        column_type = spec.column(name).type
        values = pl.col(name)
        dtype = frame.schema[name]
        if column_type == DATETIME:
            if dtype == pl.String:
                values = values.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us",
                                                time_zone="UTC", strict=False)
            elif isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
                values = values.dt.replace_time_zone("UTC")
            values = values.cast(DATETIME_DTYPE)
        elif column_type == DATE:
            values = values.str.to_date("%Y-%m-%d") if dtype == pl.String else values.cast(
                pl.Date)
        elif column_type == DECIMAL:
            values = values.cast(pl.Float64).round(4).cast(MONEY_DTYPE)
        elif column_type == FLOAT:
            values = values.cast(pl.Float64)
        elif column_type == BOOL:
            values = values.cast(pl.Boolean)
        else:
            values = values.cast(pl.String)
        columns.append(values.alias(name))
    return frame.select(columns)


def export_frame(dataset: str, *, engine: Engine | None = None) -> pl.DataFrame:
    """Every row of ``dataset`` (a kind name), ordered by its key, as import columns."""
    spec = get_kind(dataset)
    engine = engine or get_engine()
    names = dataset_columns(spec)

    sqlite = engine.dialect.name == "sqlite"
    # connectorx trusts SQLite's declared NUMERIC type, but the values are stored as REAL.
    selected = ", ".join(
        f'CAST("{name}" AS REAL) AS "{name}"'
        if sqlite and spec.column(name).type == DECIMAL else f'"{name}"' for name in names)
    order = ", ".join(f'"{name}"' for name in spec.key)
    query = f"SELECT {selected} FROM {spec.table} ORDER BY {order}"
    uri = arrow_uri(engine.url.render_as_string(hide_password=False))
    frame = pl.read_database_uri(query, uri, engine="connectorx")
    if frame.is_empty():
        frame = pl.DataFrame(schema=dict.fromkeys(names, pl.String))
    return _typed(spec, frame)


def write_export(frame: pl.DataFrame, target: Path | io.BytesIO, fmt: str) -> None:
    """Write an export in ``fmt`` (csv or parquet) to a path or buffer."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use csv or parquet")
    if fmt == "parquet":
        frame.write_parquet(target)
        return
    frame.write_csv(target, datetime_format=CSV_DATETIME, date_format="%Y-%m-%d")
