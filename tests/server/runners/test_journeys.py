"""Journeys on both databases: the timeline joins sends, behaviour and orders; the stage
and prediction follow the documented rules."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from analytics.journeys.transitions import NextAction
from server.runners.journeys import journey
from server.settings import Settings
from tests.server.ingest.conftest import load_world
from tests.server.runners.test_triggers import SCENARIO, ingest

AS_OF = datetime(2026, 3, 20, tzinfo=UTC)


def test_timelines_stages_and_predictions(settings: Settings, engine: Engine) -> None:
    load_world(engine)
    ingest(engine, SCENARIO)
    u3 = journey(engine, "u3", as_of=AS_OF)
    assert u3.timeline.rows() == [
        (datetime(2026, 3, 3, 10, tzinfo=UTC), "order", "order", "o3"),
        (datetime(2026, 3, 1, 9, 50, tzinfo=UTC), "behavior", "cart_add", None),
        (datetime(2026, 3, 1, 9, 40, tzinfo=UTC), "behavior", "checkout", None),
        (datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "behavior", "cart_add", None),
        (datetime(2026, 3, 1, 9, tzinfo=UTC), "email", "email_sent", "c1")]
    assert (u3.events, u3.stage.stage, u3.stage.reason) == (
        5, "onboarding", "first order 17 days ago (within 30)")
    assert u3.next_action == NextAction(after="order", action=None, probability=None,
                                        observed=0)
    # u1: three orders, the last 12 days ago, and an email click on March 1.
    u1 = journey(engine, "u1", as_of=AS_OF, limit=3)
    assert (u1.events, u1.timeline.height, u1.stage.stage) == (9, 3, "advocacy")
    # After an order came another order once and a send once: the tie goes to the later.
    assert u1.next_action == NextAction(after="order", action="email_sent",
                                        probability=0.5, observed=2)
    u2 = journey(engine, "u2", as_of=AS_OF)
    assert (u2.stage.stage, u2.stage.reason) == (
        "consideration", "no order yet; cart_add, checkout in the last 30 days")
    # Before anything happened: awareness, nothing to predict.
    early = journey(engine, "u2", as_of=datetime(2026, 2, 1, tzinfo=UTC))
    assert (early.events, early.stage.stage, early.next_action.after) == (0, "awareness",
                                                                         None)
