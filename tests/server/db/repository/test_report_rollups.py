"""Breakdown rollups: what a refresh writes, when a campaign is stale, and that a
refresh equals a recomputation from the messages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, text

from server.db.engine import session_scope
from server.db.models import SegmentMember
from server.db.repository import report_rollups as derived
from server.db.repository import reports
from server.db.repository.report_sql import bind_list
from server.ingest import load_frame, read_bytes
from tests.server.db.repository.sql_snapshots import DIALECTS, assert_sql_snapshot
from tests.worlds.dashboard import load_world


@pytest.fixture
def world(engine: Engine) -> Engine:
    load_world(engine)
    yield engine
    engine.dispose()


def refresh_all(engine: Engine) -> derived.Staleness:
    fingerprints = derived.campaign_fingerprints(reports.rollup_frame(engine=engine))
    with engine.begin() as connection:
        stale = derived.staleness(fingerprints, derived.report_states(connection),
                                  derived.segment_stamp(connection))
        derived.drop_report_rollups(connection, stale.gone)
        derived.refresh_report_rollups(connection, stale.stale, fingerprints,
                                       derived.segment_stamp(connection))
    return stale


def test_refresh_writes_breakdown_rows_golden(world: Engine) -> None:
    assert refresh_all(world) == derived.Staleness(stale=["c1", "c2"], gone=[])
    frame = reports.breakdown_rollup_frame(engine=world).sort(
        ["campaign_id", "variant_id", "email_domain"])
    assert_frame_equal(
        frame.select("campaign_id", "variant_id", "day", "hour", "email_domain", "sent",
                     "delivered", "unique_opens", "conversions", "revenue", "converted",
                     "recipient_value"),
        pl.DataFrame({
            "campaign_id": ["c1", "c1", "c1", "c1", "c1", "c2", "c2", "c2"],
            "variant_id": ["A", "A", "B", "B", "B", "", "", ""],
            "day": [date(2026, 3, 2)] * 5 + [date(2026, 3, 10)] * 3,
            "hour": [9, 9, 9, 9, 9, 14, 14, 14],
            "email_domain": ["gmail.com", "yahoo.com", "gmail.com", "outlook.com", "yahoo.com",
                             "gmail.com", "outlook.com", "yahoo.com"],
            "sent": [2, 1, 1, 1, 1, 2, 1, 3], "delivered": [2, 0, 0, 1, 1, 2, 1, 2],
            "unique_opens": [2, 0, 0, 0, 1, 1, 1, 1], "conversions": [1, 0, 0, 0, 0, 0, 1, 0],
            "revenue": [40.0, 0.0, 0.0, 0.0, 0.0, 0.0, 25.0, 0.0],
            "converted": [1, 0, 0, 0, 0, 0, 1, 0],
            "recipient_value": [0.0, 0.0, 0.0, 100.0, 0.0, 40.0, 0.0, 0.0],
        }).sort(["campaign_id", "variant_id", "email_domain"]),
        check_column_order=False)
    segments = (reports.segment_rollup_frame(engine=world)
                .group_by("campaign_id", "segment_id").agg(pl.col("sent").sum())
                .sort("campaign_id", "segment_id"))
    assert segments.rows() == [
        ("c1", "s-new", 2), ("c1", "s-vip", 3), ("c2", "s-new", 2), ("c2", "s-vip", 2)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_refresh_sql_snapshot(dialect: str) -> None:
    in_list, _ = bind_list("c", ["c1", "c2"])
    assert_sql_snapshot("report_rollups.breakdown_insert", dialect,
                        derived.breakdown_insert_sql(dialect, in_list))
    assert_sql_snapshot("report_rollups.segment_insert", dialect,
                        derived.segment_insert_sql(dialect, in_list))


def test_breakdowns_add_up_to_day_rollups(world: Engine) -> None:
    refresh_all(world)
    day = reports.rollup_frame(engine=world)
    breakdown = reports.breakdown_rollup_frame(engine=world)
    keys = ["campaign_id", "variant_id", "day"]
    counters = list(reports.DAY_COUNTER_COLUMNS)
    summed = breakdown.group_by(keys).agg(pl.col(counters).sum())
    assert_frame_equal(summed.sort(keys), day.select(*keys, *counters).sort(keys))


def test_nothing_is_stale_after_a_refresh_until_data_changes(world: Engine) -> None:
    refresh_all(world)
    assert refresh_all(world) == derived.Staleness(stale=[], gone=[])
    # A new open for c2 changes c2's day rollups only.
    load_frame("events", read_bytes(b"event_id,type,occurred_at,message_id\n"
                                    b"e99,open,2026-03-11T08:00:00Z,m22\n", "csv"),
               engine=world)
    assert refresh_all(world) == derived.Staleness(stale=["c2"], gone=[])
    # Membership changes make every campaign stale (their segment rows may change).
    with session_scope(world) as session:
        session.add(SegmentMember(segment_id="s-new", customer_id="u7"))
    assert refresh_all(world) == derived.Staleness(stale=["c1", "c2"], gone=[])
    segments = reports.segment_rollup_frame(engine=world)
    assert segments.filter(pl.col("segment_id") == "s-new")["sent"].sum() == 5


def test_campaigns_without_sends_lose_their_rows(world: Engine) -> None:
    refresh_all(world)
    with world.begin() as connection:
        connection.execute(text("DELETE FROM rollup_campaign_day WHERE campaign_id = 'c2'"))
    assert refresh_all(world) == derived.Staleness(stale=[], gone=["c2"])
    assert reports.breakdown_rollup_frame(engine=world)["campaign_id"].unique().to_list() == ["c1"]


def test_fingerprints_ignore_row_order_and_see_every_change() -> None:
    rows = pl.DataFrame({"campaign_id": ["a", "a", "b"], "variant_id": ["", "x", ""],
                         "day": [date(2026, 1, 1)] * 3, "sent": [1, 2, 3]})
    first = derived.campaign_fingerprints(rows)
    assert derived.campaign_fingerprints(rows.reverse()) == first
    changed = derived.campaign_fingerprints(rows.with_columns(
        pl.when(pl.col("variant_id") == "x").then(5).otherwise(pl.col("sent")).alias("sent")))
    assert changed["b"] == first["b"] and changed["a"] != first["a"]
    assert derived.campaign_fingerprints(rows.clear()) == {}


def test_member_counters_count_each_send_once(world: Engine) -> None:
    frame = reports.member_counters(engine=world, segment_ids=["s-vip", "s-new"])
    assert frame["sent"].sum() == 7
    assert reports.member_counters(engine=world, segment_ids=["nobody"]).height == 0
