"""Campaign.metrics rates, metricsBy and recipients on the hand-computed world
(tests/worlds/dashboard.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.schema.conftest import data_of, rounded
from tests.worlds.dashboard import load_world

METRICS = """
query { campaign(id: "c1") { metrics {
  sent delivered bounced uniqueOpens totalOpens uniqueClicks totalClicks unsubscribed
  complained conversions revenue currency hardBounced softBounced humanUniqueOpens
  deliveryRate bounceRate hardBounceRate softBounceRate openRate humanOpenRate clickRate
  clickToOpenRate unsubscribeRate complaintRate conversionRate revenuePerEmail
  revenuePerRecipient averageCustomerValue
  evaluations { metric value target status difference }
} } }
"""


def evaluation(metric, value, target, status):
    return {"metric": metric, "value": value, "target": target, "status": status,
            "difference": None if target is None else value - target}


C1_METRICS = {
    "sent": 6, "delivered": 4, "bounced": 2, "uniqueOpens": 3, "totalOpens": 3,
    "uniqueClicks": 1, "totalClicks": 1, "unsubscribed": 1, "complained": 1,
    "conversions": 1, "revenue": "40.0000", "currency": "USD", "hardBounced": 1,
    "softBounced": 1, "humanUniqueOpens": 2, "deliveryRate": 4 / 6, "bounceRate": 2 / 6,
    "hardBounceRate": 1 / 6, "softBounceRate": 1 / 6, "openRate": 3 / 4, "humanOpenRate": 2 / 4,
    "clickRate": 1 / 4, "clickToOpenRate": 1 / 3, "unsubscribeRate": 1 / 4,
    "complaintRate": 1 / 4, "conversionRate": 1 / 4, "revenuePerEmail": 10.0,
    "revenuePerRecipient": 40 / 6, "averageCustomerValue": 100 / 6,
    "evaluations": [
        evaluation("DELIVERY_RATE", 4 / 6, 0.98, "BAD"),
        evaluation("BOUNCE_RATE", 2 / 6, 0.02, "BAD"),
        evaluation("HARD_BOUNCE_RATE", 1 / 6, None, "NO_TARGET"),
        evaluation("SOFT_BOUNCE_RATE", 1 / 6, None, "NO_TARGET"),
        evaluation("OPEN_RATE", 3 / 4, 0.22, "GOOD"),
        evaluation("HUMAN_OPEN_RATE", 2 / 4, None, "NO_TARGET"),
        evaluation("CLICK_RATE", 1 / 4, 0.03, "GOOD"),
        evaluation("CLICK_TO_OPEN_RATE", 1 / 3, 0.15, "GOOD"),
        evaluation("UNSUBSCRIBE_RATE", 1 / 4, 0.005, "BAD"),
        evaluation("COMPLAINT_RATE", 1 / 4, 0.001, "BAD"),
        evaluation("CONVERSION_RATE", 1 / 4, 0.02, "GOOD"),
        evaluation("REVENUE_PER_EMAIL", 10.0, 0.5, "GOOD"),
        evaluation("REVENUE_PER_RECIPIENT", 40 / 6, None, "NO_TARGET"),
    ],
}

BREAKDOWN = """
query($dimension: BreakdownDimension!) { campaign(id: "c1") { metricsBy(dimension: $dimension) {
  dimension
  rows { key label shareOfSent averageCustomerValue
         counters { sent delivered bounced uniqueOpens uniqueClicks conversions revenue } }
  totals { label counters { sent delivered } }
} } }
"""


def row(key, label, share, value, sent, delivered, bounced, opens, clicks, conversions,
        revenue):
    return {"key": key, "label": label, "shareOfSent": share, "averageCustomerValue": value,
            "counters": {"sent": sent, "delivered": delivered, "bounced": bounced,
                         "uniqueOpens": opens, "uniqueClicks": clicks,
                         "conversions": conversions, "revenue": revenue}}


# c1: A = u1 (delivered, opened, clicked, 40.00), u2 (delivered, proxy open), u3 (hard
# bounce); B = u4 (delivered, opened, unsubscribed), u5 (delivered, complaint, had 100.00
# of orders before), u6 (soft bounce).
C1_BREAKDOWNS = {
    "VARIANT": [row("A", "A", 0.5, 0.0, 3, 2, 1, 2, 1, 1, "40.0000"),
                row("B", "B", 0.5, 100 / 3, 3, 2, 1, 1, 0, 0, "0.0000")],
    # Shares of all the campaign's sends: segments overlap, their rows need not add up.
    "SEGMENT": [row("s-vip", "VIP", 3 / 6, 100 / 3, 3, 2, 1, 1, 1, 1, "40.0000"),
                row("s-new", "New", 2 / 6, 0.0, 2, 1, 1, 1, 0, 0, "0.0000")],
    "MAILBOX_PROVIDER": [row("gmail.com", "gmail.com", 0.5, 0.0, 3, 2, 1, 2, 1, 1, "40.0000"),
                         row("yahoo.com", "yahoo.com", 2 / 6, 0.0, 2, 1, 1, 1, 0, 0, "0.0000"),
                         row("outlook.com", "outlook.com", 1 / 6, 100.0, 1, 1, 0, 0, 0, 0,
                             "0.0000")],
    # u2's only open was a proxy's: unknown, like the sends never opened.
    "DEVICE": [row("unknown", "unknown", 4 / 6, None, 4, 2, 2, 1, 0, 0, "0.0000"),
               row("desktop", "desktop", 1 / 6, None, 1, 1, 0, 1, 0, 0, "0.0000"),
               row("mobile", "mobile", 1 / 6, None, 1, 1, 0, 1, 1, 1, "40.0000")],
    "DAY": [row("2026-03-02", "2026-03-02", 1.0, 100 / 6, 6, 4, 2, 3, 1, 1, "40.0000")],
}


@pytest.fixture
def world(db: Engine) -> Engine:
    return load_world(db)


async def test_campaign_metrics_contract(world: Engine) -> None:
    data = await data_of(world, METRICS)
    assert rounded(data["campaign"]["metrics"]) == rounded(C1_METRICS)


@pytest.mark.parametrize("dimension", list(C1_BREAKDOWNS))
async def test_metrics_by_golden(world: Engine, dimension: str) -> None:
    data = await data_of(world, BREAKDOWN, {"dimension": dimension})
    result = data["campaign"]["metricsBy"]
    assert result["dimension"] == dimension.lower()
    assert rounded(result["rows"]) == rounded(C1_BREAKDOWNS[dimension])
    assert result["totals"] == {"label": "All sends", "counters": {"sent": 6, "delivered": 4}}


RECIPIENTS = """
query($status: RecipientStatus, $after: String) { campaign(id: "c1") {
  recipients(status: $status, first: 2, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { messageId customerId email emailDomain variantId conversions revenue } }
  }
} }
"""


@pytest.mark.parametrize(("status", "ids"), [
    (None, ["m11", "m12", "m13", "m14", "m15", "m16"]), ("DELIVERED", ["m11", "m12", "m14", "m15"]),
    ("OPENED", ["m11", "m12", "m14"]), ("CLICKED", ["m11"]), ("BOUNCED", ["m13", "m16"]),
    ("UNSUBSCRIBED", ["m14"]), ("COMPLAINED", ["m15"]), ("CONVERTED", ["m11"]),
])
async def test_recipients_by_status_paginate(world: Engine, status, ids) -> None:
    seen, after = [], None
    while True:
        data = await data_of(world, RECIPIENTS, {"status": status, "after": after})
        page = data["campaign"]["recipients"]
        assert page["totalCount"] == len(ids)
        seen += [edge["node"]["messageId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids


async def test_recipient_node(world: Engine) -> None:
    data = await data_of(world, RECIPIENTS, {"status": "CONVERTED"})
    assert data["campaign"]["recipients"]["edges"] == [{"node": {
        "messageId": "m11", "customerId": "u1", "email": "ana@gmail.com",
        "emailDomain": "gmail.com", "variantId": "A", "conversions": 1, "revenue": "40.0000"}}]
