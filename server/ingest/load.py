"""Storing validated rows: one path for files, API uploads, GraphQL mutations and the demo.

``load_frame`` validates a frame, checks its references against the database, writes it
set-based through a staging table and refreshes the rollups of every campaign it
touched, all in one transaction: either every row is stored or nothing is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, text
from sqlmodel import SQLModel

from server.db.engine import get_engine
from server.db.repository import arrow_stage, bulk, changes, events, rollups, tombstones
from server.db.types import utcnow
from server.ingest import customers, last_touch, triggers
from server.ingest.errors import IngestError, IngestReport, RowError
from server.ingest.kinds import Kind, get_kind
from server.ingest.read import read_table
from server.ingest.validate import ROW, validate_frame
from server.settings import get_settings

# progress(rows_done, rows_total) while rows are copied into the database.
Progress = Callable[[int, int], None]

# Columns that refer to other kinds and must exist before the rows that name them.
_REFERENCES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "variants": (("campaign_id", "campaign", "campaign_id", "campaigns"),),
    "messages": (("campaign_id", "campaign", "campaign_id", "campaigns"),
                 ("customer_id", "customer", "customer_id", "customers")),
}

# Indexes a large import meets in random key order (sends come by campaign, not by
# customer), built again after the insert instead (``bulk.indexes_rebuilt``).
_REBUILT_INDEXES: dict[str, tuple[str, ...]] = {"messages": ("ix_message_customer_id",)}


def _stage_frame(spec: Kind, valid: pl.DataFrame) -> pl.DataFrame:
    """Every column of the kind, in order, with missing optional columns as nulls."""
    columns = [pl.col(ROW)]
    for column in spec.columns:
        if column.name in valid.columns:
            columns.append(pl.col(column.name))
        else:
            columns.append(pl.lit(column.default, dtype=_null_dtype(column.type))
                           .alias(column.name))
    columns.extend(pl.col(name) for name in spec.derived if name in valid.columns)
    return valid.select(columns)


def _null_dtype(column_type: str) -> pl.DataType:
    from server.ingest.convert import DATETIME_DTYPE, MONEY_DTYPE
    from server.ingest.kinds import BOOL, DATE, DATETIME, DECIMAL, FLOAT

    return {DATETIME: DATETIME_DTYPE, DATE: pl.Date(), DECIMAL: MONEY_DTYPE,
            FLOAT: pl.Float64(), BOOL: pl.Boolean()}.get(column_type, pl.String())


def _drop_expired(spec: Kind, staged: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Events older than the raw-event retention period, left out (see "Privacy" in the
    README): their ledger rows would be deleted, so a replay of them could not be told
    from a new event and would count twice."""
    days = get_settings().raw_event_retention_days
    if spec.name != "events" or days is None or staged.is_empty():
        return staged, 0
    cutoff = utcnow() - timedelta(days=days)
    kept = staged.filter(pl.col("occurred_at") >= cutoff)
    return kept, staged.height - kept.height


def _reference_errors(connection: Connection, spec: Kind, stage: str) -> list[RowError]:
    errors = []
    for column, table, target, kind in _REFERENCES.get(spec.name, ()):
        for row, value in bulk.missing_references(connection, stage, column, table, target):
            errors.append(RowError(row, column, value,
                                   f"no {kind[:-1]} has this id; import {kind} first "
                                   f"(or fix the {column})"))
    return errors


def _touched(connection: Connection, stage: str, table: str, key: str, column: str,
             overlapping: bool) -> set[str]:
    """Values of ``column`` in the staged rows and, when staged keys already exist, in the
    stored rows they replace (a row that moves leaves stale derived data behind)."""
    # Safe SQL (S608): table and column names come from the kind spec.
    sql = f"SELECT DISTINCT {column} FROM {stage}"  # noqa: S608
    if overlapping:
        # Safe SQL (S608): table and column names come from the kind spec.
        sql += (f" UNION SELECT t.{column} FROM {table} t "  # noqa: S608
                f"JOIN {stage} s ON s.{key} = t.{key}")
    return {row[0] for row in connection.execute(text(sql)) if row[0] is not None}


@dataclass(frozen=True)
class _Written:
    inserted: int
    updated: int
    unchanged: int
    campaigns: set[str]
    customers: set[str]
    # Touched customers whose profile refresh is left to the job (queued after commit).
    deferred: int = 0
    erased: int = 0


