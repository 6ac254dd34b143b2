"""Customer profiles: one row per customer from their sends, orders and web behaviour.

Every number is computed set-based over the whole population (per-customer counts over
dense customer codes, see ``analytics.customers.codes``), never by a loop over each
customer's history. ``as_of`` is the moment the profile describes: the
recency measures, the 30/90-day rates and the engagement decay count back from it.

Engagement score: the sum over the customer's interactions of ``weight × 0.5 ** (age in
days / 30)`` (a 30-day half-life), with the weights of ``ENGAGEMENT_WEIGHTS``: a delivery
0.1, a (human) open 1, a click 3, an order 5, an unsubscribe -5, a complaint -10.
Engagement level: ``high`` from 5, ``medium`` from 1, ``low`` above 0, else ``none``.

Lifecycle stage, the first rule that holds (activity = a human open, a click, an order or
a web visit; signing up counts as activity too):

1. ``churned``: unsubscribed or complained, or last activity more than 180 days ago;
2. ``new``: signed up within the last 30 days;
3. ``win_back``: an order within the last 30 days after a gap of more than 90 days
   since the order before it;
4. ``active``: last activity within 30 days;
5. ``at_risk``: last activity 31-90 days ago;
6. ``dormant``: last activity 91-180 days ago.

Churn: ``churn_probability`` and ``churn_risk`` (low < 0.2 <= medium < 0.5 <= high < 0.8
<= critical) are copied from the published churn scores given; without a score both
are null, so a rule on them does not hold for an unscored customer.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np
import polars as pl

from analytics.customers.codes import (
    NO_TIME,
    CustomerCodes,
    by_customer_then_time,
    columns,
    epoch_us,
    latest,
    most_frequent,
    numbered,
    present,
    rate,
    slices,
    times,
    top_three,
)
from analytics.customers.schemas import (
    AGENT_SCHEMA,
    BEHAVIOR_SCHEMA,
    CUSTOMER_SCHEMA,
    ORDER_SCHEMA,
    PROFILE_SCHEMA,
    SCORE_SCHEMA,
    SEND_SCHEMA,
    conform,
)
from analytics.metrics.devices import DEVICES, device_of

ENGAGEMENT_WEIGHTS: dict[str, float] = {
    "delivered": 0.1, "opened": 1.0, "clicked": 3.0, "converted": 5.0,
    "unsubscribed": -5.0, "complained": -10.0,
}
HALF_LIFE_DAYS = 30.0
SESSION_GAP_MINUTES = 30
LIFECYCLE_STAGES: tuple[str, ...] = ("new", "active", "at_risk", "dormant", "churned",
                                     "win_back")
ENGAGEMENT_LEVELS: tuple[str, ...] = ("none", "low", "medium", "high")
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000


def _days_since(column: pl.Expr, as_of: datetime) -> pl.Expr:
    """Whole-and-fraction days from ``column`` to ``as_of`` (never negative).

    Read as integer microseconds since the epoch (a reinterpretation, no copy) and
    subtracted from a constant: cheaper per row than datetime arithmetic."""
    as_of_us = epoch_us(as_of)
    return ((pl.lit(as_of_us, pl.Int64) - column.dt.epoch("us")) / _DAY_US
            ).clip(lower_bound=0.0)


_LN_HALF_PER_DAY = math.log(0.5) / HALF_LIFE_DAYS
_DEVICES: tuple[str, ...] = tuple(sorted(set(DEVICES) - {"unknown"}))
"""The devices a preference can name, in the order that breaks ties (alphabetical)."""


def _decay_of(column: str, as_of: datetime) -> pl.Expr:
    """``0.5 ** (days / HALF_LIFE_DAYS)``, ``days`` counted back from ``as_of`` to the
    time in ``column`` (a later time counts as ``as_of``): one ``exp`` of an affine map
    of the raw microseconds, capped at 0 (four passes over the column, not six)."""
    per_us = -_LN_HALF_PER_DAY / _DAY_US
    return ((pl.col(column).dt.epoch("us") * per_us - epoch_us(as_of) * per_us)
            .clip(upper_bound=0.0).exp())


_SCORED: tuple[tuple[str, str], ...] = (
    ("first_human_open_at", "opened"), ("first_click_at", "clicked"),
    ("unsubscribed_at", "unsubscribed"), ("complained_at", "complained"))
"""The times of a send (besides its delivery) that add to the engagement score, and
their weights' names."""


