"""One campaign's metrics broken down by variant, segment, provider, device or day."""

from __future__ import annotations

from enum import StrEnum

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.metrics import (
    COUNTERS,
    Breakdown,
    Targets,
    breakdown,
    compute_rates,
    counters_from_messages,
    message_devices,
    share_of,
    sum_counters,
    with_customer_value,
)
from server.db.repository import reports
from server.db.repository.campaigns import campaign_types
from server.runners.base import MEMO
from server.runners.snapshot import Snapshot


class Dimension(StrEnum):
    VARIANT = "variant"
    SEGMENT = "segment"
    MAILBOX_PROVIDER = "mailbox_provider"
    DEVICE = "device"
    DAY = "day"


_COLUMN = {Dimension.VARIANT: "variant_id", Dimension.SEGMENT: "segment_id",
           Dimension.MAILBOX_PROVIDER: "email_domain", Dimension.DEVICE: "device",
           Dimension.DAY: "day"}
_UNKNOWN = {Dimension.VARIANT: "no variant", Dimension.MAILBOX_PROVIDER: "unknown domain"}


def device_counters(engine: Engine, snapshot: Snapshot, campaign_id: str) -> pl.DataFrame:
    """The campaign's sends counted per reading device (``unknown``: never opened or
    clicked by a person). Read from the message and event tables, so cached until the
    campaign's figures change."""

    def compute() -> pl.DataFrame:
        messages = reports.campaign_messages(engine=engine, campaign_id=campaign_id)
        events = reports.campaign_engagement_events(engine=engine, campaign_id=campaign_id)
        with_device = (messages.join(message_devices(events), on="message_id", how="left")
                       .with_columns(pl.col("device").fill_null("unknown")))
        return counters_from_messages(with_device, by=["device"])

    return MEMO.of(engine, ("devices", campaign_id, snapshot.fingerprints.get(campaign_id)),
                   compute)


def _labelled(rows: pl.DataFrame, dimension: Dimension, snapshot: Snapshot) -> pl.DataFrame:
    column = _COLUMN[dimension]
    keyed = rows.with_columns(pl.col(column).cast(pl.String).replace("", None).alias("key"))
    if dimension is Dimension.SEGMENT:
        names = snapshot.segments.rename({"segment_id": "key", "name": "label"})
        keyed = keyed.join(names, on="key", how="left")
    else:
        keyed = keyed.with_columns(pl.col("key").alias("label"))
    fallback = _UNKNOWN.get(dimension, "unknown")
    return keyed.with_columns(pl.coalesce(pl.col("label"), pl.col("key"), pl.lit(fallback))
                              .alias("label"))


def campaign_breakdown(engine: Engine, snapshot: Snapshot, campaign_id: str,
                       dimension: Dimension, targets: Targets) -> Breakdown:
    """Rows with ``key`` (null: unknown), ``label``, counters, ``share_of_sent``, rates,
    statuses and ``average_customer_value`` (not for devices); ``totals`` are the
    campaign's. Segment rows overlap (a member of two segments counts in both) and leave
    out sends to non-members. Day rows are in date order, the others largest first."""
    column = _COLUMN[dimension]
    whole = snapshot.breakdowns.filter(pl.col("campaign_id") == campaign_id)
    if dimension is Dimension.DEVICE:
        source = device_counters(engine, snapshot, campaign_id)
    elif dimension is Dimension.SEGMENT:
        source = snapshot.segment_rollups.filter(pl.col("campaign_id") == campaign_id)
    else:
        source = whole
    result = breakdown(source.select(column, *COUNTERS), column, targets=targets)
    rows = result.rows
    if "recipient_value" in source.columns:
        rows = with_customer_value(rows, source, [column])
    else:
        rows = rows.with_columns(pl.lit(None, dtype=pl.Float64).alias("average_customer_value"))
    if dimension is Dimension.DAY:
        rows = rows.sort("day")
    totals = result.totals
    if dimension is Dimension.SEGMENT:
        totals = compute_rates(sum_counters(whole), targets)
        rows = share_of(rows, totals)
    return Breakdown(result.dimension, _labelled(rows, dimension, snapshot), totals)


def list_campaign_types(engine: Engine) -> list[str]:
    """Every campaign type in use, sorted."""
    with Session(engine) as session:
        return campaign_types(session=session)
