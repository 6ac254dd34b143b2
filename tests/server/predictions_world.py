"""The synthetic store of ``tests/analytics/predictions/synthetic.py`` written to a test
database, for the runner, schema, job and page tests of predictions."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import polars as pl
from sqlalchemy import Engine, insert

from server.db.models import Customer, Message, Order
from tests.analytics.predictions.synthetic import synthetic_store

CUSTOMERS = 300
HORIZON_DAYS = 30


@cache
def store() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return synthetic_store(customers=CUSTOMERS, seed=5)


def seed_store(engine: Engine) -> None:
    customers, orders, messages = store()
    with engine.begin() as connection:
        connection.execute(insert(Customer), [
            {"customer_id": cid, "email": f"{cid}@example.com", "signup_at": signup,
             "email_domain": "example.com"} for cid, signup in customers.iter_rows()])
        connection.execute(insert(Order), [
            {"order_id": f"o{i}", "customer_id": cid, "occurred_at": at,
             "amount": Decimal(str(amount)), "currency": "USD"}
            for i, (cid, at, amount) in enumerate(orders.iter_rows())])
        connection.execute(insert(Message), [
            {"message_id": f"m{i}", "campaign_id": "c1", "variant_id": "", "customer_id": cid,
             "sent_at": sent, "delivered_at": sent, "first_open_at": opened,
             "first_human_open_at": opened, "open_count": int(opened is not None),
             "machine_open_count": 0, "first_click_at": clicked,
             "click_count": int(clicked is not None), "conversions": 0,
             "revenue": Decimal(0)}
            for i, (cid, sent, opened, clicked) in enumerate(messages.iter_rows())])
