"""On generated demo data: the dashboard equals an independent recomputation from the
message table (plain Python over the rows, no analytics code), breakdowns add up to the
totals and every bounded rate lies in [0, 1]; on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from analytics.metrics import METRICS
from server.db.engine import session_scope
from server.db.models import Segment, SegmentMember
from server.demo import load_demo
from tests.schema.conftest import data_of

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
