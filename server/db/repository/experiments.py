"""Experiment data: per-variant summaries of a campaign, its daily looks, and the
``experiment`` rows (settings and declared winners).

Every metric is counted over delivered sends only, so a rate's numerator can never
exceed its ``n``. Looks are cumulative by whole days since the campaign's first send: a
send counts in look d once delivered by day d, and an event once it and the delivery
happened by day d (the later of the two decides, so a look never has more events than
deliveries).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, bindparam, text
from sqlmodel import Session, select

from server.db.models import Campaign, CampaignVariant, Experiment, ExperimentCreate
from server.db.types import UTCDateTime, utcnow

SUMMARY_COLUMNS = ("sent", "delivered", "opens", "clicks", "conversions", "unsubscribes",
                   "complaints", "revenue_sum", "revenue_sum_squares", "clicks_and_opens")
LOOK_COLUMNS = ("delivered", "opens", "clicks", "conversions", "unsubscribes", "complaints",
                "revenue_sum", "revenue_sum_squares")
# Looks stop here; later activity folds into the last look so it still equals the totals.
MAX_LOOK_DAYS = 60

_SUMMARY = """
SELECT variant_id,
       COUNT(*) AS sent,
       COUNT(delivered_at) AS delivered,
       SUM(CASE WHEN delivered_at IS NOT NULL AND first_human_open_at IS NOT NULL
                THEN 1 ELSE 0 END) AS opens,
       SUM(CASE WHEN delivered_at IS NOT NULL AND first_click_at IS NOT NULL
                THEN 1 ELSE 0 END) AS clicks,
       SUM(CASE WHEN delivered_at IS NOT NULL AND conversions > 0 THEN 1 ELSE 0 END)
           AS conversions,
       SUM(CASE WHEN delivered_at IS NOT NULL AND unsubscribed_at IS NOT NULL
                THEN 1 ELSE 0 END) AS unsubscribes,
       SUM(CASE WHEN delivered_at IS NOT NULL AND complained_at IS NOT NULL
                THEN 1 ELSE 0 END) AS complaints,
       SUM(CASE WHEN delivered_at IS NOT NULL THEN revenue ELSE 0 END) AS revenue_sum,
       SUM(CASE WHEN delivered_at IS NOT NULL THEN revenue * revenue ELSE 0 END)
           AS revenue_sum_squares,
       SUM(CASE WHEN delivered_at IS NOT NULL AND first_click_at IS NOT NULL
                AND first_human_open_at IS NOT NULL THEN 1 ELSE 0 END) AS clicks_and_opens
FROM message
WHERE campaign_id = :campaign_id
GROUP BY variant_id
"""

# Whole days from :start; SQLite keeps timestamps as text that julianday() reads.
_DAYS = {
    "sqlite": "CAST(julianday({at}) - julianday(:start) AS INTEGER)",
    "postgresql": "CAST(FLOOR(EXTRACT(EPOCH FROM ({at} - :start)) / 86400) AS INTEGER)",
}
_EVENTS = {"opens": "first_human_open_at", "clicks": "first_click_at",
           "unsubscribes": "unsubscribed_at", "complaints": "complained_at"}


def _later(column: str, than: str = "delivered_at") -> str:
    return f"CASE WHEN {column} > {than} THEN {column} ELSE {than} END"


def _rows(connection: Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    statement = text(sql)
    if "start" in params:
        statement = statement.bindparams(bindparam("start", type_=UTCDateTime))
    return [dict(row._mapping) for row in connection.execute(statement, params)]


def variant_ids(*, session: Session, campaign_id: str) -> list[str]:
    """Variants planned for the campaign or found on its sends, sorted."""
    planned = session.exec(select(CampaignVariant.variant_id)
                           .where(CampaignVariant.campaign_id == campaign_id)).all()
    sent = _rows(session.connection(), "SELECT DISTINCT variant_id FROM message "
                 "WHERE campaign_id = :campaign_id", campaign_id=campaign_id)
    return sorted(set(planned) | {row["variant_id"] for row in sent})


def planned_variants(*, session: Session, campaign_id: str) -> list[CampaignVariant]:
    """The campaign's planned variants (with weights), by id."""
    return list(session.exec(select(CampaignVariant)
                             .where(CampaignVariant.campaign_id == campaign_id)
                             .order_by(CampaignVariant.variant_id)).all())


