"""A small store with time zones and countries for the send-time tests of the runner,
schema, job, CLI and page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, insert

from server.db.models import Customer, Message

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday; New York is UTC-5 in January
# customer_id, timezone, country, (UTC hour they mostly open at, the other send hour):
# every day one send at 13:00 and one at 20:00 UTC; three in four at the first hour are
# opened, one in four at the other.
CUSTOMERS = (
    ("s1", "America/New_York", "US", (13, 20)),
    ("s2", "America/New_York", "US", (13, 20)),
    ("s3", "Europe/Berlin", "DE", (20, 13)),
    ("s4", None, "US", None),  # no sends: the country's best
    ("s5", "Asia/Tokyo", None, None),  # no sends and no country: the global best
)
DAYS = 20


def seed_send_times(engine: Engine) -> None:
    rows = []
    for customer_id, _zone, _country, hours in CUSTOMERS:
        if hours is None:
            continue
        liked, other = hours
        for day in range(DAYS):
            for hour, opened in ((liked, day % 4 != 0), (other, day % 4 == 0)):
                sent = START + timedelta(days=day, hours=hour)
                opened_at = sent + timedelta(minutes=30) if opened else None
                rows.append({
                    "message_id": f"{customer_id}-{day}-{hour}", "campaign_id": f"k{day}",
                    "variant_id": "", "customer_id": customer_id, "sent_at": sent,
                    "delivered_at": sent, "first_open_at": opened_at,
                    "first_human_open_at": opened_at, "open_count": int(opened),
                    "machine_open_count": 0, "first_click_at": None, "click_count": 0,
                    "conversions": 0, "revenue": Decimal(0)})
    with engine.begin() as connection:
        connection.execute(insert(Customer), [
            {"customer_id": cid, "email": f"{cid}@example.com", "signup_at": START,
             "email_domain": "example.com", "timezone": zone, "country": country}
            for cid, zone, country, _ in CUSTOMERS])
        connection.execute(insert(Message), rows)
