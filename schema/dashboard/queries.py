"""Dashboard reads: the dashboard, campaign statistics and targets."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from analytics.metrics import Granularity as Period
from analytics.metrics import campaign_statistics, compute_rates, sum_counters
from schema.context import Context, require
from schema.dashboard.statistics import CampaignStatisticsResult
from schema.dashboard.targets import TargetSettings
from schema.dashboard.types import Dashboard, Granularity
from server.runners.dashboard import DashboardReport
from server.runners.dashboard import dashboard_report as shared_report
from server.runners.filters import ReportFilters
from server.runners.request import request_reports

MAX_STATISTICS_IDS = 1000


async def dashboard_report(info: Info[Context, Any], filters: ReportFilters) -> DashboardReport:
    """The dashboard report of ``filters`` for this request (shared by pages and exports)."""
    state = request_reports(info.context)
    snapshot, targets = await state.snapshot(), await state.targets()
    return await asyncio.to_thread(shared_report, info.context.engine, snapshot, filters,
                                   targets)


@strawberry.type
class DashboardQuery:
    @strawberry.field(description="Campaign performance of the sends made from `from` to "
                                  "`to` (UTC send dates, inclusive; omit either for no "
                                  "bound). Opens, clicks and orders count with their send.")
    async def dashboard(self, info: Info[Context, Any],
                        start: Annotated[date | None, strawberry.argument(name="from")] = None,
                        to: date | None = None, granularity: Granularity = Granularity.WEEK,
                        campaign_types: list[str] | None = None,
                        segment_ids: list[strawberry.ID] | None = None) -> Dashboard:
        require(info, "viewer")
        filters = ReportFilters(start=start, end=to, granularity=Period(granularity.value),
                                campaign_types=tuple(campaign_types or ()),
                                segment_ids=tuple(str(s) for s in segment_ids or ()))
        report = await dashboard_report(info, filters)
        return Dashboard.from_report(report, info.context.settings.currency)

    @strawberry.field(description="Descriptive statistics of every rate across the "
                                  "campaigns, and the correlation matrix with p-values.")
    async def campaign_statistics(self, info: Info[Context, Any],
                                  ids: list[strawberry.ID]) -> CampaignStatisticsResult:
        require(info, "viewer")
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if not 1 <= len(wanted) <= MAX_STATISTICS_IDS:
            raise ValueError(f"ids: pass 1 to {MAX_STATISTICS_IDS} campaign ids; got "
                             f"{len(wanted)}")
        snapshot = await request_reports(info.context).snapshot()
        rollups = snapshot.rollups.filter(snapshot.rollups["campaign_id"].is_in(wanted))
        per_campaign = compute_rates(sum_counters(rollups, by=["campaign_id"]))
        found = per_campaign["campaign_id"].to_list()
        statistics = await asyncio.to_thread(campaign_statistics, per_campaign)
        return CampaignStatisticsResult.from_statistics(
            statistics, found, [i for i in wanted if i not in set(found)])

    @strawberry.field(description="The targets every metric is judged against.")
    async def targets(self, info: Info[Context, Any]) -> TargetSettings:
        require(info, "viewer")
        return TargetSettings.from_targets(await request_reports(info.context).targets())
