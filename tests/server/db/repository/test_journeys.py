"""Attribution reads: touches, orders and spend, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from analytics.attribution import CONVERSIONS_SCHEMA, SPEND_SCHEMA, TOUCHES_SCHEMA
from server.db.repository import journeys as repository
from server.db.repository.journeys import (
    latest_order_at,
    read_conversions,
    read_spend,
    read_touches,
)
from tests.server.db.repository.sql_snapshots import DIALECTS, assert_sql_snapshot
from tests.worlds.attribution import load_attribution_world


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


TOUCHES = [
    ("u1", at(2, 28, 10), "paid", "ps-brand", "paid"),
    ("u1", at(3, 1, 9, 0, 5), "email", "c1", "delivered"),
    ("u1", at(3, 1, 9, 1), "email", "c1", "open"),
    ("u1", at(3, 1, 12, 1), "email", "c1", "click"),
    ("u1", at(3, 5, 10), "web", None, "web"),
    ("u1", at(3, 8, 9, 0, 4), "email", "c2", "delivered"),
    ("u2", at(3, 2, 8), "email", "c1", "delivered"),
    ("u2", at(3, 2, 8), "email", "c1", "open"),
    ("u2", at(3, 3, 10), "sms", "sms-weekly", "sms"),
    ("u3", at(3, 2, 9), "social", None, "social"),
    ("u3", at(3, 20, 10), "web", None, "web"),
]


@pytest.fixture
def world(engine: Engine) -> Engine:
    return load_attribution_world(engine)


def touches(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=TOUCHES_SCHEMA, orient="row")


def ordered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("customer_id", "occurred_at", "touch_kind")


def test_schemas_match_the_engine() -> None:
    assert repository.TOUCHES_SCHEMA == TOUCHES_SCHEMA
    assert repository.CONVERSIONS_SCHEMA == CONVERSIONS_SCHEMA
    assert repository.SPEND_SCHEMA == SPEND_SCHEMA


def test_every_touch_kind_and_channel(world: Engine) -> None:
    frame = read_touches(engine=world, start=None, end=None)
    assert_frame_equal(ordered(frame), touches(TOUCHES))


def test_email_kinds_and_period_bounds(world: Engine) -> None:
    frame = read_touches(engine=world, start=at(3, 1, 9, 1), end=at(3, 5, 10),
                         email_kinds=("open",))
    expected = [row for row in TOUCHES
                if at(3, 1, 9, 1) <= row[1] < at(3, 5, 10) and row[4] != "delivered"
                and row[4] != "click"]
    assert_frame_equal(ordered(frame), touches(expected))
    assert [row[4] for row in expected] == ["open", "open", "sms", "social"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_touches_sql_snapshot(dialect: str) -> None:
    # The period of test_email_kinds_and_period_bounds; every email kind.
    start, end = at(3, 1, 9, 1), at(3, 5, 10)
    assert_sql_snapshot("journeys.touchpoints", dialect,
                        repository.touchpoints_sql(dialect, start, end))
    assert_sql_snapshot("journeys.email_touches", dialect,
                        repository.email_touches_sql(dialect, start, end,
                                                     repository.EMAIL_KINDS))


def test_no_email_kind_reads_only_touchpoints(world: Engine) -> None:
    frame = read_touches(engine=world, start=None, end=None, email_kinds=())
    assert set(frame["channel"]) == {"paid", "web", "sms", "social"}


def test_unknown_kind_is_refused(world: Engine) -> None:
    with pytest.raises(ValueError, match="email kinds 'bounce' are unknown; use any of "
                                         "delivered, open, click"):
        read_touches(engine=world, start=None, end=None, email_kinds=("bounce",))


def test_conversions_in_period(world: Engine) -> None:
    frame = read_conversions(engine=world, start=at(3, 2, 12, 1), end=at(3, 8, 12))
    assert_frame_equal(frame.sort("order_id"), pl.DataFrame(
        [("o1", "u1", at(3, 2, 12, 1), 40.0), ("o2", "u1", at(3, 8, 8), 15.5),
         ("o3", "u3", at(3, 3, 10), 99.99)], schema=CONVERSIONS_SCHEMA, orient="row"))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_conversions_sql_snapshot(dialect: str) -> None:
    assert_sql_snapshot("journeys.conversions", dialect,
                        repository.conversions_sql(dialect, at(3, 2, 12, 1), at(3, 8, 12)))


def test_spend_by_channel_and_campaign(world: Engine) -> None:
    march = {"start": at(3, 1), "end": at(4, 1)}
    assert read_spend(engine=world, by="channel", **march).rows() == [
        ("email", 10.0), ("paid", 100.0), ("social", 50.0)]
    assert read_spend(engine=world, start=None, end=None, by="channel").rows() == [
        ("email", 10.0), ("paid", 1099.0), ("social", 50.0)]
    assert read_spend(engine=world, by="campaign", **march).rows() == [("c1", 10.0)]
    # an end at midnight leaves that day out; any later instant takes it in
    assert read_spend(engine=world, start=at(3, 2), end=at(4, 1), by="channel").rows() == [
        ("social", 50.0)]
    assert read_spend(engine=world, start=at(3, 2), end=at(4, 1, 0, 0, 1),
                      by="channel").rows() == [("paid", 999.0), ("social", 50.0)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_spend_sql_snapshot(dialect: str) -> None:
    for by in ("channel", "campaign"):
        assert_sql_snapshot(f"journeys.spend_by_{by}", dialect,
                            repository.spend_sql(dialect, at(3, 1), at(4, 1), by))


def test_latest_order(world: Engine) -> None:
    assert latest_order_at(engine=world) == at(3, 8, 12)


def test_empty_database_gives_typed_empty_frames(engine: Engine) -> None:
    assert latest_order_at(engine=engine) is None
    assert read_touches(engine=engine, start=None, end=None).schema == TOUCHES_SCHEMA
    assert read_conversions(engine=engine, start=None, end=None).schema == CONVERSIONS_SCHEMA
    assert read_spend(engine=engine, start=None, end=None, by="campaign").schema == SPEND_SCHEMA


def test_naive_bounds_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="naive datetime 2026-03-01T00:00:00: pass a "
                                         "timezone-aware one"):
        read_conversions(engine=engine, start=datetime(2026, 3, 1), end=None)
