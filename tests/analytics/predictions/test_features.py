from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.predictions.features import (
    CUSTOMERS_SCHEMA,
    FEATURES,
    MESSAGES_SCHEMA,
    ORDERS_SCHEMA,
    churn_labels,
    customer_features,
    shard_of,
)
from analytics.predictions.preferences import (
    CATEGORY_CODES,
    DEVICE_FEATURES,
    EVENTS_SCHEMA,
    ITEMS_SCHEMA,
    PREFERENCE_FEATURES,
    PRODUCTS_SCHEMA,
)

CUT = datetime(2026, 4, 1, tzinfo=UTC)


def ago(days: float, hour: int = 0) -> datetime:
    return CUT - timedelta(days=days) + timedelta(hours=hour)


CUSTOMERS = pl.DataFrame({"customer_id": ["a", "b", "c", "late"],
                          "signup_at": [ago(200), ago(40), None, ago(-1)]},
                         schema=CUSTOMERS_SCHEMA)
ORDERS = pl.DataFrame({"customer_id": ["a", "a", "a", "c", "a"],
                       "occurred_at": [ago(150), ago(50), ago(10), ago(5), ago(-2)],
                       "amount": [10.0, 20.0, 30.0, 8.0, 99.0]}, schema=ORDERS_SCHEMA)
# b: three sends; the second opened (a Saturday, 14:00) and clicked; the third opened only
# after the cutoff, which features must not see.
MESSAGES = pl.DataFrame({
    "customer_id": ["b", "b", "b"],
    "sent_at": [ago(35), ago(20), ago(1)],
    "first_human_open_at": [None, ago(20, 14), ago(-1)],
    "first_click_at": [None, ago(19), None],
}, schema=MESSAGES_SCHEMA)


def test_golden_features():
    frame = customer_features(CUSTOMERS, ORDERS, MESSAGES, cutoff=CUT)
    rows = {row["customer_id"]: row for row in frame.iter_rows(named=True)}

    assert frame.columns == ["customer_id", *FEATURES, *PREFERENCE_FEATURES]
    assert list(rows) == ["a", "b", "c"]  # "late" signed up after the cutoff
    # Without events, items and products there are no preferences to know.
    assert all(row[name] is None for row in rows.values() for name in PREFERENCE_FEATURES
               if name != "categories_bought")
    assert [row["categories_bought"] for row in rows.values()] == [0.0, 0.0, 0.0]
    a, b, c = rows["a"], rows["b"], rows["c"]
    assert (a["tenure_days"], a["recency_days"], a["frequency"], a["monetary"],
            a["revenue_total"], a["orders_90d"], a["order_trend"]) == (
        200.0, 10.0, 3.0, 20.0, 60.0, 2.0, 1.0)
    assert (a["sends_90d"], a["opens_90d"], a["open_rate_90d"], a["days_since_open"]) == (
        0.0, 0.0, None, None)
    assert a["days_since_activity"] == 10.0
    assert (b["tenure_days"], b["sends_30d"], b["sends_90d"], b["opens_7d"], b["opens_30d"],
            b["clicks_30d"], b["open_rate_90d"]) == (40.0, 2.0, 3.0, 0.0, 1.0, 1.0, 1 / 3)
    assert b["days_since_open"] == pytest.approx(20 - 14 / 24)
    assert (b["days_since_click"], b["days_since_activity"]) == (19.0, 19.0)
    assert (b["preferred_open_hour"], b["weekend_open_share"]) == (14.0, 0.0)
    assert b["recency_days"] is None and b["frequency"] == 0.0
    assert (c["tenure_days"], c["recency_days"], c["days_since_activity"]) == (5.0, 5.0, 5.0)


# b read on a phone twice and a desktop once before the cutoff, then on a tablet after
# it; a bought shoes and hats before the cutoff, hats again after it.
EVENTS = pl.DataFrame({"customer_id": ["b", "b", "b", "b"],
                       "occurred_at": [ago(20, 14), ago(19), ago(2), ago(-1)],
                       "user_agent": ["Mozilla/5.0 (iPhone) Mobile", "Mozilla/5.0 (iPhone)",
                                      "Mozilla/5.0 (Windows NT 10.0)", "Mozilla/5.0 (iPad)"]},
                      schema=EVENTS_SCHEMA)
