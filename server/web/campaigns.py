"""The campaigns list: search, type filter and cursor pages, 25 rows at a time."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from server.runners.campaigns import list_campaign_types
from server.web.operations import request_engine, run_operation
from server.web.templating import render

PAGE_SIZE = 25

CAMPAIGNS_QUERY = """
query CampaignsPage($first: Int!, $after: String, $filter: CampaignFilter) {
  campaigns(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id name subjectLine campaignType category sendAt
        metrics { sent delivered uniqueOpens uniqueClicks conversions revenue currency }
      }
    }
  }
}
"""

# Only the cursors: how "previous" finds where the page before this one starts.
CURSORS_QUERY = """
query CampaignCursors($first: Int!, $filter: CampaignFilter) {
  campaigns(first: $first, filter: $filter) { edges { cursor } }
}
"""


async def campaign_types(request: Request) -> list[str]:
    """The campaign types to filter by, read off the event loop."""
    return await asyncio.to_thread(list_campaign_types, request_engine(request))


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _href(filters: dict[str, str], **extra: Any) -> str:
    params = {**{k: v for k, v in filters.items() if v}, **extra}
    return "/campaigns" + ("?" + urlencode(params) if params else "")


async def campaigns_page(request: Request) -> Response:
    query = request.query_params
    search = (query.get("search") or "").strip()
    campaign_type = (query.get("type") or "").strip()
    after = query.get("after") or None
    page = _page_number(query.get("page")) if after else 1
    filters = {"search": search, "type": campaign_type}
    gql_filter: dict[str, Any] = {}
    if search:
        gql_filter["search"] = search
    if campaign_type:
        gql_filter["campaignType"] = campaign_type

    data = await run_operation(request, CAMPAIGNS_QUERY,
                               {"first": PAGE_SIZE, "after": after, "filter": gql_filter})
    connection = data["campaigns"]
    next_href = None
    if connection["pageInfo"]["hasNextPage"]:
        next_href = _href(filters, after=connection["pageInfo"]["endCursor"], page=page + 1)
    previous_href = None
    if page == 2:
        previous_href = _href(filters)
    elif page > 2:
        cursors = await run_operation(request, CURSORS_QUERY,
                                      {"first": PAGE_SIZE * (page - 2), "filter": gql_filter})
        edges = cursors["campaigns"]["edges"]
        previous_href = _href(filters, after=edges[-1]["cursor"], page=page - 1) if edges \
            else _href(filters)

    first_row = (page - 1) * PAGE_SIZE + 1
    context = {
        "campaigns": [edge["node"] for edge in connection["edges"]],
        "total": connection["totalCount"],
        "first_row": first_row,
        "last_row": first_row + len(connection["edges"]) - 1,
        "search": search,
        "campaign_type": campaign_type,
        "campaign_types": await campaign_types(request),
        "next_href": next_href,
        "previous_href": previous_href,
    }
    return render(request, "campaigns.html", context, fragment="results")
