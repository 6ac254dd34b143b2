"""The budget report: typed parameters -> spend and attributed results per category and
month -> performance, response curves, the optimiser, scenarios, plans and alerts.

Blocking (SQL, numpy, scipy); resolvers call it in threads. Reads are cached by the
data's generations, so an import never leaves a stale answer behind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.attribution import MODEL_NAMES
from analytics.budget import (
    DEFAULT_COST_TYPES,
    AlertDraft,
    CategoryPerformance,
    CurveFit,
    Plan,
    PlanStatus,
    Problem,
    Response,
    Safety,
    Scenario,
    ScenarioResult,
    Standing,
    Suggestion,
    Thresholds,
    alerts,
    categorise,
    category_performance,
    content_roi,
    fit_curve,
    optimize,
    plan_status,
    run_scenarios,
    spend_by,
    suggest,
)
from analytics.budget.acquisition import (
    SegmentAcquisition,
    SegmentEconomics,
    acquisition_budget,
)
from analytics.budget.curves import CURRENT_MONTHS
from analytics.budget.scenarios import GROUPS, PRESETS
from server.db.engine import session_scope
from server.db.models import BudgetAlert, BudgetPlan
from server.db.repository import budget as repo
from server.db.repository.changes import generations
from server.db.repository.journeys import read_conversions
from server.runners.attribution import (
    JourneyQuery,
    ModelParams,
    attribution_rows,
    cached_journeys,
)
from server.runners.base import Memo

# A spend category's channel in touchpoints when the names differ; others are their own.
CATEGORY_CHANNELS: dict[str, str] = {"paid_search": "paid"}
RESULTS_SCHEMA = pl.Schema({"category": pl.String, "month": pl.Date, "revenue": pl.Float64,
                            "conversions": pl.Float64})
MAX_RESAMPLES = 500
ALERT_MONTHS = 3
DATA = Memo(max_entries=16)


@dataclass(frozen=True)
class BudgetQuery:
    """Which months (``[start, end)``, first days of months; None: unbounded), which
    attribution model credits revenue (None: split each month's order revenue by spend),
    and cost-type edits on top of the stored mapping."""

    start: date | None = None
    end: date | None = None
    model: str | None = None
    cost_types: tuple[tuple[str, str], ...] = ()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the argument and the fix."""
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(f"from ({self.start}) must be before to ({self.end}); swap them")
        if self.model is not None and self.model not in MODEL_NAMES:
            raise ValueError(f"model: unknown attribution model {self.model!r}; choose from "
                             f"{', '.join(MODEL_NAMES)} or leave it empty for the split "
                             "by spend")


@dataclass(frozen=True)
class BudgetData:
    """Categorised spend rows and attributed results per category and month."""

    spend: pl.DataFrame = field(hash=False, compare=False)
    results: pl.DataFrame = field(hash=False, compare=False)
    emails_sent: int
    currency: str
    mapping: tuple[tuple[str, str], ...]


def _instant(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), UTC)


def cost_type_mapping(engine: Engine, edits: Sequence[tuple[str, str]] = ()) -> dict[str, str]:
    """The defaults, then the stored edits, then ``edits``."""
    with Session(engine) as session:
        stored = repo.cost_type_overrides(session=session)
    return {**DEFAULT_COST_TYPES, **stored, **dict(edits)}


def set_cost_type(engine: Engine, cost_type: str, category: str | None, actor: str) -> None:
    """Edit the mapping (None restores the default), with an audit entry."""
    with session_scope(engine) as session:
        before = repo.cost_type_overrides(session=session).get(cost_type)
        repo.set_cost_type(session=session, cost_type=cost_type, category=category)
        repo.add_audit(session=session, action="set_cost_type", actor=actor,
                       detail={"cost_type": cost_type, "before": before, "after": category})


