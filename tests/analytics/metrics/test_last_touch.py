from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.metrics import TOUCH_PRIORITY, attribute_orders
from tests.analytics.metrics.support import UTC_US, at

MESSAGE_SCHEMA = {
    "message_id": pl.Int64(),
    "campaign_id": pl.String(),
    "customer_id": pl.Int64(),
    "delivered_at": UTC_US,
    "first_open_at": UTC_US,
    "first_human_open_at": UTC_US,
    "first_click_at": UTC_US,
}
ORDER_SCHEMA = {
    "order_id": pl.String(),
    "customer_id": pl.Int64(),
    "occurred_at": UTC_US,
    "amount": pl.Float64(),
}

# Every order is at noon on 10 January unless said otherwise.
MESSAGES = pl.DataFrame(
    [
        # 1: an older click and a later open; the open is the last touch.
        (11, "A", 1, at(1), None, None, at(5, 12)),
        (12, "B", 1, at(9, 12), at(9, 18), None, None),
        # 2: every touch just outside its window (8 days + 1 h, 4 days + 1 h, 2 days + 1 h).
        (21, "A", 2, at(1), None, None, at(2, 11)),
        (22, "B", 2, at(5), at(6, 11), at(6, 11), None),
        (23, "C", 2, at(8, 11), None, None, None),
        # 3: a click exactly 7 days before still qualifies.
        (31, "C", 3, at(3, 11), None, None, at(3, 12)),
        # 4: touches after the order and at its very instant do not count.
        (41, "D", 4, at(10, 11), at(10, 13), at(10, 13), at(10, 14)),
        (42, "D", 4, at(10, 12), None, None, None),
        # 5: ties at 9 Jan noon: a click beats an open, then the smaller message_id wins.
        (50, "E", 5, at(9), at(9, 12), at(9, 12), None),
        (51, "E", 5, at(9), at(9, 11), None, at(9, 12)),
        (52, "F", 5, at(9), None, None, at(9, 12)),
        # 7: one click, two orders.
        (71, "F", 7, at(8), None, None, at(8, 1)),
    ],
    schema=MESSAGE_SCHEMA,
    orient="row",
)
ORDERS = pl.DataFrame(
    [
        ("o1", 1, at(10, 12), 100.0),
        ("o2", 2, at(10, 12), 20.0),
        ("o3", 3, at(10, 12), 30.0),
        ("o4", 4, at(10, 12), 40.0),
        ("o5", 5, at(10, 12), 50.0),
        # 6 has no messages; customer 1's touches must not leak to it.
        ("o6", 6, at(10, 12), 60.0),
        ("o7b", 7, at(10), 15.0),
        ("o7a", 7, at(9), 10.0),
        ("o8", None, at(10, 12), 80.0),
    ],
    schema=ORDER_SCHEMA,
    orient="row",
)


def expected_orders(rows: list[tuple]) -> pl.DataFrame:
    attributed = pl.DataFrame(
        rows,
        schema={
            "order_id": pl.String(),
            "message_id": pl.Int64(),
            "campaign_id": pl.String(),
            "touch": pl.String(),
            "touch_at": UTC_US,
        },
        orient="row",
    )
    return ORDERS.join(attributed, on="order_id", how="left", maintain_order="left")


def test_attribution_golden() -> None:
    result = attribute_orders(ORDERS, MESSAGES)
    assert_frame_equal(
        result.orders,
        expected_orders(
            [
                ("o1", 12, "B", "open", at(9, 18)),
                ("o3", 31, "C", "click", at(3, 12)),
                ("o4", 41, "D", "delivery", at(10, 11)),
                ("o5", 51, "E", "click", at(9, 12)),
                ("o7b", 71, "F", "click", at(8, 1)),
                ("o7a", 71, "F", "click", at(8, 1)),
            ]
        ),
    )
    assert_frame_equal(
        result.messages,
        pl.DataFrame(
            {
                "message_id": [12, 31, 41, 51, 71],
                "campaign_id": ["B", "C", "D", "E", "F"],
                "conversions": [1, 1, 1, 1, 2],
                "revenue": [100.0, 30.0, 40.0, 50.0, 25.0],
            }
        ),
    )


