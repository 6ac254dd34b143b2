"""Golden profiles for hand-made customers, and invariants on random histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.customers import codes
from analytics.customers.profiles import (
    ENGAGEMENT_LEVELS,
    LIFECYCLE_STAGES,
    compute_profiles,
    engagement_level,
)
from analytics.customers.schemas import (
    AGENT_SCHEMA,
    BEHAVIOR_SCHEMA,
    ORDER_SCHEMA,
    PROFILE_SCHEMA,
    SCORE_SCHEMA,
    SEND_SCHEMA,
)

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def ago(days: float, hours: float = 0) -> datetime:
    return AS_OF - timedelta(days=days) + timedelta(hours=hours)


IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"

# ann: three sends (one opened and clicked 9 days ago at 14:00, one unopened, one opened
# only by a privacy proxy), two orders 95 days apart, two web sessions.
CUSTOMERS = pl.DataFrame({
    "customer_id": ["ann", "bob", "cid"],
    "signup_at": [ago(200), ago(10), ago(300)],
    "country": ["US", "CA", None],
    "email_domain": ["example.com", "example.org", "example.net"],
})
SENDS = pl.DataFrame({
    "customer_id": ["ann", "ann", "ann", "cid"],
    "sent_at": [ago(10), ago(60), ago(100), ago(40)],
    "delivered_at": [ago(10), ago(60), ago(100), ago(40)],
    "first_open_at": [ago(9, 14), None, ago(100), ago(40)],
    "first_human_open_at": [ago(9, 14), None, None, ago(40)],
    "first_click_at": [ago(9, 14), None, None, None],
    "unsubscribed_at": [None, None, None, ago(39)],
    "complained_at": [None, None, None, None],
}, schema=SEND_SCHEMA)
ORDERS = pl.DataFrame({"customer_id": ["ann", "ann"], "occurred_at": [ago(100), ago(5)],
                       "amount": [10.0, 30.0]}, schema=ORDER_SCHEMA)
BEHAVIOR = pl.DataFrame({
    "customer_id": ["ann"] * 4,
    "occurred_at": [ago(3), ago(3) + timedelta(minutes=10), ago(3) + timedelta(minutes=25),
                    ago(2)],
    "category": ["shoes", "shoes", "hats", "hats"],
}, schema=BEHAVIOR_SCHEMA)
AGENTS = pl.DataFrame({"customer_id": ["ann"] * 3, "user_agent": [IPHONE, IPHONE, WINDOWS]},
                      schema=AGENT_SCHEMA)


def _profiles() -> dict[str, dict[str, object]]:
    frame = compute_profiles(customers=CUSTOMERS, sends=SENDS, orders=ORDERS,
                             behavior=BEHAVIOR, agents=AGENTS, as_of=AS_OF)
    assert frame.schema == pl.Schema(PROFILE_SCHEMA)
    return {row["customer_id"]: row for row in frame.rows(named=True)}


def test_golden_profile_of_a_hand_made_customer():
    ann = _profiles()["ann"]
    # engagement: deliveries 0.1 × (0.5^(10/30) + 0.5^(60/30) + 0.5^(100/30)), the human
    # open 1 × 0.5^(8.4167/30), the click 3 × the same, orders 5 × (0.5^(100/30) + 0.5^(5/30))
    assert round(ann.pop("engagement_score"), 6) == 8.357943
    assert ann == {
        "customer_id": "ann", "country": "US", "email_domain": "example.com",
        "signup_at": ago(200), "purchases": 2, "lifetime_revenue": 40.0,
        "average_order_value": 20.0,
        "purchase_frequency": 0.6,  # 2 orders over 100 days = 3.33 months
        "last_purchase_at": ago(5), "days_since_last_purchase": 5.0, "sends": 3,
        "open_rate_30d": 1.0, "open_rate_90d": 0.5,
        "click_rate_30d": 1.0, "click_rate_90d": 0.5,
        "sessions": 2, "pages_per_session": 2.0, "session_duration": 750.0,
        "preferred_category": "hats", "preferred_categories": "hats, shoes",
        "device_preference": "mobile", "preferred_send_hour": 14,
        "engagement_level": "high",
        "lifecycle_stage": "win_back",  # an order 5 days ago after a 95-day gap
        "last_activity_at": ago(2), "opted_out": False,
        "churn_probability": None, "churn_risk": None,  # no scores given
        "computed_at": AS_OF,
    }


def test_profiles_carry_the_published_churn_scores():
    scores = pl.DataFrame({"customer_id": ["ann", "cid", "zed"],
                           "churn_probability": [0.15, 0.82, 0.5],
                           "churn_risk": ["low", "critical", "high"]}, schema=SCORE_SCHEMA)
    frame = compute_profiles(customers=CUSTOMERS, sends=SENDS, orders=ORDERS,
                             behavior=BEHAVIOR, agents=AGENTS, as_of=AS_OF, scores=scores)
    # bob has no score (null, so rules on it do not hold); zed is no customer (ignored)
    assert frame.select("customer_id", "churn_probability", "churn_risk").rows() == [
        ("ann", 0.15, "low"), ("bob", None, None), ("cid", 0.82, "critical")]


def test_a_new_customer_without_data_and_an_unsubscriber():
    profiles = _profiles()
    bob, cid = profiles["bob"], profiles["cid"]
    assert (bob["purchases"], bob["sends"], bob["sessions"]) == (0, 0, 0)
    assert bob["average_order_value"] is None and bob["open_rate_90d"] is None
    assert (bob["engagement_score"], bob["engagement_level"]) == (0.0, "none")
    assert bob["lifecycle_stage"] == "new"
    # 0.1 × 0.5^(40/30) + 1 × 0.5^(40/30) - 5 × 0.5^(39/30)
    assert round(cid["engagement_score"], 6) == -1.594096
    assert (cid["opted_out"], cid["lifecycle_stage"]) == (True, "churned")
    assert (cid["open_rate_30d"], cid["open_rate_90d"], cid["click_rate_90d"]) == (
        None, 1.0, 0.0)


def test_engagement_levels():
    scores = pl.DataFrame({"s": [-1.0, 0.0, 0.5, 1.0, 4.99, 5.0]})
    assert scores.select(engagement_level(pl.col("s")).alias("level"))["level"].to_list() == [
        "none", "none", "low", "medium", "medium", "high"]


def test_missing_input_column_is_named():
    try:
        compute_profiles(customers=CUSTOMERS.drop("country"), sends=SENDS, orders=ORDERS,
                         behavior=BEHAVIOR, agents=AGENTS, as_of=AS_OF)
    except ValueError as error:
        assert "missing column 'country'" in str(error)
    else:
        raise AssertionError("a missing column must be refused")


_days = st.floats(min_value=0, max_value=400, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(sends=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), _days, st.booleans(),
                                st.booleans(), st.booleans()), max_size=30),
       orders=st.lists(st.tuples(st.sampled_from(["a", "b", "c", "zz"]), _days,
                                 st.floats(min_value=0, max_value=1000)), max_size=20))
def test_profile_invariants(sends, orders):
    send_frame = pl.DataFrame({
        "customer_id": [s[0] for s in sends], "sent_at": [ago(s[1]) for s in sends],
        "delivered_at": [ago(s[1]) if s[2] else None for s in sends],
        "first_open_at": [ago(s[1]) if s[2] and s[3] else None for s in sends],
        "first_human_open_at": [ago(s[1]) if s[2] and s[3] else None for s in sends],
        "first_click_at": [ago(s[1]) if s[2] and s[4] else None for s in sends],
        "unsubscribed_at": [None] * len(sends), "complained_at": [None] * len(sends),
    }, schema=SEND_SCHEMA)
    order_frame = pl.DataFrame({"customer_id": [o[0] for o in orders],
                                "occurred_at": [ago(o[1]) for o in orders],
                                "amount": [o[2] for o in orders]}, schema=ORDER_SCHEMA)
    customers = pl.DataFrame({"customer_id": ["a", "b", "c"],
                              "signup_at": [ago(500)] * 3, "country": ["US"] * 3,
                              "email_domain": ["x.com"] * 3})
    frame = compute_profiles(customers=customers, sends=send_frame, orders=order_frame,
                             behavior=pl.DataFrame(schema=BEHAVIOR_SCHEMA),
                             agents=pl.DataFrame(schema=AGENT_SCHEMA), as_of=AS_OF)
    assert frame["customer_id"].to_list() == ["a", "b", "c"]  # one row each, no strays
    for row in frame.rows(named=True):
        mine = [o for o in orders if o[0] == row["customer_id"]]
        assert row["purchases"] == len(mine)
        assert abs(row["lifetime_revenue"] - sum(o[2] for o in mine)) < 1e-6
        assert row["sends"] == sum(1 for s in sends if s[0] == row["customer_id"])
        for rate in ("open_rate_30d", "open_rate_90d", "click_rate_30d", "click_rate_90d"):
            assert row[rate] is None or 0.0 <= row[rate] <= 1.0
        assert row["engagement_score"] >= 0.0  # no unsubscribes or complaints here
        assert row["engagement_level"] in ENGAGEMENT_LEVELS
        assert row["lifecycle_stage"] in LIFECYCLE_STAGES


_event = st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 400 * 24 * 60),
                   st.sampled_from(["shoes", "hats", "bags", None]),
                   st.sampled_from([IPHONE, WINDOWS, "Mozilla/5.0 (iPad)", "curl", None]))


def _frames(events: list[tuple]) -> dict[str, pl.DataFrame]:
    minutes = [timedelta(minutes=e[1]) for e in events]
    return {
        "sends": pl.DataFrame({
            "customer_id": [e[0] for e in events], "sent_at": [AS_OF - m for m in minutes],
            "delivered_at": [AS_OF - m for m in minutes],
            "first_open_at": [AS_OF - m if e[1] % 2 else None for e, m in zip(events, minutes)],
            "first_human_open_at": [AS_OF - m + timedelta(hours=e[1] % 5) if e[1] % 3
                                    else None for e, m in zip(events, minutes)],
            "first_click_at": [AS_OF - m if e[1] % 7 == 0 else None
                               for e, m in zip(events, minutes)],
            "unsubscribed_at": [None] * len(events), "complained_at": [None] * len(events),
        }, schema=SEND_SCHEMA),
        "orders": pl.DataFrame({"customer_id": [e[0] for e in events[::3]],
                                "occurred_at": [AS_OF - m for m in minutes[::3]],
                                "amount": [float(e[1] % 97) for e in events[::3]]},
                               schema=ORDER_SCHEMA),
        "behavior": pl.DataFrame({"customer_id": [e[0] for e in events],
                                  "occurred_at": [AS_OF - m / 1000 for m in minutes],
                                  "category": [e[2] for e in events]}, schema=BEHAVIOR_SCHEMA),
        "agents": pl.DataFrame({"customer_id": [e[0] for e in events],
                                "user_agent": [e[3] for e in events]}, schema=AGENT_SCHEMA),
    }


_CUSTOMERS = pl.DataFrame({"customer_id": ["a", "b", "c"], "signup_at": [ago(500)] * 3,
                           "country": ["US"] * 3, "email_domain": ["x.com"] * 3})


@settings(max_examples=40, deadline=None)
@given(events=st.lists(_event, max_size=40), order=st.randoms(use_true_random=False))
def test_the_input_order_changes_nothing(events, order):
    # Inputs ordered by customer (as the repository may read them) and shuffled ones
    # give the same profiles.
    frames = _frames(events)
    by_customer = {name: frame.sort(["customer_id", *(["occurred_at"] if name in (
        "orders", "behavior") else [])]) for name, frame in frames.items()}
    shuffled = {name: frame.sample(fraction=1.0, shuffle=True, seed=order.randrange(2**32))
                for name, frame in frames.items()}
    assert_frame_equal(
        compute_profiles(customers=_CUSTOMERS, **by_customer, as_of=AS_OF),
        compute_profiles(customers=_CUSTOMERS, **shuffled, as_of=AS_OF),
        check_exact=False, abs_tol=1e-9)


@settings(max_examples=40, deadline=None)
@given(events=st.lists(_event, max_size=40), rows=st.integers(1, 4))
def test_slices_and_sparse_counting_change_nothing(events, rows):
    # The sends and user agents are counted in slices whose counts add up, the top
    # categories densely or sparsely: any slice size and either path, the same profiles.
    frames = _frames(events)
    whole = compute_profiles(customers=_CUSTOMERS, **frames, as_of=AS_OF)
    with mock.patch.object(codes, "SLICE_ROWS", rows), \
            mock.patch.object(codes, "MATRIX_CELLS", -1):
        sliced = compute_profiles(customers=_CUSTOMERS, **frames, as_of=AS_OF)
    assert_frame_equal(whole, sliced, check_exact=False, abs_tol=1e-9)


def test_orders_and_visits_without_a_time():
    # An order without a time counts in purchases and revenue, not in the times; a web
    # event without a time is no visit.
    orders = pl.DataFrame({"customer_id": ["ann", "ann", "ann"],
                           "occurred_at": [ago(100), None, ago(5)],
                           "amount": [10.0, 7.0, 30.0]}, schema=ORDER_SCHEMA)
    behavior = pl.concat([BEHAVIOR, pl.DataFrame({"customer_id": ["ann"], "occurred_at": [None],
                                                  "category": ["hats"]}, schema=BEHAVIOR_SCHEMA)])
    ann = compute_profiles(customers=CUSTOMERS, sends=SENDS, orders=orders, behavior=behavior,
                           agents=AGENTS, as_of=AS_OF).row(0, named=True)
    assert (ann["purchases"], ann["lifetime_revenue"]) == (3, 47.0)
    assert (ann["last_purchase_at"], ann["days_since_last_purchase"]) == (ago(5), 5.0)
    assert (ann["sessions"], ann["pages_per_session"]) == (2, 2.0)
    assert ann["lifecycle_stage"] == "win_back"