def _proportional(spend: pl.DataFrame, orders: pl.DataFrame) -> pl.DataFrame:
    monthly = spend.group_by("category", "month").agg(amount=pl.col("amount").sum())
    share = monthly.with_columns(share=pl.col("amount") / pl.col("amount").sum().over("month"))
    return (share.join(orders, on="month", how="inner")
            .select("category", "month", revenue=pl.col("share") * pl.col("revenue"),
                    conversions=pl.col("share") * pl.col("orders")))


def _attributed(engine: Engine, query: BudgetQuery, categories: Sequence[str]) -> pl.DataFrame:
    assert query.model is not None
    period = cached_journeys(engine, JourneyQuery(start=_instant(query.start),
                                                  end=_instant(query.end)))
    journeys = period.journeys.filter(pl.col("converted")).with_columns(
        month=pl.col("converted_at").dt.date().dt.truncate("1mo"))
    channel_of = {c: CATEGORY_CHANNELS.get(c, c) for c in categories}
    frames = []
    for month in sorted(journeys["month"].unique().to_list()):
        rows = attribution_rows(journeys.filter(pl.col("month") == month).drop("month"),
                                [query.model], key="channel", params=ModelParams())
        credit = {r["key"]: (r["revenue"], r["conversions"]) for r in rows.iter_rows(named=True)}
        frames.append(pl.DataFrame(
            [(c, month, *credit.get(channel_of[c], (0.0, 0.0))) for c in categories],
            schema=RESULTS_SCHEMA, orient="row"))
    return pl.concat(frames) if frames else pl.DataFrame(schema=RESULTS_SCHEMA)


def load_data(engine: Engine, query: BudgetQuery, currency: str,
              mapping: Mapping[str, str] | None = None) -> BudgetData:
    """Spend and results for ``query`` (uncached; see ``budget_data``)."""
    query.validate()
    mapping = cost_type_mapping(engine, query.cost_types) if mapping is None else mapping
    rows = repo.read_spend_rows(engine=engine, start=query.start, end=query.end)
    spend = categorise(rows, mapping)
    categories = sorted(spend["category"].unique().to_list())
    start, end = _instant(query.start), _instant(query.end)
    if query.model is None:
        orders = (read_conversions(engine=engine, start=start, end=end)
                  .with_columns(month=pl.col("occurred_at").dt.date().dt.truncate("1mo"))
                  .group_by("month").agg(revenue=pl.col("revenue").sum(),
                                         orders=pl.len().cast(pl.Float64)))
        results = _proportional(spend, orders)
    else:
        results = _attributed(engine, query, categories)
    with Session(engine) as session:
        sent = repo.count_sends(session=session, start=start, end=end)
    currencies = sorted(set(spend["currency"].drop_nulls().to_list()))
    return BudgetData(spend=spend, results=results.select(RESULTS_SCHEMA.names()),
                      emails_sent=sent, currency=currencies[0] if currencies else currency,
                      mapping=tuple(sorted(mapping.items())))


def budget_data(engine: Engine, query: BudgetQuery, currency: str) -> BudgetData:
    """``load_data``, shared by every request for the same query and data."""
    # The mapping is part of the key: editing it moves no import generation.
    mapping = cost_type_mapping(engine, query.cost_types)
    key = ("budget", query, currency, tuple(sorted(mapping.items())), generations(engine))
    return DATA.of(engine, key, lambda: load_data(engine, query, currency, mapping))


def performance(data: BudgetData) -> list[CategoryPerformance]:
    """Each category's spend, revenue, ROI, CPA, efficiency, consistency and score."""
    return category_performance(data.spend, data.results, emails_sent=data.emails_sent)


def breakdown(data: BudgetData, key: str) -> pl.DataFrame:
    """Spend per ``key``: category, cost_type, vendor, campaign_id or month."""
    return spend_by(data.spend, key)


def monthly_history(data: BudgetData) -> pl.DataFrame:
    """``category, month, spend, revenue, conversions`` over the months each category
    had spend, sorted."""
    spend = data.spend.group_by("category", "month").agg(spend=pl.col("amount").sum())
    return (spend.join(data.results, on=["category", "month"], how="left")
            .fill_null(0.0).sort("category", "month"))


