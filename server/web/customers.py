"""Customer pages: search (live as you type) and one customer's profile with segment
chips and why they are in each."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.web.operations import run_operation
from server.web.roles import has_role
from server.web.templating import render, render_error

PAGE = 50

SEARCH_QUERY = """
query CustomerSearch($search: String, $first: Int!) {
  customers(search: $search, first: $first) {
    totalCount
    edges { node { id email firstName lastName country
      profile { lifecycleStage engagementLevel purchases } } }
  }
}
"""

CUSTOMER_QUERY = """
query CustomerPage($id: ID!) {
  customer(id: $id) {
    id email firstName lastName country signupAt emailDomain
    profile {
      purchases lifetimeRevenue averageOrderValue purchaseFrequency lastPurchaseAt
      daysSinceLastPurchase sends openRate30d openRate90d clickRate30d clickRate90d
      sessions pagesPerSession sessionDuration preferredCategories devicePreference
      preferredSendHour engagementScore engagementLevel lifecycleStage lastActivityAt
      optedOut churnProbability churnRisk computedAt pending
    }
    segments { segmentId name kind enteredAt
      why { matches reasons { condition held values { field value } } } }
    attributes { name value updatedAt }
    triggerFirings(first: 20) { triggerId occasionKey status reason dueAt deliveredAt }
    journey(first: 50) { stage stageReason events
      nextAction { after action probability observed }
      timeline { at source action detail } }
    recommendations(limit: 10) { rank score source reason product { id name category } }
  }
}
"""


async def customers_page(request: Request) -> Response:
    search = request.query_params.get("q", "").strip()
    data = await run_operation(request, SEARCH_QUERY, {"search": search or None,
                                                       "first": PAGE})
    result = data["customers"]
    return render(request, "customers.html", {
        "q": search, "total": result["totalCount"],
        "customers": [edge["node"] for edge in result["edges"]]}, fragment="results")


async def customer_page(request: Request) -> Response:
    customer_id = request.path_params["customer_id"]
    data = await run_operation(request, CUSTOMER_QUERY, {"id": customer_id})
    customer = data["customer"]
    if customer is None:
        return render_error(request, 404, "No such customer",
                            f"No customer has id {customer_id!r}. Search on /customers.")
    return render(request, "customer.html", {"customer": customer,
                                             "profile": customer["profile"],
                                             "recommendations": customer["recommendations"],
                                             "can_erase": has_role(request, "admin")})
