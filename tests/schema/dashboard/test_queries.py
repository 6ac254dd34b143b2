"""The dashboard and campaignStatistics queries on the hand-computed world
(tests/worlds/dashboard.py), asserted exactly, on SQLite and PostgreSQL.

On generated demo data: the dashboard equals an independent recomputation from the
message table (plain Python over the rows, no analytics code), breakdowns add up to the
totals and every bounded rate lies in [0, 1]; on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from analytics.metrics import METRICS, RULES
from server.db.engine import session_scope
from server.db.models import Segment, SegmentMember
from server.demo import load_demo
from tests.schema.conftest import data_of, messages_of, rounded, run
from tests.worlds.dashboard import load_world

DASHBOARD = """
query Dashboard($from: Date, $to: Date, $types: [String!], $segments: [ID!]) {
  dashboard(from: $from, to: $to, granularity: WEEK, campaignTypes: $types,
            segmentIds: $segments) {
    from to granularity campaignTypes segmentIds currency campaignCount pendingCampaignCount
    sendDays { first last }
    summary {
      key label shareOfSent averageCustomerValue
      counters { sent delivered bounced hardBounced softBounced uniqueOpens humanUniqueOpens
                 totalOpens uniqueClicks totalClicks unsubscribed complained conversions
                 revenue currency }
      metrics { metric label value target status difference higherIsBetter format numerator
                denominator }
    }
    trend { periods series { key metric label format target values } }
    segments {
      dimension
      rows { key label averageCustomerValue counters { sent delivered uniqueOpens conversions }
             metrics { value } }
      totals { counters { sent } }
    }
    providers { dimension rows { key label shareOfSent averageCustomerValue
                                 counters { sent delivered bounced } } }
    bestCampaigns(minDelivered: 1, limit: 2) { rank campaignId name campaignType value sent
                                               delivered }
    worstCampaigns(metric: OPEN_RATE, minDelivered: 1, limit: 1) { rank campaignId value }
    insights { kind metric minSample sampleSize best { key } leader { key } reason
               groups { key label successes trials rate eligible } }
    recommendations { category metric status priority evidence }
  }
}
"""


MARCH = {"from": "2026-03-01", "to": "2026-03-31"}



def m(metric, label, value, target, status, higher, fmt, numerator, denominator):
    return {"metric": metric, "label": label, "value": value, "target": target,
            "status": status,
            "difference": None if value is None or target is None else value - target,
            "higherIsBetter": higher, "format": fmt, "numerator": numerator,
            "denominator": denominator}


SUMMARY_METRICS = [
    m("DELIVERY_RATE", "Delivery rate", 9 / 12, 0.98, "BAD", True, "PERCENT", 9.0, 12),
    m("BOUNCE_RATE", "Bounce rate", 3 / 12, 0.02, "BAD", False, "PERCENT", 3.0, 12),
    m("HARD_BOUNCE_RATE", "Hard bounce rate", 2 / 12, None, "NO_TARGET", False, "PERCENT",
      2.0, 12),
    m("SOFT_BOUNCE_RATE", "Soft bounce rate", 1 / 12, None, "NO_TARGET", False, "PERCENT",
      1.0, 12),
    m("OPEN_RATE", "Open rate", 6 / 9, 0.22, "GOOD", True, "PERCENT", 6.0, 9),
    m("HUMAN_OPEN_RATE", "Human open rate", 5 / 9, None, "NO_TARGET", True, "PERCENT", 5.0, 9),
    m("CLICK_RATE", "Click rate", 3 / 9, 0.03, "GOOD", True, "PERCENT", 3.0, 9),
    m("CLICK_TO_OPEN_RATE", "Click-to-open rate", 3 / 6, 0.15, "GOOD", True, "PERCENT", 3.0, 6),
    m("UNSUBSCRIBE_RATE", "Unsubscribe rate", 1 / 9, 0.005, "BAD", False, "PERCENT", 1.0, 9),
    m("COMPLAINT_RATE", "Complaint rate", 1 / 9, 0.001, "BAD", False, "PERCENT", 1.0, 9),
    m("CONVERSION_RATE", "Conversion rate", 2 / 9, 0.02, "GOOD", True, "PERCENT", 2.0, 9),
    m("REVENUE_PER_EMAIL", "Revenue per email", 65 / 9, 0.5, "GOOD", True, "CURRENCY", 65.0, 9),
    m("REVENUE_PER_RECIPIENT", "Revenue per recipient", 65 / 12, None, "NO_TARGET", True,
      "CURRENCY", 65.0, 12),
]


N = None


# Weeks from Monday 2026-02-23; c1 went out in the week of 03-02, c2 in that of 03-09.
TREND_VALUES = {
    "sent": [0.0, 6.0, 6.0, 0.0, 0.0, 0.0],
    "conversions": [0.0, 1.0, 1.0, 0.0, 0.0, 0.0],
    "revenue": [0.0, 40.0, 25.0, 0.0, 0.0, 0.0],
    "delivery_rate": [N, 4 / 6, 5 / 6, N, N, N],
    "bounce_rate": [N, 2 / 6, 1 / 6, N, N, N],
    "hard_bounce_rate": [N, 1 / 6, 1 / 6, N, N, N],
    "soft_bounce_rate": [N, 1 / 6, 0.0, N, N, N],
    "open_rate": [N, 3 / 4, 3 / 5, N, N, N],
    "human_open_rate": [N, 2 / 4, 3 / 5, N, N, N],
    "click_rate": [N, 1 / 4, 2 / 5, N, N, N],
    "click_to_open_rate": [N, 1 / 3, 2 / 3, N, N, N],
    "unsubscribe_rate": [N, 1 / 4, 0.0, N, N, N],
    "complaint_rate": [N, 1 / 4, 0.0, N, N, N],
    "conversion_rate": [N, 1 / 4, 1 / 5, N, N, N],
    "revenue_per_email": [N, 40 / 4, 25 / 5, N, N, N],
    "revenue_per_recipient": [N, 40 / 6, 25 / 6, N, N, N],
}


SERIES_FACTS = {
    "sent": (None, "Sent", None, None), "conversions": (None, "Conversions", None, None),
    "revenue": (None, "Revenue", "CURRENCY", None),
    **{metric["metric"].lower(): (metric["metric"], metric["label"], metric["format"],
                                  metric["target"]) for metric in SUMMARY_METRICS},
}


FEWER = "fewer than two groups have at least 100 delivered"


def insight(kind, metric, groups):
    return {"kind": kind, "metric": metric, "minSample": 100,
            "sampleSize": sum(g[3] for g in groups), "best": None, "leader": None,
            "reason": FEWER,
            "groups": [{"key": key, "label": label, "successes": s, "trials": t,
                        "rate": s / t, "eligible": False} for key, label, s, t in groups]}


EXPECTED = {
    "from": "2026-03-01", "to": "2026-03-31", "granularity": "WEEK", "campaignTypes": [],
    "segmentIds": [], "currency": "USD", "campaignCount": 2, "pendingCampaignCount": 0,
    "sendDays": {"first": "2026-03-02", "last": "2026-03-10"},
    "summary": {
        "key": None, "label": "All sends", "shareOfSent": None,
        "averageCustomerValue": 140 / 12,
        "counters": {"sent": 12, "delivered": 9, "bounced": 3, "hardBounced": 2,
                     "softBounced": 1, "uniqueOpens": 6, "humanUniqueOpens": 5,
                     "totalOpens": 6, "uniqueClicks": 3, "totalClicks": 3, "unsubscribed": 1,
                     "complained": 1, "conversions": 2, "revenue": "65.0000",
                     "currency": "USD"},
        "metrics": SUMMARY_METRICS,
    },
    "trend": {
        "periods": ["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23",
                    "2026-03-30"],
        "series": [{"key": key, "metric": SERIES_FACTS[key][0], "label": SERIES_FACTS[key][1],
                    "format": SERIES_FACTS[key][2], "target": SERIES_FACTS[key][3],
                    "values": values} for key, values in TREND_VALUES.items()],
    },
    "segments": {
        "dimension": "segment",
        "rows": [
            {"key": "s-vip", "label": "VIP", "averageCustomerValue": 140 / 5,
             "counters": {"sent": 5, "delivered": 4, "uniqueOpens": 3, "conversions": 1},
             "metrics": [{"value": v} for v in (4 / 5, 1 / 5, 1 / 5, 0.0, 3 / 4, 3 / 4, 2 / 4,
                                                2 / 3, 0.0, 1 / 4, 1 / 4, 10.0, 8.0)]},
            {"key": "s-new", "label": "New", "averageCustomerValue": 0.0,
             "counters": {"sent": 4, "delivered": 3, "uniqueOpens": 2, "conversions": 0},
             "metrics": [{"value": v} for v in (3 / 4, 1 / 4, 1 / 4, 0.0, 2 / 3, 1 / 3, 1 / 3,
                                                1 / 2, 0.0, 0.0, 0.0, 0.0, 0.0)]},
        ],
        "totals": {"counters": {"sent": 12}},
    },
    "providers": {"dimension": "mailbox_provider", "rows": [
        {"key": "gmail.com", "label": "gmail.com", "shareOfSent": 5 / 12,
         "averageCustomerValue": 8.0, "counters": {"sent": 5, "delivered": 4, "bounced": 1}},
        {"key": "yahoo.com", "label": "yahoo.com", "shareOfSent": 5 / 12,
         "averageCustomerValue": 0.0, "counters": {"sent": 5, "delivered": 3, "bounced": 2}},
        {"key": "outlook.com", "label": "outlook.com", "shareOfSent": 2 / 12,
         "averageCustomerValue": 50.0, "counters": {"sent": 2, "delivered": 2, "bounced": 0}},
    ]},
    "bestCampaigns": [
        {"rank": 1, "campaignId": "c1", "name": "Spring Sale", "campaignType": "promotional",
         "value": 0.25, "sent": 6, "delivered": 4},
        {"rank": 2, "campaignId": "c2", "name": "March News", "campaignType": "newsletter",
         "value": 0.2, "sent": 6, "delivered": 5},
    ],
    "worstCampaigns": [{"rank": 1, "campaignId": "c2", "value": 0.6}],
    "insights": [
        insight("WEEKDAY", "OPEN_RATE", [("1", "Monday", 3, 4), ("2", "Tuesday", 3, 5)]),
        insight("SEND_HOUR", "OPEN_RATE", [("9", "09:00 UTC", 3, 4),
                                           ("14", "14:00 UTC", 3, 5)]),
        insight("SUBJECT_LENGTH", "OPEN_RATE", [("<30", "<30 characters", 3, 4),
                                                ("30-49", "30-49 characters", 3, 5)]),
        insight("CAMPAIGN_TYPE", "CONVERSION_RATE", [("newsletter", "newsletter", 1, 5),
                                                     ("promotional", "promotional", 1, 4)]),
    ],
    "recommendations": [
        {"category": "DELIVERABILITY", "metric": "DELIVERY_RATE", "status": "BAD",
         "priority": "HIGH", "evidence": "Delivery rate is 75.00% (9 delivered over 12 sent) "
                                         "against a target of at least 98.00%."},
        {"category": "DELIVERABILITY", "metric": "BOUNCE_RATE", "status": "BAD",
         "priority": "HIGH", "evidence": "Bounce rate is 25.00% (3 bounced over 12 sent) "
                                         "against a target of at most 2.00%."},
        {"category": "RETENTION", "metric": "UNSUBSCRIBE_RATE", "status": "BAD",
         "priority": "HIGH", "evidence": "Unsubscribe rate is 11.11% (1 unsubscribed over 9 "
                                         "delivered) against a target of at most 0.50%."},
        {"category": "DELIVERABILITY", "metric": "COMPLAINT_RATE", "status": "BAD",
         "priority": "HIGH", "evidence": "Complaint rate is 11.11% (1 complained over 9 "
                                         "delivered) against a target of at most 0.10%."},
    ],
}


@pytest.fixture
def world(db: Engine) -> Engine:
    return load_world(db)


async def test_dashboard_contract(world: Engine) -> None:
    data = await data_of(world, DASHBOARD, MARCH)
    assert rounded(data["dashboard"]) == rounded(EXPECTED)


async def test_recommendations_carry_the_rule_actions(world: Engine) -> None:
    data = await data_of(world, "{ dashboard { recommendations { metric actions } } }")
    first = data["dashboard"]["recommendations"][0]
    assert first == {"metric": "DELIVERY_RATE",
                     "actions": list(RULES[0].actions)}


async def test_insight_intervals_are_wilson(world: Engine) -> None:
    data = await data_of(world, "{ dashboard { insights { kind confidence "
                                "groups { key ciLow ciHigh } } } }")
    weekday = data["dashboard"]["insights"][0]
    assert weekday["confidence"] == 0.95
    monday, tuesday = weekday["groups"]
    assert (monday["ciLow"], monday["ciHigh"]) == pytest.approx((0.300642, 0.954413), abs=1e-6)
    assert (tuesday["ciLow"], tuesday["ciHigh"]) == pytest.approx((0.230724, 0.882379),
                                                                  abs=1e-6)


async def test_period_outside_the_sends_is_empty_not_an_error(world: Engine) -> None:
    data = await data_of(world, DASHBOARD, {"from": "2025-01-01", "to": "2025-01-31"})
    board = data["dashboard"]
    assert board["campaignCount"] == 0
    assert board["summary"]["counters"]["sent"] == 0
    assert {m["status"] for m in board["summary"]["metrics"]} == {"NO_DATA", "NO_TARGET"}
    assert all(m["value"] is None for m in board["summary"]["metrics"])
    assert board["providers"]["rows"] == [] and board["segments"]["rows"] == []
    assert board["recommendations"] == []


async def test_campaign_type_filter(world: Engine) -> None:
    data = await data_of(world, DASHBOARD, {**MARCH, "types": ["newsletter"]})
    board = data["dashboard"]
    assert board["campaignTypes"] == ["newsletter"]
    assert board["campaignCount"] == 1
    assert board["summary"]["counters"]["sent"] == 6
    assert board["summary"]["counters"]["revenue"] == "25.0000"
    assert [row["key"] for row in board["providers"]["rows"]] == [
        "yahoo.com", "gmail.com", "outlook.com"]


async def test_segment_filter_counts_each_send_once(world: Engine) -> None:
    # VIP (u1 u3 u5) or New (u2 u3): sends to u1, u2, u3, u5 -> c1 4 + c2 3; u3 once.
    data = await data_of(world, DASHBOARD, {**MARCH, "segments": ["s-vip", "s-new"]})
    board = data["dashboard"]
    counters = board["summary"]["counters"]
    assert (counters["sent"], counters["delivered"], counters["uniqueOpens"],
            counters["conversions"]) == (7, 6, 4, 1)
    assert board["segmentIds"] == ["s-new", "s-vip"]
    assert [row["key"] for row in board["segments"]["rows"]] == ["s-vip", "s-new"]
    assert sum(row["counters"]["sent"] for row in board["providers"]["rows"]) == 7


async def test_invalid_filters_name_the_argument(world: Engine) -> None:
    result = await run(world, "{ dashboard(from: \"2026-03-31\", to: \"2026-03-01\") "
                              "{ campaignCount } }")
    assert messages_of(result) == ["from (2026-03-31) is after to (2026-03-01); swap them or "
                                   "widen the range"]
    result = await run(world, "{ dashboard(from: \"2020-01-01\", to: \"2026-03-01\", "
                              "granularity: DAY) { campaignCount } }")
    assert "pick a coarser granularity" in messages_of(result)[0]
    result = await run(world, "{ dashboard { bestCampaigns(limit: 0) { rank } } }")
    assert messages_of(result) == ["limit: 0 is out of range; ask for 1 to 50"]


async def test_empty_database(db: Engine) -> None:
    data = await data_of(db, "{ dashboard { campaignCount sendDays { first last } "
                             "summary { averageCustomerValue metrics { value status } } "
                             "trend { periods } insights { sampleSize best { key } } } }")
    board = data["dashboard"]
    assert board["campaignCount"] == 0
    assert board["sendDays"] == {"first": None, "last": None}
    assert board["summary"]["averageCustomerValue"] is None
    assert board["trend"]["periods"] == []
    assert [i["sampleSize"] for i in board["insights"]] == [0, 0, 0, 0]


async def test_campaign_statistics(world: Engine) -> None:
    data = await data_of(world, """{ campaignStatistics(ids: ["c1", "c2", "nope", "c1"]) {
        campaignIds missingIds
        summary { metric count mean std min median max }
        correlations { x y n r pValue } } }""")
    result = data["campaignStatistics"]
    assert result["campaignIds"] == ["c1", "c2"] and result["missingIds"] == ["nope"]
    open_rate = next(s for s in result["summary"] if s["metric"] == "OPEN_RATE")
    assert rounded(open_rate) == rounded({"metric": "OPEN_RATE", "count": 2,
                                          "mean": (0.75 + 0.6) / 2,
                                          "std": 0.10606601717798207, "min": 0.6,
                                          "median": 0.675, "max": 0.75})
    # Two campaigns are too few for a correlation: r and p are null, never made up.
    assert len(result["correlations"]) == 13 * 13
    assert {(c["n"], c["r"], c["pValue"]) for c in result["correlations"]} == {(2, None, None)}


async def test_campaign_statistics_refuses_an_empty_list(world: Engine) -> None:
    result = await run(world, "{ campaignStatistics(ids: []) { campaignIds } }")
    assert messages_of(result) == ["ids: pass 1 to 1000 campaign ids; got 0"]


ROW = """key label counters { sent delivered bounced hardBounced softBounced uniqueOpens
  humanUniqueOpens totalOpens uniqueClicks totalClicks unsubscribed complained conversions
  revenue } metrics { metric value }"""


QUERY = f"""{{ dashboard(granularity: DAY) {{
  summary {{ {ROW} }}
  providers {{ rows {{ {ROW} }} }}
  segments {{ rows {{ {ROW} }} }}
  trend {{ series {{ key values }} }}
}} }}"""


COUNTERS = ("sent", "delivered", "bounced", "hardBounced", "softBounced", "uniqueOpens",
            "humanUniqueOpens", "totalOpens", "uniqueClicks", "totalClicks", "unsubscribed",
            "complained", "conversions")


def recount(rows: list[dict]) -> dict:
    """The counters of a list of message rows, by their definitions in the README."""
    result: Counter = Counter()
    revenue = Decimal(0)
    for row in rows:
        result["sent"] += 1
        result["delivered"] += row["delivered_at"] is not None
        bounced = row["bounced_at"] is not None
        result["bounced"] += bounced
        result["hardBounced"] += bounced and row["bounce_type"] == "hard"
        result["softBounced"] += bounced and row["bounce_type"] == "soft"
        result["uniqueOpens"] += row["first_open_at"] is not None
        result["humanUniqueOpens"] += row["first_human_open_at"] is not None
        result["totalOpens"] += row["open_count"]
        result["uniqueClicks"] += row["first_click_at"] is not None
        result["totalClicks"] += row["click_count"]
        result["unsubscribed"] += row["unsubscribed_at"] is not None
        result["complained"] += row["complained_at"] is not None
        result["conversions"] += row["conversions"]
        revenue += Decimal(str(row["revenue"]))
    return {**{name: int(result[name]) for name in COUNTERS},
            "revenue": str(revenue.quantize(Decimal("0.0001")))}


@pytest.fixture
def demo(db: Engine) -> tuple[Engine, list[dict], dict[str, set[str]]]:
    load_demo(db, customers=300, days=30, seed=11)
    customers = []
    with db.connect() as connection:
        customers = [row[0] for row in connection.execute(text(
            "SELECT customer_id FROM customer ORDER BY customer_id"))]
    chooser = random.Random(5)
    members = {"s-a": set(chooser.sample(customers, 120)),
               "s-b": set(chooser.sample(customers, 90))}
    with session_scope(db) as session:
        for segment_id in members:
            session.add(Segment(segment_id=segment_id, name=segment_id.upper()))
        session.flush()
        for segment_id, ids in members.items():
            session.add_all(SegmentMember(segment_id=segment_id, customer_id=customer)
                            for customer in sorted(ids))
    with db.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(text(
            "SELECT m.*, c.email_domain FROM message m "
            "JOIN customer c ON c.customer_id = m.customer_id"))]
    return db, rows, members


async def test_dashboard_equals_recomputation(demo) -> None:
    engine, rows, members = demo
    board = (await data_of(engine, QUERY))["dashboard"]
    assert board["summary"]["counters"] == recount(rows)

    domains = defaultdict(list)
    for row in rows:
        domains[row["email_domain"]].append(row)
    assert {r["key"]: r["counters"] for r in board["providers"]["rows"]} == {
        domain: recount(group) for domain, group in domains.items()}
    assert {r["key"]: r["counters"] for r in board["segments"]["rows"]} == {
        segment: recount([row for row in rows if row["customer_id"] in ids])
        for segment, ids in members.items()}


async def test_breakdowns_add_up_and_rates_are_bounded(demo) -> None:
    engine, _, _ = demo
    board = (await data_of(engine, QUERY))["dashboard"]
    total = board["summary"]["counters"]
    for name in COUNTERS:
        assert sum(r["counters"][name] for r in board["providers"]["rows"]) == total[name]
    assert sum(Decimal(r["counters"]["revenue"]) for r in board["providers"]["rows"]) == \
        Decimal(total["revenue"])
    bounded = {definition.name.upper() for definition in METRICS if definition.bounded}
    for row in [board["summary"], *board["providers"]["rows"], *board["segments"]["rows"]]:
        for item in row["metrics"]:
            if item["metric"] in bounded and item["value"] is not None:
                assert 0.0 <= item["value"] <= 1.0, (row["key"], item)
    series = {s["key"]: s["values"] for s in board["trend"]["series"]}
    assert sum(series["sent"]) == total["sent"]
    for definition in METRICS:
        if definition.bounded:
            assert all(0.0 <= v <= 1.0 for v in series[definition.name] if v is not None)


async def test_campaign_metrics_equal_recomputation(demo) -> None:
    engine, rows, _ = demo
    data = await data_of(engine, f"""{{ campaigns(first: 50) {{ edges {{ node {{ id
        metrics {{ {" ".join(COUNTERS)} revenue }} }} }} }} }}""")
    by_campaign = defaultdict(list)
    for row in rows:
        by_campaign[row["campaign_id"]].append(row)
    got = {e["node"]["id"]: e["node"]["metrics"] for e in data["campaigns"]["edges"]}
    assert got == {cid: recount(group) for cid, group in by_campaign.items()}