class _SendCounts(NamedTuple):
    """What some sends add up to per customer (arrays indexed by code): counts by class
    (window x opened x clicked, see ``_send_counts``), the decayed score, the latest
    human open or click (microseconds), and opt-outs; and the (customer, hour) slot of
    each human open."""

    classes: np.ndarray
    score: np.ndarray
    latest: np.ndarray
    open_slots: np.ndarray
    opted_out: np.ndarray


def _total(parts: list[_SendCounts]) -> _SendCounts:
    """The counts of the sends of all ``parts``: sums (the latest: the later), added in
    place into the first part's arrays rather than into new ones."""
    whole = parts[0]
    for part in parts[1:]:
        np.add(whole.classes, part.classes, out=whole.classes)
        np.add(whole.score, part.score, out=whole.score)
        np.maximum(whole.latest, part.latest, out=whole.latest)
        np.add(whole.opted_out, part.opted_out, out=whole.opted_out)
    return whole._replace(open_slots=np.concatenate([part.open_slots for part in parts]))


def _send_counts(keys: CustomerCodes, sends: pl.DataFrame, as_of: datetime) -> _SendCounts:
    """The per-customer counts of ``sends``.

    polars computes the per-row numbers, each time only on the rows where it is set
    (the decay's ``exp`` runs over the 7M set times of scale M's 5.5M sends, not over
    27M slots mostly empty); numpy's ``bincount`` adds them up per customer."""
    rows = keys.coded(sends, *(name for name in SEND_SCHEMA if name != "customer_id"))

    def where_set(column: str, *values: pl.Expr) -> pl.DataFrame:
        return rows.select("code", column).filter(pl.col(column).is_not_null()).select(
            "code", *values)

    # Each send is in one of 12 classes, window (0: neither, 1: the 90 days but not the
    # 30, 2: the 30 days; delivered sends only) x opened x clicked. (Flags as bytes:
    # numpy combines them in a few passes over 5.5M bytes, not 5.5M 8-byte integers.)
    flags = rows.select(
        *((pl.col("delivered_at").is_not_null() & (pl.col("sent_at") >= as_of - timedelta(
            days=days))).fill_null(False).alias(f"window_{days}") for days in (30, 90)),
        pl.col("first_open_at").is_not_null().alias("opened"),
        pl.col("first_click_at").is_not_null().alias("clicked"))
    window_30, window_90, opened, clicked = (flags[name].to_numpy().view(np.int8)
                                             for name in flags.columns)
    kind = (window_30 + window_90) * 4 + opened * 2 + clicked
    slot = rows["code"].to_numpy() * 12
    slot += kind
    classes = np.bincount(slot, minlength=keys.n * 12)
    # Nearly every send is delivered: its decay is computed on every row (null as 0)
    # rather than after a filter that would copy nearly all of them.
    score = ENGAGEMENT_WEIGHTS["delivered"] * keys.count(*columns(rows.select(
        "code", _decay_of("delivered_at", as_of).fill_null(0.0).alias("decay")),
        "code", "decay"))
    # The other times, each filtered once to the rows where it is set (the time itself
    # kept for the opens and clicks: the latest touch and the open hour).
    parts = {column: where_set(column, _decay_of(column, as_of).alias("decay"),
                               *([pl.col(column).dt.epoch("us").alias("at")]
                                 if name in ("opened", "clicked") else []))
             for column, name in _SCORED}
    for column, name in _SCORED:
        score += ENGAGEMENT_WEIGHTS[name] * keys.count(
            *columns(parts[column], "code", "decay"))
    opens = parts["first_human_open_at"]
    hours = opens["code"].to_numpy() * 24  # each human open's (customer, UTC hour) slot
    hours += opens["at"].to_numpy() // _HOUR_US % 24
    return _SendCounts(
        classes=classes, score=score,
        latest=latest(keys, columns(opens, "code", "at"),
                      columns(parts["first_click_at"], "code", "at")),
        open_slots=hours,
        opted_out=keys.count(parts["unsubscribed_at"]["code"].to_numpy())
        + keys.count(parts["complained_at"]["code"].to_numpy()))


