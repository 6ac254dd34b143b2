"""The dashboard's four insights, each fed the counters it needs."""

from __future__ import annotations

import polars as pl

from analytics.metrics import (
    Insight,
    best_campaign_type,
    best_send_hour,
    best_subject_length,
    best_weekday,
)
from server.runners.snapshot import Snapshot

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INSIGHT_KINDS = ("weekday", "send_hour", "subject_length", "campaign_type")


def group_label(kind: str, key: str | int) -> str:
    """How a group of insight ``kind`` is named on the page."""
    if kind == "weekday":
        return WEEKDAYS[int(key) - 1]
    if kind == "send_hour":
        return f"{int(key):02d}:00 UTC"
    if kind == "subject_length":
        return f"{key} characters"
    return str(key).replace("_", " ")


def subjects(base: pl.DataFrame, snapshot: Snapshot) -> pl.DataFrame:
    """Counters per campaign × variant with the subject line the variant was sent with
    (the variant's own, else the campaign's)."""
    per_variant = base.group_by(["campaign_id", "variant_id"]).agg(
        pl.col("delivered").sum(), pl.col("unique_opens").sum())
    variant_subjects = snapshot.variants.rename({"subject_line": "variant_subject"})
    campaign_subjects = snapshot.campaigns.select("campaign_id", "subject_line")
    return (per_variant
            .join(variant_subjects, on=["campaign_id", "variant_id"], how="left")
            .join(campaign_subjects, on="campaign_id", how="left")
            .with_columns(pl.coalesce("variant_subject", "subject_line").alias("subject"))
            .select("campaign_id", "variant_id", "subject", "delivered", "unique_opens"))


def dashboard_insights(base: pl.DataFrame, dimensions: pl.DataFrame,
                       snapshot: Snapshot) -> list[tuple[str, Insight]]:
    """(kind, insight) in ``INSIGHT_KINDS`` order.

    Weekday and hour are those of the send in UTC. Campaign type compares converting
    sends (sends with at least one attributed order) per delivered send, so the interval
    is one of a proportion.
    """
    weekday = base.with_columns(pl.col("day").dt.weekday().cast(pl.Int64).alias("weekday"))
    types = snapshot.campaigns.select("campaign_id", "campaign_type")
    converting = (dimensions.join(types, on="campaign_id", how="left")
                  .select("campaign_type", "delivered",
                          pl.col("converted").alias("conversions")))
    return [
        ("weekday", best_weekday(weekday)),
        ("send_hour", best_send_hour(dimensions)),
        ("subject_length", best_subject_length(subjects(base, snapshot))),
        ("campaign_type", best_campaign_type(converting)),
    ]
