"""A literal budget world: eight months of spend in two media categories, two months of
copywriting filed under "misc", one order a month, and four sends (three in March, one in April).

Spend (search, social) by month Jan..Aug 2026; copywriting 30 in Jan and Feb only.
One order per month of 1000 + 100 * (month - 1).
"""

from __future__ import annotations

from sqlalchemy import Engine

from tests.server.ingest.conftest import CAMPAIGNS, CUSTOMERS, load_csv

SEARCH = [100, 200, 150, 300, 250, 120, 180, 220]
SOCIAL = [50, 80, 60, 40, 90, 70, 55, 65]
CONTENT = [30, 30]
ORDER_REVENUE = [1000 + 100 * i for i in range(8)]


def _spend() -> str:
    rows = ["spend_id,incurred_on,category,cost_type,amount,currency,vendor,campaign_id"]
    for i, (search, social) in enumerate(zip(SEARCH, SOCIAL, strict=True)):
        day = f"2026-{i + 1:02d}-05"
        rows.append(f"se{i},{day},search,media,{search}.00,USD,Search Co,")
        rows.append(f"so{i},{day},social,media,{social}.00,USD,Social Co,")
    for i, amount in enumerate(CONTENT):
        rows.append(f"co{i},2026-{i + 1:02d}-10,misc,copywriting,{amount}.00,USD,Writer,")
    return "\n".join(rows) + "\n"


def _orders() -> str:
    rows = ["order_id,customer_id,occurred_at,amount,currency,items"]
    rows += [f"o{i},u{i},2026-{i + 1:02d}-15T12:00:00Z,{amount}.00,USD,"
             for i, amount in enumerate(ORDER_REVENUE)]
    return "\n".join(rows) + "\n"


MESSAGES = """message_id,campaign_id,variant_id,customer_id,sent_at
m1,c1,A,u1,2026-03-01T09:00:00Z
m2,c1,B,u2,2026-03-01T09:00:00Z
m3,c1,B,u3,2026-03-01T09:00:00Z
m4,c2,,u1,2026-04-08T09:00:00Z
"""


def load_budget_world(engine: Engine) -> Engine:
    load_csv("spend", _spend(), engine)
    load_csv("orders", _orders(), engine)
    load_csv("customers", CUSTOMERS, engine)
    load_csv("campaigns", CAMPAIGNS, engine)
    load_csv("messages", MESSAGES, engine)
    return engine
