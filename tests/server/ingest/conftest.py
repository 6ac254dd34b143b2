"""Literal import files (as CSV text) for a tiny world, and helpers to load them."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine, text

from server.db.repository.events import LEDGER_COLUMNS
from server.ingest import load_frame, read_bytes

CUSTOMERS = """customer_id,email,first_name,last_name,signup_at,country,timezone
u1,Ana@Example.com,Ana,Silva,2026-01-05T10:00:00Z,pt,Europe/Lisbon
u2,bo@gmail.com,Bo,,2026-01-06T11:00:00+01:00,SE,Europe/Stockholm
u3,cy@outlook.com,Cy,Lee,,US,America/New_York
"""
CAMPAIGNS = """campaign_id,name,subject_line,sender_name,campaign_type,category,template_id,send_at
c1,Spring Sale,Spring is here,Acme,promotional,apparel,t1,2026-03-01T09:00:00Z
c2,Newsletter,News,Acme,newsletter,news,,2026-03-08T09:00:00Z
"""
VARIANTS = """campaign_id,variant_id,subject_line,weight
c1,A,Spring is here,0.5
c1,B,Spring sale: 20% off,0.5
"""
MESSAGES = """message_id,campaign_id,variant_id,customer_id,sent_at
m1,c1,A,u1,2026-03-01T09:00:00Z
m2,c1,B,u2,2026-03-01T09:00:00Z
m3,c1,B,u3,2026-03-01T09:00:00Z
m4,c2,,u1,2026-03-08T09:00:00Z
"""
# m1: delivered, opened twice (once by a privacy proxy first), clicked once.
# m2: opened without a delivery event (the open proves delivery), unsubscribed.
# m3: soft bounce, then hard bounce. m4: delivered only.
EVENTS = """event_id,type,occurred_at,message_id,url,user_agent,machine_open,bounce_type
e1,delivered,2026-03-01T09:00:05Z,m1,,,,
e2,open,2026-03-01T09:01:00Z,m1,,Mozilla/5.0,true,
e3,open,2026-03-01T12:00:00Z,m1,,,false,
e4,click,2026-03-01T12:01:00Z,m1,https://shop.example.com/a,,,
e5,open,2026-03-02T08:00:00Z,m2,,,,
e6,unsubscribe,2026-03-02T08:05:00Z,m2,,,,
e7,bounce,2026-03-01T09:00:03Z,m3,,,,soft
e8,bounce,2026-03-01T10:00:00Z,m3,,,,hard
e9,delivered,2026-03-08T09:00:04Z,m4,,,,
"""
# o1 comes a day after m1's click: m1. o2 comes 6 days 20 hours after that click, still
# inside its 7-day window: m1. o4 comes 3 hours after m4's delivery (1-day window), the
# latest qualifying touch, beating m1's older click: m4. o3 belongs to u3, whose only
# message bounced: unattributed.
ORDERS = """order_id,customer_id,occurred_at,amount,currency,items
o1,u1,2026-03-02T12:01:00Z,40.00,USD,
o2,u1,2026-03-08T08:00:00Z,15.50,usd,"[{""product_id"": ""p1"", ""quantity"": 1}]"
o3,u3,2026-03-03T10:00:00Z,99.99,USD,
o4,u1,2026-03-08T12:00:00Z,20,USD,
"""

WORLD = (("customers", CUSTOMERS), ("campaigns", CAMPAIGNS), ("variants", VARIANTS),
         ("messages", MESSAGES), ("events", EVENTS), ("orders", ORDERS))


def csv_frame(content: str) -> pl.DataFrame:
    return read_bytes(content.encode(), "csv")


def load_csv(kind: str, content: str, engine: Engine, **kwargs: object):
    return load_frame(kind, csv_frame(content), engine=engine, first_row=2, **kwargs)


def load_world(engine: Engine) -> None:
    for kind, content in WORLD:
        load_csv(kind, content, engine)


def table_rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every fact and derived table, ordered, for before/after comparisons (events
    without their ingest sequence, which numbers the imports rather than the facts)."""
    tables = {"customer": "customer_id", "campaign": "campaign_id",
              "campaign_variant": "campaign_id, variant_id", "message": "message_id",
              "email_event": "event_id", "orders": "order_id",
              "rollup_campaign_day": "campaign_id, variant_id, day"}
    ledger = ", ".join(name for name in LEDGER_COLUMNS)
    return {name: table_rows(engine, f"SELECT {ledger if name == 'email_event' else '*'} "
                                     f"FROM {name} ORDER BY {order}")
            for name, order in tables.items()}


@pytest.fixture
def world(engine: Engine) -> Engine:
    load_world(engine)
    return engine