def fit_history(history: pl.DataFrame, resamples: int = 100) -> list[CurveFit]:
    """A curve per category of ``history`` (``category, month, spend, revenue`` and
    optionally ``conversions``), by category."""
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(f"resamples must be between 1 and {MAX_RESAMPLES}, got {resamples}")
    fits = []
    # Current spend is over the last months of the whole history, so a category that
    # stopped spending is at zero now, not at its own last months' level.
    recent = sorted(history["month"].unique().to_list())[-CURRENT_MONTHS:]
    for (category,), rows in history.sort("month").group_by("category", maintain_order=True):
        conversions = rows["conversions"].to_list() if "conversions" in rows.columns else None
        current = float(rows.filter(pl.col("month").is_in(recent))["spend"].sum()) / max(
            len(recent), 1)
        fits.append(fit_curve(str(category), rows["spend"].to_list(), rows["revenue"].to_list(),
                              conversions=conversions, resamples=resamples,
                              current_spend=current))
    return sorted(fits, key=lambda f: f.category)


FITS = Memo(max_entries=16)


def curves(engine: Engine, query: BudgetQuery, currency: str,
           resamples: int = 100) -> list[CurveFit]:
    """``fit_history`` of the database's history for ``query``, cached."""
    data = budget_data(engine, query, currency)
    return FITS.of(engine, ("curves", query, currency, resamples, data.mapping,
                            generations(engine)),
                   lambda: fit_history(monthly_history(data), resamples))


def responses(fits: Sequence[CurveFit], groups: Mapping[str, str] | None = None,
              ) -> list[Response]:
    """The optimiser's view of ``fits``; categories of the acquisition group are the ones a
    CLV:CAC floor applies to."""
    groups = GROUPS if groups is None else groups
    return [Response(category=f.category, curve=f.curve,
                     revenue_per_conversion=f.revenue_per_conversion, samples=f.samples,
                     current_spend=f.current_spend,
                     acquisition=groups.get(f.category) == "acquisition",
                     max_trusted=f.max_spend if not f.warnings else None) for f in fits]


def current_total(fits: Sequence[CurveFit]) -> float:
    """The monthly budget now: the sum of each category's recent spend."""
    return float(sum(f.current_spend for f in fits))


def optimize_fits(fits: Sequence[CurveFit], problem: Problem) -> Plan:
    """The optimiser's plan on ``fits``, with their warnings; raises ``Infeasible``."""
    plan = optimize(responses(fits), problem)
    return replace(plan, warnings=(*plan.warnings, *(w for f in fits for w in f.warnings)))


def scenarios(fits: Sequence[CurveFit], base: Problem,
              custom: Sequence[Scenario] = ()) -> list[ScenarioResult]:
    """The presets and ``custom`` scenarios on ``fits``."""
    return run_scenarios(responses(fits), base, [*PRESETS, *custom])


def standings(fits: Sequence[CurveFit], rows: Sequence[CategoryPerformance],
              budgets: Mapping[str, float]) -> list[Standing]:
    """Each planned category's budget, ROI and marginal ROI."""
    roi = {r.category: r.roi_percent for r in rows}
    marginal = {f.category: f.marginal_roi for f in fits}
    return [Standing(c, b, roi.get(c), marginal.get(c)) for c, b in sorted(budgets.items())]


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def plan_statuses(engine: Engine, month: date, today: date) -> list[PlanStatus]:
    """``month``'s plans against what was spent in it, ``today`` giving how much of the
    month has gone (a past month counts as whole)."""
    month = month_start(month)
    with Session(engine) as session:
        plans = repo.list_plans(session=session, month=month)
    mapping = cost_type_mapping(engine)
    rows = categorise(repo.read_spend_rows(engine=engine, start=month, end=next_month(month)),
                      mapping)
    spent = {k: float(v) for k, v in rows.group_by("category").agg(
        pl.col("amount").sum()).iter_rows()}
    days = (next_month(month) - month).days
    elapsed = min(max((today - month).days + 1, 1), days) / days
    categories = sorted({p.category for p in plans} | set(spent))
    allocated = {p.category: float(p.allocated) for p in plans}
    return [plan_status(c, allocated.get(c, 0.0), spent.get(c, 0.0), elapsed)
            for c in categories]


