"""customer(id) { journey } through the schema."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.schema.conftest import data_of

QUERY = """query($id: ID!) { customer(id: $id) { journey(asOf: "2026-03-20T00:00:00+00:00",
  first: 2) { stage stageReason events nextAction { after action probability observed }
  timeline { at source action detail } } } }"""


async def test_a_customers_journey(world: Engine) -> None:
    data = await data_of(world, QUERY, {"id": "u1"})
    # u1 of the schema world: seven email entries, no order and no behaviour.
    assert data["customer"]["journey"] == {
        "stage": "awareness",
        "stageReason": "no order and nothing considered in the last 30 days",
        "events": 7,
        "nextAction": {"after": "email_unsubscribe", "action": None, "probability": None,
                       "observed": 0},
        "timeline": [
            {"at": "2026-03-16T09:00:00+00:00", "source": "email",
             "action": "email_unsubscribe", "detail": "c3"},
            {"at": "2026-03-15T12:00:00+00:00", "source": "email", "action": "email_sent",
             "detail": "c3"}]}
