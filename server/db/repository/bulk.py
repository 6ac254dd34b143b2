"""Set-based bulk writes: rows go into a temporary staging table in one fast copy, then
plain SQL moves them into the real table (upserts, reference checks, folds).

Staging is what makes imports fast on both databases (``executemany`` of tuples on
SQLite, ``COPY`` on PostgreSQL) while every rule stays in SQL that runs inside the
caller's transaction, so a failed import rolls back whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table, text

from server.db.types import SQLITE_DATETIME_FORMAT

# The row-number column every staged frame carries, so reference errors can name rows.
ROW = "_row"
# Rows copied per round trip; progress is reported after each.
COPY_CHUNK = 100_000


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int


def is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def same(connection: Connection, left: str, right: str) -> str:
    """Null-safe equality of two SQL expressions on this database."""
    if is_sqlite(connection):
        return f"{left} IS {right}"
    return f"{left} IS NOT DISTINCT FROM {right}"


def _sql_type(dtype: pl.DataType, sqlite: bool) -> str:
    if isinstance(dtype, pl.Datetime):
        return "TEXT" if sqlite else "TIMESTAMPTZ"
    if dtype == pl.Date:
        return "TEXT" if sqlite else "DATE"
    if isinstance(dtype, pl.Decimal):
        return "REAL" if sqlite else "NUMERIC(18, 4)"
    if dtype.is_float():
        return "REAL" if sqlite else "DOUBLE PRECISION"
    if dtype.is_integer():
        return "BIGINT"
    if dtype == pl.Boolean:
        return "INTEGER" if sqlite else "BOOLEAN"
    return "TEXT"


# polars writes the SQLite timestamp text with exactly six fractional digits, as
# SQLAlchemy does (``SQLITE_DATETIME_FORMAT`` in its own strftime dialect).
_POLARS_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%6f"
assert SQLITE_DATETIME_FORMAT == "%Y-%m-%d %H:%M:%S.%f"


def _encode(frame: pl.DataFrame, sqlite: bool) -> pl.DataFrame:
    """Values as the driver should receive them; datetimes as SQLAlchemy writes them on
    SQLite so that comparisons with rows written through the ORM agree."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            column = column.dt.convert_time_zone("UTC") if dtype.time_zone else column
            if sqlite:
                column = column.dt.strftime(_POLARS_SQLITE_DATETIME)
        elif dtype == pl.Date:
            column = column.dt.strftime("%Y-%m-%d") if sqlite else column
        elif isinstance(dtype, pl.Decimal):
            column = column.cast(pl.Float64) if sqlite else column
        elif dtype == pl.Boolean and sqlite:
            column = column.cast(pl.Int8)
        elif dtype == pl.Null:
            column = column.cast(pl.String)
        columns.append(column.alias(name))
    return frame.select(columns)


