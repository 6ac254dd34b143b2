"""``database_is_empty``: the test ``--if-empty`` and ``make run`` rely on."""

from __future__ import annotations

from datetime import UTC, datetime

from server.db.engine import session_scope
from server.db.models import Campaign, Customer
from server.demo import database_is_empty


def test_only_a_campaign_makes_the_database_non_empty(engine):
    assert database_is_empty(engine) is True
    with session_scope(engine) as session:
        session.add(Customer(customer_id="c1", email="a@example.com", email_domain="example.com"))
    assert database_is_empty(engine) is True
    with session_scope(engine) as session:
        session.add(Campaign(campaign_id="cmp1", name="Launch",
                             send_at=datetime(2026, 10, 1, tzinfo=UTC)))
    assert database_is_empty(engine) is False
