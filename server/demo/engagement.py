"""Sends and the email events they produce: bounces, deliveries, opens, clicks, opt-outs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.special import digamma

from server.demo.campaigns import Campaigns
from server.demo.constants import (
    APPLE_PROXY_AGENT,
    CAMPAIGN_TYPE_REACH,
    CAMPAIGN_TYPES,
    CATEGORIES,
    PROVIDERS,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_SECOND,
    USER_AGENTS,
    ids,
    to_datetime,
)
from server.demo.population import ENGAGEMENT_BETA, Population

US_PER_MINUTE = 60 * US_PER_SECOND
# Logit terms that depend on the recipient (recorded in truth).
ENGAGEMENT_OPEN_WEIGHT = 1.0
ENGAGEMENT_CLICK_WEIGHT = 0.6
AFFINITY_CLICK_WEIGHT = 0.35  # times (affinity for the campaign category x categories - 1)
LOCAL_HOUR_EFFECT = {"night_0_5": -0.45, "morning_6_11": 0.10, "afternoon_12_17": 0.0,
                     "evening_18_23": 0.05}
PREFERRED_HOUR_EFFECT = {"within_1h": 0.35, "within_3h": 0.15}
WEEKDAY_EFFECT = (0.05, 0.08, 0.06, 0.03, -0.05, -0.18, -0.10)  # Monday first, UTC send day
MACHINE_OPEN_PROBABILITY = 0.9  # Apple Mail Privacy Protection prefetch, per delivered email
DROPPED_RATE = 0.001
DEFERRED_RATE = 0.015
UNSUBSCRIBE_BASE = 0.0015
UNSUBSCRIBE_DISENGAGED = 0.006  # added times (1 - engagement)^2
REENGAGEMENT_UNSUBSCRIBE_MULTIPLIER = 3
COMPLAINT_RATE = 0.0004
WELCOME_WINDOW_DAYS = 14
REPEAT_OPEN_MEAN = (0.3, 1.2)  # extra human opens ~ Poisson(a + b * engagement)
EXTRA_CLICK_MEAN = 0.5
SHOP = "https://shop.example.com"
# Every delay is capped so a campaign's events finish well inside the generated window.
MAX_DELAY_US = 60 * US_PER_HOUR


def _engagement_logit(engagement: np.ndarray) -> np.ndarray:
    a, b = ENGAGEMENT_BETA
    # Centred on the population mean of logit(Beta(a, b)), which is digamma(a) - digamma(b).
    logit: np.ndarray = np.log(engagement / (1 - engagement)) - (digamma(a) - digamma(b))
    return logit


def _local_hour_effect(hour: np.ndarray) -> np.ndarray:
    table = np.array([LOCAL_HOUR_EFFECT[k] for k in LOCAL_HOUR_EFFECT])
    effect: np.ndarray = table[hour // 6]
    return effect


def hour_open_effect(local_hour: np.ndarray, preferred_hour: np.ndarray) -> np.ndarray:
    """The open-logit terms a send's local delivery hour adds for a recipient who prefers
    ``preferred_hour``: the time-of-day effect plus the bonus near the preferred hour."""
    gap = np.abs(local_hour - preferred_hour)
    gap = np.minimum(gap, 24 - gap)
    return (_local_hour_effect(local_hour)
            + np.where(gap <= 1, PREFERRED_HOUR_EFFECT["within_1h"],
                       np.where(gap <= 3, PREFERRED_HOUR_EFFECT["within_3h"], 0.0)))


def engagement_logit(engagement: np.ndarray) -> np.ndarray:
    """The recipient's own open-logit term (before ``ENGAGEMENT_OPEN_WEIGHT``)."""
    return _engagement_logit(engagement)


@dataclass(frozen=True)
class Sends:
    messages: pl.DataFrame
    events: pl.DataFrame
    customer: np.ndarray  # per message
    campaign: np.ndarray
    arm: np.ndarray
    clicked: np.ndarray
    first_click_us: np.ndarray
    arm_true_open: np.ndarray  # mean human-open probability of each arm's delivered sends
    arm_true_click: np.ndarray  # mean click probability (per delivered send)
    arm_delivered: np.ndarray