ITEMS = pl.DataFrame({"customer_id": ["a", "a", "a"],
                      "occurred_at": [ago(50), ago(10), ago(-2)],
                      "items": ['[{"product_id": "s", "quantity": 1, "price": 20}]',
                                '[{"product_id": "h", "quantity": 2, "price": 5}]',
                                '[{"product_id": "h", "quantity": 9, "price": 50}]']},
                     schema=ITEMS_SCHEMA)
PRODUCTS = pl.DataFrame({"product_id": ["s", "h"], "category": ["shoes", "hats"]},
                        schema=PRODUCTS_SCHEMA)


def test_golden_preference_features():
    frame = customer_features(CUSTOMERS, ORDERS, MESSAGES, cutoff=CUT, events=EVENTS,
                              items=ITEMS, products=PRODUCTS)
    assert frame.select("customer_id", *PREFERENCE_FEATURES).rows() == [
        ("a", None, None, None, None, 20 / 30, 2.0,
         float(zlib.crc32(b"shoes") % CATEGORY_CODES)),
        ("b", 2 / 3, 1 / 3, 0.0, 0.0, None, 0.0, None),
        ("c", None, None, None, None, None, 0.0, None)]
    # The history features do not depend on the preference inputs.
    plain = customer_features(CUSTOMERS, ORDERS, MESSAGES, cutoff=CUT)
    assert_frame_equal(frame.select("customer_id", *FEATURES),
                       plain.select("customer_id", *FEATURES))


def test_a_purchase_only_store_has_category_but_no_device_features():
    frame = customer_features(CUSTOMERS, ORDERS, pl.DataFrame(schema=MESSAGES_SCHEMA),
                              cutoff=CUT, events=pl.DataFrame(schema=EVENTS_SCHEMA),
                              items=ITEMS, products=PRODUCTS)
    assert frame["customer_id"].to_list() == ["a", "b", "c"]
    assert frame.select(DEVICE_FEATURES).null_count().row(0) == (3, 3, 3, 3)
    assert frame["categories_bought"].to_list() == [2.0, 0.0, 0.0]


def test_golden_history_features():
    rows = {row["customer_id"]: row for row in customer_features(
        CUSTOMERS, ORDERS, MESSAGES, cutoff=CUT).iter_rows(named=True)}
    a, b, c = rows["a"], rows["b"], rows["c"]

    # a ordered 150, 50 and 10 days ago: gaps of 70 days on average, 1/7 of one since.
    assert (a["first_order_days"], a["order_gap_mean"], a["order_rate"]) == (
        150.0, 70.0, 3 / 200)
    assert a["gaps_since_order"] == pytest.approx(1 / 7)
    assert (a["sends_total"], a["open_rate_all"], a["days_since_send"], a["mail_stopped"]) == (
        0.0, None, None, 0.0)
    # b: three sends, one opened and clicked before the cutoff (the later open is unseen).
    assert (b["sends_total"], b["opens_total"], b["clicks_total"], b["open_rate_all"],
            b["click_rate_all"], b["days_since_send"]) == (3.0, 1.0, 1.0, 1 / 3, 1 / 3, 1.0)
    assert (b["open_gap_mean"], b["gaps_since_open"], b["order_gap_mean"]) == (
        None, None, None)
    # c: one order in five days seen, so no gap to measure yet.
    assert (c["order_gap_mean"], c["gaps_since_order"], c["order_rate"]) == (None, None, 0.2)


