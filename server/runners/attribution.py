"""The attribution report: typed parameters -> journeys read for a period -> models run ->
frames for the GraphQL types. Blocking (SQL and numpy); resolvers call it in threads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Engine

from analytics.attribution import (
    MODEL_NAMES,
    ModelSpec,
    PathKey,
    attribute,
    bootstrap_intervals,
    build_journeys,
    compare_models,
    roi,
)
from server.db.repository.changes import generations
from server.db.repository.journeys import (
    EMAIL_KINDS as EMAIL_KINDS,  # re-exported: the pages offer these kinds
)
from server.db.repository.journeys import (
    latest_order_at,
    read_conversions,
    read_spend,
    read_touches,
)
from server.runners.base import Memo

MAX_RESAMPLES = 1000
DEFAULT_WEIGHTS = (0.4, 0.2, 0.4)
_JOURNEY_COLUMNS = ("converted", "revenue", "path", "converted_at")
# The journeys of the last few periods asked for. Reading them takes seconds at scale;
# the key holds the data's generations, which every import moves, so a changed
# database is never answered from here.
JOURNEYS = Memo(max_entries=4)


# Ten years: beyond any journey, and far inside what a timedelta can hold.
MAX_LOOKBACK_DAYS = 3650


@dataclass(frozen=True)
class JourneyQuery:
    """Which journeys: orders placed in ``[start, end)`` (None: unbounded) with the
    touches in the ``lookback_days`` before each, plus the period's non-converting ones."""

    start: datetime | None = None
    end: datetime | None = None
    lookback_days: float = 30.0
    email_kinds: tuple[str, ...] = ("open", "click")

    def validate(self) -> None:
        """Raise ``ValueError`` naming the argument and the fix."""
        for name, value in (("from", self.start), ("to", self.end)):
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name}: {value.isoformat()} has no timezone; add one, "
                                 "e.g. 2026-03-01T00:00:00Z")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(f"from ({self.start.isoformat()}) must be before to "
                             f"({self.end.isoformat()}); swap them or widen the period")
        if not 0 < self.lookback_days <= MAX_LOOKBACK_DAYS:
            raise ValueError(f"lookbackDays must be > 0 and at most {MAX_LOOKBACK_DAYS}, got "
                             f"{self.lookback_days}; 30 looks back a month")
        if not self.email_kinds:
            raise ValueError("emailKinds is empty; pick at least one of DELIVERED, OPEN, "
                             "CLICK")
        unknown = sorted(set(self.email_kinds) - set(EMAIL_KINDS))
        if unknown:
            raise ValueError(f"emailKinds: {', '.join(unknown)} unknown; use delivered, "
                             "open or click")


@dataclass(frozen=True)
class ModelParams:
    """Model settings: ``time_decay`` half-life and ``position_based`` weights."""

    half_life_days: float = 7.0
    position_weights: tuple[float, float, float] = DEFAULT_WEIGHTS

    def validate(self) -> None:
        if not self.half_life_days > 0:
            raise ValueError(f"halfLifeDays must be > 0, got {self.half_life_days}; "
                             "7 halves a touch's weight every week")
        weights = self.position_weights
        if any(w < 0 for w in weights) or abs(sum(weights) - 1) > 1e-9:
            first, middle, last = weights
            raise ValueError(f"positionWeights first={first}, middle={middle}, last={last} "
                             "must be >= 0 and sum to 1, e.g. 0.4, 0.2, 0.4")

    def for_model(self, model: str) -> dict[str, Any]:
        if model == "time_decay":
            return {"half_life_days": self.half_life_days}
        if model == "position_based":
            first, middle, last = self.position_weights
            return {"first": first, "middle": middle, "last": last}
        return {}


@dataclass(frozen=True)
class PeriodJourneys:
    """The period's journeys (``JOURNEYS_SCHEMA``) and its orders' totals."""

    journeys: pl.DataFrame = field(hash=False, compare=False)
    orders: int
    order_revenue: float

    @property
    def touched(self) -> pl.DataFrame:
        """Converting journeys with at least one touch: what every model distributes."""
        return self.journeys.filter(pl.col("converted") & (pl.col("path").list.len() > 0))


def check_models(models: Sequence[str], *, argument: str = "models") -> list[str]:
    """``models`` without repeats, in order; raises ``ValueError`` for unknown names."""
    chosen: list[str] = []
    for model in models:
        if model not in MODEL_NAMES:
            raise ValueError(f"{argument}: unknown model {model!r}; choose from "
                             f"{', '.join(MODEL_NAMES)}")
        if model not in chosen:
            chosen.append(model)
    if not chosen:
        raise ValueError(f"{argument} is empty; name at least one model")
    return chosen


