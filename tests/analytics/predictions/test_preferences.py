from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.predictions.preferences import (
    AGENT_COUNTS_SCHEMA,
    CATEGORY_CODES,
    CATEGORY_FEATURES,
    DEVICE_FEATURES,
    EVENTS_SCHEMA,
    ITEMS_SCHEMA,
    PRODUCTS_SCHEMA,
    category_code,
    category_features,
    category_spend,
    device_features,
    device_shares,
)

CUT = datetime(2026, 4, 1, tzinfo=UTC)
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0"
TABLET = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)"


def ago(days: float) -> datetime:
    return CUT - timedelta(days=days)


# a: two phone opens and a desktop click, then a tablet open after the cutoff; b: one
# desktop and one tablet open (a tie: desktop has the earlier code); c: only an agent
# nobody can classify.
EVENTS = pl.DataFrame({
    "customer_id": ["a", "a", "a", "a", "b", "b", "c"],
    "occurred_at": [ago(30), ago(2), ago(1), ago(-1), ago(5), ago(4), ago(3)],
    "user_agent": [PHONE, PHONE, DESKTOP, TABLET, TABLET, DESKTOP, "curl/8.0"],
}, schema=EVENTS_SCHEMA)
PRODUCTS = pl.DataFrame({"product_id": ["p1", "p2", "p3", "p4"],
                         "category": ["shoes", "hats", "socks", None]},
                        schema=PRODUCTS_SCHEMA)
# a: shoes 2 × 10 + hats 1 × 5 + socks 5 (no quantity: one), then 100 of hats after the
# cutoff; b: one hat without a price (one unit of spend) and an uncategorised product;
# c: an order whose items are not JSON.
ITEMS = pl.DataFrame({
    "customer_id": ["a", "a", "a", "b", "c"],
    "occurred_at": [ago(40), ago(10), ago(-2), ago(3), ago(1)],
    "items": ['[{"product_id": "p1", "quantity": 2, "price": 10.0}, '
              '{"product_id": "p2", "quantity": 1, "price": 5}]',
              '[{"product_id": "p3", "price": 5.0}]',
              '[{"product_id": "p2", "quantity": 10, "price": 10.0}]',
              '[{"product_id": "p2", "quantity": 1}, {"product_id": "p4", "price": 3}]',
              "not json"],
}, schema=ITEMS_SCHEMA)


def test_golden_device_features():
    assert_frame_equal(device_features(EVENTS, cutoff=CUT).sort("customer_id"), pl.DataFrame({
        "customer_id": ["a", "b"],
        "mobile_share": [2 / 3, 0.0], "desktop_share": [1 / 3, 0.5],
        "tablet_share": [0.0, 0.5],
        # Codes: mobile 0, desktop 1, tablet 2.
        "preferred_device": [0.0, 1.0]}))


def test_golden_category_features():
    spend = category_spend(ITEMS, PRODUCTS, cutoff=CUT)
    assert spend.rows() == [("a", "hats", 5.0), ("a", "shoes", 20.0), ("a", "socks", 5.0),
                            ("b", "hats", 1.0)]
    frame = category_features(ITEMS, PRODUCTS, cutoff=CUT).sort("customer_id")
    shoes, hats = (float(zlib.crc32(name.encode()) % CATEGORY_CODES)
                   for name in ("shoes", "hats"))
    assert_frame_equal(frame, pl.DataFrame({
        "customer_id": ["a", "b"], "top_category_share": [20 / 30, 1.0],
        "categories_bought": [3.0, 1.0], "top_category_code": [shoes, hats]}))


def test_category_codes_are_stable_and_null_for_no_category():
    codes = category_code(pl.Series(["shoes", None, "shoes"]))
    assert codes.to_list() == [float(zlib.crc32(b"shoes") % CATEGORY_CODES), None,
                               float(zlib.crc32(b"shoes") % CATEGORY_CODES)]


def test_nothing_before_the_cutoff_gives_no_rows():
    assert device_features(EVENTS, cutoff=ago(100)).columns == ["customer_id",
                                                                *DEVICE_FEATURES]
    assert device_features(EVENTS, cutoff=ago(100)).is_empty()
    empty = category_features(pl.DataFrame(schema=ITEMS_SCHEMA), PRODUCTS, cutoff=CUT)
    assert empty.columns == ["customer_id", *CATEGORY_FEATURES]
    assert empty.is_empty()


future = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "new"]), st.floats(0, 400),
                            st.sampled_from([PHONE, DESKTOP, TABLET, "p1", "p2", "p3"])),
                  max_size=8)


@settings(max_examples=40, deadline=None)
@given(future)
def test_events_and_orders_at_or_after_the_cutoff_change_nothing(rows):
    """Point-in-time correctness: later opens, clicks and orders are invisible."""
    events = pl.DataFrame([(c, CUT + timedelta(hours=h), agent) for c, h, agent in rows],
                          schema=EVENTS_SCHEMA, orient="row")
    items = pl.DataFrame([(c, CUT + timedelta(hours=h),
                           f'[{{"product_id": "{p}", "quantity": 3, "price": 7}}]')
                          for c, h, p in rows], schema=ITEMS_SCHEMA, orient="row")
    assert_frame_equal(device_features(pl.concat([EVENTS, events]), cutoff=CUT)
                       .sort("customer_id"),
                       device_features(EVENTS, cutoff=CUT).sort("customer_id"))
    assert_frame_equal(category_features(pl.concat([ITEMS, items]), PRODUCTS, cutoff=CUT)
                       .sort("customer_id"),
                       category_features(ITEMS, PRODUCTS, cutoff=CUT).sort("customer_id"))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                          st.sampled_from([PHONE, DESKTOP, TABLET, None, "x"])),
                min_size=1, max_size=20))
def test_device_shares_sum_to_one_and_name_the_most_used(rows):
    events = pl.DataFrame([(c, ago(1), agent) for c, agent in rows], schema=EVENTS_SCHEMA,
                          orient="row")
    frame = device_features(events, cutoff=CUT)
    for row in frame.iter_rows(named=True):
        shares = [row["mobile_share"], row["desktop_share"], row["tablet_share"]]
        assert abs(sum(shares) - 1.0) < 1e-12
        assert shares[int(row["preferred_device"])] == max(shares)


def test_counts_made_by_the_reader_give_the_same_features():
    counts = pl.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
                           "user_agent": [PHONE, DESKTOP, TABLET, TABLET, DESKTOP, "curl/8.0"],
                           # a's tablet open came after the cutoff: counted 0.
                           "n": [2, 1, 0, 1, 1, 1]}, schema=AGENT_COUNTS_SCHEMA)
    assert_frame_equal(device_shares(counts).sort("customer_id"),
                       device_features(EVENTS, cutoff=CUT).sort("customer_id"))
