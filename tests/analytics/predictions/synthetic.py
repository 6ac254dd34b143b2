"""A small seeded store for the prediction tests: customers whose order and open rates
are drawn per customer, some of whom stop (drop out) part-way through the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from analytics.predictions import CUSTOMERS_SCHEMA, MESSAGES_SCHEMA, ORDERS_SCHEMA

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 240


def synthetic_store(customers: int = 400, seed: int = 3, days: int = DAYS
                    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(customers, orders, messages) frames in the feature schemas."""
    rng = np.random.default_rng(seed)
    ids = [f"u{i:04d}" for i in range(customers)]
    signup = [START + timedelta(days=float(d)) for d in rng.uniform(0, days / 3, customers)]
    order_rate = rng.gamma(1.0, 1 / 20, customers)  # orders per day
    open_p = rng.beta(2, 3, customers)
    stop_day = np.where(rng.random(customers) < 0.5, rng.uniform(30, days, customers), days)
    orders: list[tuple[str, datetime, float]] = []
    messages: list[tuple[str, datetime, datetime | None, datetime | None]] = []
    for i, cid in enumerate(ids):
        first = (signup[i] - START).days
        for day in range(first, days):
            alive = day < stop_day[i]
            at = START + timedelta(days=day, hours=float(rng.integers(6, 22)))
            if alive and rng.random() < order_rate[i]:
                orders.append((cid, at, float(round(rng.gamma(2, 25), 2))))
            if day % 3 == 0:
                opened = alive and rng.random() < open_p[i]
                open_at = at + timedelta(hours=1) if opened else None
                click_at = at + timedelta(hours=2) if opened and rng.random() < 0.3 else None
                messages.append((cid, at, open_at, click_at))
    return (pl.DataFrame({"customer_id": ids, "signup_at": signup}, schema=CUSTOMERS_SCHEMA),
            pl.DataFrame(orders, schema=ORDERS_SCHEMA, orient="row"),
            pl.DataFrame(messages, schema=MESSAGES_SCHEMA, orient="row"))
