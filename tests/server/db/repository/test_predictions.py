"""What feature building reads from the message table: each send's stop (an opt-out, a
complaint or a hard bounce; a soft bounce is no stop), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
from sqlalchemy import Engine, insert
from sqlmodel import Session

from server.db.models import Customer, Message
from server.db.repository import predictions as repo

SENT = datetime(2026, 3, 2, 9, tzinfo=UTC)
LATER = SENT + timedelta(hours=3)
# message id, customer, unsubscribed_at, complained_at, bounced_at, bounce_type
SENDS = (("m1", "a", LATER, None, None, None), ("m2", "b", None, LATER, None, None),
         ("m3", "c", None, None, LATER, "hard"), ("m4", "d", None, None, LATER, "soft"),
         ("m5", "e", None, None, None, None))


def test_each_send_carries_when_its_recipient_stopped_mail(db: Engine):
    with db.begin() as connection:
        connection.execute(insert(Customer), [
            {"customer_id": c, "email": f"{c}@example.com", "email_domain": "example.com"}
            for c in "abcde"])
        connection.execute(insert(Message), [
            {"message_id": m, "campaign_id": "c1", "variant_id": "", "customer_id": c,
             "sent_at": SENT, "unsubscribed_at": unsubscribed, "complained_at": complained,
             "bounced_at": bounced, "bounce_type": kind, "revenue": Decimal(0)}
            for m, c, unsubscribed, complained, bounced, kind in SENDS])

    messages = repo.read_inputs(engine=db)["messages"].sort("customer_id")
    assert messages.select("customer_id", "stopped_at").rows() == [
        ("a", LATER), ("b", LATER), ("c", LATER), ("d", None), ("e", None)]
    with Session(db) as session:
        one = repo.read_customer_inputs(session=session, customer_id="c")["messages"]
    assert one.schema == pl.Schema(repo.MESSAGES_SCHEMA)
    assert one["stopped_at"].to_list() == [LATER]
