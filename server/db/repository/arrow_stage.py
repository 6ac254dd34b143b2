"""Staging large imports into SQLite from Arrow, several times faster than ``executemany``.

A child process writes the frames into a separate SQLite file with the ADBC driver (Arrow
to SQLite in C, no Python per value); the import's connection then ATTACHes that file and
reads the stage from it. The child matters: the ADBC driver carries its own copy of the
SQLite library, and two copies of SQLite in one process do not see each other's file
locks, which can corrupt a database. In its own process, writing its own file, it is safe.

The frames reach the child as Arrow IPC streams over a pipe, batch by batch, so the child
writes while this process is still encoding; a frame may be given as a function, which
then runs here while the child writes the frames before it (the events fold is computed
this way, in the time the child spends writing the events).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, text

from server.db.repository import stage_sweep
from server.db.repository.bulk import encode_for_sqlite

# Below this many rows the child process costs more than it saves.
MIN_ROWS = 500_000
SCHEMA = "ms_stage"
# Rows per Arrow batch sent to the child.
BATCH_ROWS = 250_000
# The child imports only pyarrow and the driver's core (its DB-API layer pulls in pandas,
# which would cost more than the copy); the stage file is throwaway, so no journal. It
# reads one IPC stream per table name, in order, and stops early when its input ends
# (a frame given as a function may turn out to have nothing to stage).
_WRITER = """
import sys
import pyarrow as pa
import adbc_driver_manager as adbc
import adbc_driver_sqlite
target, tables = sys.argv[1], sys.argv[2:]
source = sys.stdin.buffer
database = adbc_driver_sqlite.connect(target)
connection = adbc.AdbcConnection(database)
for pragma in ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF"):
    statement = adbc.AdbcStatement(connection)
    statement.set_sql_query(pragma)
    statement.execute_update()
    statement.close()
connection.set_options(**{"adbc.connection.autocommit": "false"})
for table in tables:
    if not source.peek(1):
        break
    reader = pa.ipc.open_stream(source)
    statement = adbc.AdbcStatement(connection)
    statement.set_options(**{adbc.StatementOptions.INGEST_TARGET_TABLE.value: table,
                             adbc.StatementOptions.INGEST_MODE.value:
                                 adbc.INGEST_OPTION_MODE_CREATE})
    statement.bind_stream(reader)
    statement.execute_update()
    statement.close()
connection.commit()
connection.close()
database.close()
"""

# A frame to stage, or a function giving it (None: nothing to stage under that name).
Frame = pl.DataFrame | Callable[[], pl.DataFrame | None]

_cleanups: list[threading.Thread] = []


def usable(connection: Connection, frame: pl.DataFrame) -> bool:
    """Whether ``frame`` should be staged through Arrow on this connection."""
    if connection.dialect.name != "sqlite" or frame.height < MIN_ROWS:
        return False
    database = connection.engine.url.database
    return bool(database) and database != ":memory:"


def _send(frame: pl.DataFrame, sink: IO[bytes]) -> None:
    table = encode_for_sqlite(frame).to_arrow()
    with pa.ipc.new_stream(sink, table.schema) as out:
        for batch in table.to_batches(max_chunksize=BATCH_ROWS):
            out.write_batch(batch)


def _stage(target: Path, frames: Mapping[str, Frame], log: IO[bytes]) -> list[str]:
    """Run the child writing ``frames`` into ``target``; the names staged, in order."""
    child = subprocess.Popen(  # noqa: S603  (fixed interpreter and script, paths we made)
        [sys.executable, "-c", _WRITER, str(target), *frames],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
    assert child.stdin is not None
    staged: list[str] = []
    failures: list[BaseException] = []
    sender: threading.Thread | None = None

    def send(frame: pl.DataFrame) -> None:
        try:
            _send(frame, child.stdin)  # type: ignore[arg-type]
        except BaseException as error:  # noqa: BLE001  (reported once the child is done)
            failures.append(error)

    try:
        for name, given in frames.items():
            frame = given() if callable(given) else given
            if sender is not None:
                sender.join()
            if failures or frame is None:
                break
            sender = threading.Thread(target=send, args=(frame,), daemon=True)
            sender.start()
            staged.append(name)
    finally:
        if sender is not None:
            sender.join()
        with contextlib.suppress(OSError):  # the child is gone; its exit status says why
            child.stdin.close()
        status = child.wait(timeout=3600)
    if status != 0 or failures:
        log.flush()
        log.seek(0)
        reason = log.read().decode(errors="replace").strip()[-2000:]
        if not reason and failures:
            reason = repr(failures[0])
        raise RuntimeError(f"staging {', '.join(frames)} failed: {reason}")
    return staged


@contextmanager
def attached(connection: Connection,
             frames: Mapping[str, Frame]) -> Iterator[dict[str, str]]:
    """Write each frame of ``frames`` (table name -> rows, or a function returning rows or
    None) to one stage file, ATTACH it to ``connection`` (which must have no transaction
    open) and yield the qualified name of each table staged; DETACH afterwards, whatever
    happens, and delete the file (in the background: a large file takes seconds)."""
    folder = Path(connection.engine.url.database or ".").resolve().parent
    work = Path(tempfile.mkdtemp(prefix=stage_sweep.PREFIX, dir=folder))
    try:
        # Locked while the import runs: a sweep at start-up tells it from a killed one.
        with stage_sweep.owned(work):
            target = work / "stage.db"
            with open(work / "writer.log", "w+b") as log:
                staged = _stage(target, frames, log)
            connection.exec_driver_sql(f"ATTACH DATABASE ? AS {SCHEMA}", (str(target),))
            connection.commit()
            try:
                yield {name: f"{SCHEMA}.{name}" for name in staged}
            finally:
                connection.rollback()
                connection.execute(text(f"DETACH DATABASE {SCHEMA}"))
                connection.commit()
    finally:
        cleanup = threading.Thread(target=shutil.rmtree, args=(work, True),
                                   name="mailscope-stage-cleanup")
        cleanup.start()
        _cleanups.append(cleanup)
        _cleanups[:] = [thread for thread in _cleanups if thread.is_alive()]


def wait_for_cleanup() -> None:
    """Wait until every stage file handed to the background has been deleted."""
    while _cleanups:
        _cleanups.pop().join()