def check_resamples(resamples: int) -> None:
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(f"resamples must be between 1 and {MAX_RESAMPLES}, got {resamples}")


def load_journeys(engine: Engine, query: JourneyQuery) -> PeriodJourneys:
    """Read touches and orders for ``query`` and build its journeys."""
    query.validate()
    lookback = timedelta(days=query.lookback_days)
    # Orders before the period are read too: they cut the journeys of later orders, so
    # no touch is credited twice across periods.
    read_from = query.start - lookback if query.start is not None else None
    touches = read_touches(engine=engine, start=read_from, end=query.end,
                           email_kinds=query.email_kinds)
    orders = read_conversions(engine=engine, start=read_from, end=query.end)
    journeys = build_journeys(touches, orders, lookback_days=query.lookback_days,
                              email_kinds=query.email_kinds)
    if query.start is not None:
        journeys = journeys.filter(
            pl.coalesce(pl.col("converted_at"), pl.col("touched_at").list.last())
            >= query.start)
    converted = journeys.filter("converted")
    return PeriodJourneys(journeys=journeys, orders=converted.height,
                          order_revenue=float(converted["revenue"].sum()))


def cached_journeys(engine: Engine, query: JourneyQuery) -> PeriodJourneys:
    """``load_journeys``, shared by every request for the same period and data."""
    return JOURNEYS.of(engine, ("journeys", query, generations(engine)),
                       lambda: load_journeys(engine, query))


def period_journeys(engine: Engine, queries: Sequence[JourneyQuery]) -> list[PeriodJourneys]:
    """``cached_journeys`` for each query (the per-request DataLoader's batch function)."""
    return [cached_journeys(engine, query) for query in queries]


def attribution_rows(data: pl.DataFrame, models: Sequence[str], *, key: PathKey | None,
                     params: ModelParams, intervals: bool = False,
                     resamples: int = 200) -> pl.DataFrame:
    """Every model's credit per key on journeys (``key`` picks their steps) or on
    aggregated paths (``key=None``), long form: ``model, key, conversions, revenue,
    share``, plus ``*_lower``/``*_upper`` bootstrap bounds (95%, seed 0) when asked."""
    params.validate()
    specs = [ModelSpec(model, params.for_model(model)) for model in models]
    rows = compare_models(data, specs, key=key)
    if not intervals:
        return rows
    check_resamples(resamples)
    bounds = pl.concat([
        bootstrap_intervals(data, spec.model, key=key, n_resamples=resamples,
                            **spec.params)
        .select(pl.lit(spec.model).alias("model"), "key", "conversions_lower",
                "conversions_upper", "revenue_lower", "revenue_upper")
        for spec in specs])
    return rows.join(bounds, on=["model", "key"], how="left", maintain_order="left")


def with_roi(engine: Engine, rows: pl.DataFrame, query: JourneyQuery,
             key: PathKey) -> pl.DataFrame:
    """``rows`` with ``spend`` and ``roi`` where spend is known for the key."""
    spend = read_spend(engine=engine, start=query.start, end=query.end, by=key)
    returns = roi(rows.select("model", "key", "revenue"), spend).drop("revenue")
    return rows.join(returns, on=["model", "key"], how="left", maintain_order="left")


def campaign_attribution(engine: Engine,
                         keys: Sequence[tuple[str, str, JourneyQuery, ModelParams]],
                         ) -> list[tuple[float, float]]:
    """(conversions, revenue) credited to each ``(campaign_id, model, query, params)``,
    in key order; each distinct (model, query, params) is computed once."""
    journeys: dict[JourneyQuery, pl.DataFrame] = {}
    credit: dict[tuple[str, JourneyQuery, ModelParams], dict[str, tuple[float, float]]] = {}
    results = []
    for campaign_id, model, query, params in keys:
        group = (model, query, params)
        if group not in credit:
            check_models([model], argument="model")
            params.validate()
            if query not in journeys:
                journeys[query] = cached_journeys(engine, query).journeys
            frame = attribute(journeys[query], model, key="campaign", **params.for_model(model))
            credit[group] = {row[0]: (row[1], row[2]) for row in
                             frame.select("key", "conversions", "revenue").iter_rows()}
        results.append(credit[group].get(campaign_id, (0.0, 0.0)))
    return results


def latest_order_time(engine: Engine) -> datetime | None:
    """When the latest order was placed (aware UTC), or None without orders: the end of
    the default period pages and exports show."""
    return latest_order_at(engine=engine)
