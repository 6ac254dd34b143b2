"""Exports carry the import columns, so an export re-imports unchanged (both databases)."""

from __future__ import annotations

import io

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from server.export import export_frame, next_cursor, write_export
from server.ingest import KINDS, load_frame, read_bytes
from tests.server.ingest.conftest import EVENTS, load_csv, load_world, snapshot


@pytest.fixture
def world(engine: Engine) -> Engine:
    load_world(engine)
    return engine


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_export_reimports_unchanged(world: Engine, fmt: str) -> None:
    before = snapshot(world)
    for kind in KINDS:
        frame = export_frame(kind, engine=world)
        buffer = io.BytesIO()
        write_export(frame, buffer, fmt)
        again = read_bytes(buffer.getvalue(), fmt)
        report = load_frame(kind, again, engine=world, first_row=2 if fmt == "csv" else 1)
        assert (report.inserted, report.updated, report.rejected) == (0, 0, 0), kind
        assert report.unchanged == frame.height, kind
    assert snapshot(world) == before


def test_arrow_ipc_stream_holds_the_same_frame_as_parquet(world: Engine) -> None:
    for kind in KINDS:
        frame = export_frame(kind, engine=world)
        arrow, parquet = io.BytesIO(), io.BytesIO()
        write_export(frame, arrow, "arrow")
        write_export(frame, parquet, "parquet")
        assert arrow.getvalue()[:4] == b"\xff\xff\xff\xff"  # a stream, not the IPC file
        assert_frame_equal(pl.read_ipc_stream(arrow.getvalue()),
                           pl.read_parquet(parquet.getvalue()))


def test_export_columns_values_and_order(world: Engine) -> None:
    events = export_frame("events", engine=world)
    assert events.columns == ["event_id", "type", "occurred_at", "message_id", "campaign_id",
                              "customer_id", "url", "user_agent", "machine_open",
                              "bounce_type"]
    assert events.get_column("event_id").to_list() == [f"e{i}" for i in range(1, 10)]
    assert events.row(1) == ("e2", "open", events.item(1, "occurred_at"), "m1", "c1", "u1",
                             None, "Mozilla/5.0", True, None)
    buffer = io.BytesIO()
    write_export(export_frame("orders", engine=world), buffer, "csv")
    lines = buffer.getvalue().decode().splitlines()
    assert lines[0] == "order_id,customer_id,occurred_at,amount,currency,items"
    assert lines[1] == "o1,u1,2026-03-02T12:01:00.000000Z,40.0000,USD,"


def test_empty_tables_export_a_header(engine: Engine) -> None:
    frame = export_frame("spend", engine=engine)
    assert frame.height == 0
    buffer = io.BytesIO()
    write_export(frame, buffer, "csv")
    assert buffer.getvalue().decode().strip() == (
        "spend_id,incurred_on,category,cost_type,amount,currency,vendor,campaign_id")
    assert isinstance(frame, pl.DataFrame)


def test_exports_see_rows_committed_after_an_earlier_export(engine: Engine) -> None:
    # Regression: connectorx's own SQLite library kept a stale snapshot in-process.
    from server.ingest import ingest_records

    ingest_records("customers", [{"customer_id": "u1", "email": "a@example.com"}],
                   engine=engine)
    assert export_frame("customers", engine=engine).height == 1
    ingest_records("customers", [{"customer_id": "u2", "email": "b@example.com"}],
                   engine=engine)
    assert export_frame("customers", engine=engine).get_column("customer_id").to_list() == [
        "u1", "u2"]


LATER_EVENTS = """event_id,type,occurred_at,message_id,url,user_agent,machine_open,bounce_type
e10,click,2026-03-09T10:00:00Z,m4,https://shop.example.com/b,,,
e11,open,2026-03-09T09:59:00Z,m4,,,,
"""


def test_incremental_export_moves_only_rows_stored_after_the_cursor(world: Engine) -> None:
    first = export_frame("events", engine=world, since=0)
    assert first.columns == [*export_frame("events", engine=world).columns, "ingest_seq"]
    assert first.height == 9
    cursor = next_cursor(first, 0)
    assert export_frame("events", engine=world, since=cursor).is_empty()
    load_csv("events", LATER_EVENTS, world)
    load_csv("events", EVENTS, world)  # a replay: stores nothing, takes no number
    later = export_frame("events", engine=world, since=cursor)
    assert later.select("event_id", "type").rows() == [("e10", "click"), ("e11", "open")]
    assert later.get_column("ingest_seq").unique().to_list() == [cursor + 1]
    assert next_cursor(later, cursor) == cursor + 1
    assert next_cursor(export_frame("events", engine=world, since=cursor + 1),
                       cursor + 1) == cursor + 1


def test_only_sequenced_data_sets_export_since_a_cursor(world: Engine) -> None:
    with pytest.raises(ValueError, match="customers has no ingest sequence"):
        export_frame("customers", engine=world, since=0)
    with pytest.raises(ValueError, match="since=-1"):
        export_frame("events", engine=world, since=-1)