def test_configurable_windows() -> None:
    result = attribute_orders(ORDERS, MESSAGES, click_days=9, open_days=0.5, delivery_days=0)
    touches = dict(result.orders.select("order_id", "message_id").iter_rows())
    # o1: the open (18 h before) is outside 0.5 days; the click 5 days back is left.
    # o2: the click 8 days + 1 h back now qualifies. o4: deliveries are switched off.
    assert touches == {
        "o1": 11, "o2": 21, "o3": 31, "o4": None, "o5": 51,
        "o6": None, "o7b": 71, "o7a": 71, "o8": None,
    }


def test_human_opens_only() -> None:
    result = attribute_orders(ORDERS, MESSAGES, human_opens_only=True)
    row = result.orders.filter(order_id="o1").row(0, named=True)
    # Message 12's open was a machine open: its delivery, exactly one day back, is left.
    assert (row["message_id"], row["touch"], row["touch_at"]) == (12, "delivery", at(9, 12))


def test_invalid_input() -> None:
    with pytest.raises(ValueError, match="click_days must be a non-negative number of days"):
        attribute_orders(ORDERS, MESSAGES, click_days=-1)
    with pytest.raises(ValueError, match="repeated order_id"):
        attribute_orders(pl.concat([ORDERS, ORDERS.head(1)]), MESSAGES)
    with pytest.raises(ValueError, match="messages frame is missing column\\(s\\) first_click_at"):
        attribute_orders(ORDERS, MESSAGES.drop("first_click_at"))


def test_no_orders_and_no_messages() -> None:
    result = attribute_orders(ORDERS.clear(), MESSAGES)
    assert result.orders.height == 0 and result.messages.height == 0
    result = attribute_orders(ORDERS, MESSAGES.clear())
    assert result.orders["message_id"].null_count() == ORDERS.height


WINDOWS = {"click": timedelta(days=7), "open": timedelta(days=3), "delivery": timedelta(days=1)}
COLUMN = {"click": "first_click_at", "open": "first_open_at", "delivery": "delivered_at"}


def brute_force(orders: pl.DataFrame, messages: pl.DataFrame) -> dict[str, tuple | None]:
    result: dict[str, tuple | None] = {}
    for order in orders.iter_rows(named=True):
        best = None
        for message in messages.iter_rows(named=True):
            if message["customer_id"] != order["customer_id"]:
                continue
            for kind, column in COLUMN.items():
                touch = message[column]
                if touch is None:
                    continue
                if not timedelta(0) < order["occurred_at"] - touch <= WINDOWS[kind]:
                    continue
                key = (touch, -TOUCH_PRIORITY[kind], -message["message_id"])
                if best is None or key > best[0]:
                    best = (key, (message["message_id"], kind, touch))
        result[order["order_id"]] = None if best is None else best[1]
    return result


def instants(start: datetime) -> st.SearchStrategy[datetime | None]:
    # Whole hours over twelve days, so that ties and window edges are common.
    return st.one_of(st.none(), st.integers(0, 12 * 24).map(lambda h: start + timedelta(hours=h)))


@settings(database=None, max_examples=150, deadline=None)
@given(
    messages=st.lists(
        st.tuples(st.integers(1, 3), instants(at(1)), instants(at(1)), instants(at(1))),
        max_size=12,
    ),
    orders=st.lists(st.tuples(st.integers(1, 4), instants(at(3))), max_size=6),
)
def test_matches_brute_force(messages: list[tuple], orders: list[tuple]) -> None:
    message_frame = pl.DataFrame(
        [
            (index, f"c{index % 2}", customer, delivered, opened, None, clicked)
            for index, (customer, delivered, opened, clicked) in enumerate(messages)
        ],
        schema=MESSAGE_SCHEMA,
        orient="row",
    )
    order_frame = pl.DataFrame(
        [
            (f"o{index}", customer, occurred or at(5), 1.0)
            for index, (customer, occurred) in enumerate(orders)
        ],
        schema=ORDER_SCHEMA,
        orient="row",
    )
    result = attribute_orders(order_frame, message_frame)
    got = {
        row["order_id"]: None
        if row["message_id"] is None
        else (row["message_id"], row["touch"], row["touch_at"])
        for row in result.orders.iter_rows(named=True)
    }
    assert got == brute_force(order_frame, message_frame)
    assert result.messages["conversions"].sum() == sum(v is not None for v in got.values())