def thresholds_from(low_roi_percent: float, high_burn_rate: float,
                    high_cpa: float | None) -> Thresholds:
    return Thresholds(low_roi_percent=low_roi_percent, high_burn_rate=high_burn_rate,
                      high_cpa=high_cpa)


def evaluate_alerts(engine: Engine, *, today: date, thresholds: Thresholds,
                    currency: str) -> list[AlertDraft]:
    """The alerts ``today``'s data call for: burn against this month's plans, ROI and CPA
    over the last ``ALERT_MONTHS`` months (this one included)."""
    month = month_start(today)
    back = month.year * 12 + month.month - 1 - (ALERT_MONTHS - 1)
    start = date(back // 12, back % 12 + 1, 1)
    data = budget_data(engine, BudgetQuery(start=start, end=next_month(month)), currency)
    rows = performance(data)
    return alerts(plan_statuses(engine, month, today),
                  [(r.category, r.roi_percent, r.cpa) for r in rows], thresholds)


def raise_alerts(engine: Engine, *, today: date, thresholds: Thresholds,
                 currency: str) -> tuple[int, int]:
    """Store the alerts ``evaluate_alerts`` finds (an open one is updated, not copied);
    returns (new, still open)."""
    drafts = evaluate_alerts(engine, today=today, thresholds=thresholds, currency=currency)
    new = 0
    with session_scope(engine) as session:
        for draft in drafts:
            _, created = repo.raise_alert(session=session, kind=draft.kind,
                                          category=draft.category, month=month_start(today),
                                          value=draft.value, threshold=draft.threshold,
                                          message=draft.message)
            new += created
    return new, len(drafts) - new


def list_alerts(engine: Engine, include_acknowledged: bool = False) -> list[BudgetAlert]:
    with Session(engine) as session:
        return repo.list_alerts(session=session, include_acknowledged=include_acknowledged)


def acknowledge(engine: Engine, alert_id: int, actor: str) -> BudgetAlert | None:
    """Acknowledge an alert, with an audit entry; None when there is no such alert."""
    with session_scope(engine) as session:
        alert = repo.acknowledge_alert(session=session, alert_id=alert_id, actor=actor)
        if alert is not None:
            repo.add_audit(session=session, action="acknowledge_alert", actor=actor,
                           detail={"alert_id": alert_id, "kind": alert.kind,
                                   "category": alert.category})
            session.flush()
            session.expunge(alert)
        return alert


def list_plans(engine: Engine, month: date | None = None) -> list[BudgetPlan]:
    with Session(engine) as session:
        return repo.list_plans(session=session, month=None if month is None
                               else month_start(month))


def check_allocations(allocations: Mapping[str, Decimal]) -> None:
    """Raise ``ValueError`` naming the category whose amount is unusable."""
    if not allocations:
        raise ValueError("allocations is empty; give at least one category and amount")
    for category, amount in allocations.items():
        if not category.strip():
            raise ValueError("allocations: a category name is empty; name every category")
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"allocations[{category}]: {amount} is not an amount >= 0")


def save_plans(engine: Engine, month: date, allocations: Mapping[str, Decimal],
               currency: str, actor: str, action: str = "save_plan",
               detail: Mapping[str, object] | None = None) -> list[BudgetPlan]:
    """Replace ``month``'s plans with ``allocations`` in one transaction, with an audit
    entry holding before and after."""
    check_allocations(allocations)
    month = month_start(month)
    with session_scope(engine) as session:
        before = {p.category: str(p.allocated)
                  for p in repo.list_plans(session=session, month=month)}
        plans = repo.save_plan(session=session, month=month, allocations=allocations,
                               currency=currency, actor=actor)
        repo.add_audit(session=session, action=action, actor=actor, detail={
            "month": month.isoformat(), "before": before,
            "after": {c: str(a) for c, a in sorted(allocations.items())}, **(detail or {})})
        for plan in plans:
            session.expunge(plan)
        return plans