def test_a_stop_counts_from_its_own_time():
    """An opt-out, complaint or hard bounce before the cutoff means no more mail; one at
    or after it is the future and changes nothing."""
    def with_stop(days_ago: float | None) -> pl.DataFrame:
        stop = None if days_ago is None else ago(days_ago)
        return MESSAGES.with_columns(stopped_at=pl.when(pl.col("sent_at") == ago(20))
                                     .then(pl.lit(stop, dtype=MESSAGES_SCHEMA["sent_at"])))

    def stopped(messages: pl.DataFrame) -> list[float]:
        frame = customer_features(CUSTOMERS, ORDERS, messages, cutoff=CUT)
        return frame["mail_stopped"].to_list()

    assert stopped(MESSAGES) == [0.0, 0.0, 0.0]  # the column is optional
    assert stopped(with_stop(None)) == [0.0, 0.0, 0.0]
    assert stopped(with_stop(19)) == [0.0, 1.0, 0.0]
    assert stopped(with_stop(0)) == [0.0, 0.0, 0.0]
    assert stopped(with_stop(-3)) == [0.0, 0.0, 0.0]
    assert_frame_equal(customer_features(CUSTOMERS, ORDERS, with_stop(-3), cutoff=CUT),
                       customer_features(CUSTOMERS, ORDERS, MESSAGES, cutoff=CUT))


def test_labels_count_orders_and_human_engagement_in_the_window():
    ids = pl.Series(["a", "b", "c"])
    labels = churn_labels(ORDERS, MESSAGES, ids, cutoff=CUT, horizon_days=3)

    assert_frame_equal(labels, pl.DataFrame({"customer_id": ["a", "b", "c"],
                                             "churned": [False, False, True]}))
    # b's open at exactly cutoff + 1 day falls outside a one-day window (end exclusive).
    shorter = churn_labels(ORDERS, MESSAGES, ids, cutoff=CUT, horizon_days=1)
    assert shorter["churned"].to_list() == [True, True, True]


def test_naive_cutoff_is_refused():
    with pytest.raises(ValueError, match="has no timezone; pass an aware UTC datetime"):
        customer_features(CUSTOMERS, ORDERS, MESSAGES, cutoff=datetime(2026, 4, 1))


def test_shards_are_stable_and_cover_every_id():
    ids = pl.Series([f"u{i}" for i in range(200)])
    shards = shard_of(ids, 3)
    assert shards[:6].tolist() == shard_of(ids[:6], 3).tolist()
    assert sorted(set(shards.tolist())) == [0, 1, 2]
    assert shard_of(pl.Series(["u1", "abc"]), 7).tolist() == [5, 5]  # CRC-32 mod 7
    with pytest.raises(ValueError, match="shards must be >= 1"):
        shard_of(ids, 0)


future_rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "new"]),
                                 st.floats(0, 400), st.floats(1, 500)), max_size=8)


@settings(max_examples=40, deadline=None)
@given(future_rows, future_rows)
def test_rows_at_or_after_the_cutoff_change_nothing(orders, sends):
    """Point-in-time correctness: the future (orders, sends, opens) is invisible."""
    more_orders = pl.DataFrame([(c, CUT + timedelta(hours=h), a) for c, h, a in orders],
                               schema=ORDERS_SCHEMA, orient="row")
    more_sends = pl.DataFrame([(c, CUT + timedelta(hours=h), CUT + timedelta(hours=h + 1),
                                CUT + timedelta(hours=h + 2)) for c, h, _ in sends],
                              schema=MESSAGES_SCHEMA, orient="row")
    more_events = pl.DataFrame([(c, CUT + timedelta(hours=h), "Mozilla/5.0 (iPad)")
                                for c, h, _ in sends], schema=EVENTS_SCHEMA, orient="row")
    more_items = pl.DataFrame([(c, CUT + timedelta(hours=h),
                                f'[{{"product_id": "h", "quantity": 1, "price": {a}}}]')
                               for c, h, a in orders], schema=ITEMS_SCHEMA, orient="row")
    before = customer_features(CUSTOMERS, ORDERS, MESSAGES, cutoff=CUT, events=EVENTS,
                               items=ITEMS, products=PRODUCTS)
    after = customer_features(CUSTOMERS, pl.concat([ORDERS, more_orders]),
                              pl.concat([MESSAGES, more_sends]), cutoff=CUT,
                              events=pl.concat([EVENTS, more_events]),
                              items=pl.concat([ITEMS, more_items]), products=PRODUCTS)
    assert_frame_equal(after, before)