def _audiences(rng: np.random.Generator, people: Population,
               plan: Campaigns) -> tuple[np.ndarray, ...]:
    """Who gets each campaign, in send order; opt-outs and hard bounces stop later sends."""
    n = people.size
    active = np.ones(n, dtype=bool)
    hard_rate = np.array([p[2] for p in PROVIDERS])[people.provider]
    soft_rate = np.array([p[3] for p in PROVIDERS])[people.provider]
    unsubscribe_p = UNSUBSCRIBE_BASE + UNSUBSCRIBE_DISENGAGED * (1 - people.engagement) ** 2
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "customer", "campaign", "arm", "outcome", "unsub", "complaint")}
    arms_of = [np.flatnonzero(plan.arm_campaign == c) for c in range(len(plan.send_us))]
    for c, send_us in enumerate(plan.send_us):
        kind = CAMPAIGN_TYPES[plan.type_index[c]]
        eligible = active & (people.signup_us < send_us)
        reach = np.full(n, CAMPAIGN_TYPE_REACH[plan.type_index[c]])
        if kind == "welcome":
            eligible &= people.signup_us >= send_us - WELCOME_WINDOW_DAYS * US_PER_DAY
        elif kind == "reengagement":
            eligible &= people.engagement < 0.2
        elif kind == "abandoned_cart":
            reach = reach * people.engagement * sum(ENGAGEMENT_BETA) / ENGAGEMENT_BETA[0]
        chosen = np.flatnonzero(eligible & (rng.random(n) < reach))
        arms = arms_of[c]
        arm = arms[rng.choice(len(arms), size=len(chosen), p=plan.arm_weight[arms])]
        u = rng.random(len(chosen))
        hard = u < hard_rate[chosen]
        soft = ~hard & (u < hard_rate[chosen] + soft_rate[chosen])
        dropped = ~hard & ~soft & (rng.random(len(chosen)) < DROPPED_RATE)
        # outcome: 0 delivered, 1 hard bounce, 2 soft bounce, 3 dropped
        outcome = np.where(hard, 1, np.where(soft, 2, np.where(dropped, 3, 0)))
        delivered = outcome == 0
        unsub = delivered & (rng.random(len(chosen)) < unsubscribe_p[chosen]
                             * (REENGAGEMENT_UNSUBSCRIBE_MULTIPLIER if kind == "reengagement"
                                else 1))
        complaint = delivered & ~unsub & (rng.random(len(chosen)) < COMPLAINT_RATE)
        active[chosen[hard | unsub | complaint]] = False
        for key, value in (("customer", chosen), ("campaign", np.full(len(chosen), c)),
                           ("arm", arm), ("outcome", outcome), ("unsub", unsub),
                           ("complaint", complaint)):
            parts[key].append(value)
    return tuple(np.concatenate(parts[k]) for k in (
        "customer", "campaign", "arm", "outcome", "unsub", "complaint"))


def _nullable_index(index: np.ndarray) -> pl.Series:
    """Row positions for ``gather`` with -1 as null, so null rows cost no string."""
    return pl.Series(index, dtype=pl.Int64).replace(-1, None)


def _delay(rng: np.random.Generator, mean_us: float, size: int) -> np.ndarray:
    return np.minimum(rng.exponential(mean_us, size), MAX_DELAY_US / 4).astype(np.int64)


