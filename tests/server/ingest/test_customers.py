"""Imports keep profiles and rule segments current, and the touched-customer refreshes
end exactly where one full recomputation does."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from analytics.customers.expressions import parse
from analytics.customers.profiles import compute_profiles
from analytics.customers.rules import PROFILE_FIELDS, members
from analytics.customers.schemas import INPUT_SCHEMAS, PROFILE_SCHEMA
from server.db.repository.customers import profile_frame, profile_inputs
from server.db.repository.segments import current_members
from server.ingest import customers as refresh
from server.runners.customers import create_rule_segment
from tests.server.ingest.conftest import (
    CAMPAIGNS,
    CUSTOMERS,
    EVENTS,
    MESSAGES,
    ORDERS,
    VARIANTS,
    load_csv,
    table_rows,
)

AS_OF = datetime(2026, 3, 20, tzinfo=UTC)
RULES = {
    "openers": "open_rate_90d >= 0.5",
    "buyers": "purchases >= 1 and country in ['PT', 'US']",
    "quiet": "not opted_out and sends >= 1 and click_rate_90d is null",
}


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(refresh, "utcnow", lambda: AS_OF)
    return AS_OF


def test_an_import_refreshes_the_profiles_it_touches(engine: Engine, frozen: datetime):
    load_csv("customers", CUSTOMERS, engine)
    assert table_rows(engine, "SELECT customer_id, purchases, sends FROM customer_profile "
                              "ORDER BY customer_id") == [("u1", 0, 0), ("u2", 0, 0),
                                                          ("u3", 0, 0)]
    for kind, content in (("campaigns", CAMPAIGNS), ("variants", VARIANTS),
                          ("messages", MESSAGES), ("events", EVENTS), ("orders", ORDERS)):
        load_csv(kind, content, engine)
    rows = {row[0]: row[1:] for row in table_rows(engine, (
        "SELECT customer_id, purchases, lifetime_revenue, sends, open_rate_90d, "
        "click_rate_90d, opted_out FROM customer_profile"))}
    assert rows == {"u1": (3, 75.5, 2, 0.5, 0.5, False),
                    "u2": (0, 0.0, 1, 1.0, 0.0, True),  # the open proves delivery
                    "u3": (1, 99.99, 1, None, None, False)}


def _state(engine: Engine) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    profiles = profile_frame(engine, PROFILE_SCHEMA)
    with engine.connect() as connection:
        stored = {name: current_members(connection, name).to_list() for name in RULES}
    return profiles, stored


@pytest.mark.parametrize("cut", [1, 4, 8])
def test_incremental_membership_equals_a_full_recomputation(engine: Engine, frozen: datetime,
                                                            cut: int):
    load_csv("customers", CUSTOMERS, engine)
    for name, rule in RULES.items():
        create_rule_segment(engine, segment_id=name, name=name, definition=rule)
    load_csv("campaigns", CAMPAIGNS, engine)
    load_csv("variants", VARIANTS, engine)
    load_csv("messages", MESSAGES, engine)
    header, *lines = EVENTS.strip().splitlines()
    load_csv("events", "\n".join([header, *lines[:cut]]) + "\n", engine)
    load_csv("orders", ORDERS, engine)
    load_csv("events", "\n".join([header, *lines[cut:]]) + "\n", engine)

    profiles, stored = _state(engine)
    full = compute_profiles(**profile_inputs(engine, INPUT_SCHEMAS), as_of=AS_OF)
    assert_frame_equal(profiles, full)
    for name, rule in RULES.items():
        assert stored[name] == members(full, parse(rule, PROFILE_FIELDS)).to_list(), name
    assert stored == {"openers": ["u1", "u2"], "buyers": ["u1", "u3"], "quiet": ["u3"]}

    # A full refresh at the same moment moves nobody.
    result = refresh.refresh_everyone(engine, AS_OF)
    assert [result.entered[name] for name in RULES] == [0, 0, 0]
    assert [result.left[name] for name in RULES] == [0, 0, 0]
    assert _state(engine)[1] == stored


def test_a_failed_import_leaves_profiles_and_members_as_they_were(engine: Engine,
                                                                 frozen: datetime):
    load_csv("customers", CUSTOMERS, engine)
    create_rule_segment(engine, segment_id="buyers", name="buyers", definition="purchases >= 1")
    before = table_rows(engine, "SELECT * FROM customer_profile ORDER BY customer_id")
    bad = "order_id,customer_id,occurred_at,amount,currency\no9,u1,2026-03-02T12:01:00Z,-1,USD\n"
    with pytest.raises(Exception, match="amount"):
        load_csv("orders", bad, engine)
    assert table_rows(engine, "SELECT * FROM customer_profile ORDER BY customer_id") == before
    assert table_rows(engine, "SELECT customer_id FROM segment_member") == []


def test_orders_of_an_unknown_customer_leave_no_profile(engine: Engine, frozen: datetime):
    orders = ("order_id,customer_id,occurred_at,amount,currency\n"
              "o1,ghost,2026-03-02T12:00:00Z,5,USD\n")
    load_csv("orders", orders, engine)
    assert table_rows(engine, "SELECT customer_id FROM customer_profile") == []
