"""The ground truth: every parameter the generator used and the true rates it implies,
as plain JSON so analyses can be scored against it (documented in the README)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import polars as pl
from scipy.special import digamma

from server.demo import campaigns as cmp
from server.demo import channels as chn
from server.demo import commerce as com
from server.demo import engagement as eng
from server.demo import population as pop
from server.demo.constants import (
    CAMPAIGN_TYPE_REACH,
    CAMPAIGN_TYPES,
    CATEGORIES,
    END,
    PROVIDERS,
    ZONES,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _population() -> dict[str, Any]:
    a, b = pop.ENGAGEMENT_BETA
    return {
        "engagement_beta": {"a": a, "b": b},
        "affinity_dirichlet_alpha": pop.AFFINITY_DIRICHLET,
        "purchase_rate_gamma": dict(pop.PURCHASE_RATE_GAMMA),
        "dropout_beta": dict(pop.DROPOUT_BETA),
        "signup": {"history_days": pop.HISTORY_DAYS,
                   "in_window_share": pop.IN_WINDOW_SIGNUP_SHARE},
        "providers": {d: {"share": s, "hard_bounce_rate": h, "soft_bounce_rate": so,
                          "apple_mail": apple} for d, s, h, so, apple in PROVIDERS},
        "zones": {zone: {"country": c, "utc_offset_hours": o, "share": s}
                  for c, zone, o, s in ZONES},
    }


def _email() -> dict[str, Any]:
    a, b = pop.ENGAGEMENT_BETA
    return {
        "open_model": {
            "intercept": cmp.OPEN_INTERCEPT,
            "type_effect": dict(cmp.OPEN_TYPE_EFFECT),
            "subject_effects": dict(cmp.SUBJECT_EFFECTS),
            "long_subject_chars": cmp.LONG_SUBJECT_CHARS,
            "engagement_weight": eng.ENGAGEMENT_OPEN_WEIGHT,
            "engagement_centre": float(digamma(a) - digamma(b)),
            "local_hour_effect": dict(eng.LOCAL_HOUR_EFFECT),
            "preferred_hour_effect": dict(eng.PREFERRED_HOUR_EFFECT),
            "weekday_effect": dict(zip(WEEKDAYS, eng.WEEKDAY_EFFECT, strict=True)),
        },
        "click_model": {
            "intercept": cmp.CLICK_INTERCEPT,
            "type_effect": dict(cmp.CLICK_TYPE_EFFECT),
            "engagement_weight": eng.ENGAGEMENT_CLICK_WEIGHT,
            "affinity_weight": eng.AFFINITY_CLICK_WEIGHT,
        },
        "machine_open_probability": eng.MACHINE_OPEN_PROBABILITY,
        "apple_mail_domains": [d for d, *_, apple in PROVIDERS if apple],
        "dropped_rate": eng.DROPPED_RATE,
        "deferred_rate": eng.DEFERRED_RATE,
        "unsubscribe": {"base": eng.UNSUBSCRIBE_BASE, "disengaged": eng.UNSUBSCRIBE_DISENGAGED,
                        "reengagement_multiplier": eng.REENGAGEMENT_UNSUBSCRIBE_MULTIPLIER},
        "complaint_rate": eng.COMPLAINT_RATE,
        # The body (length, links, images, calls to action, template type) is generated
        # for every campaign but moves neither opens nor clicks.
        "content_effects": {},
    }


def _rate(value: float, delivered: int) -> float | None:
    return round(float(value), 6) if delivered else None


def _campaigns(plan: cmp.Campaigns, sends: eng.Sends) -> dict[str, Any]:
    result: dict[str, Any] = {}
    ids = plan.campaigns["campaign_id"].to_list()
    for c, campaign_id in enumerate(ids):
        result[campaign_id] = {
            "type": CAMPAIGN_TYPES[plan.type_index[c]],
            "category": CATEGORIES[plan.category_index[c]],
            "send_at": plan.campaigns["send_at"][c].isoformat(),
            "ab_test": bool(plan.arm_variant[np.flatnonzero(plan.arm_campaign == c)[0]]),
            "variants": {},
        }
    for arm, c in enumerate(plan.arm_campaign):
        result[ids[c]]["variants"][plan.arm_variant[arm]] = {
            "weight": float(plan.arm_weight[arm]),
            "subject_line": plan.arm_subject[arm],
            "subject_features": plan.arm_features[arm],
            "open_logit_lift": round(float(plan.arm_open_lift[arm]), 6),
            "click_logit_lift": round(float(plan.arm_click_lift[arm]), 6),
            "delivered": int(sends.arm_delivered[arm]),
            # Undefined (null) for a variant that reached nobody, e.g. a welcome mail sent
            # when nobody had signed up recently.
            "true_open_rate": _rate(sends.arm_true_open[arm], sends.arm_delivered[arm]),
            "true_click_rate": _rate(sends.arm_true_click[arm], sends.arm_delivered[arm]),
        }
    return result


def _orders(orders: pl.DataFrame, draft: com.OrderDraft,
            channels: chn.Channels) -> dict[str, Any]:
    amount = orders["amount"].cast(pl.Float64).to_numpy()
    return {
        "sources": {name: {"orders": int((draft.source == i).sum()),
                           "revenue": round(float(amount[draft.source == i].sum()), 2)}
                    for i, name in enumerate(com.SOURCES)},
        "click_order_probability": dict(com.CLICK_ORDER_PROBABILITY),
        "baskets": {"items_per_order": "1 + Poisson(0.6), at most 5",
                    "popularity_exponent": com.POPULARITY_EXPONENT,
                    "complement_probability": com.COMPLEMENT_PROBABILITY,
                    "follow_up_probability": com.FOLLOW_UP_PROBABILITY,
                    "complement_category": dict(com.COMPLEMENT_CATEGORY),
                    "complement_rule": "the product at the same position (1-24) in the "
                                       "complementary category"},
        "touch_channels": {c: {"touchpoints_per_customer_day": r, "conversion_probability": p,
                               "touchpoints": channels.touch_counts[c],
                               "orders": channels.touch_orders[c]}
                           for c, (r, p) in chn.TOUCH_CHANNELS.items()},
        "touch_conversion_delay_hours": chn.TOUCH_CONVERSION_DELAY_HOURS,
        "media": {name: {**{k: v for k, v in m.items() if k != "vendor"},
                         "expected_orders": round(channels.media_orders_expected[name], 3),
                         "orders": channels.media_orders[name]}
                  for name, m in chn.MEDIA.items()},
        "media_response": ("orders per month per 1,000 customers = max_orders * a^shape / "
                           "(a^shape + half_saturation^shape), a = adstocked monthly spend per "
                           "1,000 customers (a_t = spend_t + adstock_decay * a_(t-1))"),
    }


def build_truth(*, seed: int, customers: int, campaigns: int, days: int,
                frames: dict[str, pl.DataFrame], plan: cmp.Campaigns, sends: eng.Sends,
                draft: com.OrderDraft, channels: chn.Channels) -> dict[str, Any]:
    start = END.timestamp() - days * 86400
    return {
        "version": 1,
        "seed": seed,
        "parameters": {"customers": customers, "campaigns": campaigns, "days": days},
        "window": {"start": pl.Series([int(start * 1e6)]).cast(pl.Datetime("us", "UTC"))[0]
                   .isoformat(), "end": END.isoformat()},
        "counts": {kind: frame.height for kind, frame in frames.items()},
        "population": _population(),
        "email": _email(),
        "campaigns": _campaigns(plan, sends),
        "orders": _orders(frames["orders"], draft, channels),
    }


def customer_truth(people: pop.Population) -> pl.DataFrame:
    """One row per customer with the latent traits the generator drew: ``utc_offset_hours``,
    ``preferred_hour`` (local hour they tend to read mail), ``engagement`` (Beta draw)
    and its centred ``engagement_logit`` (times the open model's engagement weight),
    ``purchase_rate`` (orders per day while alive) and ``dropout`` (chance of dropping
    out after a purchase)."""
    return pl.DataFrame({
        "customer_id": people.frame["customer_id"],
        "utc_offset_hours": people.utc_offset.astype(np.int64),
        "preferred_hour": people.preferred_hour.astype(np.int64),
        "engagement": people.engagement,
        "engagement_logit": eng.engagement_logit(people.engagement)
        * eng.ENGAGEMENT_OPEN_WEIGHT,
        "purchase_rate": people.purchase_rate, "dropout": people.dropout})


def true_churn_probability(customers_truth: pl.DataFrame, orders: pl.DataFrame,
                           sends: pl.DataFrame, *, cutoff: Any,
                           horizon_days: int) -> pl.DataFrame:
    """``customer_id`` and ``p_churn``: the chance, from the generator's latent traits,
    that a customer neither orders nor opens over ``[cutoff, cutoff + horizon_days)``.

    Orders: still buying with chance (1 − dropout)^(orders before the cutoff), then a
    Poisson(purchase_rate) order within the horizon. Opens: every send planned in the
    horizon (``sends``: customer_id, sent_at) is opened with the open model's chance at
    the mean campaign (intercept, engagement, local hour, weekday). Both taken as
    independent; click-through and channel orders are left out, so this is the latent
    part of churn, not all of it."""
    end = cutoff + timedelta(days=horizon_days)
    window = sends.filter((pl.col("sent_at") >= cutoff) & (pl.col("sent_at") < end))
    people = _no_order_chance(customers_truth, orders, cutoff, horizon_days)
    planned = window.join(people.select("customer_id", "utc_offset_hours", "preferred_hour",
                                        "engagement_logit"), on="customer_id")
    utc_hour = planned["sent_at"].dt.hour().to_numpy().astype(np.int64)
    local = (utc_hour + planned["utc_offset_hours"].to_numpy()) % 24
    weekday = planned["sent_at"].dt.weekday().to_numpy() - 1
    logit = (cmp.OPEN_INTERCEPT + planned["engagement_logit"].to_numpy()
             + np.array(eng.WEEKDAY_EFFECT)[weekday]
             + eng.hour_open_effect(local, planned["preferred_hour"].to_numpy()))
    log_miss = pl.DataFrame({"customer_id": planned["customer_id"],
                             "log_miss": np.log1p(-1 / (1 + np.exp(-logit)))})
    misses = log_miss.group_by("customer_id").agg(pl.col("log_miss").sum())
    return (people.select("customer_id", "no_order")
            .join(misses, on="customer_id", how="left")
            .select("customer_id", p_churn=pl.col("no_order")
                    * pl.col("log_miss").fill_null(0.0).exp()))


def _no_order_chance(customers_truth: pl.DataFrame, orders: pl.DataFrame, cutoff: Any,
                     horizon_days: int) -> pl.DataFrame:
    before = (orders.filter(pl.col("occurred_at") < cutoff).group_by("customer_id")
              .agg(x=pl.len()))
    people = customers_truth.join(before, on="customer_id", how="left").with_columns(
        pl.col("x").fill_null(0))
    alive = (1 - people["dropout"].to_numpy()) ** people["x"].to_numpy()
    return people.with_columns(no_order=1 - alive * (
        1 - np.exp(-people["purchase_rate"].to_numpy() * horizon_days)))


def expected_churn_probability(customers_truth: pl.DataFrame, customers: pl.DataFrame,
                               orders: pl.DataFrame, campaigns: pl.DataFrame,
                               stopped: pl.DataFrame, *, cutoff: Any,
                               horizon_days: int) -> pl.DataFrame:
    """``customer_id`` and ``p_churn`` from the latent traits and what is fixed at the
    cutoff, averaged over the draws the future still holds.

    Unlike ``true_churn_probability``, which takes the sends actually made in the horizon
    (so it knows which customers each campaign's random reach picked, a draw made after
    the cutoff), every campaign of the horizon (``campaigns``: campaign_id,
    campaign_type, send_at) reaches a customer with the generator's chance: its type's
    reach among the eligible (signed up before it; welcome within 14 days of signup;
    re-engagement below 0.2 engagement; abandoned cart scaled by engagement), and none
    after the customer stopped mail (``stopped``: customer_id, stopped_at — an
    unsubscribe, complaint or hard bounce) before the cutoff. A reached customer opens
    with the open model's chance (intercept, type, engagement, local hour, weekday).
    Orders as in ``true_churn_probability``; bounces, later opt-outs, clicks' and other
    channels' orders are left out."""
    end = cutoff + timedelta(days=horizon_days)
    people = _no_order_chance(customers_truth, orders, cutoff, horizon_days).join(
        customers.select("customer_id", "signup_at"), on="customer_id", how="left")
    gone = stopped.filter(pl.col("stopped_at") < cutoff)["customer_id"].implode()
    subscribed = ~people.select(pl.col("customer_id").is_in(gone)).to_series().to_numpy()
    signup = people["signup_at"].dt.epoch("us").fill_null(0).to_numpy()
    engagement = people["engagement"].to_numpy()
    base = people["engagement_logit"].to_numpy()
    offset = people["utc_offset_hours"].to_numpy()
    preferred = people["preferred_hour"].to_numpy()
    log_miss = np.zeros(people.height)
    window = campaigns.filter((pl.col("send_at") >= cutoff) & (pl.col("send_at") < end))
    a, b = pop.ENGAGEMENT_BETA
    for kind, send_at in window.select("campaign_type", "send_at").iter_rows():
        type_index = CAMPAIGN_TYPES.index(kind)
        send_us = int(pl.Series([send_at]).dt.epoch("us")[0])
        reach = np.where(subscribed & (signup < send_us), CAMPAIGN_TYPE_REACH[type_index], 0.0)
        if kind == "welcome":
            reach = np.where(signup >= send_us - eng.WELCOME_WINDOW_DAYS * 86_400_000_000,
                             reach, 0.0)
        elif kind == "reengagement":
            reach = np.where(engagement < 0.2, reach, 0.0)
        elif kind == "abandoned_cart":
            reach = reach * engagement * (a + b) / a
        local = (send_at.hour + offset) % 24
        logit = (cmp.OPEN_INTERCEPT + cmp.OPEN_TYPE_EFFECT[kind] + base
                 + eng.WEEKDAY_EFFECT[send_at.weekday()]
                 + eng.hour_open_effect(local, preferred))
        log_miss += np.log1p(-np.minimum(reach, 1.0) / (1 + np.exp(-logit)))
    return people.select("customer_id", p_churn=pl.col("no_order") * np.exp(log_miss))
