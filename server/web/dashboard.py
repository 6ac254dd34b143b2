"""The dashboard page (the home page): cards, trends, breakdowns, insights, advice.

The period and filters change through htmx (only ``#dashboard`` is swapped), and the
fragment polls itself every 30 s with the data version it shows: the server answers 204
(htmx leaves the page alone) until the version changes.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from server.web.campaigns import campaign_types
from server.web.dashboard_view import charts_for, filters_context, metric_cards
from server.web.operations import run_operation
from server.web.templating import render, render_error

DEFAULT_DAYS = 90
GRANULARITIES = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
PRESETS = ((30, "Last 30 days"), (90, "Last 90 days"), (180, "Last 180 days"))

RANGE_QUERY = "query DashboardRange { dashboard { sendDays { first last } } }"
VERSION_QUERY = """
query DashboardVersion($from: Date, $to: Date, $granularity: Granularity!,
                       $types: [String!], $segments: [ID!]) {
  dashboard(from: $from, to: $to, granularity: $granularity, campaignTypes: $types,
            segmentIds: $segments) { dataVersion }
}
"""
DASHBOARD_QUERY = """
query DashboardPage($from: Date, $to: Date, $granularity: Granularity!,
                    $types: [String!], $segments: [ID!]) {
  segments { id name }
  dashboard(from: $from, to: $to, granularity: $granularity, campaignTypes: $types,
            segmentIds: $segments) {
    from to dataVersion campaignCount pendingCampaignCount currency
    sendDays { first last }
    summary {
      averageCustomerValue
      counters { sent delivered conversions revenue }
      metrics { metric label value target status difference higherIsBetter format }
    }
    trend { periods series { key label target values } }
    segments { rows { label metrics(only: [CONVERSION_RATE, OPEN_RATE]) { ...Bar } } }
    providers {
      rows { label metrics(only: [DELIVERY_RATE, BOUNCE_RATE, OPEN_RATE]) { ...Bar } }
    }
    bestCampaigns { rank campaignId name campaignType value delivered }
    worstCampaigns { rank campaignId name campaignType value delivered }
    insights {
      kind metric sampleSize confidence reason
      best { label rate ciLow ciHigh trials }
      leader { label rate ciLow ciHigh }
    }
    recommendations { category metric priority evidence actions }
  }
}
fragment Bar on MetricValue { metric value target status format }
"""


class FormProblem(ValueError):
    """A filter value the page cannot use; the message names the field."""


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormProblem(f"{name}: {value!r} is not a date; use YYYY-MM-DD") from None


def read_filters(request: Request) -> dict[str, Any]:
    """The page's filters from the query string (unchecked: the API validates)."""
    params = request.query_params
    granularity = (params.get("granularity") or "WEEK").upper()
    if granularity not in GRANULARITIES:
        raise FormProblem(f"granularity: {granularity!r} is not one of "
                          f"{', '.join(GRANULARITIES)}")
    return {"from": _date(params.get("from"), "from"), "to": _date(params.get("to"), "to"),
            "granularity": granularity,
            "types": [t for t in params.getlist("type") if t],
            "segments": [s for s in params.getlist("segment") if s]}


def query_string(filters: dict[str, Any], **extra: Any) -> str:
    pairs: list[tuple[str, Any]] = []
    for name in ("from", "to"):
        if filters.get(name):
            pairs.append((name, filters[name].isoformat()))
    pairs.append(("granularity", filters["granularity"]))
    pairs += [("type", t) for t in filters["types"]] + [("segment", s)
                                                         for s in filters["segments"]]
    pairs += [(k, v) for k, v in extra.items() if v is not None]
    return urlencode(pairs)


def _variables(filters: dict[str, Any]) -> dict[str, Any]:
    return {"from": filters["from"].isoformat() if filters["from"] else None,
            "to": filters["to"].isoformat() if filters["to"] else None,
            "granularity": filters["granularity"], "types": filters["types"] or None,
            "segments": filters["segments"] or None}


async def _with_default_period(request: Request, filters: dict[str, Any]) -> dict[str, Any]:
    if filters["from"] or filters["to"]:
        return filters
    days = (await run_operation(request, RANGE_QUERY))["dashboard"]["sendDays"]
    last = date.fromisoformat(days["last"]) if days["last"] else date.today()
    return {**filters, "to": last, "from": last - timedelta(days=DEFAULT_DAYS - 1)}


async def dashboard_page(request: Request) -> Response:
    try:
        filters = await _with_default_period(request, read_filters(request))
    except FormProblem as problem:
        return render_error(request, 400, "Check the filters", str(problem))
    variables = _variables(filters)
    since = request.query_params.get("since")
    if since:
        current = await run_operation(request, VERSION_QUERY, variables)
        if current["dashboard"]["dataVersion"] == since:
            return Response(status_code=204)
    data = await run_operation(request, DASHBOARD_QUERY, variables)
    board = data["dashboard"]
    context = {
        "board": board,
        "cards": metric_cards(board["summary"]),
        "charts": charts_for(board),
        "filters": filters_context(filters, board, data["segments"], await campaign_types(request),
                                   GRANULARITIES, PRESETS),
        "query": query_string(filters),
        "poll_url": "/dashboard?" + query_string(filters, since=board["dataVersion"]),
    }
    return render(request, "dashboard.html", context, fragment="dashboard")
