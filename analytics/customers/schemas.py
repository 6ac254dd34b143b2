"""The columns and types of the frames the customer analytics take and return."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

UTC = pl.Datetime("us", "UTC")

CUSTOMER_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "signup_at": UTC, "country": pl.String(),
    "email_domain": pl.String(),
}
SEND_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "sent_at": UTC, "delivered_at": UTC,
    "first_open_at": UTC, "first_human_open_at": UTC, "first_click_at": UTC,
    "unsubscribed_at": UTC, "complained_at": UTC,
}
ORDER_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "occurred_at": UTC, "amount": pl.Float64(),
}
BEHAVIOR_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "occurred_at": UTC, "category": pl.String(),
}
AGENT_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "user_agent": pl.String(),
}
SCORE_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "churn_probability": pl.Float64(), "churn_risk": pl.String(),
}
"""A customer's published churn score: the probability and its risk level."""

PROFILE_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(),
    "country": pl.String(),
    "email_domain": pl.String(),
    "signup_at": UTC,
    "purchases": pl.Int64(),
    "lifetime_revenue": pl.Float64(),
    "average_order_value": pl.Float64(),
    "purchase_frequency": pl.Float64(),
    "last_purchase_at": UTC,
    "days_since_last_purchase": pl.Float64(),
    "sends": pl.Int64(),
    "open_rate_30d": pl.Float64(),
    "open_rate_90d": pl.Float64(),
    "click_rate_30d": pl.Float64(),
    "click_rate_90d": pl.Float64(),
    "sessions": pl.Int64(),
    "pages_per_session": pl.Float64(),
    "session_duration": pl.Float64(),
    "preferred_category": pl.String(),
    "preferred_categories": pl.String(),
    "device_preference": pl.String(),
    "preferred_send_hour": pl.Int64(),
    "engagement_score": pl.Float64(),
    "engagement_level": pl.String(),
    "lifecycle_stage": pl.String(),
    "last_activity_at": UTC,
    "opted_out": pl.Boolean(),
    "churn_probability": pl.Float64(),
    "churn_risk": pl.String(),
    "computed_at": UTC,
}
"""A profile's columns; ``preferred_categories`` holds up to three, most browsed first,
joined by ", "."""


INPUT_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "customers": CUSTOMER_SCHEMA, "sends": SEND_SCHEMA, "orders": ORDER_SCHEMA,
    "behavior": BEHAVIOR_SCHEMA, "agents": AGENT_SCHEMA, "scores": SCORE_SCHEMA,
}
"""The schema of each frame ``compute_profiles`` takes, by its argument name."""


def conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with exactly the columns of ``schema``, in order and of its types.

    Raises ``ValueError`` naming the first missing column."""
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        raise ValueError(f"missing column {missing[0]!r}; expected {', '.join(schema)}")
    if frame.is_empty():
        return pl.DataFrame(schema=dict(schema))
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())
