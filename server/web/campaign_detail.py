"""One campaign: its funnel, metrics against targets, variants, breakdowns and the
recipients behind each number, with downloads of each."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from server.web.charts import funnel_chart
from server.web.dashboard_view import metric_cards
from server.web.operations import run_operation
from server.web.templating import render, render_error

RECIPIENTS_PAGE = 25
DIMENSIONS = (("VARIANT", "Variant"), ("SEGMENT", "Segment"),
              ("MAILBOX_PROVIDER", "Mailbox provider"), ("DEVICE", "Device"), ("DAY", "Day"))
STATUSES = ("DELIVERED", "OPENED", "CLICKED", "BOUNCED", "UNSUBSCRIBED", "COMPLAINED",
            "CONVERTED")
# The funnel's steps: (label, field of CampaignMetrics).
FUNNEL = (("Sent", "sent"), ("Delivered", "delivered"), ("Opened", "uniqueOpens"),
          ("Clicked", "uniqueClicks"), ("Converted", "conversions"))

CAMPAIGN_QUERY = """
query CampaignPage($id: ID!, $dimension: BreakdownDimension!, $status: RecipientStatus,
                   $first: Int!, $after: String) {
  campaign(id: $id) {
    id name subjectLine senderName campaignType category sendAt
    variants { id subjectLine weight }
    metrics {
      sent delivered bounced hardBounced softBounced uniqueOpens humanUniqueOpens
      totalOpens uniqueClicks totalClicks unsubscribed complained conversions revenue
      currency averageCustomerValue
      evaluations { metric label value target status difference higherIsBetter format }
    }
    metricsBy(dimension: $dimension) {
      dimension
      rows {
        key label shareOfSent averageCustomerValue
        counters { sent delivered bounced uniqueOpens uniqueClicks conversions revenue }
        metrics { metric value status format }
      }
    }
    recipients(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        messageId customerId email emailDomain variantId sentAt deliveredAt bouncedAt
        bounceType firstOpenAt openCount firstClickAt clickCount unsubscribedAt
        complainedAt conversions revenue
      } }
    }
  }
}
"""
BREAKDOWN_COLUMNS = (("DELIVERY_RATE", "Delivery"), ("BOUNCE_RATE", "Bounce"),
                     ("OPEN_RATE", "Open"), ("CLICK_RATE", "Click"),
                     ("CLICK_TO_OPEN_RATE", "CTOR"), ("CONVERSION_RATE", "Conversion"),
                     ("REVENUE_PER_EMAIL", "Rev./email"))


def _choice(value: str | None, allowed: tuple[str, ...], default: str | None) -> str | None:
    value = (value or "").upper()
    return value if value in allowed else default


def breakdown_rows(breakdown: dict[str, Any]) -> list[dict[str, Any]]:
    """Breakdown rows with their rates keyed by metric, for the table."""
    rows = []
    for row in breakdown["rows"]:
        rates = {item["metric"]: item for item in row["metrics"]}
        rows.append({**row, "rates": [rates[name] for name, _ in BREAKDOWN_COLUMNS]})
    return rows


async def campaign_page(request: Request) -> Response:
    campaign_id = request.path_params["campaign_id"]
    params = request.query_params
    dimension = _choice(params.get("dimension"), tuple(d for d, _ in DIMENSIONS), "VARIANT")
    status = _choice(params.get("status"), STATUSES, None)
    after = params.get("after") or None
    data = await run_operation(request, CAMPAIGN_QUERY, {
        "id": campaign_id, "dimension": dimension, "status": status,
        "first": RECIPIENTS_PAGE, "after": after})
    campaign = data["campaign"]
    if campaign is None:
        return render_error(request, 404, "Campaign not found",
                            f"No campaign has id {campaign_id!r}. Pick one from the "
                            "campaigns list.")
    metrics = campaign["metrics"]
    recipients = campaign["recipients"]
    base = f"/campaigns/{campaign_id}"
    next_href = None
    if recipients["pageInfo"]["hasNextPage"]:
        next_href = base + "?" + urlencode({k: v for k, v in (
            ("dimension", dimension), ("status", status),
            ("after", recipients["pageInfo"]["endCursor"])) if v})
    context = {
        "campaign": campaign, "metrics": metrics,
        "cards": metric_cards({"metrics": metrics["evaluations"]}),
        "funnel": funnel_chart([(label, int(metrics[field])) for label, field in FUNNEL],
                               title="Funnel: sent → delivered → opened → clicked → "
                                     "converted"),
        "funnel_steps": [(label, metrics[field]) for label, field in FUNNEL],
        "dimension": dimension, "dimensions": DIMENSIONS,
        "breakdown": breakdown_rows(campaign["metricsBy"]),
        "breakdown_columns": BREAKDOWN_COLUMNS,
        "status": status, "statuses": STATUSES,
        "recipients": [edge["node"] for edge in recipients["edges"]],
        "recipient_total": recipients["totalCount"], "next_href": next_href,
        "first_href": base + "?" + urlencode({k: v for k, v in (
            ("dimension", dimension), ("status", status)) if v}) if after else None,
        "export_query": urlencode({"campaign": campaign_id}),
    }
    fragment = {"breakdown": "breakdown", "recipients": "recipients"}.get(
        request.headers.get("hx-target", ""), "campaign")
    return render(request, "campaign.html", context, fragment=fragment)
