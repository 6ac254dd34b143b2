"""Copying frames into tables: on PostgreSQL as one CSV block per chunk through COPY,
reading back exactly what the row-by-row copy stores. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import Engine, text

from server.db.repository import bulk

# Texts that CSV must keep apart: empty from missing, quotes, separators, line breaks,
# the end-of-data marker, backslashes; a timestamp with microseconds, one at midnight.
FRAME = pl.DataFrame({
    "name": ["plain", "", None, 'say "hi", then\nleave', "\\.", "back\\slash", "é ünï"],
    "at": [datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC), None,
           datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC),
           None, datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
           datetime(2026, 6, 1, 12, tzinfo=UTC)],
    "flag": [True, False, None, True, False, None, True],
    "amount": pl.Series([Decimal("19.99"), None, Decimal("0"), Decimal("1234567.5"),
                         Decimal("0.0001"), Decimal("7"), None], dtype=pl.Decimal(18, 4)),
    "score": [0.25, None, 1e-9, 3.0, -2.5, 1e300, 0.0],
    "n": [1, None, -3, 2**40, 0, 5, 6],
    "on": [date(2026, 3, 1), None, date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4),
           date(2026, 3, 5), date(2026, 3, 6)],
})


def _copied(engine: Engine) -> list[tuple]:
    with engine.begin() as connection:
        bulk.create_stage(connection, "stage_copy_check", FRAME.schema)
        assert bulk.copy_into(connection, "stage_copy_check", FRAME) == FRAME.height
        return [tuple(row) for row in connection.execute(text(
            "SELECT * FROM stage_copy_check ORDER BY n NULLS FIRST"))]


def test_every_value_reads_back_as_copied(engine: Engine,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    copied = _copied(engine)
    assert len(copied) == FRAME.height
    names = {row[0] for row in copied}
    assert names == set(FRAME["name"].to_list())
    # The row-by-row copy (the path for columns CSV cannot carry) stores the same rows.
    monkeypatch.setattr(bulk, "csv_copyable", lambda _frame: False)
    assert _copied(engine) == copied


def test_only_plain_columns_go_through_csv() -> None:
    assert bulk.csv_copyable(FRAME)
    assert not bulk.csv_copyable(pl.DataFrame({"items": [[1, 2]]}))
    assert not bulk.csv_copyable(pl.DataFrame({"blob": [b"\x00"]}))


def test_the_csv_block_quotes_texts_and_writes_utc_offsets() -> None:
    block = bulk.csv_block(FRAME.head(3)).decode()
    assert block == ('"plain","2026-03-01 09:30:00.123456+00:00","true",19.9900,0.25,1,'
                     '"2026-03-01"\n'
                     '"",,"false",,,,\n'
                     ',"2026-03-02 00:00:00.000000+00:00",,0.0000,1e-9,-3,"2026-03-02"\n')