def _write(connection: Connection, spec: Kind, stage: str,
           prefold: events.Prefold | None) -> _Written:
    """Move the staged rows into the table; what changed and whom it touched."""
    if spec.append_only:
        replays = events.drop_replays(connection, stage)
        folded = events.append_and_fold(connection, stage, prefold)
        return _Written(folded.appended, 0, replays, set(folded.campaigns),
                        set(folded.customers))
    columns = [*spec.names, *spec.derived]
    found = bulk.overlap(connection, stage, spec.table, spec.key, columns)
    campaigns: set[str] = set()
    customers: set[str] = set()
    key = spec.key[0]
    if spec.name == "messages":
        campaigns = _touched(connection, stage, spec.table, key, "campaign_id",
                             found.existing > 0)
    if spec.name in ("messages", "orders"):
        customers = _touched(connection, stage, spec.table, key, "customer_id",
                             found.existing > 0)
    table = SQLModel.metadata.tables[spec.table]
    with bulk.indexes_rebuilt(connection, spec.table, _REBUILT_INDEXES.get(spec.name, ()),
                              stage, appending=found.staged > found.existing):
        counts = bulk.upsert(connection, stage, spec.table, spec.key, columns,
                             bulk.insert_defaults(table, columns), known=found)
    return _Written(counts.inserted, counts.updated, counts.unchanged, campaigns, customers)


def _store(connection: Connection, spec: Kind, stage: str, skip_invalid: bool,
           prefold: events.Prefold | None = None, *,
           may_defer: bool = True) -> tuple[_Written, list[RowError]]:
    erased = tombstones.drop_erased(connection, spec.name, stage,
                                    [*spec.names, *spec.derived])
    problems = _reference_errors(connection, spec, stage)
    if spec.name == "events":
        problems += [RowError(p.row, p.column, p.value, p.message)
                     for p in events.resolve_messages(connection, stage, prefold)]
    if problems and not skip_invalid:
        raise IngestError(sorted(problems, key=lambda error: error.row))
    if problems:
        bulk.delete_rows(connection, stage, (error.row for error in problems))
    written = replace(_write(connection, spec, stage, prefold), erased=erased)
    campaigns = set(written.campaigns)
    if written.customers:
        campaigns |= last_touch.reattribute(connection, sorted(written.customers))
    if campaigns:
        rollups.refresh_rollups(connection, campaigns)
    if written.inserted or written.updated:
        refreshed = customers.refresh_imported(connection, spec.name, stage,
                                               written.customers, may_defer=may_defer)
        written = replace(written, deferred=refreshed.deferred)
        # Last, so the row it locks (on PostgreSQL) is held only until the commit.
        changes.bump(connection, spec.name)
    return written, problems


def _stage_and_store(connection: Connection, spec: Kind, staged: pl.DataFrame,
                     skip_invalid: bool, progress: Callable[[int], None] | None,
                     ) -> tuple[_Written, list[RowError]]:
    """Stage the rows (through Arrow when large, on SQLite) and store them in one
    transaction."""
    name = f"stage_{spec.name}"
    if arrow_stage.usable(connection, staged):
        fold = f"{name}_fold"
        frames: dict[str, arrow_stage.Frame] = {name: staged}
        if spec.append_only:  # computed while the child writes the events
            frames[fold] = lambda: events.fold_frame(staged)
        with arrow_stage.attached(connection, frames) as tables:
            if progress is not None:
                progress(staged.height)
            prefold = (events.Prefold(tables[fold], staged.height) if fold in tables
                       else None)
            with connection.begin():
                return _store(connection, spec, tables[name], skip_invalid, prefold)
    with connection.begin():
        bulk.stage_frame(connection, name, staged, progress)
        stored = _store(connection, spec, name, skip_invalid)
        bulk.drop_stage(connection, name)
        return stored