def suggest_reallocation(engine: Engine, month: date, query: BudgetQuery, currency: str,
                         safety: Safety) -> list[Suggestion]:
    """Suggestions for ``month``'s plans from ``query``'s performance and curves."""
    plans = list_plans(engine, month)
    if not plans:
        raise ValueError(f"month {month_start(month)} has no plan to reallocate; save a "
                         "plan for it first")
    data = budget_data(engine, query, currency)
    fits = curves(engine, query, currency)
    return suggest(standings(fits, performance(data),
                             {p.category: float(p.allocated) for p in plans}), safety)


def recommendations(engine: Engine, month: date, query: BudgetQuery, currency: str,
                    safety: Safety) -> list[Suggestion]:
    """``suggest_reallocation`` for a month with a plan; otherwise suggestions on the
    current monthly spend of each category."""
    if list_plans(engine, month):
        return suggest_reallocation(engine, month, query, currency, safety)
    fits = curves(engine, query, currency)
    rows = performance(budget_data(engine, query, currency))
    return suggest(standings(fits, rows, {f.category: f.current_spend for f in fits}), safety)


def apply_reallocation(engine: Engine, month: date, query: BudgetQuery, currency: str,
                       safety: Safety, actor: str) -> tuple[list[Suggestion], list[BudgetPlan]]:
    """Apply the suggestions to ``month``'s plans atomically, with an audit entry."""
    suggestions = suggest_reallocation(engine, month, query, currency, safety)
    allocations = {s.category: Decimal(f"{s.suggested:.2f}") for s in suggestions}
    # Rounding to cents must not change the month's total.
    drift = sum(Decimal(f"{s.current:.2f}") for s in suggestions) - sum(allocations.values())
    if suggestions and drift:
        largest = max(allocations, key=lambda c: allocations[c])
        allocations[largest] += drift
    plans = save_plans(engine, month, allocations, currency, actor, action="reallocate",
                       detail={"safety": json.loads(json.dumps(safety.__dict__)),
                               "reasons": {s.category: s.reason for s in suggestions}})
    return suggestions, plans


def vendor_costs(data: BudgetData) -> pl.DataFrame:
    """Spend per vendor and month with the cost per email sent over the period's sends
    spread evenly over its months (``vendor, month, spend, cost_per_email``)."""
    months = max(data.spend["month"].n_unique(), 1)
    per_month = data.emails_sent / months
    return (data.spend.group_by("vendor", "month").agg(spend=pl.col("amount").sum())
            .with_columns(cost_per_email=pl.col("spend") / per_month if per_month
                          else pl.lit(None, pl.Float64))
            .sort("vendor", "month", nulls_last=True))


def segment_acquisition(engine: Engine, rows: Sequence[tuple[str, float | None, float, int]],
                        *, target_ratio: float, max_change: float,
                        lifetime_months: float) -> list[SegmentAcquisition]:
    """``acquisition_budget`` for ``(segment, clv, spend, new customers)`` rows; a missing
    CLV is the segment's order revenue per member so far. Raises ``ValueError`` naming the
    row when a segment has neither."""
    known = repo.segment_revenue_per_member(engine=engine) if any(
        clv is None for _, clv, _, _ in rows) else {}
    economics = []
    for i, (segment, clv, spend, customers) in enumerate(rows):
        value = clv if clv is not None else known.get(segment)
        if value is None:
            raise ValueError(f"segments[{i}].clv: segment {segment!r} has no members to "
                             "value; give its clv")
        economics.append(SegmentEconomics(segment, value, spend, customers))
    return acquisition_budget(economics, target_ratio=target_ratio, max_change=max_change,
                              lifetime_months=lifetime_months)


def content_costs(engine: Engine, data: BudgetData) -> pl.DataFrame:
    """Content cost ROI by content type (``content_roi``) for ``data``'s spend."""
    return content_roi(data.spend, repo.campaign_revenue(engine=engine))
