"""Journey stages: one golden timeline per rule; every timeline gets a known stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.journeys.stages import JOURNEY_STAGES, TIMELINE_SCHEMA, journey_stage

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def timeline(*rows: tuple[int, str, str]) -> pl.DataFrame:
    """(days before NOW, source, action) rows."""
    return pl.DataFrame([(NOW - timedelta(days=d), s, a, None) for d, s, a in rows],
                        schema=TIMELINE_SCHEMA, orient="row")


@pytest.mark.parametrize(("rows", "stage", "reason"), [
    ([(200, "order", "order"), (10, "email", "email_open")], "win_back",
     "last order 200 days ago (over 180)"),
    ([(40, "order", "order"), (3, "order", "order")], "purchase",
     "ordered 3 days ago (within 7)"),
    ([(12, "order", "order")], "onboarding", "first order 12 days ago (within 30)"),
    ([(90, "order", "order"), (60, "order", "order"), (20, "order", "order"),
      (5, "touchpoint", "touch_referral")], "advocacy",
     "3 orders and a referral or email click in the last 30 days"),
    ([(90, "order", "order"), (20, "order", "order"), (2, "behavior", "website_visit")],
     "engagement", "2 orders and activity in the last 30 days"),
    ([(90, "order", "order"), (2, "email", "email_sent")], "retention",
     "1 orders, the last 90 days ago, quiet since"),
    ([(4, "behavior", "cart_add"), (5, "behavior", "product_view")], "consideration",
     "no order yet; cart_add, product_view in the last 30 days"),
    ([(40, "behavior", "cart_add"), (1, "email", "email_open")], "awareness",
     "no order and nothing considered in the last 30 days"),
    ([], "awareness", "no order and nothing considered in the last 30 days"),
])
def test_each_rule_golden(rows: list[tuple[int, str, str]], stage: str, reason: str) -> None:
    result = journey_stage(timeline(*rows), NOW)
    assert (result.stage, result.reason) == (stage, reason)


def test_the_future_is_ignored() -> None:
    assert journey_stage(timeline((-3, "order", "order")), NOW).stage == "awareness"


ACTIONS = [("order", "order"), ("email", "email_open"), ("email", "email_click"),
           ("behavior", "cart_add"), ("behavior", "website_visit"),
           ("touchpoint", "touch_referral")]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.sampled_from(ACTIONS)), max_size=30))
def test_every_timeline_has_one_known_stage(rows: list[tuple[int, tuple[str, str]]]) -> None:
    frame = timeline(*[(d, s, a) for d, (s, a) in rows])
    result = journey_stage(frame, NOW)
    assert result.stage in JOURNEY_STAGES
    # Order does not matter, and buyers are never placed in pre-purchase stages.
    assert journey_stage(frame.reverse(), NOW) == result
    if any(a == "order" for _, (_, a) in rows):
        assert result.stage not in ("awareness", "consideration")
