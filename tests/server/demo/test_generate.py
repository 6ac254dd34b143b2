"""The demo generator: contract columns, determinism, referential sanity (property test)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from server.demo import KINDS, generate

END = datetime(2026, 11, 1, tzinfo=UTC)
COLUMNS = {
    "customers": ["customer_id", "email", "first_name", "last_name", "signup_at", "country",
                  "timezone"],
    "products": ["product_id", "name", "category", "price"],
    "campaigns": ["campaign_id", "name", "subject_line", "sender_name", "campaign_type",
                  "category", "template_id", "send_at", "html", "template_type"],
    "variants": ["campaign_id", "variant_id", "subject_line", "weight"],
    "messages": ["message_id", "campaign_id", "variant_id", "customer_id", "sent_at"],
    "events": ["event_id", "type", "occurred_at", "message_id", "campaign_id", "customer_id",
               "email", "url", "user_agent", "machine_open", "bounce_type"],
    "orders": ["order_id", "customer_id", "occurred_at", "amount", "currency", "items"],
    "touchpoints": ["touchpoint_id", "customer_id", "channel", "campaign_id", "occurred_at"],
    "behavior": ["event_id", "customer_id", "type", "occurred_at", "product_id", "properties"],
    "spend": ["spend_id", "incurred_on", "category", "cost_type", "amount", "currency",
              "vendor", "campaign_id"],
}
ID_COLUMN = {"customers": "customer_id", "products": "product_id", "campaigns": "campaign_id",
             "messages": "message_id", "events": "event_id", "orders": "order_id",
             "touchpoints": "touchpoint_id", "behavior": "event_id", "spend": "spend_id"}
TIME_COLUMN = {"customers": "signup_at", "campaigns": "send_at", "messages": "sent_at",
               "events": "occurred_at", "orders": "occurred_at", "touchpoints": "occurred_at",
               "behavior": "occurred_at"}


@pytest.fixture(scope="module")
def small():
    return generate(customers=500, campaigns=6, days=30, seed=11)


def test_frames_follow_the_import_contract_in_load_order(small):
    assert tuple(small.frames) == KINDS
    assert {kind: frame.columns for kind, frame in small.frames.items()} == COLUMNS
    assert small.truth["counts"] == small.counts()
    assert small.counts()["customers"] == 500
    assert small.counts()["campaigns"] == 6
    assert small.truth["parameters"] == {"customers": 500, "campaigns": 6, "days": 30}
    assert small.truth["window"] == {"start": "2026-10-02T00:00:00+00:00",
                                     "end": "2026-11-01T00:00:00+00:00"}


def test_same_seed_same_frames_and_truth_other_seed_differs(small):
    again = generate(customers=500, campaigns=6, days=30, seed=11)
    for kind in KINDS:
        assert_frame_equal(small.frames[kind], again.frames[kind])
    assert json.dumps(small.truth) == json.dumps(again.truth)
    other = generate(customers=500, campaigns=6, days=30, seed=12)
    assert not other.frames["customers"].equals(small.frames["customers"])
    assert not other.frames["events"].equals(small.frames["events"])


def test_default_campaign_count_is_one_every_three_days():
    data = generate(customers=50, days=30, seed=1)
    assert data.counts()["campaigns"] == 10


@pytest.mark.parametrize(("arguments", "message"), [
    ({"customers": 0}, "customers=0: pass at least 1 customer"),
    ({"days": 7}, "days=7: pass at least 14 days"),
    ({"campaigns": 0}, "campaigns=0: pass at least 1 campaign"),
])
def test_bad_sizes_name_the_argument(arguments, message):
    with pytest.raises(ValueError, match=message):
        generate(**arguments)


def test_demo_content_is_realistic(small):
    events = small.frames["events"]
    assert set(events["type"].unique()) <= {"delivered", "open", "click", "bounce",
                                             "unsubscribe", "complaint", "deferred", "dropped"}
    assert events.select(pl.col("campaign_id", "customer_id", "email").null_count().sum()
                         ).row(0) == (events.height,) * 3
    bounces = events.filter(type="bounce")
    assert set(bounces["bounce_type"].unique()) <= {"hard", "soft"}
    assert events.filter(pl.col("type") != "bounce")["bounce_type"].null_count() == (
        events.height - bounces.height)
    clicks = events.filter(type="click")
    assert clicks["url"].str.starts_with("https://shop.example.com/").all()
    assert events.filter(pl.col("type") != "click")["url"].null_count() == (
        events.height - clicks.height)
    ab = small.frames["variants"].group_by("campaign_id").agg(pl.col("weight").sum())
    assert ab["weight"].round(9).to_list() == [1.0] * ab.height
    items = small.frames["orders"]["items"].str.json_decode(pl.List(pl.Struct({
        "product_id": pl.Utf8, "quantity": pl.Int64, "price": pl.Float64})))
    totals = items.list.eval(pl.element().struct.field("quantity")
                             * pl.element().struct.field("price")).list.sum().round(2)
    assert (totals == small.frames["orders"]["amount"].cast(pl.Float64)).all()


def _check_integrity(data) -> None:
    frames = data.frames
    for kind, column in ID_COLUMN.items():
        assert frames[kind][column].is_unique().all(), kind
    for kind, column in TIME_COLUMN.items():
        series = frames[kind][column]
        assert series.dtype == pl.Datetime("us", "UTC"), kind
        assert series.null_count() == 0, kind
        assert (series < END).all(), kind
    assert (frames["spend"]["incurred_on"] < END.date()).all()
    messages, events = frames["messages"], frames["events"]
    assert events["message_id"].is_in(messages["message_id"].implode()).all()
    customers = frames["customers"].select("customer_id", "signup_at")
    for kind in ("messages", "orders", "touchpoints"):
        assert frames[kind]["customer_id"].is_in(customers["customer_id"].implode()).all()
    orders = frames["orders"].join(customers, on="customer_id")
    assert (orders["occurred_at"] >= orders["signup_at"]).all()
    sends = messages.join(customers, on="customer_id")
    assert (sends["sent_at"] > sends["signup_at"]).all()
    first = events.join(messages.select("message_id", "sent_at"), on="message_id")
    assert (first["occurred_at"] >= first["sent_at"]).all()
    assert messages.join(frames["campaigns"], on="campaign_id", how="anti").height == 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customers=st.integers(20, 400), campaigns=st.integers(1, 8),
       days=st.integers(14, 90), seed=st.integers(0, 2**32 - 1))
def test_any_small_world_is_consistent(customers, campaigns, days, seed):
    _check_integrity(generate(customers=customers, campaigns=campaigns, days=days, seed=seed))
