"""The token namespace templates may read, and the record objects that carry it.

Templates see five namespaces, each an allow-list of fields (anything else is refused):

- ``customer.*``: the customer's own data (``first_name``, ``last_name``, ``country``,
  ``timezone``, ``id``); the same fields are also available bare (``first_name``).
- ``profile.*``: the derived profile (``lifecycle_stage``, ``engagement_level``,
  ``favorite_category`` …, see ``PROFILE_TOKENS``).
- ``scores.*``: published predictions (``churn_probability``, ``churn_risk``,
  ``predicted_clv``, ``clv_tier``, ``p_alive``, ``expected_orders``).
- ``rules.*``: the content the fired personalisation rules chose (any rule key).
- ``campaign.*``: the campaign being sent (``id``, ``name``, ``category``, ``sender_name``,
  ``subject_line``).

A field whose value is missing reads as undefined, so ``| default("there")`` replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from analytics.customers.tiers import HIGH_SHARE, MEDIUM_SHARE

CUSTOMER_TOKENS: dict[str, str] = {
    "id": "the customer id", "first_name": "first name", "last_name": "last name",
    "country": "ISO country code", "timezone": "IANA time zone, e.g. Europe/Paris",
}
PROFILE_TOKENS: dict[str, str] = {
    "lifecycle_stage": "new, active, at_risk, dormant, churned or win_back",
    "engagement_level": "none, low, medium or high",
    "engagement_score": "0-1 engagement score",
    "favorite_category": "most browsed category (profile preferred_category)",
    "preferred_categories": "up to three categories, most browsed first",
    "device_preference": "desktop, mobile or tablet",
    "preferred_send_hour": "hour of day the customer most often opens",
    "purchases": "number of orders", "lifetime_revenue": "revenue to date",
    "average_order_value": "mean order amount",
    "days_since_last_purchase": "days since the last order",
    "open_rate_90d": "open rate over 90 days", "click_rate_90d": "click rate over 90 days",
    "value_tier": "high, medium or low by lifetime revenue (none without orders)",
}
SCORE_TOKENS: dict[str, str] = {
    "churn_probability": "predicted churn probability", "churn_risk": "low, medium or high",
    "predicted_clv": "predicted customer value over the model's horizon",
    "clv_tier": "high (top 10%), medium (next 30%) or low by predicted value",
    "p_alive": "probability the customer is still active",
    "expected_orders": "predicted orders over the model's horizon",
}
CAMPAIGN_TOKENS: dict[str, str] = {
    "id": "campaign id", "name": "campaign name", "category": "campaign category",
    "sender_name": "sender name", "subject_line": "the campaign's stored subject line",
}
NAMESPACES: dict[str, dict[str, str]] = {
    "customer": CUSTOMER_TOKENS, "profile": PROFILE_TOKENS, "scores": SCORE_TOKENS,
    "campaign": CAMPAIGN_TOKENS,
}
"""Fixed namespaces; ``rules`` is open to any key a rule sets."""
RULES = "rules"
SHORTCUTS = frozenset(CUSTOMER_TOKENS) - {"id"}
"""Customer fields usable without the ``customer.`` prefix."""
PROFILE_COLUMN = {"favorite_category": "preferred_category"}
"""Tokens named differently from their profile column."""


class Record:
    """One namespace's values; only ``fields`` may be read (the sandbox checks)."""

    __slots__ = ("namespace", "values", "fields")

    def __init__(self, namespace: str, values: Mapping[str, Any],
                 fields: Iterable[str]) -> None:
        self.namespace = namespace
        self.fields = frozenset(fields)
        self.values = {name: values.get(name) for name in self.fields}

    def __repr__(self) -> str:
        return f"<{self.namespace}>"


def token_name(namespace: str, field: str) -> str:
    return f"{namespace}.{field}"


def all_tokens(rule_keys: Iterable[str] = ()) -> list[str]:
    """Every token a template may use, sorted (rule keys as ``rules.<key>``)."""
    names = [token_name(space, field) for space, fields in NAMESPACES.items()
             for field in fields]
    return sorted(names + [token_name(RULES, key) for key in rule_keys])


def clv_tiers(scores: pl.DataFrame) -> pl.DataFrame:
    """``customer_id`` and ``clv_tier`` from ``predicted_clv`` ranks, with the value tiers'
    shares (top 10% high, next 30% medium, rest low; ties share the best rank)."""
    scored = scores.filter(pl.col("predicted_clv").is_not_null())
    if scored.is_empty():
        return pl.DataFrame(schema={"customer_id": pl.String(), "clv_tier": pl.String()})
    share = (pl.col("predicted_clv").rank("min", descending=True) - 1) / pl.len()
    return scored.select(
        "customer_id",
        pl.when(share < HIGH_SHARE).then(pl.lit("high"))
        .when(share < MEDIUM_SHARE).then(pl.lit("medium"))
        .otherwise(pl.lit("low")).alias("clv_tier"),
    ).sort("customer_id")


def empty_shares(frame: pl.DataFrame, columns: Mapping[str, str]) -> dict[str, float]:
    """Token -> share of rows (0-1) whose column is null or blank, for the columns of
    ``frame`` named in ``columns`` (token -> column); empty ``frame`` gives no shares."""
    if frame.is_empty():
        return {}
    shares: dict[str, float] = {}
    for token, column in columns.items():
        if column not in frame.columns:
            continue
        values = frame[column]
        empty = values.is_null()
        if values.dtype == pl.String:
            empty = empty | (values.str.strip_chars() == "")
        shares[token] = float(empty.sum()) / frame.height
    return shares
