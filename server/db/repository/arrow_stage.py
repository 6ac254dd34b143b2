"""Staging large imports into SQLite from Arrow, several times faster than ``executemany``.

A child process writes the frame into a separate SQLite file with the ADBC driver (Arrow
to SQLite in C, no Python per value); the import's connection then ATTACHes that file and
reads the stage from it. The child matters: the ADBC driver carries its own copy of the
SQLite library, and two copies of SQLite in one process do not see each other's file
locks, which can corrupt a database. In its own process, writing its own file, it is safe.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, text

from server.db.repository.bulk import encode_for_sqlite

# Below this many rows the child process costs more than it saves.
MIN_ROWS = 500_000
SCHEMA = "ms_stage"
# The child imports only pyarrow and the driver's core (its DB-API layer pulls in pandas,
# which would cost more than the copy); the stage file is throwaway, so no journal.
_WRITER = """
import sys
import pyarrow as pa
import adbc_driver_manager as adbc
import adbc_driver_sqlite
target, pairs = sys.argv[1], sys.argv[2:]
database = adbc_driver_sqlite.connect(target)
connection = adbc.AdbcConnection(database)
for pragma in ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF"):
    statement = adbc.AdbcStatement(connection)
    statement.set_sql_query(pragma)
    statement.execute_update()
    statement.close()
connection.set_options(**{"adbc.connection.autocommit": "false"})
for source, table in zip(pairs[::2], pairs[1::2]):
    with pa.memory_map(source) as stream:
        data = pa.ipc.open_file(stream).read_all()
    statement = adbc.AdbcStatement(connection)
    statement.set_options(**{adbc.StatementOptions.INGEST_TARGET_TABLE.value: table,
                             adbc.StatementOptions.INGEST_MODE.value:
                                 adbc.INGEST_OPTION_MODE_CREATE})
    statement.bind_stream(data)
    statement.execute_update()
    statement.close()
connection.commit()
connection.close()
database.close()
"""


def usable(connection: Connection, frame: pl.DataFrame) -> bool:
    """Whether ``frame`` should be staged through Arrow on this connection."""
    if connection.dialect.name != "sqlite" or frame.height < MIN_ROWS:
        return False
    database = connection.engine.url.database
    return bool(database) and database != ":memory:"


@contextmanager
def attached(connection: Connection,
             frames: Mapping[str, pl.DataFrame]) -> Iterator[dict[str, str]]:
    """Write each frame of ``frames`` (table name -> rows) to one stage file, ATTACH it
    to ``connection`` (which must have no transaction open) and yield each table's
    qualified name; DETACH and delete the file afterwards, whatever happens."""
    folder = Path(connection.engine.url.database or ".").resolve().parent
    with tempfile.TemporaryDirectory(prefix=".mailscope-stage-", dir=folder) as work:
        target = Path(work) / "stage.db"
        arguments = [str(target)]
        for number, (name, frame) in enumerate(frames.items()):
            source = Path(work) / f"stage-{number}.arrow"
            table = encode_for_sqlite(frame).to_arrow()
            with pa.OSFile(str(source), "wb") as sink, pa.ipc.new_file(
                    sink, table.schema) as out:
                out.write_table(table)
            del table
            arguments += [str(source), name]
        done = subprocess.run(  # noqa: S603  (fixed interpreter and script, paths we made)
            [sys.executable, "-c", _WRITER, *arguments],
            capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"staging {', '.join(frames)} failed: "
                               f"{done.stderr.strip()[-2000:]}")
        connection.exec_driver_sql(f"ATTACH DATABASE ? AS {SCHEMA}", (str(target),))
        connection.commit()
        try:
            yield {name: f"{SCHEMA}.{name}" for name in frames}
        finally:
            connection.rollback()
            connection.execute(text(f"DETACH DATABASE {SCHEMA}"))
            connection.commit()