def _send_measures(keys: CustomerCodes, counts: _SendCounts) -> pl.DataFrame:
    """Per customer, in code order: sends, the 30/90-day open and click rates, the
    decayed email score, the latest human open or click, whether they opted out, and the
    most frequent hour of their human opens."""
    classes = counts.classes.reshape(keys.n, 3, 2, 2)
    measures: dict[str, np.ndarray | pl.Series] = {"sends": classes.sum(axis=(1, 2, 3))}
    for days, windows in ((30, classes[:, 2:]), (90, classes[:, 1:])):
        total = windows.sum(axis=(1, 2, 3))
        measures[f"open_rate_{days}d"] = rate(windows[:, :, 1].sum(axis=(1, 2)), total)
        measures[f"click_rate_{days}d"] = rate(windows[:, :, :, 1].sum(axis=(1, 2)), total)
    measures["email_score"] = counts.score
    measures["last_email_activity_at"] = times(counts.latest)
    hours = np.bincount(counts.open_slots, minlength=keys.n * 24).reshape(keys.n, 24)
    measures["preferred_send_hour"] = most_frequent(hours).cast(pl.Int64)
    measures["opted_out"] = counts.opted_out > 0
    return pl.DataFrame(measures)


def _order_measures(keys: CustomerCodes, orders: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Per customer, in code order: purchases, revenue, the first and last order, the
    gap before the last, and the decayed order score. (An order without a time counts
    in purchases and revenue only.)"""
    rows = keys.coded(orders, pl.col("occurred_at").dt.epoch("us").alias("at"),
                      pl.col("amount").fill_null(0.0),
                      _decay_of("occurred_at", as_of).fill_null(0.0).alias("decay"))
    code, amount, decay = columns(rows, "code", "amount", "decay")
    timed = rows.drop_nulls("at") if rows["at"].null_count() else rows
    code_timed, at = columns(timed, "code", "at")
    order = by_customer_then_time(code_timed, at, keys.n)
    first, last, before = _run_ends(at[order], keys.count(code_timed))
    has_gap = (before != NO_TIME) & (last != NO_TIME)
    return pl.DataFrame({
        "purchases": keys.count(code),
        "lifetime_revenue": keys.count(code, amount),
        "first_purchase_at": times(first),
        "last_purchase_at": times(last),
        "last_gap": present(last - np.where(has_gap, before, last), has_gap)
        .cast(pl.Duration("us")),
        "order_score": ENGAGEMENT_WEIGHTS["converted"] * keys.count(code, decay),
    })


def _run_ends(at: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per customer, the first, last and next-to-last of ``at`` when it is ordered by
    customer then time (each customer's ``rows[code]`` rows one run), ``NO_TIME`` where
    there are too few."""
    padded, none = np.append(at, NO_TIME), len(at)  # index ``none``: "none"
    end = np.cumsum(rows) - 1
    return (padded[np.where(rows > 0, end - rows + 1, none)],
            padded[np.where(rows > 0, end, none)],
            padded[np.where(rows > 1, end - 1, none)])


def _behavior_measures(keys: CustomerCodes, behavior: pl.DataFrame) -> pl.DataFrame:
    """Per customer, in code order: web sessions (a new one after a 30-minute gap),
    pages per session, mean session length, the last visit, and the most browsed
    categories (up to three, most first, ties alphabetical). Rows without a time are
    not visits."""
    rows = keys.coded(behavior, pl.col("occurred_at").dt.epoch("us").alias("at"),
                      "category")
    rows = rows.drop_nulls("at") if rows["at"].null_count() else rows
    code_unsorted, at = columns(rows, "code", "at")
    order = by_customer_then_time(code_unsorted, at, keys.n)
    code, at = code_unsorted[order], at[order]
    # Ordered by customer then time, a session starts at a new customer or after a gap;
    # a session's length is the sum of the steps within it.
    step = np.diff(at, prepend=0)
    starts = np.ones(len(code), dtype=bool)
    starts[1:] = (code[1:] != code[:-1]) | (step[1:] > SESSION_GAP_MINUTES * 60_000_000)
    sessions = keys.count(code[starts])
    within = np.where(starts, 0, step)
    measures: dict[str, np.ndarray | pl.Series] = {
        "sessions": sessions,
        "pages_per_session": rate(keys.count(code), sessions),
        "session_duration": rate(keys.count(code, within / 1_000_000), sessions),
        "last_visit_at": times(_run_ends(at, keys.count(code))[1]),
    }
    number, categories = numbered(rows["category"])
    browsed = number >= 0
    top = [categories.gather(present(value, value >= 0)) for value in top_three(
        keys, code_unsorted[browsed], number[browsed], len(categories))]
    measures["preferred_category"] = top[0]
    first, *rest = (pl.lit(name) for name in top)
    measures["preferred_categories"] = pl.select(pl.when(first.is_not_null()).then(
        pl.concat_str(first, *rest, separator=", ", ignore_nulls=True))).to_series()
    return pl.DataFrame(measures)


def _device_counts(keys: CustomerCodes, agents: pl.DataFrame) -> np.ndarray:
    """Per customer and device (code x 3 + the device's place in ``_DEVICES``), how many
    of ``agents`` (human opens and clicks) were on it. Few distinct user agents: each
    is classified once."""
    rows = keys.coded(agents, "user_agent")
    number, names = numbered(rows["user_agent"])
    classified = names.to_frame("user_agent").select(device_of(pl.col("user_agent")))
    device = np.array([*(_DEVICES.index(name) if name in _DEVICES else -1
                         for name in classified.to_series()), -1])[number]
    known = device >= 0
    return np.bincount(rows["code"].to_numpy()[known] * len(_DEVICES) + device[known],
                       minlength=keys.n * len(_DEVICES))


def _device_preference(keys: CustomerCodes, counts: np.ndarray) -> pl.Series:
    """Per customer, in code order: the device of most of their human opens and clicks
    (ties alphabetical), null without a known one."""
    return pl.Series(_DEVICES).gather(most_frequent(counts.reshape(keys.n, len(_DEVICES))))


def _lifecycle(as_of: datetime) -> pl.Expr:
    since_activity = _days_since(pl.col("last_activity_at"), as_of)
    since_signup = _days_since(pl.col("signup_at"), as_of)
    since_order = pl.col("days_since_last_purchase")
    gap_days = pl.col("last_gap").dt.total_microseconds() / _DAY_US
    return (pl.when(pl.col("opted_out") | (since_activity > 180)).then(pl.lit("churned"))
            .when(since_signup <= 30).then(pl.lit("new"))
            .when((since_order <= 30) & (gap_days > 90)).then(pl.lit("win_back"))
            .when(since_activity <= 30).then(pl.lit("active"))
            .when(since_activity <= 90).then(pl.lit("at_risk"))
            .when(since_activity <= 180).then(pl.lit("dormant"))
            # No activity and no signup date: nothing says they were ever engaged.
            .otherwise(pl.lit("churned")))


def engagement_level(score: pl.Expr) -> pl.Expr:
    """``high`` (score >= 5), ``medium`` (>= 1), ``low`` (> 0) or ``none``."""
    return (pl.when(score >= 5).then(pl.lit("high")).when(score >= 1).then(pl.lit("medium"))
            .when(score > 0).then(pl.lit("low")).otherwise(pl.lit("none")))


def compute_profiles(*, customers: pl.DataFrame, sends: pl.DataFrame, orders: pl.DataFrame,
                     behavior: pl.DataFrame, agents: pl.DataFrame,
                     as_of: datetime, scores: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per customer of ``customers`` with the columns of ``PROFILE_SCHEMA``.

    ``sends``: ``SEND_SCHEMA`` (one row per send); ``orders``: ``ORDER_SCHEMA``;
    ``behavior``: ``BEHAVIOR_SCHEMA`` (web events with their product's category);
    ``agents``: ``AGENT_SCHEMA`` (user agents of human opens and clicks); ``scores``:
    ``SCORE_SCHEMA`` (the published churn scores; a customer without one, or no
    ``scores`` at all, has a null ``churn_probability`` and ``churn_risk``). Rows of
    customers not in ``customers`` are ignored.
    """
    customers = conform(customers, CUSTOMER_SCHEMA)
    sends = conform(sends, SEND_SCHEMA)
    orders = conform(orders, ORDER_SCHEMA)
    behavior = conform(behavior, BEHAVIOR_SCHEMA)
    agents = conform(agents, AGENT_SCHEMA)
    scores = conform(scores if scores is not None else pl.DataFrame(schema=SCORE_SCHEMA),
                     SCORE_SCHEMA)
    keys = CustomerCodes(customers["customer_id"])
    # Two threads share the work: the sends and the user agents in slices (their counts
    # add up), the web events, the orders. On a single-chunk frame polars runs each eager
    # step on one thread; polars and numpy's bincount release the interpreter lock.
    # The longest task (the web events, not sliced) goes first, so that no thread is
    # left alone with it at the end.
    with ThreadPoolExecutor(max_workers=2) as pool:
        behavior_part = pool.submit(_behavior_measures, keys, behavior)
        order_part = pool.submit(_order_measures, keys, orders, as_of)
        in_order = pool.submit(customers.sort, "customer_id")  # the result's order
        send_parts = [pool.submit(_send_counts, keys, part, as_of) for part in slices(sends)]
        device_parts = [pool.submit(_device_counts, keys, part) for part in slices(agents)]
        # The sends' measures are finished here while the pool still works.
        from_sends = _send_measures(keys, _total([part.result() for part in send_parts]))
        device_counts = device_parts[0].result()
        for part in device_parts[1:]:
            device_counts += part.result()
        devices = _device_preference(keys, device_counts)
        measures = pl.concat([from_sends, behavior_part.result(),
                              devices.alias("device_preference").to_frame(),
                              order_part.result()], how="horizontal")
    # Every measure is in code order: each customer's row is the one at their code.
    customers = in_order.result()
    code = customers.select(keys.code().cast(pl.Int64))["customer_id"]
    churn = keys.coded(scores, "churn_probability", "churn_risk").unique(
        "code", keep="first", maintain_order=True)
    joined = (pl.concat([customers, measures.select(pl.all().gather(code))],
                        how="horizontal").lazy()
              .with_columns(code.alias("code"))
              .join(churn.lazy(), on="code", how="left", maintain_order="left"))
    months = (_days_since(pl.col("first_purchase_at"), as_of) / 30.0).clip(lower_bound=1.0)
    score = pl.col("email_score").fill_null(0.0) + pl.col("order_score").fill_null(0.0)
    profiles = (joined.with_columns(
            pl.col("purchases").fill_null(0).cast(pl.Int64),
            pl.col("lifetime_revenue").fill_null(0.0),
            pl.col("sends").fill_null(0).cast(pl.Int64),
            pl.col("sessions").fill_null(0).cast(pl.Int64),
            pl.col("opted_out").fill_null(False),
            score.alias("engagement_score"),
            _days_since(pl.col("last_purchase_at"), as_of).alias("days_since_last_purchase"),
            pl.max_horizontal("last_email_activity_at", "last_purchase_at", "last_visit_at",
                              "signup_at").alias("last_activity_at"))
        .with_columns(
            pl.when(pl.col("purchases") > 0)
            .then(pl.col("lifetime_revenue") / pl.col("purchases"))
            .alias("average_order_value"),
            pl.when(pl.col("purchases") > 0).then(pl.col("purchases") / months)
            .otherwise(0.0).alias("purchase_frequency"),
            engagement_level(pl.col("engagement_score")).alias("engagement_level"),
            _lifecycle(as_of).alias("lifecycle_stage"),
            pl.lit(as_of).cast(pl.Datetime("us", "UTC")).alias("computed_at"))
        .collect())
    return conform(profiles.select(list(PROFILE_SCHEMA)), PROFILE_SCHEMA)
