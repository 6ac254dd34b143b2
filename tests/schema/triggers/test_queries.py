"""Trigger reads through the schema: templates, the firing log by trigger and status,
and a customer's firings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from server.runners import triggers
from tests.schema.conftest import data_of, messages_of, run
from tests.server.runners.test_triggers import CART, END, SCENARIO, T0, ingest, make

FIRINGS = """query($t: ID, $s: String, $first: Int! = 25, $after: String,
                   $since: DateTime, $until: DateTime) {
  triggerFirings(triggerId: $t, status: $s, first: $first, after: $after, since: $since,
                 until: $until) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { triggerId triggerVersion customerId occasionKey status reason dueAt
                   deliveredAt } } } }"""


def nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data["triggerFirings"]["edges"]]


async def test_templates_are_listed(db: Engine) -> None:
    data = await data_of(db, "{ triggerTemplates { id name maxFirings cooldown } }")
    assert data["triggerTemplates"] == [
        {"id": "cart_abandonment", "name": "Cart abandonment", "maxFirings": 3,
         "cooldown": "1d"},
        {"id": "browse_abandonment", "name": "Browse abandonment", "maxFirings": 5,
         "cooldown": "3d"},
        {"id": "high_value_engagement", "name": "High-value engagement", "maxFirings": None,
         "cooldown": "7d"}]


async def test_the_firing_log_and_a_customers_firings(world: Engine) -> None:
    db = world
    ingest(db, SCENARIO)
    trigger_id = make(db, definition=CART)
    triggers.evaluate(db, as_of=END, deliver=False)
    data = await data_of(db, FIRINGS, {"t": str(trigger_id), "s": "fired"})
    assert nodes(data)[1] == {
        "triggerId": str(trigger_id), "triggerVersion": 1, "customerId": "u2",
        "occasionKey": "cart_id:c2",
        "status": "fired", "deliveredAt": None,
        "dueAt": (T0 + timedelta(minutes=125)).isoformat(),
        "reason": "cart_add at 2026-03-01T09:05:00Z with cart_id=c2, then no checkout "
                  "within 2h: fired"}
    assert [f["customerId"] for f in nodes(data)] == ["u3", "u2"]
    none = await data_of(db, FIRINGS, {"t": str(trigger_id), "s": "paused"})
    assert none["triggerFirings"]["totalCount"] == 0 and nodes(none) == []
    # One a page, following the cursor; a due-time window (since inclusive, until not).
    page = await data_of(db, FIRINGS, {"first": 1})
    assert page["triggerFirings"]["totalCount"] == 2
    assert page["triggerFirings"]["pageInfo"]["hasNextPage"] is True
    rest = await data_of(db, FIRINGS, {"first": 1,
                                       "after": page["triggerFirings"]["pageInfo"]["endCursor"]})
    assert [f["customerId"] for f in nodes(page) + nodes(rest)] == ["u3", "u2"]
    assert rest["triggerFirings"]["pageInfo"]["hasNextPage"] is False
    c3_due = (T0 + timedelta(minutes=170)).isoformat()
    assert [f["customerId"] for f in nodes(await data_of(db, FIRINGS, {"since": c3_due}))] \
        == ["u3"]
    assert [f["customerId"] for f in nodes(await data_of(db, FIRINGS, {"until": c3_due}))] \
        == ["u2"]
    bad = await run(db, FIRINGS, {"s": "fird"})
    assert messages_of(bad) == ["status: unknown 'fird'; use one of fired, paused, "
                                "condition, exited, reentry, maximum, cooldown, "
                                "frequency_cap"]
    naive = await run(db, FIRINGS, {"since": "2026-03-01T00:00:00"})
    assert messages_of(naive) == ["since: 2026-03-01T00:00:00 has no offset; write one such "
                                  "as 2026-03-01T00:00:00Z"]
    customer = await data_of(db, """{ customer(id: "u3") { id triggerFirings {
        occasionKey status } } }""")
    assert customer["customer"] == {"id": "u3", "triggerFirings": [
        {"occasionKey": "cart_id:c3", "status": "fired"}]}
