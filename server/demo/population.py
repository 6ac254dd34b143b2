"""Customers: who they are, where they read mail, and the latent traits that drive them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from server.demo.constants import (
    CATEGORIES,
    END_US,
    FIRST_NAMES,
    LAST_NAMES,
    PROVIDERS,
    US_PER_DAY,
    US_PER_HOUR,
    ZONES,
    ids,
    to_datetime,
)

# Population parameters recorded in the truth.
ENGAGEMENT_BETA = (2.0, 5.0)
AFFINITY_DIRICHLET = 0.6
PURCHASE_RATE_GAMMA = {"r": 0.8, "alpha": 80.0}  # lambda ~ Gamma(shape r, rate alpha) per day
DROPOUT_BETA = {"a": 2.0, "b": 8.0}  # p ~ Beta(a, b): chance of dropping out after a purchase
HISTORY_DAYS = 540  # customers signed up before the window come from this far back
IN_WINDOW_SIGNUP_SHARE = 0.3


@dataclass(frozen=True)
class Population:
    frame: pl.DataFrame
    signup_us: np.ndarray
    provider: np.ndarray  # index into PROVIDERS
    utc_offset: np.ndarray  # hours
    engagement: np.ndarray
    preferred_hour: np.ndarray  # local hour of day the customer tends to read mail
    affinity: np.ndarray  # (n, len(CATEGORIES)) rows sum to 1
    purchase_rate: np.ndarray  # per day
    dropout: np.ndarray

    @property
    def size(self) -> int:
        return len(self.signup_us)


def make_population(rng: np.random.Generator, count: int, days: int) -> Population:
    start_us = END_US - days * US_PER_DAY
    provider = rng.choice(len(PROVIDERS), size=count, p=[p[1] for p in PROVIDERS])
    zone = rng.choice(len(ZONES), size=count, p=[z[3] for z in ZONES])
    in_window = rng.random(count) < IN_WINDOW_SIGNUP_SHARE
    # Growth: in-window signups get more frequent towards the end (density rising linearly).
    late = np.sqrt(rng.random(count)) * (days - 1) * US_PER_DAY
    early = rng.random(count) * HISTORY_DAYS * US_PER_DAY
    signup_us = np.where(in_window, start_us + late, start_us - early).astype(np.int64)
    signup_us += (rng.random(count) * US_PER_HOUR).astype(np.int64)
    order = np.argsort(signup_us, kind="stable")
    signup_us = signup_us[order]  # customer ids follow signup order, as a real system would
    engagement = rng.beta(*ENGAGEMENT_BETA, size=count)
    morning = rng.random(count) < 0.55
    preferred_hour = np.where(morning, rng.normal(8.5, 1.5, count), rng.normal(20, 1.8, count))
    preferred_hour = np.mod(np.round(preferred_hour), 24).astype(np.int64)
    affinity = rng.dirichlet(np.full(len(CATEGORIES), AFFINITY_DIRICHLET), size=count)
    purchase_rate = rng.gamma(PURCHASE_RATE_GAMMA["r"], 1 / PURCHASE_RATE_GAMMA["alpha"], count)
    dropout = rng.beta(DROPOUT_BETA["a"], DROPOUT_BETA["b"], count)

    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), count)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), count)]
    domains = np.array([p[0] for p in PROVIDERS])[provider]
    customer_id = ids("c", count, 7)
    frame = pl.DataFrame({
        "customer_id": customer_id,
        "first_name": first,
        "last_name": last,
        "domain": domains,
        "signup_at": to_datetime(signup_us),
        "country": np.array([z[0] for z in ZONES])[zone],
        "timezone": np.array([z[1] for z in ZONES])[zone],
    }).with_columns(
        email=pl.concat_str(
            pl.col("first_name").str.to_lowercase(), pl.lit("."),
            pl.col("last_name").str.to_lowercase().str.replace_all(" ", ""),
            pl.col("customer_id").str.slice(1).cast(pl.Int64).cast(pl.Utf8),
            pl.lit("@"), pl.col("domain")),
    ).select("customer_id", "email", "first_name", "last_name", "signup_at", "country",
             "timezone")
    return Population(
        frame=frame, signup_us=signup_us, provider=provider,
        utc_offset=np.array([z[2] for z in ZONES])[zone], engagement=engagement,
        preferred_hour=preferred_hour, affinity=affinity, purchase_rate=purchase_rate,
        dropout=dropout)
