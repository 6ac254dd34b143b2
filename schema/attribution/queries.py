"""Attribution queries: which channels and campaigns earned the revenue, under every model.

Every read needs the viewer role. Models and SQL run in worker threads; the period's
journeys are read once per request however many fields ask for them.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import polars as pl
import strawberry
from strawberry.types import Info

from analytics.attribution import MODEL_NAMES, PATHS_SCHEMA, parse_paths_text
from schema.attribution.inputs import PathInput, PositionWeightsInput
from schema.attribution.types import (
    AttributionGroupBy,
    AttributionModel,
    AttributionReport,
    AttributionRow,
    EmailTouchKind,
    JourneyStats,
    PathAttribution,
    PathAttributionRow,
    money,
)
from schema.context import Context, require
from server.db.repository.journeys import EMAIL_KINDS
from server.runners.attribution import (
    JourneyQuery,
    ModelParams,
    attribution_rows,
    check_models,
    check_resamples,
    with_roi,
)

MAX_PATHS = 100_000


MAX_PATH_TEXT = 10_000_000


PATH_MODELS = tuple(AttributionModel(name) for name in MODEL_NAMES if name != "time_decay")


FromArg = Annotated[datetime | None, strawberry.argument(
    name="from", description="Orders placed at or after this instant (default: the earliest).")]


ToArg = Annotated[datetime | None, strawberry.argument(
    description="Orders placed before this instant (default: no end).")]


LookbackArg = Annotated[float | None, strawberry.argument(
    description="Days of touches before each order (default: the server's setting, 30).")]


KindsArg = Annotated[list[EmailTouchKind] | None, strawberry.argument(
    description="Email events that count as touches (default: the server's setting, OPEN "
                "and CLICK).")]


HalfLifeArg = Annotated[float, strawberry.argument(
    description="TIME_DECAY: days for a touch's weight to halve.")]


IntervalsArg = Annotated[bool, strawberry.argument(
    description="Add 95% bootstrap intervals (resampling journeys; slower).")]


def journey_query(info: Info[Context, Any], start: datetime | None, end: datetime | None,
                  lookback_days: float | None,
                  email_kinds: list[EmailTouchKind] | None) -> JourneyQuery:
    """The journeys the arguments ask for, server defaults filled in, validated."""
    settings = info.context.settings
    kinds = ([kind.value for kind in email_kinds] if email_kinds is not None
             else settings.multitouch_email_kinds.split(","))
    query = JourneyQuery(
        start=start, end=end,
        lookback_days=settings.multitouch_lookback_days if lookback_days is None
        else lookback_days,
        # one spelling per set of kinds, so equal requests share the loader's cache
        email_kinds=tuple(kind for kind in EMAIL_KINDS if kind in kinds))
    query.validate()
    return query


def model_params(half_life_days: float, weights: PositionWeightsInput | None) -> ModelParams:
    weights = weights or PositionWeightsInput()
    params = ModelParams(half_life_days=half_life_days,
                         position_weights=(weights.first, weights.middle, weights.last))
    params.validate()
    return params


async def build_report(info: Info[Context, Any], models: list[str], query: JourneyQuery,
                       group_by: AttributionGroupBy, params: ModelParams, intervals: bool,
                       resamples: int) -> AttributionReport:
    if intervals:
        check_resamples(resamples)
    period = await info.context.loaders.journeys.load(query)
    engine = info.context.engine

    def compute() -> pl.DataFrame:
        rows = attribution_rows(period.journeys, models, key=group_by.value, params=params,
                                intervals=intervals, resamples=resamples)
        return with_roi(engine, rows, query, group_by.value)

    rows = await asyncio.to_thread(compute)
    touched = period.touched
    return AttributionReport(
        models=[AttributionModel(model) for model in models], group_by=group_by,
        from_=query.start, to=query.end, lookback_days=query.lookback_days,
        email_kinds=[EmailTouchKind(kind) for kind in query.email_kinds],
        currency=info.context.settings.currency, orders=period.orders,
        order_revenue=money(period.order_revenue),
        attributed_conversions=float(touched.height),
        attributed_revenue=money(float(touched["revenue"].sum())),
        rows=[AttributionRow.from_row(row) for row in rows.iter_rows(named=True)],
        journeys=JourneyStats(period=period, group_by=group_by.value))


def paths_frame(paths: list[PathInput] | None, text: str | None) -> pl.DataFrame:
    """Aggregated paths from exactly one of the list or the path-file text."""
    if (paths is None) == (text is None):
        raise ValueError("pass exactly one of paths (a list) or text (path-file lines "
                         "'path;total_conversions;total_conversion_value;total_null')")
    if text is not None:
        if len(text) > MAX_PATH_TEXT:
            raise ValueError(f"text is over {MAX_PATH_TEXT:,} characters; aggregate the "
                             "paths first or use the mailscope attribute command")
        try:
            return parse_paths_text(text)
        except ValueError as error:
            raise ValueError(f"text: {error}") from None
    assert paths is not None
    if not paths or len(paths) > MAX_PATHS:
        raise ValueError(f"paths must hold 1 to {MAX_PATHS:,} rows, got {len(paths)}")
    for index, row in enumerate(paths):
        steps = [step.strip() for step in row.path]
        if not steps or not all(steps):
            raise ValueError(f"paths[{index}].path: {row.path} has no steps or an empty "
                             "step; name every channel, e.g. [\"email\", \"web\"]")
        for name in ("conversions", "value", "nulls"):
            amount = getattr(row, name)
            if not math.isfinite(amount) or amount < 0:
                raise ValueError(f"paths[{index}].{name}: {amount} must be a number >= 0")
        if row.conversions == 0 and row.value > 0:
            raise ValueError(f"paths[{index}].value: {row.value} with 0 conversions; value is "
                             "the revenue of the path's conversions, so set it to 0")
    return pl.DataFrame({"path": [[s.strip() for s in row.path] for row in paths],
                         "conversions": [row.conversions for row in paths],
                         "value": [row.value for row in paths],
                         "nulls": [row.nulls for row in paths]}, schema=PATHS_SCHEMA)


@strawberry.type
class AttributionQuery:
    @strawberry.field(description="Credit for the orders of a period under one model, with "
                                  "spend, ROI and the period's journey statistics.")
    async def attribution(
            self, info: Info[Context, Any], model: AttributionModel,
            from_: FromArg = None, to: ToArg = None,
            lookback_days: LookbackArg = None,
            group_by: AttributionGroupBy = AttributionGroupBy.CHANNEL,
            half_life_days: HalfLifeArg = 7.0,
            position_weights: PositionWeightsInput | None = None,
            email_kinds: KindsArg = None,
            intervals: IntervalsArg = False, resamples: int = 200) -> AttributionReport:
        require(info, "viewer")
        query = journey_query(info, from_, to, lookback_days, email_kinds)
        params = model_params(half_life_days, position_weights)
        return await build_report(info, [model.value], query, group_by, params, intervals,
                                  resamples)

    @strawberry.field(description="Several models side by side (all seven by default), one "
                                  "row per model and key.")
    async def attribution_comparison(
            self, info: Info[Context, Any], models: list[AttributionModel] | None = None,
            from_: FromArg = None, to: ToArg = None,
            lookback_days: LookbackArg = None,
            group_by: AttributionGroupBy = AttributionGroupBy.CHANNEL,
            half_life_days: HalfLifeArg = 7.0,
            position_weights: PositionWeightsInput | None = None,
            email_kinds: KindsArg = None,
            intervals: IntervalsArg = False, resamples: int = 200) -> AttributionReport:
        require(info, "viewer")
        chosen = check_models([m.value for m in models] if models is not None
                              else list(MODEL_NAMES))
        query = journey_query(info, from_, to, lookback_days, email_kinds)
        params = model_params(half_life_days, position_weights)
        return await build_report(info, chosen, query, group_by, params, intervals,
                                  resamples)

    @strawberry.field(description="Run the models on aggregated paths you supply: a list, or "
                                  "path-file text (one 'path;total_conversions;"
                                  "total_conversion_value;total_null' per line, steps "
                                  "joined by ' > ').")
    async def attribute_paths(
            self, info: Info[Context, Any], paths: list[PathInput] | None = None,
            text: str | None = None, models: list[AttributionModel] | None = None,
            position_weights: PositionWeightsInput | None = None, intervals: bool = False,
            resamples: int = 200) -> PathAttribution:
        require(info, "viewer")
        chosen = check_models([m.value for m in (models or PATH_MODELS)])
        if "time_decay" in chosen:
            raise ValueError("models: TIME_DECAY needs each touch's time, which paths do not "
                             "carry; drop it (the attribution query runs it on stored "
                             "journeys)")
        params = model_params(7.0, position_weights)
        if intervals:
            check_resamples(resamples)

        def compute() -> tuple[pl.DataFrame, pl.DataFrame]:
            frame = paths_frame(paths, text)
            merged = frame.group_by("path").agg(pl.col("conversions", "value", "nulls").sum())
            rows = attribution_rows(frame, chosen, key=None, params=params,
                                    intervals=intervals, resamples=resamples)
            return merged, rows

        merged, rows = await asyncio.to_thread(compute)
        return PathAttribution(
            models=[AttributionModel(model) for model in chosen], paths=merged.height,
            total_conversions=float(merged["conversions"].sum()),
            total_value=float(merged["value"].sum()),
            total_nulls=float(merged["nulls"].sum()),
            rows=[PathAttributionRow.from_row(row) for row in rows.iter_rows(named=True)])


async def campaign_attributed_revenue(
        info: Info[Context, Any], campaign_id: str, model: AttributionModel,
        start: datetime | None, end: datetime | None, lookback_days: float | None,
        email_kinds: list[EmailTouchKind] | None, half_life_days: float,
        position_weights: PositionWeightsInput | None) -> Decimal:
    """Revenue ``model`` credits to one campaign (journeys by campaign); a page of
    campaigns shares one computation through the request's loader."""
    require(info, "viewer")
    query = journey_query(info, start, end, lookback_days, email_kinds)
    params = model_params(half_life_days, position_weights)
    _, revenue = await info.context.loaders.campaign_attribution.load(
        (campaign_id, model.value, query, params))
    return money(revenue)
