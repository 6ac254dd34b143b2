"""Other-channel touchpoints and monthly media spend, each with known effects on orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypedDict

import numpy as np
import polars as pl

from server.demo.commerce import OrderDraft
from server.demo.constants import END_US, US_PER_DAY, US_PER_HOUR, ids, to_datetime
from server.demo.population import ENGAGEMENT_BETA, Population

# channel: (touchpoints per customer per day at average engagement, chance one converts)
TOUCH_CHANNELS = {"web": (0.024, 0.010), "paid": (0.010, 0.030), "social": (0.012, 0.012),
                  "sms": (0.005, 0.040), "direct": (0.007, 0.050), "organic": (0.012, 0.020),
                  "referral": (0.003, 0.045)}
TOUCH_CONVERSION_DELAY_HOURS = 3.0  # exponential mean, capped at 20 h


class Medium(TypedDict):
    """A paid medium: budget and Hill response per 1,000 customers per month, adstock decay
    per month, the touch channel its orders come through (None: no touchpoint) and vendor."""

    budget: float
    half_saturation: float
    shape: float
    max_orders: float
    adstock_decay: float
    channel: str | None
    vendor: str


# category: budget and Hill response per 1,000 customers per month; adstock decay per month.
MEDIA: dict[str, Medium] = {
    "paid_search": {"budget": 750.0, "half_saturation": 600.0, "shape": 1.4,
                    "max_orders": 8.0, "adstock_decay": 0.3, "channel": "paid",
                    "vendor": "Search Ads Network"},
    "social": {"budget": 500.0, "half_saturation": 500.0, "shape": 1.2, "max_orders": 5.0,
               "adstock_decay": 0.5, "channel": "social", "vendor": "Social Media Ads"},
    "display": {"budget": 300.0, "half_saturation": 400.0, "shape": 1.8, "max_orders": 3.0,
                "adstock_decay": 0.6, "channel": "display", "vendor": "Programmatic Display"},
    "affiliate": {"budget": 200.0, "half_saturation": 150.0, "shape": 1.0, "max_orders": 3.0,
                  "adstock_decay": 0.2, "channel": "affiliate", "vendor": "Affiliate Network"},
    "email": {"budget": 100.0, "half_saturation": 80.0, "shape": 1.0, "max_orders": 2.0,
              "adstock_decay": 0.4, "channel": None, "vendor": "Email Service Provider"},
}
SPEND_VARIATION_SIGMA = 0.45
_SMS_CAMPAIGN, _PAID_CAMPAIGNS = "sms-weekly", ("ps-brand", "ps-generic")


@dataclass(frozen=True)
class Channels:
    touchpoints: pl.DataFrame
    spend: pl.DataFrame
    orders: OrderDraft
    media_orders_expected: dict[str, float]
    media_orders: dict[str, int]
    # Per channel: touchpoints drawn for the channel itself (not those leading to media
    # orders) and the orders they converted into.
    touch_counts: dict[str, int]
    touch_orders: dict[str, int]


def _touches(rng: np.random.Generator, people: Population,
             start_us: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    names = list(TOUCH_CHANNELS)
    rate = np.array([TOUCH_CHANNELS[c][0] for c in names])
    begin = np.maximum(people.signup_us, start_us)
    span = np.maximum(END_US - US_PER_DAY - begin, 0) / US_PER_DAY
    mean_engagement = ENGAGEMENT_BETA[0] / sum(ENGAGEMENT_BETA)
    scale = 0.5 + 0.5 * people.engagement / mean_engagement
    count = rng.poisson(rate.sum() * span * scale)
    who = np.repeat(np.arange(people.size), count)
    at = begin[who] + (rng.random(len(who)) * span[who] * US_PER_DAY).astype(np.int64)
    channel = rng.choice(len(names), size=len(who), p=rate / rate.sum())
    return who, at, channel


def _media(rng: np.random.Generator, people: Population, start_us: int,
           ) -> tuple[list[tuple[str, date, float, str]], np.ndarray, np.ndarray, np.ndarray,
                      dict[str, float]]:
    per_thousand = people.size / 1000
    months = pl.datetime_range(to_datetime(np.array([start_us]))[0].replace(day=1),
                               to_datetime(np.array([END_US - 1]))[0], "1mo",
                               eager=True, time_zone="UTC")
    month_us = np.array(months.dt.epoch("us").to_list() + [END_US], dtype=np.int64)
    rows: list[tuple[str, date, float, str]] = []
    who: list[np.ndarray] = []
    at: list[np.ndarray] = []
    channel: list[np.ndarray] = []
    expected: dict[str, float] = {}
    for m_index, (name, media) in enumerate(MEDIA.items()):
        adstock, expected[name] = 0.0, 0.0
        for i in range(len(month_us) - 1):
            lo, hi = max(month_us[i], start_us), min(month_us[i + 1], END_US - US_PER_DAY)
            share = max(hi - lo, 0) / (month_us[i + 1] - month_us[i])
            spend = media["budget"] * rng.lognormal(0, SPEND_VARIATION_SIGMA) * share
            adstock = spend + media["adstock_decay"] * adstock
            x = (adstock / share if share else 0.0) ** media["shape"]
            response = media["max_orders"] * x / (x + media["half_saturation"] ** media["shape"])
            mean_orders = response * share * per_thousand
            expected[name] += mean_orders
            n = int(rng.poisson(mean_orders))
            times = lo + (rng.random(n) * max(hi - lo, 0)).astype(np.int64)
            signed_up = np.searchsorted(people.signup_us, times)
            times = times[signed_up > 0]
            who.append((rng.random(len(times)) * signed_up[signed_up > 0]).astype(np.int64))
            at.append(times)
            channel.append(np.full(len(times), m_index))
            if share:
                day = to_datetime(np.array([lo]))[0].date()
                rows.append((name, day, round(spend * per_thousand, 2), media["vendor"]))
    return rows, np.concatenate(who), np.concatenate(at), np.concatenate(channel), expected


def make_channels(rng: np.random.Generator, people: Population, days: int) -> Channels:
    start_us = END_US - days * US_PER_DAY
    who, at, channel = _touches(rng, people, start_us)
    names = list(TOUCH_CHANNELS)
    conversion = np.array([TOUCH_CHANNELS[c][1] for c in names])[channel]
    buys = rng.random(len(who)) < conversion
    delay = np.minimum(rng.exponential(TOUCH_CONVERSION_DELAY_HOURS * US_PER_HOUR,
                                       int(buys.sum())), 20 * US_PER_HOUR).astype(np.int64)
    rows, m_who, m_at, m_channel, expected = _media(rng, people, start_us)
    media_names = list(MEDIA)
    # Media orders from a touching channel get the touchpoint that brought the customer in.
    touched = np.array([MEDIA[n]["channel"] is not None for n in media_names])[m_channel]
    lead = (rng.random(int(touched.sum())) * 24 * US_PER_HOUR).astype(np.int64) + US_PER_HOUR
    all_channels = names + [MEDIA[n]["channel"] or "" for n in media_names]
    t_who = np.concatenate([who, m_who[touched]])
    t_at = np.concatenate([at, np.maximum(m_at[touched] - lead, people.signup_us[m_who[touched]])])
    t_channel = np.concatenate([channel, m_channel[touched] + len(names)])
    order = np.argsort(t_at, kind="stable")
    t_who, t_at, t_channel = t_who[order], t_at[order], t_channel[order]
    channel_name = pl.Series(all_channels).gather(t_channel)
    pick = rng.integers(0, 2, len(t_who))
    touchpoints = pl.DataFrame({
        "touchpoint_id": ids("t", len(t_who), 8),
        "customer_id": people.frame["customer_id"].gather(t_who),
        "channel": channel_name,
        "occurred_at": to_datetime(t_at),
        "_pick": pick,
    }).select(
        "touchpoint_id", "customer_id", "channel",
        campaign_id=pl.when(pl.col("channel") == "sms").then(pl.lit(_SMS_CAMPAIGN))
        .when(pl.col("channel") == "paid").then(
            pl.when(pl.col("_pick") == 0).then(pl.lit(_PAID_CAMPAIGNS[0]))
            .otherwise(pl.lit(_PAID_CAMPAIGNS[1]))),
        occurred_at="occurred_at",
    )
    spend = pl.DataFrame(rows, orient="row", schema={
        "category": pl.Utf8, "incurred_on": pl.Date, "amount": pl.Float64, "vendor": pl.Utf8},
    ).sort("incurred_on", "category", maintain_order=True).select(
        spend_id=ids("s", len(rows), 5), incurred_on="incurred_on", category="category",
        cost_type=pl.lit("media"), amount=pl.col("amount").cast(pl.Decimal(18, 2)),
        currency=pl.lit("USD"), vendor="vendor", campaign_id=pl.lit(None, pl.Utf8))
    n_touch, n_media = int(buys.sum()), len(m_who)
    orders = OrderDraft(
        customer=np.concatenate([who[buys], m_who]),
        at_us=np.concatenate([at[buys] + 60_000_000 + delay, m_at]),
        source=np.concatenate([np.full(n_touch, 2), np.full(n_media, 3)]),
        category=np.full(n_touch + n_media, -1))
    counts = np.bincount(channel, minlength=len(names))
    converted = np.bincount(channel[buys], minlength=len(names))
    per_media = np.bincount(m_channel, minlength=len(media_names))
    return Channels(touchpoints=touchpoints, spend=spend, orders=orders,
                    media_orders_expected=expected,
                    media_orders={n: int(per_media[i]) for i, n in enumerate(media_names)},
                    touch_counts={n: int(counts[i]) for i, n in enumerate(names)},
                    touch_orders={n: int(converted[i]) for i, n in enumerate(names)})
