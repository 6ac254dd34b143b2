"""Every report as a flat table (what the export routes write as CSV or Parquet)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.metrics import METRICS, campaign_statistics, compute_rates, sum_counters
from server.db.repository.recipients import RECIPIENT_STATUSES, recipient_page
from server.runners.budget import BudgetQuery, budget_data, performance
from server.runners.campaigns import Dimension, campaign_breakdown
from server.runners.customers import segments_with_performance
from server.runners.dashboard import DashboardReport, dashboard_report
from server.runners.experiments import campaign_analysis
from server.runners.filters import ReportFilters, granularity_of
from server.runners.insights import group_label
from server.runners.predictions import export_scores
from server.runners.snapshot import read_snapshot
from server.runners.targets import load_targets

MAX_RECIPIENTS = 1_000_000
RECIPIENT_COLUMNS = ("sent_at", "delivered_at", "bounced_at", "bounce_type", "first_open_at",
                     "first_human_open_at", "open_count", "machine_open_count",
                     "first_click_at", "click_count", "unsubscribed_at", "complained_at",
                     "conversions")
_UTC = pl.Datetime("us", "UTC")
RECIPIENT_SCHEMA: dict[str, pl.DataType] = {
    **dict.fromkeys(("message_id", "campaign_id", "variant_id", "customer_id", "email",
                     "email_domain"), pl.String()),
    **{name: _UTC for name in RECIPIENT_COLUMNS if name.endswith("_at")},
    "bounce_type": pl.String(), "open_count": pl.Int64(), "machine_open_count": pl.Int64(),
    "click_count": pl.Int64(), "conversions": pl.Int64(), "revenue": pl.Float64(),
}


class ReportError(ValueError):
    """A report name or parameter the export cannot honour; the message says which."""


def _metric_rows(row: Mapping[str, Any], report: DashboardReport) -> pl.DataFrame:
    records = []
    for definition in METRICS:
        value, target = row[definition.name], report.targets.target(definition.name)
        records.append({
            "metric": definition.name, "label": definition.label, "value": value,
            "target": target,
            "status": row.get(f"{definition.name}_status") or
            ("no_target" if target is None else "no_data"),
            "difference": None if value is None or target is None else value - target,
            "higher_is_better": definition.higher_is_better,
            "numerator": float(row[definition.numerator]),
            "denominator": int(row[definition.denominator])})
    return pl.DataFrame(records, schema={
        "metric": pl.String, "label": pl.String, "value": pl.Float64, "target": pl.Float64,
        "status": pl.String, "difference": pl.Float64, "higher_is_better": pl.Boolean,
        "numerator": pl.Float64, "denominator": pl.Int64})


def _insights(report: DashboardReport) -> pl.DataFrame:
    records = []
    for kind, insight in report.insights:
        best = insight.best.key if insight.best else None
        for group in insight.groups:
            records.append({"insight": kind, "metric": insight.metric, "group": str(group.key),
                            "label": group_label(kind, group.key), "successes": group.successes,
                            "trials": group.trials, "rate": group.rate, "ci_low": group.ci_low,
                            "ci_high": group.ci_high, "eligible": group.eligible,
                            "best": group.key == best, "confidence": insight.confidence})
    return pl.DataFrame(records, schema={
        "insight": pl.String, "metric": pl.String, "group": pl.String, "label": pl.String,
        "successes": pl.Int64, "trials": pl.Int64, "rate": pl.Float64, "ci_low": pl.Float64,
        "ci_high": pl.Float64, "eligible": pl.Boolean, "best": pl.Boolean,
        "confidence": pl.Float64})


def _recommendations(report: DashboardReport) -> pl.DataFrame:
    return pl.DataFrame([{"priority": item.priority, "category": item.category,
                          "metric": item.metric, "status": item.status,
                          "evidence": item.evidence, "actions": " | ".join(item.actions)}
                         for item in report.recommendations],
                        schema=dict.fromkeys(("priority", "category", "metric", "status",
                                              "evidence", "actions"), pl.String))


DASHBOARD_TABLES: dict[str, Callable[[DashboardReport], pl.DataFrame]] = {
    "dashboard-summary": lambda r: _metric_rows(r.totals.row(0, named=True), r),
    "dashboard-trend": lambda r: r.trend,
    "dashboard-segments": lambda r: r.segments.rows,
    "dashboard-providers": lambda r: r.providers.rows,
    "dashboard-campaigns": lambda r: r.per_campaign.sort("campaign_id"),
    "dashboard-insights": _insights,
    "dashboard-recommendations": _recommendations,
}
CAMPAIGN_TABLES = ("campaign-metrics", "campaign-breakdown", "campaign-recipients",
                   "campaign-statistics", "campaign-correlations", "experiment-results")
# One row per metric and variant of a campaign's experiment (the experiment page's table).
EXPERIMENT_SCHEMA = {
    "campaign_id": pl.String(), "metric": pl.String(), "kind": pl.String(),
    "method": pl.String(), "control": pl.String(), "variant": pl.String(),
    "control_value": pl.Float64(), "variant_value": pl.Float64(),
    "difference": pl.Float64(), "difference_low": pl.Float64(),
    "difference_high": pl.Float64(), "relative_lift": pl.Float64(),
    "lift_low": pl.Float64(), "lift_high": pl.Float64(), "significant": pl.Boolean(),
    "p_value": pl.Float64(), "probability_better": pl.Float64()}
# One row per segment (the segments list, by name) with its current members' performance.
SEGMENT_SCHEMA = {
    "segment_id": pl.String(), "name": pl.String(), "kind": pl.String(),
    "definition": pl.String(), "member_count": pl.Int64(), "computed_at": _UTC,
    "members": pl.Int64(), "open_rate_90d": pl.Float64(), "click_rate_90d": pl.Float64(),
    "lifetime_revenue": pl.Float64(), "average_engagement": pl.Float64()}
# One row per spend category (the budget page's table) for the months in [from, to).
BUDGET_SCHEMA = {
    "category": pl.String(), "currency": pl.String(), "spend": pl.Float64(),
    "revenue": pl.Float64(), "conversions": pl.Float64(), "roi_percent": pl.Float64(),
    "cpa": pl.Float64(), "revenue_per_email": pl.Float64(), "efficiency": pl.Float64(),
    "consistency": pl.Float64(), "score": pl.Float64()}
OTHER_TABLES = ("segments", "budget-categories", "scores")
REPORTS = (*DASHBOARD_TABLES, *CAMPAIGN_TABLES, *OTHER_TABLES)


def _day(params: Mapping[str, Any], name: str) -> date | None:
    value = params.get(name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ReportError(f"{name}: {value!r} is not a date; use YYYY-MM-DD") from None


def _filters(params: Mapping[str, Any], lists: Mapping[str, list[str]]) -> ReportFilters:
    granularity = str(params.get("granularity") or "week").lower()
    try:
        return ReportFilters(start=_day(params, "from"), end=_day(params, "to"),
                             granularity=granularity_of(granularity),
                             campaign_types=tuple(lists.get("type", [])),
                             segment_ids=tuple(lists.get("segment", [])))
    except ValueError as error:
        raise ReportError(str(error)) from None


def _campaign_id(params: Mapping[str, Any], snapshot: Any) -> str:
    campaign_id = params.get("campaign")
    if not campaign_id:
        raise ReportError("campaign: this report needs ?campaign=<campaign id>")
    if campaign_id not in snapshot.campaigns["campaign_id"].to_list():
        raise ReportError(f"campaign: no campaign has id {campaign_id!r}")
    return str(campaign_id)


def _recipients(engine: Engine, campaign_id: str, status: str | None) -> pl.DataFrame:
    if status is not None and status not in RECIPIENT_STATUSES:
        raise ReportError(f"status: {status!r} is not one of {', '.join(RECIPIENT_STATUSES)}")
    with Session(engine) as session:
        rows, _ = recipient_page(session=session, campaign_id=campaign_id, status=status,
                                 offset=0, limit=MAX_RECIPIENTS)
    records = [{"message_id": message.message_id, "campaign_id": message.campaign_id,
                "variant_id": message.variant_id, "customer_id": message.customer_id,
                "email": customer.email if customer else None,
                "email_domain": customer.email_domain if customer else None,
                **{name: getattr(message, name) for name in RECIPIENT_COLUMNS},
                "revenue": float(message.revenue)} for message, customer in rows]
    return pl.DataFrame(records, schema=RECIPIENT_SCHEMA)


def _experiment_results(engine: Engine, campaign_id: str) -> pl.DataFrame:
    test = campaign_analysis(engine, campaign_id)
    if test is None or test.problem is not None:
        problem = test.problem if test is not None else "no such campaign"
        raise ReportError(f"campaign: {campaign_id!r} has no experiment results: {problem}")
    rows = [{"campaign_id": campaign_id, "metric": name, "kind": metric.kind,
             "method": metric.method, "control": metric.control, "variant": item.variant,
             "control_value": item.control_value, "variant_value": item.variant_value,
             "difference": item.difference, "difference_low": item.difference_interval.low,
             "difference_high": item.difference_interval.high,
             "relative_lift": item.relative_lift,
             "lift_low": item.lift_interval.low if item.lift_interval else None,
             "lift_high": item.lift_interval.high if item.lift_interval else None,
             "significant": item.significant, "p_value": item.p_value,
             "probability_better": item.probability_better}
            for name, metric in test.metrics for item in metric.evidence]
    return pl.DataFrame(rows, schema=EXPERIMENT_SCHEMA)


def _segments(engine: Engine) -> pl.DataFrame:
    rows = [{"segment_id": segment.segment_id, "name": segment.name, "kind": segment.kind,
             "definition": segment.definition, "member_count": result.members,
             "computed_at": segment.computed_at, "members": result.members,
             "open_rate_90d": result.open_rate_90d, "click_rate_90d": result.click_rate_90d,
             "lifetime_revenue": result.lifetime_revenue,
             "average_engagement": result.average_engagement}
            for segment, result in segments_with_performance(engine)]
    return pl.DataFrame(rows, schema=SEGMENT_SCHEMA)


def _budget_categories(engine: Engine, params: Mapping[str, Any],
                       currency: str) -> pl.DataFrame:
    model = str(params.get("model") or "").strip().lower() or None
    query = BudgetQuery(start=_day(params, "from"), end=_day(params, "to"), model=model)
    try:
        query.validate()
    except ValueError as error:  # the message starts with the parameter: from or model
        raise ReportError(str(error)) from None
    data = budget_data(engine, query, currency)
    rows = [{"category": row.category, "currency": data.currency, "spend": row.spend,
             "revenue": row.revenue, "conversions": row.conversions,
             "roi_percent": row.roi_percent, "cpa": row.cpa,
             "revenue_per_email": row.revenue_per_email, "efficiency": row.efficiency,
             "consistency": row.consistency, "score": row.score}
            for row in performance(data)]
    return pl.DataFrame(rows, schema=BUDGET_SCHEMA)


def build_table(engine: Engine, name: str, params: Mapping[str, Any],
                lists: Mapping[str, list[str]], *, currency: str = "USD") -> pl.DataFrame:
    """The table of report ``name`` for the query parameters ``params`` (first values)
    and ``lists`` (repeated parameters: type, segment, id); ``currency`` is the one
    budget figures are in when the spend rows name none."""
    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}; choose one of {', '.join(REPORTS)}")
    if name == "segments":
        return _segments(engine)
    if name == "budget-categories":
        return _budget_categories(engine, params, currency)
    if name == "scores":
        return export_scores(engine)
    snapshot, targets = read_snapshot(engine), load_targets(engine)
    if name in DASHBOARD_TABLES:
        report = dashboard_report(engine, snapshot, _filters(params, lists), targets)
        return DASHBOARD_TABLES[name](report)
    if name in ("campaign-statistics", "campaign-correlations"):
        ids = [i for value in lists.get("id", []) for i in value.split(",") if i]
        if not ids:
            raise ReportError("id: list the campaigns, e.g. ?id=c1&id=c2 or ?id=c1,c2")
        rollups = snapshot.rollups.filter(pl.col("campaign_id").is_in(ids))
        statistics = campaign_statistics(compute_rates(sum_counters(rollups, by=["campaign_id"])))
        return statistics.summary if name == "campaign-statistics" else statistics.correlations
    campaign_id = _campaign_id(params, snapshot)
    if name == "experiment-results":
        return _experiment_results(engine, campaign_id)
    if name == "campaign-recipients":
        status = params.get("status")
        return _recipients(engine, campaign_id, str(status).lower() if status else None)
    if name == "campaign-metrics":
        rows = snapshot.rollups.filter(pl.col("campaign_id") == campaign_id)
        return compute_rates(sum_counters(rows), targets).with_columns(
            pl.lit(campaign_id).alias("campaign_id"))
    dimension = str(params.get("dimension") or "variant").lower()
    try:
        chosen = Dimension(dimension)
    except ValueError:
        raise ReportError(f"dimension: {dimension!r} is not one of "
                          f"{', '.join(d.value for d in Dimension)}") from None
    return campaign_breakdown(engine, snapshot, campaign_id, chosen, targets).rows
