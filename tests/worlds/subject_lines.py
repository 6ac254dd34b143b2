"""A small email-only store where the subject line decides opens, for the end-to-end
tests of the open model behind ``scoreSubjectLines``.

200 customers each get all 60 campaigns (one every two days at 10:00 UTC, 12,000
sends). Even campaigns greet the reader by name (``{{first_name}}``), odd ones do not;
a person opens a personalised campaign with probability 0.45 and a plain one with 0.10,
seeded, so an open model trained on it must learn that the personal tag matters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import Engine, insert

from server.db.models import Campaign, Customer, Message

CUSTOMERS = 200
CAMPAIGNS = 60
START = datetime(2026, 1, 1, 10, tzinfo=UTC)
HORIZON_DAYS = 30
OPEN_RATE = {True: 0.45, False: 0.10}  # personalised subject or not
PERSONAL = "{{first_name}}, your picks of the week"
PLAIN = "Your picks of the week"


def seed_subject_world(engine: Engine) -> None:
    rng = np.random.default_rng(17)
    customers = [f"s{i:03d}" for i in range(CUSTOMERS)]
    campaigns, messages = [], []
    for c in range(CAMPAIGNS):
        personal = c % 2 == 0
        sent = START + timedelta(days=2 * c)
        campaigns.append({"campaign_id": f"w{c:02d}", "name": f"Week {c}",
                          "subject_line": f"{PERSONAL if personal else PLAIN} {c}",
                          "send_at": sent})
        opened = rng.random(CUSTOMERS) < OPEN_RATE[personal]
        for i, customer in enumerate(customers):
            at = sent + timedelta(hours=1) if opened[i] else None
            messages.append({
                "message_id": f"w{c:02d}-{customer}", "campaign_id": f"w{c:02d}",
                "variant_id": "", "customer_id": customer, "sent_at": sent,
                "delivered_at": sent, "first_open_at": at, "first_human_open_at": at,
                "open_count": int(opened[i]), "machine_open_count": 0, "click_count": 0,
                "conversions": 0, "revenue": 0})
    with engine.begin() as connection:
        connection.execute(insert(Customer), [
            {"customer_id": cid, "email": f"{cid}@example.com", "email_domain": "example.com",
             "signup_at": START - timedelta(days=1)} for cid in customers])
        connection.execute(insert(Campaign), campaigns)
        connection.execute(insert(Message), messages)
