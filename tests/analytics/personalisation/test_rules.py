"""Rules: priority decides which rule sets a key; every rule's result carries the
segment language's explanation with the customer's values."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.customers.expressions import RuleSyntaxError
from analytics.customers.rules import Reason
from analytics.personalisation.rules import (
    EXAMPLE_RULES,
    Rule,
    empty_keys,
    evaluate,
    local_time,
    parse_condition,
    rule_row,
    with_local_time,
)

AT = datetime(2026, 3, 20, 8, 30, tzinfo=UTC)
RULES = [
    Rule(1, "Any buyer", "purchases >= 1", "offer", "10% off", priority=10),
    Rule(2, "Big spender", "purchases >= 3", "offer", "Free shipping", priority=20),
    Rule(3, "Morning", "local_hour >= 5 and local_hour < 12", "greeting", "Good morning"),
    Rule(4, "Off", "purchases >= 0", "tone", "never", enabled=False),
]


def test_the_higher_priority_rule_wins_its_key_and_the_other_is_shadowed():
    row = rule_row({"purchases": 4}, {}, timezone="Europe/Lisbon", at=AT)
    outcome = evaluate(RULES, row)
    assert outcome.chosen == {"offer": "Free shipping", "greeting": "Good morning"}
    assert [(r.rule.id, r.matched, r.fired, r.shadowed_by) for r in outcome.results] == [
        (2, True, True, None), (1, True, False, 2), (3, True, True, None)]
    assert [r.rule.id for r in outcome.fired] == [2, 3]
    assert outcome.results[2].explanation.reasons == (
        Reason("local_hour >= 5", {"local_hour": 8.0}, True),
        Reason("local_hour < 12", {"local_hour": 8.0}, True))


def test_local_time_is_the_customers_own_and_utc_when_unknown():
    assert local_time("Asia/Tokyo", AT) == (17, 5)
    assert local_time("America/New_York", AT) == (4, 5)
    assert local_time(None, AT) == local_time("Not/AZone", AT) == (8, 5)
    row = rule_row({"purchases": 0}, {"value_tier": "high"}, timezone="Asia/Tokyo", at=AT)
    assert (row["local_hour"], row["value_tier"], row["purchases"]) == (17.0, "high", 0)
    assert evaluate(RULES, row).chosen == {}


def test_conditions_are_checked_with_the_column_of_the_fault():
    with pytest.raises(RuleSyntaxError) as caught:
        parse_condition("local_hour >= 5 and lifecycle == 'x'")
    assert caught.value.column == 21
    for rule in EXAMPLE_RULES:
        parse_condition(rule.condition)


@given(st.integers(0, 10), st.sampled_from(["UTC", "Asia/Tokyo", "America/Denver"]))
def test_each_key_is_set_by_at_most_one_rule_and_only_by_one_that_matched(purchases, zone):
    rules = [Rule(i + 1, r.name, r.condition, r.key, r.value, r.priority)
             for i, r in enumerate(EXAMPLE_RULES)]
    outcome = evaluate(rules, rule_row({"purchases": purchases}, {}, timezone=zone, at=AT))
    fired = [r for r in outcome.results if r.fired]
    assert len({r.rule.key for r in fired}) == len(fired)
    assert all(r.matched for r in fired)
    assert outcome.chosen == {r.rule.key: r.rule.value for r in fired}
    assert "greeting" in outcome.chosen  # the three greetings cover every hour


FRAME = pl.DataFrame({"purchases": [0, 1, 4, None], "timezone": [
    "Asia/Tokyo", None, "Europe/Lisbon", "Not/AZone"]})


def test_local_time_columns_and_how_often_each_key_stays_empty():
    local = with_local_time(FRAME, AT)
    assert local.select("local_hour", "local_weekday").rows() == [
        (17.0, 5.0), (8.0, 5.0), (8.0, 5.0), (8.0, 5.0)]
    assert empty_keys(RULES, local) == {"offer": 0.5, "greeting": 0.25}
    assert empty_keys(RULES, local.head(0)) == {}
    assert empty_keys([RULES[3]], local) == {}  # only a disabled rule


@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=1, max_size=30))
def test_the_share_without_an_offer_matches_the_row_by_row_rules(purchases):
    frame = with_local_time(pl.DataFrame({"purchases": purchases, "timezone": "UTC"},
                                         schema={"purchases": pl.Int64,
                                                 "timezone": pl.String}), AT)
    rows = [rule_row({"purchases": p}, {}, timezone="UTC", at=AT) for p in purchases]
    without = sum("offer" not in evaluate(RULES, row).chosen for row in rows)
    assert empty_keys(RULES, frame)["offer"] == without / len(purchases)
