"""Exports: every importable kind read back with its import column names and types, so an
exported file re-imports unchanged (and BI tools get the same format the docs describe).
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from server.db.engine import get_engine
from server.db.repository.frames import read_table
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

EXPORT_FORMATS = ("csv", "parquet", "arrow")
# "arrow" is the Arrow IPC stream format (what pyarrow.ipc.open_stream and DuckDB read).
EXPORT_MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
                      "parquet": "application/vnd.apache.parquet",
                      "arrow": "application/vnd.apache.arrow.stream"}
DATASETS = KINDS
# Timestamps in CSV exports: ISO 8601 with microseconds and an explicit UTC "Z".
CSV_DATETIME = "%Y-%m-%dT%H:%M:%S%.6fZ"
# Events are matched to their message on import, which the export keeps; the email
# column is an alternative way in and stays out.
_LEFT_OUT = {"events": ("email",)}
# Columns a dataset takes from another table: an event's campaign and customer are its
# message's (the ledger does not copy them).
_JOINED = {"events": ("message m ON m.message_id = t.message_id",
                      {"campaign_id": "m", "customer_id": "m"})}


# Data sets whose rows carry the ingest sequence number of the import that stored them,
# so they export incrementally: only rows stored after a cursor.
SEQUENCED = {"events": "ingest_seq"}
CURSOR_COLUMN = "ingest_seq"


def dataset_columns(spec: Kind) -> list[str]:
    return [name for name in spec.names if name not in _LEFT_OUT.get(spec.name, ())]


_TYPES: dict[str, pl.DataType] = {DATETIME: DATETIME_DTYPE, DATE: pl.Date(),
                                  DECIMAL: pl.Float64(), FLOAT: pl.Float64(),
                                  BOOL: pl.Boolean()}


def export_frame(dataset: str, *, engine: Engine | None = None,
                 since: int | None = None) -> pl.DataFrame:
    """Every row of ``dataset`` (a kind name), ordered by its key, as import columns.

    With ``since`` (an ingest sequence number, the cursor of incremental exports), only
    the rows stored after it, with their ``ingest_seq`` as a last column: the largest one
    is the cursor of the next export. ``ValueError`` for data sets without a sequence.
    """
    spec = get_kind(dataset)
    names = dataset_columns(spec)
    join, owners = _JOINED.get(spec.name, ("", {}))
    selected = ", ".join(f'{owners.get(name, "t")}."{name}" AS "{name}"' for name in names)
    order = ", ".join(f't."{name}"' for name in spec.key)
    source = f"{spec.table} t" + (f" JOIN {join}" if join else "")
    schema = {name: _TYPES.get(spec.column(name).type, pl.String()) for name in names}
    where = ""
    if since is not None:
        if spec.name not in SEQUENCED:
            raise ValueError(f"{spec.name} has no ingest sequence, so it cannot be exported "
                             f"since a cursor: export it whole (incremental: "
                             f"{', '.join(SEQUENCED)})")
        if since < 0:
            raise ValueError(f"since={since}: a cursor is 0 or a number an earlier export "
                             "returned")
        selected += f', t."{SEQUENCED[spec.name]}" AS "{CURSOR_COLUMN}"'
        schema[CURSOR_COLUMN] = pl.Int64()
        where = f' WHERE t."{SEQUENCED[spec.name]}" > {int(since)}'
    frame = read_table(engine or get_engine(),
                       # Safe SQL (S608): names from the kind spec that get_kind validated;
                       # the cursor is bound.
                       f"SELECT {selected} FROM {source}{where} ORDER BY {order}",  # noqa: S608
                       schema=schema)
    money = [name for name in names if spec.column(name).type == DECIMAL]
    return frame.with_columns(pl.col(money).round(4).cast(MONEY_DTYPE))


def next_cursor(frame: pl.DataFrame, since: int) -> int:
    """The cursor to pass next time: the largest ``ingest_seq`` exported, or ``since``
    again when nothing new was stored."""
    if frame.is_empty():
        return since
    return max(since, int(frame.get_column(CURSOR_COLUMN).max()))  # type: ignore[arg-type]


def write_export(frame: pl.DataFrame, target: Path | io.BytesIO, fmt: str) -> None:
    """Write an export in ``fmt`` (csv, parquet or arrow: an Arrow IPC stream) to a path
    or buffer."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use csv, parquet or arrow")
    if fmt == "parquet":
        frame.write_parquet(target)
        return
    if fmt == "arrow":
        frame.write_ipc_stream(target)
        return
    frame.write_csv(target, datetime_format=CSV_DATETIME, date_format="%Y-%m-%d")
