"""The truth describes the data: empirical rates fall where the true rates say they should."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest

from server.demo import generate

Z_999 = 3.2905  # two-sided 99.9% normal quantile


@pytest.fixture(scope="module")
def world():
    return generate(customers=20000, campaigns=24, days=90, seed=4)


@pytest.fixture(scope="module")
def sends(world):
    events = world.frames["events"]
    per_message = events.group_by("message_id").agg(
        delivered=(pl.col("type") == "delivered").any(),
        human_open=((pl.col("type") == "open") & ~pl.col("machine_open")).any(),
        machine_open=pl.col("machine_open").any(),
        click=(pl.col("type") == "click").any(),
        hard=(pl.col("bounce_type") == "hard").any(),
        soft=(pl.col("bounce_type") == "soft").any(),
    )
    customers = world.frames["customers"].select(
        "customer_id", domain=pl.col("email").str.split("@").list.last())
    return (world.frames["messages"].join(per_message, on="message_id", how="left")
            .join(customers, on="customer_id").fill_null(False))


def _within(successes: int, trials: int, p: float) -> bool:
    half = Z_999 * math.sqrt(p * (1 - p) / trials)
    return abs(successes / trials - p) <= half


def test_truth_is_json_and_counts_match(world):
    assert json.loads(json.dumps(world.truth)) == world.truth
    assert world.truth["counts"] == world.counts()
    sources = world.truth["orders"]["sources"]
    assert sum(s["orders"] for s in sources.values()) == world.counts()["orders"]
    revenue = world.frames["orders"]["amount"].cast(pl.Float64).sum()
    assert sum(s["revenue"] for s in sources.values()) == pytest.approx(revenue, abs=0.05)


def test_variant_open_and_click_rates_match_truth(world, sends):
    arms = sends.filter("delivered").group_by("campaign_id", "variant_id").agg(
        n=pl.len(), opens=pl.col("human_open").sum(), clicks=pl.col("click").sum())
    checked = 0
    for row in arms.iter_rows(named=True):
        truth = world.truth["campaigns"][row["campaign_id"]]["variants"][row["variant_id"]]
        assert truth["delivered"] == row["n"]
        if row["n"] < 200:
            continue
        assert _within(row["opens"], row["n"], truth["true_open_rate"]), row
        assert _within(row["clicks"], row["n"], truth["true_click_rate"]), row
        checked += 1
    ab = [c for c in world.truth["campaigns"].values() if c["ab_test"]]
    assert checked >= 20
    assert ab and all(set(c["variants"]) <= {"A", "B", "C"} for c in ab)
    assert all(c["variants"]["A"]["open_logit_lift"] == 0.0 for c in ab)


def test_provider_bounce_rates_match_truth(world, sends):
    providers = world.truth["population"]["providers"]
    by_domain = sends.group_by("domain").agg(n=pl.len(), hard=pl.col("hard").sum(),
                                             soft=pl.col("soft").sum())
    assert set(by_domain["domain"]) == set(providers)
    for row in by_domain.iter_rows(named=True):
        truth = providers[row["domain"]]
        assert _within(row["hard"], row["n"], truth["hard_bounce_rate"]), row
        assert _within(row["soft"], row["n"], truth["soft_bounce_rate"]), row


def test_machine_opens_come_only_from_apple_mail(world, sends):
    apple = set(world.truth["email"]["apple_mail_domains"])
    assert apple == {"icloud.com", "me.com"}
    machine = sends.filter("machine_open")
    assert set(machine["domain"]) == apple
    delivered_apple = sends.filter(pl.col("delivered") & pl.col("domain").is_in(list(apple)))
    assert _within(machine.height, delivered_apple.height,
                   world.truth["email"]["machine_open_probability"])
    agents = world.frames["events"].filter("machine_open")["user_agent"].unique().to_list()
    assert agents == ["Mozilla/5.0"]


def test_touchpoint_channels_convert_in_truth_order(world):
    channels = world.truth["orders"]["touch_channels"]
    touches = world.frames["touchpoints"]["channel"].value_counts()
    counts = dict(touches.iter_rows())
    assert set(channels) <= set(counts)
    assert {"display", "affiliate"} <= set(counts)  # media-driven touchpoints
    assert counts["web"] > counts["referral"]


def test_touchpoint_and_media_orders_match_their_true_rates(world):
    orders = world.truth["orders"]
    touches = dict(world.frames["touchpoints"]["channel"].value_counts().iter_rows())
    for channel, truth in orders["touch_channels"].items():
        assert truth["touchpoints"] <= touches[channel]
        assert _within(truth["orders"], truth["touchpoints"], truth["conversion_probability"])
    assert sum(t["orders"] for t in orders["touch_channels"].values()) == (
        orders["sources"]["touchpoint"]["orders"])
    for name, media in orders["media"].items():
        expected = media["expected_orders"]
        assert abs(media["orders"] - expected) <= Z_999 * math.sqrt(expected), name
        if media["channel"]:
            assert touches[media["channel"]] >= orders["touch_channels"].get(
                media["channel"], {"touchpoints": 0})["touchpoints"] + media["orders"]
    assert sum(m["orders"] for m in orders["media"].values()) == (
        orders["sources"]["media"]["orders"])
    assert world.frames["spend"]["category"].unique().sort().to_list() == sorted(
        orders["media"])


def test_customer_truth_has_every_customers_latent_traits(world):
    from server.demo.constants import ZONES

    truth = world.customers_truth
    customers = world.frames["customers"]
    offsets = pl.DataFrame({"timezone": [z[1] for z in ZONES],
                            "offset": [z[2] for z in ZONES]})

    assert truth.columns == ["customer_id", "utc_offset_hours", "preferred_hour",
                             "engagement", "engagement_logit", "purchase_rate", "dropout"]
    assert truth["customer_id"].to_list() == customers["customer_id"].to_list()
    joined = (customers.select("customer_id", "timezone").join(offsets, on="timezone")
              .join(truth, on="customer_id"))
    assert joined.height == truth.height
    assert (joined["offset"] == joined["utc_offset_hours"]).all()
    assert truth["preferred_hour"].is_between(0, 23).all()
    assert truth["engagement"].is_between(0.0, 1.0, closed="none").all()
    assert truth["dropout"].is_between(0.0, 1.0, closed="none").all()


def test_hour_open_effect_golden():
    import numpy as np

    from server.demo.engagement import hour_open_effect

    effect = hour_open_effect(np.array([8, 3, 22, 12, 23]), np.array([8, 8, 0, 20, 0]))

    assert effect.round(6).tolist() == [0.45, -0.45, 0.2, 0.0, 0.4]


def test_true_churn_probability_ranks_the_churners():
    from datetime import timedelta

    from analytics.predictions import churn_labels, classification_metrics

    data = generate(customers=1500, days=120, seed=3)
    events = data.frames["events"]
    engaged = (events.filter(((pl.col("type") == "open") & ~pl.col("machine_open"))
                             | (pl.col("type") == "click"))
               .group_by("message_id").agg(first_human_open_at=pl.col("occurred_at").min()))
    sends = data.frames["messages"].join(engaged, on="message_id", how="left").with_columns(
        first_click_at=pl.lit(None, pl.Datetime("us", "UTC")))
    orders = data.frames["orders"].select("customer_id", "occurred_at")
    cutoff = sends["sent_at"].max() - timedelta(days=30)

    from server.demo.truth import true_churn_probability

    latent = true_churn_probability(data.customers_truth, orders,
                                    sends.select("customer_id", "sent_at"), cutoff=cutoff,
                                    horizon_days=30)
    labels = churn_labels(orders, sends, latent["customer_id"], cutoff=cutoff,
                          horizon_days=30).join(latent, on="customer_id")
    auc = classification_metrics(labels["churned"].cast(pl.Float64).to_numpy(),
                                 labels["p_churn"].to_numpy()).auc

    assert latent.height == 1500
    assert latent["p_churn"].is_between(0.0, 1.0).all()
    assert auc > 0.8


def test_expected_churn_probability_golden():
    """One newsletter on a Monday at 09:00 UTC (reach 0.85). a reads at 09:00 with an
    engagement term that puts the open logit at 0: P(open) 0.5, so P(churn) = 1 − 0.85 ×
    0.5. The re-engagement mail reaches nobody (all are too engaged for it) and the last
    newsletter falls after the horizon. b stopped mail before the cutoff; d's stop comes
    after it (the future), so d is mailed like a; c signed up after the send. Nobody buys
    (purchase rate 0) but e, whose rate makes an order all but certain."""
    from datetime import UTC, datetime

    from server.demo.truth import expected_churn_probability

    cutoff = datetime(2026, 5, 1, tzinfo=UTC)
    send = datetime(2026, 5, 4, 9, tzinfo=UTC)  # a Monday
    ids = ["a", "b", "c", "d", "e"]
    # intercept −1.25, Monday +0.05, morning +0.10, within an hour of the preferred +0.35
    truth = pl.DataFrame({"customer_id": ids, "utc_offset_hours": [0] * 5,
                          "preferred_hour": [9] * 5, "engagement": [0.5] * 5,
                          "engagement_logit": [0.75] * 5,
                          "purchase_rate": [0.0, 0.0, 0.0, 0.0, 10.0],
                          "dropout": [0.0] * 5})
    customers = pl.DataFrame({"customer_id": ids, "signup_at": [
        cutoff, cutoff, datetime(2026, 5, 10, tzinfo=UTC), cutoff, cutoff]})
    campaigns = pl.DataFrame({"campaign_id": ["n", "r", "late"],
                              "campaign_type": ["newsletter", "reengagement", "newsletter"],
                              "send_at": [send, send, datetime(2026, 7, 1, tzinfo=UTC)]})
    stopped = pl.DataFrame({"customer_id": ["b", "d"], "stopped_at": [
        datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)]})
    orders = pl.DataFrame(schema={"customer_id": pl.String,
                                  "occurred_at": pl.Datetime("us", "UTC")})

    p = expected_churn_probability(truth, customers, orders, campaigns, stopped,
                                   cutoff=cutoff, horizon_days=30)

    got = dict(zip(p["customer_id"], p["p_churn"], strict=True))
    assert got == pytest.approx({"a": 1 - 0.85 * 0.5, "b": 1.0, "c": 1.0,
                                 "d": 1 - 0.85 * 0.5, "e": math.exp(-300) * (1 - 0.425)})


def test_expected_churn_probability_targeted_campaigns():
    """A welcome mail reaches everyone who signed up in the 14 days before it (a, not the
    older f); an abandoned-cart mail 5 % scaled by engagement over its mean 2/7. Both at
    09:00 on a Monday to readers of 09:00, so the open logit is the type's effect."""
    from datetime import UTC, datetime

    from server.demo.truth import expected_churn_probability

    cutoff = datetime(2026, 5, 1, tzinfo=UTC)
    send = datetime(2026, 5, 4, 9, tzinfo=UTC)
    truth = pl.DataFrame({"customer_id": ["a", "f"], "utc_offset_hours": [0, 0],
                          "preferred_hour": [9, 9], "engagement": [0.5, 0.5],
                          "engagement_logit": [0.75, 0.75], "purchase_rate": [0.0, 0.0],
                          "dropout": [0.0, 0.0]})
    customers = pl.DataFrame({"customer_id": ["a", "f"], "signup_at": [
        cutoff, datetime(2026, 1, 1, tzinfo=UTC)]})
    campaigns = pl.DataFrame({"campaign_id": ["w", "ac"],
                              "campaign_type": ["welcome", "abandoned_cart"],
                              "send_at": [send, send]})
    stopped = pl.DataFrame(schema={"customer_id": pl.String,
                                   "stopped_at": pl.Datetime("us", "UTC")})
    orders = pl.DataFrame(schema={"customer_id": pl.String,
                                  "occurred_at": pl.Datetime("us", "UTC")})

    p = expected_churn_probability(truth, customers, orders, campaigns, stopped,
                                   cutoff=cutoff, horizon_days=30)

    def sigmoid(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    cart = 1 - 0.05 * 0.5 * 7 / 2 * sigmoid(0.7)
    assert dict(zip(p["customer_id"], p["p_churn"], strict=True)) == pytest.approx(
        {"a": (1 - sigmoid(0.9)) * cart, "f": cart})