def variant_summaries(*, session: Session, campaign_id: str) -> pl.DataFrame:
    """One row per variant (``variant_ids`` order) with ``SUMMARY_COLUMNS``.

    ``delivered`` is n for every metric; ``opens`` are human opens; ``conversions``
    counts recipients with at least one attributed order; ``revenue_sum`` and
    ``revenue_sum_squares`` are over delivered recipients (0 for those who bought
    nothing); ``clicks_and_opens`` is the cross sum of the click-to-open ratio.
    """
    names = variant_ids(session=session, campaign_id=campaign_id)
    found = {row["variant_id"]: row for row in _rows(session.connection(), _SUMMARY,
                                                     campaign_id=campaign_id)}
    floats = {"revenue_sum", "revenue_sum_squares"}
    records = []
    for name in names:
        row = found.get(name, {})
        records.append({"variant_id": name, **{
            column: (float(row.get(column) or 0) if column in floats
                     else int(row.get(column) or 0)) for column in SUMMARY_COLUMNS}})
    schema = {"variant_id": pl.String, **{c: pl.Float64 if c in floats else pl.Int64
                                          for c in SUMMARY_COLUMNS}}
    return pl.DataFrame(records, schema=schema, orient="row")


def campaign_start(*, session: Session, campaign_id: str) -> datetime | None:
    """When the campaign went out: its first send, else its scheduled time."""
    statement = text("SELECT MIN(sent_at) AS start FROM message WHERE campaign_id = :c"
                     ).columns(start=UTCDateTime)
    start: datetime | None = session.connection().execute(statement, {"c": campaign_id}).scalar()
    if start is not None:
        return start
    campaign = session.get(Campaign, campaign_id)
    return campaign.send_at if campaign is not None else None


def _event_days(connection: Connection, campaign_id: str, start: datetime) -> pl.DataFrame:
    days = _DAYS.get(connection.dialect.name, _DAYS["postgresql"])
    # Safe SQL (S608): metric, column and day SQL are code; values bound.
    parts = [f"SELECT variant_id, 'delivered' AS metric, {days.format(at='delivered_at')} "  # noqa: S608
             "AS day, COUNT(*) AS value FROM message WHERE campaign_id = :campaign_id "
             "AND delivered_at IS NOT NULL GROUP BY 1, 3"]
    for metric, column in _EVENTS.items():
        parts.append(
            # Safe SQL (S608): metric, column and day SQL are code; values bound.
            f"SELECT variant_id, '{metric}' AS metric, {days.format(at=_later(column))} AS day, "  # noqa: S608
            f"COUNT(*) AS value FROM message WHERE campaign_id = :campaign_id AND "
            f"delivered_at IS NOT NULL AND {column} IS NOT NULL GROUP BY 1, 3")
    rows = _rows(connection, " UNION ALL ".join(parts), campaign_id=campaign_id, start=start)
    return pl.DataFrame(
        [(r["variant_id"], r["metric"], int(r["day"]), float(r["value"])) for r in rows],
        schema={"variant_id": pl.String, "metric": pl.String, "day": pl.Int64,
                "value": pl.Float64}, orient="row")


def _orders(connection: Connection, campaign_id: str, start: datetime) -> pl.DataFrame:
    days = _DAYS.get(connection.dialect.name, _DAYS["postgresql"])
    later = _later("o.occurred_at", "m.delivered_at")
    rows = _rows(connection, f"""
        SELECT m.message_id, m.variant_id, {days.format(at=later)} AS day, o.amount
        FROM orders o JOIN message m ON m.message_id = o.attributed_message_id
        WHERE m.campaign_id = :campaign_id AND m.delivered_at IS NOT NULL
        """, campaign_id=campaign_id, start=start)  # noqa: S608  (day SQL is code; ids bound)
    return pl.DataFrame(
        [(r["message_id"], r["variant_id"], int(r["day"]), float(r["amount"])) for r in rows],
        schema={"message_id": pl.String, "variant_id": pl.String, "day": pl.Int64,
                "amount": pl.Float64}, orient="row")