def encode_for_sqlite(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as SQLite stores it (timestamps as SQLAlchemy's text, money as REAL)."""
    return _encode(frame, sqlite=True)


def create_stage(connection: Connection, name: str, schema: pl.Schema | dict[str, Any]) -> None:
    """(Re)create the temporary table ``name`` with one column per frame column."""
    sqlite = is_sqlite(connection)
    columns = ", ".join(f'"{column}" {_sql_type(dtype, sqlite)}'
                        for column, dtype in dict(schema).items())
    connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    connection.execute(text(f"CREATE TEMPORARY TABLE {name} ({columns})"))


def csv_copyable(frame: pl.DataFrame) -> bool:
    """Whether every column of ``frame`` has a CSV text PostgreSQL reads back as the
    same value (texts, numbers, booleans, dates, timestamps)."""
    return all(dtype in (pl.String, pl.Boolean, pl.Date) or dtype.is_numeric()
               or isinstance(dtype, pl.Datetime) for dtype in frame.schema.values())


def csv_block(frame: pl.DataFrame) -> bytes:
    """``frame`` as the body of ``COPY ... FROM STDIN (FORMAT csv)``.

    Every text is quoted, so an empty text stays an empty text (an unquoted empty field
    is NULL) and no value can read as the end-of-data marker; timestamps carry their
    offset (UTC), or none when the column has no time zone, as the driver would send.
    """
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone:
                column = column.dt.convert_time_zone("UTC").dt.strftime(
                    "%Y-%m-%d %H:%M:%S%.6f+00:00")
            else:
                column = column.dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
        elif dtype == pl.Float32:
            # As the driver sends it (a Python float), not float32's shortest text.
            column = column.cast(pl.Float64)
        columns.append(column.alias(name))
    return frame.select(columns).write_csv(include_header=False,
                                           quote_style="non_numeric").encode()


def copy_into(connection: Connection, name: str, frame: pl.DataFrame,
              progress: Callable[[int], None] | None = None) -> int:
    """Append ``frame`` to the staging table ``name``; returns the rows copied."""
    sqlite = is_sqlite(connection)
    encoded = _encode(frame, sqlite)
    columns = ", ".join(f'"{column}"' for column in encoded.columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    done = 0
    for start in range(0, encoded.height, COPY_CHUNK):
        part = encoded.slice(start, COPY_CHUNK)
        if sqlite:
            marks = ", ".join("?" for _ in encoded.columns)
            cursor = driver.cursor()
            # Safe SQL (S608): table, stage and column names come from code.
            cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})",  # noqa: S608
                               part.rows())
            cursor.close()
        elif csv_copyable(part):
            # polars writes the block as CSV in one call; no Python object per value.
            with driver.cursor() as cursor, cursor.copy(
                    f"COPY {name} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(csv_block(part))
        else:
            with driver.cursor() as cursor, cursor.copy(
                    f"COPY {name} ({columns}) FROM STDIN") as copy:
                for row in part.iter_rows():
                    copy.write_row(row)
        done += part.height
        if progress is not None:
            progress(done)
    return done


def stage_frame(connection: Connection, name: str, frame: pl.DataFrame,
                progress: Callable[[int], None] | None = None) -> int:
    """Copy ``frame`` into a new temporary table ``name`` inside the running transaction."""
    create_stage(connection, name, frame.schema)
    return copy_into(connection, name, frame, progress)


def drop_stage(connection: Connection, name: str) -> None:
    connection.execute(text(f"DROP TABLE IF EXISTS {name}"))


def missing_references(connection: Connection, stage: str, column: str, table: str,
                       target: str | None = None) -> list[tuple[int, str]]:
    """(row, value) of staged rows whose non-null ``column`` has no row in ``table``."""
    target = target or column
    rows = connection.execute(text(
        # Safe SQL (S608): table, stage and column names come from code.
        f'SELECT s."{ROW}", s."{column}" FROM {stage} s '  # noqa: S608
        f'WHERE s."{column}" IS NOT NULL AND NOT EXISTS '
        f'(SELECT 1 FROM {table} t WHERE t."{target}" = s."{column}") '
        f'ORDER BY s."{ROW}"'))
    return [(int(row), str(value)) for row, value in rows]


def delete_rows(connection: Connection, stage: str, rows: Iterable[int]) -> None:
    values = sorted(set(rows))
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        marks = ", ".join(str(int(value)) for value in chunk)
        # Safe SQL (S608): the marks are ints.
        connection.execute(text(f'DELETE FROM {stage} WHERE "{ROW}" IN ({marks})'))  # noqa: S608


def count(connection: Connection, sql: str, **params: Any) -> int:
    return int(connection.execute(text(sql), params).scalar_one() or 0)


def has_rows(connection: Connection, table: str) -> bool:
    """Whether ``table`` holds any row (reads at most one)."""
    # Safe SQL (S608): table, stage and column names come from code.
    return bool(count(connection, f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1) t"))  # noqa: S608


def insert_defaults(table: Table, columns: Sequence[str]) -> dict[str, Any]:
    """Scalar Python-side defaults of the table's columns that ``columns`` leaves out
    (counters, flags), which a set-based INSERT must supply itself."""
    defaults = {}
    for column in table.columns:
        if column.name in columns or column.default is None:
            continue
        if getattr(column.default, "is_scalar", False):
            defaults[column.name] = column.default.arg  # type: ignore[attr-defined]
    return defaults


@dataclass(frozen=True)
class Overlap:
    """How the staged rows meet the table: rows whose key exists, and of those the rows
    identical to what is stored."""

    staged: int
    existing: int
    unchanged: int


def overlap(connection: Connection, stage: str, table: str, key: Sequence[str],
            columns: Sequence[str]) -> Overlap:
    # Safe SQL (S608): table, stage and column names come from code.
    staged = count(connection, f"SELECT count(*) FROM {stage}")  # noqa: S608
    if not has_rows(connection, table):
        return Overlap(staged, 0, 0)
    join = " AND ".join(f't."{k}" = s."{k}"' for k in key)
    values = [c for c in columns if c not in key]
    identical = " AND ".join(same(connection, f't."{c}"', f's."{c}"') for c in values) or "1=1"
    existing, unchanged = connection.execute(text(
        # Safe SQL (S608): table, stage and column names come from code.
        f"SELECT count(*), SUM(CASE WHEN {identical} THEN 1 ELSE 0 END) "  # noqa: S608
        f"FROM {stage} s JOIN {table} t ON {join}")).one()
    return Overlap(staged, int(existing or 0), int(unchanged or 0))


def upsert(connection: Connection, stage: str, table: str, key: Sequence[str],
           columns: Sequence[str], defaults: Mapping[str, Any] | None = None,
           known: Overlap | None = None) -> UpsertCounts:
    """Insert the staged rows into ``table``, updating rows whose key exists and whose
    values differ; rows identical to what is stored are left alone and counted."""
    values = [c for c in columns if c not in key]
    found = known or overlap(connection, stage, table, key, columns)
    names = ", ".join(f'"{c}"' for c in columns)
    conflict = ", ".join(f'"{k}"' for k in key)
    if values:
        changed = " OR ".join(
            "NOT (" + same(connection, f'{table}."{c}"', f'excluded."{c}"') + ")"
            for c in values)
        assignments = ", ".join(f'"{c}" = excluded."{c}"' for c in values)
        action = f"DO UPDATE SET {assignments} WHERE {changed}"
    else:
        action = "DO NOTHING"
    defaults = dict(defaults or {})
    extra = "".join(f', "{name}"' for name in defaults)
    values_sql = "".join(f", :d{i}" for i in range(len(defaults)))
    params = {f"d{i}": value for i, value in enumerate(defaults.values())}
    connection.execute(text(
        # Safe SQL (S608): code names; defaults bound as :dN.
        f"INSERT INTO {table} ({names}{extra}) SELECT {names}{values_sql} FROM {stage} "  # noqa: S608
        f"WHERE 1=1 ON CONFLICT ({conflict}) {action}"), params)
    return UpsertCounts(inserted=found.staged - found.existing,
                        updated=found.existing - found.unchanged, unchanged=found.unchanged)


# Staged rows below this keep the indexes (rebuilding costs a sort of the whole table).
REBUILD_MIN_ROWS = 500_000


@contextmanager
def indexes_rebuilt(connection: Connection, table: str, names: Sequence[str], stage: str,
                    *, appending: bool = True) -> Iterator[None]:
    """Around a large insert from ``stage`` into ``table`` on SQLite, drop the indexes
    ``names`` (those whose keys the insert meets in random order) and create them again
    afterwards from their stored definitions: one sort each instead of millions of
    random inserts into B-trees larger than the page cache.

    Only when the stage holds at least ``REBUILD_MIN_ROWS`` rows and as many as the
    table. Both steps are DDL in the caller's transaction: a failed import rolls the
    indexes back with the rows, and readers keep the old ones until the commit.
    """
    definitions: list[tuple[str, str]] = []
    if appending and is_sqlite(connection) and names:
        marks = ", ".join(f":n{i}" for i in range(len(names)))
        definitions = [(row[0], row[1]) for row in connection.execute(text(
            # Safe SQL (S608): the names are bound as :n0, :n1, ....
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
            f"AND tbl_name = :table AND name IN ({marks}) ORDER BY name"),
            {"table": table, **{f"n{i}": name for i, name in enumerate(names)}})]
    if definitions:
        # max(rowid) is read from the end of a table, with no scan: its rows, at most
        # (both tables are written by appends; deletions only make it an overestimate).
        # Safe SQL (S608): table and stage names come from code.
        staged = count(connection, f"SELECT coalesce(max(rowid), 0) FROM {stage}")  # noqa: S608
        # Safe SQL (S608): table and stage names come from code.
        stored = count(connection, f"SELECT coalesce(max(rowid), 0) FROM {table}")  # noqa: S608
        if staged < max(REBUILD_MIN_ROWS, stored):
            definitions = []
    for name, _ in definitions:
        connection.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, definition in definitions:
        connection.execute(text(definition))
