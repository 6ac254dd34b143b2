"""Sequences: golden occasions for absence, presence and single events; the same
occasions whatever the order or repetition of the events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.triggers.sequences import (
    EVENTS_SCHEMA,
    OCCASIONS_SCHEMA,
    Sequence,
    due_occasions,
    exited_occasions,
    human,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def cart(cart_id: str | None) -> str | None:
    return None if cart_id is None else json.dumps({"cart_id": cart_id})


# customer, type, minutes after T0, product, cart
EVENTS = pl.DataFrame([
    ("u1", "cart_add", 0, None, cart("c1")),
    ("u1", "cart_add", 30, None, cart("c1")),      # same cart again: one occasion
    ("u1", "checkout", 90, None, cart("c1")),      # within 2 h: no abandonment
    ("u2", "cart_add", 10, None, cart("c2")),
    ("u2", "checkout", 200, None, cart("c2")),     # too late: abandoned at 130
    ("u3", "cart_add", 20, None, cart("c3")),
    ("u3", "cart_add", 25, None, cart("c4")),
    ("u3", "checkout", 60, None, None),            # names no cart: closes both
    ("u4", "cart_add", 50, None, cart("c5")),
    ("u4", "checkout", 60, None, cart("c9")),      # another cart: c5 stays open
    ("u5", "cart_add", 0, None, None),             # no cart id: no occasion
    ("u6", "product_view", 5, "p1", None),
], schema={**EVENTS_SCHEMA, "occurred_at": pl.Int64()}, orient="row").with_columns(
    (pl.lit(T0) + pl.duration(minutes=pl.col("occurred_at"))).alias("occurred_at"))

CART = Sequence(first="cart_add", then="checkout", key="cart_id", within=timedelta(hours=2))


def occasions(rows: list[tuple[str, str, int, int, str]]) -> pl.DataFrame:
    return pl.DataFrame([(c, k, at(s), at(d), r) for c, k, s, d, r in rows],
                        schema=OCCASIONS_SCHEMA, orient="row")


def test_cart_abandonment_golden() -> None:
    expected = occasions([
        ("u2", "cart_id:c2", 10, 130, "cart_add at 2026-03-01T09:10:00Z with cart_id=c2, "
                                      "then no checkout within 2h"),
        ("u4", "cart_id:c5", 50, 170, "cart_add at 2026-03-01T09:50:00Z with cart_id=c5, "
                                      "then no checkout within 2h"),
    ])
    assert_frame_equal(due_occasions(EVENTS, CART, at(300)), expected)
    # Before u4's deadline only u2 is due; before both, nothing.
    assert due_occasions(EVENTS, CART, at(169))["customer_id"].to_list() == ["u2"]
    assert due_occasions(EVENTS, CART, at(129)).is_empty()


def test_presence_and_single_event_golden() -> None:
    present = Sequence(first="cart_add", then="checkout", key="cart_id", absent=False,
                       within=timedelta(hours=2))
    assert due_occasions(EVENTS, present, at(300)).select(
        "customer_id", "occasion_key", "due_at").rows() == [
        ("u3", "cart_id:c3", at(60)), ("u3", "cart_id:c4", at(60)),
        ("u1", "cart_id:c1", at(90))]
    viewed = Sequence(first="product_view", key="product_id")
    assert due_occasions(EVENTS, viewed, at(5)).select("customer_id", "occasion_key",
                                                       "reason").rows() == [
        ("u6", "product_id:p1", "product_view at 2026-03-01T09:05:00Z with product_id=p1")]


def test_spans_and_bad_sequences() -> None:
    assert [human(timedelta(seconds=s)) for s in (7200, 5400, 45, 172_800)] == [
        "2h", "90m", "45s", "2d"]
    with pytest.raises(ValueError, match="sequence key 'cart id' is not a property name"):
        Sequence(first="cart_add", key="cart id")
    with pytest.raises(ValueError, match="within must be positive"):
        Sequence(first="cart_add", key="cart_id", within=timedelta(0))


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(range(EVENTS.height)),
       repeats=st.lists(st.integers(0, EVENTS.height - 1), max_size=30),
       as_of=st.integers(0, 400))
def test_order_and_replays_change_nothing(order: list[int], repeats: list[int],
                                          as_of: int) -> None:
    shuffled = pl.concat([EVENTS[order], EVENTS[repeats]])
    for sequence in (CART, Sequence(first="cart_add", then="checkout", key="cart_id",
                                    absent=False)):
        result = due_occasions(shuffled, sequence, at(as_of))
        assert_frame_equal(result, due_occasions(EVENTS, sequence, at(as_of)))
        assert (result["due_at"] <= at(as_of)).all()
        assert result.select("customer_id", "occasion_key").is_unique().all()


def test_exits_golden() -> None:
    orders = pl.DataFrame([("u2", "order", T0 + timedelta(minutes=100), None, None),
                           ("u4", "order", T0 + timedelta(minutes=400), None, None)],
                          schema=EVENTS_SCHEMA, orient="row")
    due = due_occasions(EVENTS, CART, at(300))
    exited = exited_occasions(due, pl.concat([EVENTS, orders]), ("order",))
    assert exited.rows() == [("u2", "cart_id:c2", "exit: order at 2026-03-01T10:40:00Z")]
    assert exited_occasions(due, EVENTS, ()).is_empty()


@settings(max_examples=40, deadline=None)
@given(order=st.permutations(range(EVENTS.height)))
def test_exits_ignore_order(order: list[int]) -> None:
    due = due_occasions(EVENTS, CART, at(300))
    assert_frame_equal(exited_occasions(due, EVENTS[order], ("checkout",)),
                       exited_occasions(due, EVENTS, ("checkout",)))


def test_a_time_window_holds_occasions_until_it_opens() -> None:
    # u2 is due at 11:10 and u4 at 11:50: inside [11, 24) both stay; inside [0, 11) they
    # wait for the next day's midnight.
    windowed = Sequence(first="cart_add", then="checkout", key="cart_id",
                        within=timedelta(hours=2), hours=(0, 11))
    assert due_occasions(EVENTS, windowed, at(300)).is_empty()
    held = due_occasions(EVENTS, windowed, datetime(2026, 3, 2, tzinfo=UTC))
    assert held.select("customer_id", "due_at").rows() == [
        ("u2", datetime(2026, 3, 2, tzinfo=UTC)), ("u4", datetime(2026, 3, 2, tzinfo=UTC))]
    assert held["reason"][0].endswith("then no checkout within 2h, held for the 0-11 h window in "
                                      "UTC")
    late = Sequence(first="cart_add", then="checkout", key="cart_id", hours=(11, 24))
    assert_frame_equal(due_occasions(EVENTS, late, at(300)), due_occasions(EVENTS, CART,
                                                                            at(300)))
    with pytest.raises(ValueError, match="are not a window"):
        Sequence(first="cart_add", key="cart_id", hours=(21, 9))


@settings(max_examples=40, deadline=None)
@given(start=st.integers(0, 23), width=st.integers(1, 24))
def test_windowed_occasions_fall_due_inside_the_window(start: int, width: int) -> None:
    end = min(24, start + width)
    windowed = Sequence(first="cart_add", then="checkout", key="cart_id", hours=(start, end))
    result = due_occasions(EVENTS, windowed, at(60 * 72))
    assert all(start <= t.hour < end for t in result["due_at"])
    assert result.height == due_occasions(EVENTS, CART, at(60 * 72)).height