def _order_metrics(orders: pl.DataFrame,
                   last_day: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per (variant, day): new converters, and revenue sum / sum of squares at that day."""
    per_day = orders.group_by("message_id", "variant_id", "day").agg(pl.col("amount").sum())
    converters = (per_day.group_by("message_id", "variant_id").agg(pl.col("day").min())
                  .group_by("variant_id", "day").agg(pl.len().cast(pl.Float64).alias("value"))
                  .with_columns(metric=pl.lit("conversions")))
    # A recipient's revenue by look d is the sum of their orders up to d; squares do not
    # add across days, so every look is computed from the per-recipient running totals.
    grid = (per_day.select("message_id", "variant_id").unique()
            .join(pl.DataFrame({"look": list(range(last_day + 1))}, schema={"look": pl.Int64}),
                  how="cross")
            .join(per_day, on=["message_id", "variant_id"])
            .filter(pl.col("day") <= pl.col("look"))
            .group_by("message_id", "variant_id", "look").agg(pl.col("amount").sum())
            .group_by("variant_id", "look")
            .agg(pl.col("amount").sum().alias("revenue_sum"),
                 (pl.col("amount") ** 2).sum().alias("revenue_sum_squares")))
    return converters, grid


def daily_looks(*, session: Session, campaign_id: str,
                max_days: int = MAX_LOOK_DAYS) -> pl.DataFrame:
    """Cumulative ``LOOK_COLUMNS`` per (day, variant_id), day 0 being the send day.

    Every day from 0 to the last day with activity (at most ``max_days``) appears for
    every variant of ``variant_ids``, sorted by day then variant; activity after
    ``max_days`` counts in the last look, so the last look equals the totals of
    ``variant_summaries``. Empty when the campaign has no delivered send.
    """
    names = variant_ids(session=session, campaign_id=campaign_id)
    start = campaign_start(session=session, campaign_id=campaign_id)
    schema = {"day": pl.Int64, "variant_id": pl.String,
              **{c: pl.Float64 if c.startswith("revenue") else pl.Int64 for c in LOOK_COLUMNS}}
    if start is None or not names:
        return pl.DataFrame(schema=schema)
    connection = session.connection()
    clip = pl.col("day").clip(0, max_days)
    events = _event_days(connection, campaign_id, start).with_columns(clip)
    orders = _orders(connection, campaign_id, start).with_columns(clip)
    if events.filter(pl.col("metric") == "delivered").is_empty():
        return pl.DataFrame(schema=schema)
    last_day = int(max(events["day"].max() or 0, orders["day"].max() or 0))  # type: ignore[arg-type]
    converters, revenue = _order_metrics(orders, last_day)
    counts = (pl.concat([events, converters.select(events.columns)])
              .group_by("variant_id", "metric", "day").agg(pl.col("value").sum())
              .pivot(on="metric", index=["variant_id", "day"], values="value"))
    grid = pl.DataFrame({"day": list(range(last_day + 1))}, schema={"day": pl.Int64}).join(
        pl.DataFrame({"variant_id": names}, schema={"variant_id": pl.String}), how="cross")
    daily = grid.join(counts, on=["variant_id", "day"], how="left")
    for column in LOOK_COLUMNS[:6]:
        if column not in daily.columns:
            daily = daily.with_columns(pl.lit(0.0).alias(column))
    cumulative = (daily.sort("variant_id", "day").with_columns(
        pl.col(c).fill_null(0).cum_sum().over("variant_id").cast(pl.Int64)
        for c in LOOK_COLUMNS[:6]))
    return (cumulative.join(revenue.rename({"look": "day"}), on=["variant_id", "day"],
                            how="left")
            .with_columns(pl.col("revenue_sum", "revenue_sum_squares").fill_null(0.0))
            .select(list(schema)).sort("day", "variant_id"))


def get_experiment(*, session: Session, campaign_id: str) -> Experiment | None:
    return session.exec(select(Experiment).where(Experiment.campaign_id == campaign_id)).first()


def get_experiment_by_id(*, session: Session, experiment_id: int) -> Experiment | None:
    return session.get(Experiment, experiment_id)


def save_experiment(*, session: Session, experiment_in: ExperimentCreate) -> Experiment:
    """Create the campaign's experiment, or replace the settings of its existing one."""
    row = get_experiment(session=session, campaign_id=experiment_in.campaign_id)
    if row is None:
        row = Experiment.model_validate(experiment_in.model_dump())
    else:
        for name, value in experiment_in.model_dump().items():
            setattr(row, name, value)
        row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def record_winner(*, session: Session, experiment_id: int, winner: str,
                  lift: float | None,
                  lift_interval: tuple[float | None, float | None] | None, forced: bool,
                  reason: str | None, declared_by: str) -> Experiment:
    """Mark the experiment decided with ``winner``; returns the updated row."""
    row = session.get(Experiment, experiment_id)
    if row is None:
        raise LookupError(f"experiment {experiment_id} does not exist")
    now = utcnow()
    row.status, row.winner_variant, row.winner_lift = "decided", winner, lift
    row.winner_lift_low, row.winner_lift_high = lift_interval or (None, None)
    row.forced, row.decision_reason, row.declared_by = forced, reason, declared_by
    row.declared_at = row.updated_at = now
    row.webhook_sent_at = None
    session.add(row)
    session.flush()
    return row


def mark_webhook_sent(*, session: Session, experiment_id: int) -> Experiment:
    row = session.get(Experiment, experiment_id)
    if row is None:
        raise LookupError(f"experiment {experiment_id} does not exist")
    row.webhook_sent_at = utcnow()
    session.add(row)
    session.flush()
    return row
