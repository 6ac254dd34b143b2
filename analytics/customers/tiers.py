"""Value tiers: customers with an order ranked by lifetime revenue.

``high``: the top 10% by lifetime revenue; ``medium``: the next 30%; ``low``: the rest of
the customers with an order. A customer's share is ``(rank - 1) / n`` with ties sharing
the best rank, so equal revenue always means the same tier. Customers without orders get
no tier.
"""

from __future__ import annotations

import polars as pl

VALUE_TIERS: tuple[str, ...] = ("high", "medium", "low")
HIGH_SHARE = 0.10
MEDIUM_SHARE = 0.40  # the top 40% less the top 10%


def value_tiers(profiles: pl.DataFrame) -> pl.DataFrame:
    """``customer_id`` and ``value_tier`` for every profile with an order (``profiles``
    needs ``customer_id``, ``purchases`` and ``lifetime_revenue``)."""
    buyers = profiles.filter(pl.col("purchases") > 0)
    if buyers.is_empty():
        return pl.DataFrame(schema={"customer_id": pl.String(), "value_tier": pl.String()})
    share = (pl.col("lifetime_revenue").rank("min", descending=True) - 1) / pl.len()
    return buyers.select(
        "customer_id",
        pl.when(share < HIGH_SHARE).then(pl.lit("high"))
        .when(share < MEDIUM_SHARE).then(pl.lit("medium"))
        .otherwise(pl.lit("low")).alias("value_tier"),
    ).sort("customer_id")
