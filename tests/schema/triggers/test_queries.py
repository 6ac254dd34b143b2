"""Trigger reads through the schema: templates, the firing log by trigger and status,
and a customer's firings."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from server.runners import triggers
from tests.schema.conftest import data_of
from tests.server.runners.test_triggers import CART, END, SCENARIO, T0, ingest, make

FIRINGS = """query($t: ID, $s: String) { triggerFirings(triggerId: $t, status: $s) {
  triggerId customerId occasionKey status reason dueAt deliveredAt } }"""


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
    assert data["triggerFirings"][1] == {
        "triggerId": str(trigger_id), "customerId": "u2", "occasionKey": "cart_id:c2",
        "status": "fired", "deliveredAt": None,
        "dueAt": (T0 + timedelta(minutes=125)).isoformat(),
        "reason": "cart_add at 2026-03-01T09:05:00Z with cart_id=c2, then no checkout "
                  "within 2h: fired"}
    assert [f["customerId"] for f in data["triggerFirings"]] == ["u3", "u2"]
    none = await data_of(db, FIRINGS, {"t": str(trigger_id), "s": "paused"})
    assert none["triggerFirings"] == []
    customer = await data_of(db, """{ customer(id: "u3") { id triggerFirings {
        occasionKey status } } }""")
    assert customer["customer"] == {"id": "u3", "triggerFirings": [
        {"occasionKey": "cart_id:c3", "status": "fired"}]}