def make_sends(rng: np.random.Generator, people: Population, plan: Campaigns) -> Sends:
    customer, campaign, arm, outcome, unsub, complaint = _audiences(rng, people, plan)
    count = len(customer)
    sent_us = plan.send_us[campaign] + rng.integers(0, 20 * US_PER_MINUTE, count)
    delivered = outcome == 0
    deferred = delivered & (rng.random(count) < DEFERRED_RATE)
    delivered_us = (sent_us + _delay(rng, 20 * US_PER_SECOND, count)
                    + np.where(deferred, rng.integers(5, 120, count) * US_PER_MINUTE, 0))

    local_hour = ((delivered_us // US_PER_HOUR) + people.utc_offset[customer]) % 24
    weekday = ((delivered_us // US_PER_DAY) + 3) % 7  # 1970-01-01 was a Thursday
    engaged = _engagement_logit(people.engagement)[customer]
    open_logit = (plan.arm_open_logit[arm] + ENGAGEMENT_OPEN_WEIGHT * engaged
                  + np.array(WEEKDAY_EFFECT)[weekday]
                  + hour_open_effect(local_hour, people.preferred_hour[customer]))
    p_open = 1 / (1 + np.exp(-open_logit))
    affinity = people.affinity[customer, plan.category_index[campaign]]
    click_logit = (plan.arm_click_logit[arm] + ENGAGEMENT_CLICK_WEIGHT * engaged
                   + AFFINITY_CLICK_WEIGHT * (affinity * len(CATEGORIES) - 1))
    p_click = 1 / (1 + np.exp(-click_logit))
    arms = len(plan.arm_campaign)
    arm_delivered = np.bincount(arm[delivered], minlength=arms)
    safe = np.maximum(arm_delivered, 1)
    arm_true_open = np.bincount(arm[delivered], p_open[delivered], arms) / safe
    arm_true_click = np.bincount(arm[delivered], (p_open * p_click)[delivered], arms) / safe

    opened = delivered & (rng.random(count) < p_open)
    clicked = opened & (rng.random(count) < p_click)
    first_open_us = delivered_us + np.minimum(
        rng.lognormal(np.log(1.5 * US_PER_HOUR), 1.1, count), MAX_DELAY_US / 4).astype(np.int64)
    first_click_us = first_open_us + _delay(rng, 4 * US_PER_MINUTE, count)
    apple = np.array([p[4] for p in PROVIDERS])[people.provider[customer]]
    machine = delivered & apple & (rng.random(count) < MACHINE_OPEN_PROBABILITY)
    machine_us = delivered_us + rng.integers(30, 600, count) * US_PER_SECOND

    # Events as (message, time, type, extra) blocks; repeated opens/clicks via np.repeat.
    repeat_opens = rng.poisson(REPEAT_OPEN_MEAN[0] + REPEAT_OPEN_MEAN[1]
                               * people.engagement[customer]) * opened
    extra_clicks = rng.poisson(EXTRA_CLICK_MEAN, count) * clicked
    reopen_msg = np.repeat(np.arange(count), repeat_opens)
    reopen_us = first_open_us[reopen_msg] + _delay(rng, 6 * US_PER_HOUR, len(reopen_msg))
    reclick_msg = np.repeat(np.arange(count), extra_clicks)
    reclick_us = first_click_us[reclick_msg] + _delay(rng, 20 * US_PER_MINUTE, len(reclick_msg))
    unsub_us = delivered_us + _delay(rng, 3 * US_PER_HOUR, count) + 60 * US_PER_SECOND
    open_msg = np.concatenate([np.flatnonzero(opened), reopen_msg])
    click_msg = np.concatenate([np.flatnonzero(clicked), reclick_msg])
    idx = np.arange(count)
    blocks = [
        ("deferred", idx[deferred], sent_us[deferred] + US_PER_SECOND),
        ("delivered", idx[delivered], delivered_us[delivered]),
        ("bounce", idx[(outcome == 1) | (outcome == 2)],
         delivered_us[(outcome == 1) | (outcome == 2)]),
        ("dropped", idx[outcome == 3], sent_us[outcome == 3]),
        ("machine_open", idx[machine], machine_us[machine]),
        ("open", open_msg, np.concatenate([first_open_us[opened], reopen_us])),
        ("click", click_msg, np.concatenate([first_click_us[clicked], reclick_us])),
        ("unsubscribe", idx[unsub], unsub_us[unsub]),
        ("complaint", idx[complaint], unsub_us[complaint]),
    ]
    names = [b[0] for b in blocks]
    msg = np.concatenate([b[1] for b in blocks])
    at = np.concatenate([b[2] for b in blocks])
    code = np.concatenate([np.full(len(b[1]), i) for i, b in enumerate(blocks)])
    # One int64 sort key (time, then block) sorts twice as fast as a two-key lexsort.
    order = np.argsort(at * len(blocks) + code, kind="stable")
    msg, at, code = msg[order], at[order], code[order]

    message_ids = ids("m", count, 9)
    campaign_ids = plan.campaigns["campaign_id"]
    messages = pl.DataFrame({
        "message_id": message_ids,
        "campaign_id": campaign_ids.gather(campaign),
        "variant_id": pl.Series(plan.arm_variant).gather(arm),
        "customer_id": people.frame["customer_id"].gather(customer),
        "sent_at": to_datetime(sent_us),
    })
    # Each customer reads on one device; Apple Mail users on an iPhone or a Mac.
    device = np.where(np.array([p[4] for p in PROVIDERS])[people.provider],
                      rng.integers(1, 3, people.size),
                      rng.choice([0, 3, 4], size=people.size))
    urls = [f"{SHOP}/{CATEGORIES[plan.category_index[c]]}?utm_source=email&utm_campaign="
            f"{campaign_ids[c]}" for c in range(len(plan.send_us))]
    machine_code, click_code = names.index("machine_open"), names.index("click")
    human = (code == names.index("open")) | (code == click_code)
    # Strings are gathered from small tables only where an event has them (nulls elsewhere).
    agent_index = np.where(code == machine_code, len(USER_AGENTS),
                           np.where(human, device[customer[msg]], -1))
    bounce_index = np.where(code == names.index("bounce"), (outcome[msg] == 2).astype(int), -1)
    event_type = [n if n != "machine_open" else "open" for n in names]
    events = pl.DataFrame({
        "event_id": ids("ev", len(msg), 10),
        "type": pl.Series(event_type).gather(code),
        "occurred_at": to_datetime(at),
        "message_id": message_ids.gather(msg),
        "campaign_id": pl.Series(values=None, dtype=pl.Utf8).extend_constant(None, len(msg)),
        "customer_id": pl.Series(values=None, dtype=pl.Utf8).extend_constant(None, len(msg)),
        "email": pl.Series(values=None, dtype=pl.Utf8).extend_constant(None, len(msg)),
        "url": pl.Series(urls, dtype=pl.Utf8).gather(
            _nullable_index(np.where(code == click_code, campaign[msg], -1))),
        "user_agent": pl.Series([*USER_AGENTS, APPLE_PROXY_AGENT]).gather(
            _nullable_index(agent_index)),
        "machine_open": code == machine_code,
        "bounce_type": pl.Series(["hard", "soft"]).gather(_nullable_index(bounce_index)),
    })
    return Sends(messages=messages, events=events, customer=customer, campaign=campaign,
                 arm=arm, clicked=clicked, first_click_us=first_click_us,
                 arm_true_open=arm_true_open, arm_true_click=arm_true_click,
                 arm_delivered=arm_delivered)
