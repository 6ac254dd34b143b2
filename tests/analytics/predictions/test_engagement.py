from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.predictions import customer_features
from analytics.predictions.engagement import (
    CAMPAIGNS_SCHEMA,
    ENGAGEMENT_FEATURES,
    SENDS_SCHEMA,
    campaign_features,
    engagement_pairs,
    train_engagement,
)
from analytics.predictions.features import CUSTOMERS_SCHEMA, ORDERS_SCHEMA

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)  # a Monday
CAMPAIGNS = pl.DataFrame({
    "campaign_id": ["c2", "c1"],
    "subject_line": ["{{first_name}}, last chance: ends TONIGHT!", "Our spring news?"],
    "send_at": [T0 + timedelta(days=5, hours=9), T0]}, schema=CAMPAIGNS_SCHEMA)


def test_campaign_features_golden():
    frame = campaign_features(CAMPAIGNS)
    assert_frame_equal(frame, pl.DataFrame({
        "campaign_id": ["c1", "c2"], "subject_length": [16.0, 42.0],
        "subject_words": [3.0, 5.0], "subject_exclamation": [0.0, 1.0],
        "subject_question": [1.0, 0.0], "subject_personalised": [0.0, 1.0],
        "subject_urgency": [0.0, 3.0], "send_hour": [9.0, 18.0],
        "send_weekday": [1.0, 6.0], "hours_since_previous": [None, 129.0]}))


def _sends(rows):
    return pl.DataFrame(rows, schema=SENDS_SCHEMA, orient="row")


def test_pairs_leave_machine_only_opens_out_and_label_people():
    sends = _sends([
        ("a", "c1", T0, T0 + timedelta(hours=1), None, 0),        # person opened
        ("b", "c1", T0, None, None, 2),                           # only a proxy opened
        ("c", "c1", T0, T0 + timedelta(hours=2), T0 + timedelta(hours=3), 1),  # both
        ("a", "c2", T0 + timedelta(days=5), None, None, 0),       # nothing
        ("a", "c9", T0 + timedelta(days=40), None, None, 0),      # after the window
    ])
    customers = pl.DataFrame({"customer_id": ["a", "b", "c"],
                              "signup_at": [T0 - timedelta(days=10)] * 3},
                             schema=CUSTOMERS_SCHEMA)
    features = customer_features(customers, pl.DataFrame(schema=ORDERS_SCHEMA),
                                 sends.select("customer_id", "sent_at",
                                              "first_human_open_at", "first_click_at"),
                                 cutoff=T0)
    pairs = engagement_pairs(sends, CAMPAIGNS, features, start=T0,
                             end=T0 + timedelta(days=30))

    assert pairs.select("customer_id", "campaign_id", "open", "click").sort(
        "customer_id", "campaign_id").rows() == [
        ("a", "c1", True, False), ("a", "c2", False, False), ("c", "c1", True, True)]
    assert pairs.columns == ["customer_id", "campaign_id", *ENGAGEMENT_FEATURES, "open",
                             "click"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(-40, 80), st.integers(0, 3), st.booleans()),
                max_size=30))
def test_pairs_hold_only_the_windows_sends(rows):
    sends = _sends([(f"u{i % 3}", "c1", T0 + timedelta(days=d), None, None, m)
                    for i, (d, m, _) in enumerate(rows)])
    customers = pl.DataFrame({"customer_id": ["u0", "u1", "u2"],
                              "signup_at": [T0 - timedelta(days=90)] * 3},
                             schema=CUSTOMERS_SCHEMA)
    features = customer_features(customers, pl.DataFrame(schema=ORDERS_SCHEMA),
                                 pl.DataFrame(schema={c: SENDS_SCHEMA[c] for c in (
                                     "customer_id", "sent_at", "first_human_open_at",
                                     "first_click_at")}), cutoff=T0)
    pairs = engagement_pairs(sends, CAMPAIGNS, features, start=T0,
                             end=T0 + timedelta(days=30))
    inside = sum(1 for d, m, _ in rows if 0 <= d < 30 and m == 0)
    assert pairs.height == inside
    assert not pairs["open"].any()


@cache
def demo_pairs():
    from server.demo.generate import generate

    frames = generate(customers=1500, days=120, seed=3).frames
    events = frames["events"]
    first = (events.filter((pl.col("type") == "open") & ~pl.col("machine_open"))
             .group_by("message_id").agg(first_human_open_at=pl.col("occurred_at").min()))
    machine = (events.filter((pl.col("type") == "open") & pl.col("machine_open"))
               .group_by("message_id").agg(machine_open_count=pl.len().cast(pl.Int64)))
    clicks = (events.filter(pl.col("type") == "click")
              .group_by("message_id").agg(first_click_at=pl.col("occurred_at").min()))
    sends = (frames["messages"].join(first, on="message_id", how="left")
             .join(clicks, on="message_id", how="left")
             .join(machine, on="message_id", how="left")
             .with_columns(pl.col("machine_open_count").fill_null(0)).select(list(SENDS_SCHEMA)))
    campaigns = frames["campaigns"].select(list(CAMPAIGNS_SCHEMA))
    orders = frames["orders"].select("customer_id", "occurred_at",
                                     pl.col("amount").cast(pl.Float64))
    customers = frames["customers"].select("customer_id", "signup_at")
    history = sends.select("customer_id", "sent_at", "first_human_open_at", "first_click_at")
    end, h = sends["sent_at"].max(), timedelta(days=30)

    def pairs(start):
        features = customer_features(customers, orders, history, cutoff=start)
        return engagement_pairs(sends, campaigns, features, start=start, end=start + h)

    return pairs(end - 2 * h), pairs(end - h)


@pytest.mark.parametrize("target", ["open", "click"])
def test_training_reports_both_models_and_is_deterministic(target):
    train, holdout = demo_pairs()
    first = train_engagement(train, holdout, target=target)
    second = train_engagement(train, holdout, target=target)

    assert first.artifact == second.artifact
    assert (first.train_rows, first.holdout_rows) == (train.height, holdout.height)
    assert first.model_metrics.count == first.baseline_metrics.count == holdout.height
    assert first.model_metrics.auc > 0.6 and first.baseline_metrics.auc > 0.6
    assert sum(share for _, share in first.importance) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="target 'reply' is unknown; choose open or click"):
        train_engagement(train, holdout, target="reply")
