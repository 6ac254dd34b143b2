"""What feature building reads from the message table: each send's stop (an opt-out, a
complaint or a hard bounce; a soft bounce is no stop), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
from sqlalchemy import Engine, insert
from sqlmodel import Session

from server.db.models import Customer, EmailEvent, Message, Order, Product
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


CUT = SENT + timedelta(days=1)
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148"


def test_preference_inputs_count_people_s_opens_and_clicks_before_each_cutoff(
        db: Engine):
    with db.begin() as connection:
        connection.execute(insert(Message), [
            {"message_id": m, "campaign_id": "c1", "variant_id": "", "customer_id": c,
             "sent_at": SENT, "revenue": Decimal(0)} for m, c in (("m1", "a"), ("m2", "b"))])
        connection.execute(insert(EmailEvent), [
            {"event_id": e, "type": kind, "occurred_at": at, "message_id": m,
             "user_agent": agent, "machine_open": machine}
            for e, kind, at, m, agent, machine in (
                ("e1", "open", LATER, "m1", PHONE, False),        # counted
                ("e2", "open", LATER, "m1", "Mozilla/5.0", True),  # a privacy proxy
                ("e3", "click", LATER, "m2", "Outlook", False),    # counted
                ("e4", "delivered", SENT, "m2", None, False),      # not an open or click
                ("e5", "open", LATER, "m2", None, False),          # no agent
                ("e6", "click", CUT, "m1", PHONE, False))])        # at the cutoff
        connection.execute(insert(Product), [
            {"product_id": "p1", "name": "Shoe", "category": "shoes"},
            {"product_id": "p2", "name": "Gift card", "category": None}])
        connection.execute(insert(Order), [
            {"order_id": o, "customer_id": c, "occurred_at": at, "amount": Decimal(5),
             "currency": "USD", "items": items}
            for o, c, at, items in (("o1", "a", LATER, '[{"product_id": "p1"}]'),
                                    ("o2", "b", LATER, None),
                                    ("o3", "a", CUT, '[{"product_id": "p1"}]'))])

    inputs = repo.read_preference_inputs(engine=db, before=CUT)
    assert inputs["items"].rows() == [("a", LATER, '[{"product_id": "p1"}]')]
    assert inputs["products"].rows() == [("p1", "shoes")]
    assert [frame.schema for frame in inputs.values()] == [
        pl.Schema(repo.ITEMS_SCHEMA), pl.Schema(repo.PRODUCTS_SCHEMA)]
    # Counted in SQL before each cutoff: nothing before SENT, e1 and e3 before CUT, and
    # e6 (at CUT) only before a later cutoff.
    cutoffs = (SENT, CUT, CUT + timedelta(seconds=1))
    counts = repo.read_agent_counts(engine=db, cutoffs=cutoffs)
    assert counts.columns == ["customer_id", "user_agent",
                              *(repo.count_column(c) for c in cutoffs)]
    assert repo.count_column(CUT) == "before_20260303T090000000000"
    assert counts.sort("customer_id").rows() == [("a", PHONE, 0, 1, 2),
                                                 ("b", "Outlook", 0, 1, 1)]
    assert counts.dtypes[2:] == [pl.Int64] * 3
    with Session(db) as session:
        one = repo.read_customer_preferences(session=session, customer_id="a")
    # One customer's rows, whatever their time: the caller cuts at its cutoff.
    assert one["events"].rows() == [("a", LATER, PHONE), ("a", CUT, PHONE)]
    assert one["items"]["occurred_at"].to_list() == [LATER, CUT]
    assert one["events"].schema == pl.Schema(repo.EVENTS_SCHEMA)