def load_frame(kind: str, frame: pl.DataFrame, *, engine: Engine | None = None,
               skip_invalid: bool = False, first_row: int = 1,
               progress: Progress | None = None,
               rejects_path: str | Path | None = None) -> IngestReport:
    """Validate and store ``frame`` as rows of ``kind``.

    All-or-nothing unless ``skip_invalid``: then valid rows are stored, the rest are
    reported (and written to ``rejects_path`` with an ``error`` column when given).
    Raises ``IngestError`` listing every problem when anything is refused.
    """
    spec = get_kind(kind)
    result = validate_frame(kind, frame, first_row=first_row)
    errors = list(result.errors)
    if errors and (not skip_invalid or any(error.row < first_row for error in errors)):
        raise IngestError(errors)
    engine = engine or get_engine()
    staged, expired = _drop_expired(spec, _stage_frame(spec, result.valid))
    total = staged.height
    report = None if progress is None else lambda done: progress(done, total)
    with engine.connect() as connection:
        written, problems = _stage_and_store(connection, spec, staged, skip_invalid, report)
    if written.deferred:
        # After the commit, so the job reads this import's rows (and on SQLite the
        # job_run row is not written while the import holds the write lock).
        customers.request_refresh(engine)
    if spec.name in triggers.BATCH_KINDS and written.inserted + written.updated:
        triggers.evaluate_batch(engine, staged)
    inserted, updated, unchanged = written.inserted, written.updated, written.unchanged
    errors = sorted(errors + problems, key=lambda error: error.row)
    rejected_rows = sorted({error.row for error in errors})
    rejects_file = None
    if rejects_path is not None and rejected_rows:
        rejects_file = str(write_rejects(frame, errors, first_row, rejects_path))
    return IngestReport(kind=spec.name, received=frame.height, inserted=inserted,
                        updated=updated, unchanged=unchanged, rejected=len(rejected_rows),
                        rejects_path=rejects_file, errors=tuple(errors),
                        erased=written.erased, expired=expired)


def store_frames(connection: Connection, frames: Sequence[tuple[str, pl.DataFrame]],
                 ) -> list[IngestReport]:
    """Validate and store several kinds in the caller's transaction, in the order given
    (every kind after the kinds its rows refer to), so a caller that writes more (the
    webhook fold marks its delivery folded) commits it all or nothing.

    Raises ``IngestError`` for the first kind with a problem; the caller's transaction
    then rolls back everything, this call's writes included.
    """
    reports = []
    for kind, frame in frames:
        spec = get_kind(kind)
        result = validate_frame(kind, frame)
        if result.errors:
            raise IngestError(list(result.errors))
        name = f"stage_{spec.name}"
        staged, expired = _drop_expired(spec, _stage_frame(spec, result.valid))
        bulk.stage_frame(connection, name, staged)
        # The caller commits later: refresh inline whatever the size (a job queued now
        # could run before the caller's commit).
        written, _ = _store(connection, spec, name, skip_invalid=False, may_defer=False)
        bulk.drop_stage(connection, name)
        reports.append(IngestReport(kind=spec.name, received=frame.height,
                                    inserted=written.inserted, updated=written.updated,
                                    unchanged=written.unchanged, rejected=0,
                                    erased=written.erased, expired=expired))
    return reports


def write_rejects(frame: pl.DataFrame, errors: Sequence[RowError], first_row: int,
                  path: str | Path) -> Path:
    """The refused rows as given, with their row number and every error, as CSV."""
    messages: dict[int, list[str]] = {}
    for error in errors:
        messages.setdefault(error.row, []).append(f"{error.column}: {error.message}")
    numbered = frame.with_columns(pl.int_range(first_row, first_row + frame.height,
                                               dtype=pl.Int64).alias("row"))
    refused = numbered.filter(pl.col("row").is_in(list(messages)))
    refused = refused.with_columns(pl.col("row").map_elements(
        lambda row: "; ".join(messages[row]), return_dtype=pl.String).alias("error"))
    text_columns = [pl.col(name).cast(pl.String) for name in frame.columns]
    path = Path(path)
    refused.select("row", *text_columns, "error").write_csv(path)
    return path


def ingest_records(kind: str, records: list[dict[str, Any]], *,
                   engine: Engine | None = None) -> IngestReport:
    """Store a small batch of records (GraphQL mutations, webhooks): all-or-nothing,
    rows numbered from 1 in the order given."""
    if not records:
        return IngestReport(kind=get_kind(kind).name, received=0, inserted=0, updated=0,
                            unchanged=0, rejected=0)
    names = list(dict.fromkeys(name for record in records for name in record))
    frame = pl.DataFrame({name: [_plain(record.get(name)) for record in records]
                          for name in names}, schema=dict.fromkeys(names, pl.String))
    return load_frame(kind, frame, engine=engine)


def _plain(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ingest_file(kind: str, path: str | Path, *, fmt: str | None = None,
                engine: Engine | None = None, skip_invalid: bool = False,
                rejects_path: str | Path | None = None,
                progress: Progress | None = None) -> IngestReport:
    """Read and store the file at ``path`` (see ``load_frame``)."""
    frame, first_row = read_table(path, fmt)
    return load_frame(kind, frame, engine=engine, skip_invalid=skip_invalid,
                      first_row=first_row, progress=progress, rejects_path=rejects_path)
