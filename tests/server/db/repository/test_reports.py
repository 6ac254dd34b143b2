"""Report reads on the hand-computed world (tests/worlds/dashboard.py): each query's
results on both databases, beside its SQL snapshot on each dialect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from server.db.repository import reports
from tests.server.db.repository.sql_snapshots import DIALECTS, assert_sql_snapshot
from tests.worlds.dashboard import load_world

C1, C2 = date(2026, 3, 2), date(2026, 3, 10)


@pytest.fixture
def world(engine: Engine) -> Iterator[Engine]:
    load_world(engine)
    yield engine
    engine.dispose()


def test_rollup_frame_golden(world: Engine) -> None:
    frame = reports.rollup_frame(engine=world).sort("campaign_id", "variant_id")
    assert_frame_equal(
        frame.select("campaign_id", "variant_id", "day", "sent", "delivered", "bounced",
                     "hard_bounced", "unique_opens", "human_unique_opens", "unique_clicks",
                     "unsubscribed", "complained", "conversions", "revenue"),
        pl.DataFrame({
            "campaign_id": ["c1", "c1", "c2"], "variant_id": ["A", "B", ""],
            "day": [C1, C1, C2], "sent": [3, 3, 6], "delivered": [2, 2, 5],
            "bounced": [1, 1, 1], "hard_bounced": [1, 0, 1], "unique_opens": [2, 1, 3],
            "human_unique_opens": [1, 1, 3], "unique_clicks": [1, 0, 2],
            "unsubscribed": [0, 1, 0], "complained": [0, 1, 0], "conversions": [1, 0, 1],
            "revenue": [40.0, 0.0, 25.0],
        }), check_dtypes=False)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rollup_reads_sql_snapshot(dialect: str) -> None:
    assert_sql_snapshot("reports.rollup", dialect, reports.rollup_sql(dialect))
    assert_sql_snapshot("reports.breakdown_rollup", dialect,
                        reports.breakdown_rollup_sql(dialect))
    assert_sql_snapshot("reports.segment_rollup", dialect, reports.segment_rollup_sql(dialect))


def test_member_counters_golden(world: Engine) -> None:
    # VIP = u1 u3 u5: c1 sends m11 (u1, A: delivered, opened, clicked, 40.00 order),
    # m13 (u3, A: hard bounce), m15 (u5, B: delivered, complained; 100.00 of orders
    # before); c2 sends m21 (u1: delivered, opened; 40.00 before) and m23 (u3: delivered,
    # opened, clicked).
    frame = reports.member_counters(engine=world, segment_ids=["s-vip"]).sort(
        "campaign_id", "variant_id", "email_domain")
    assert_frame_equal(
        frame.select("campaign_id", "variant_id", "day", "hour", "email_domain", "sent",
                     "delivered", "bounced", "unique_opens", "unique_clicks", "complained",
                     "conversions", "revenue", "recipient_value"),
        pl.DataFrame({
            "campaign_id": ["c1", "c1", "c1", "c2", "c2"],
            "variant_id": ["A", "A", "B", "", ""],
            "day": [C1, C1, C1, C2, C2], "hour": [9, 9, 9, 14, 14],
            "email_domain": ["gmail.com", "yahoo.com", "outlook.com", "gmail.com",
                             "yahoo.com"],
            "sent": [1, 1, 1, 1, 1], "delivered": [1, 0, 1, 1, 1], "bounced": [0, 1, 0, 0, 0],
            "unique_opens": [1, 0, 0, 1, 1], "unique_clicks": [1, 0, 0, 0, 1],
            "complained": [0, 0, 1, 0, 0], "conversions": [1, 0, 0, 0, 0],
            "revenue": [40.0, 0.0, 0.0, 0.0, 0.0],
            "recipient_value": [0.0, 0.0, 100.0, 40.0, 0.0],
        }), check_dtypes=False)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_member_counters_sql_snapshot(dialect: str) -> None:
    sql, params = reports.member_counters_sql(dialect, ["s-vip", "s-new"])
    assert params == {"s0": "s-vip", "s1": "s-new"}
    assert_sql_snapshot("reports.member_counters", dialect, sql)
