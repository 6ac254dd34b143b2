"""The firing policy: golden decisions for pause, profile rule, maximum and cooldown;
a maximum and a cooldown that always hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.triggers.policy import FIRED_SCHEMA, Cap, Limits, decide
from analytics.triggers.sequences import OCCASIONS_SCHEMA

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def due(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame([(c, k, T0, T0 + timedelta(hours=h), f"{k} due") for c, k, h in rows],
                        schema=OCCASIONS_SCHEMA, orient="row")


NONE_FIRED = pl.DataFrame(schema=FIRED_SCHEMA)
DUE = due([("u1", "cart:a", 1), ("u1", "cart:b", 2), ("u1", "cart:c", 30),
           ("u1", "cart:d", 60), ("u2", "cart:e", 1)])


def test_cooldown_and_maximum_golden() -> None:
    limits = Limits(cooldown=timedelta(days=1), max_firings=2)
    result = decide(DUE, NONE_FIRED, limits)
    assert result.select("customer_id", "occasion_key", "status", "reason").rows() == [
        ("u1", "cart:a", "fired", "cart:a due: fired"),
        ("u2", "cart:e", "fired", "cart:e due: fired"),
        ("u1", "cart:b", "cooldown",
         "cart:b due: cooldown 1d since the firing due at 2026-03-01T01:00:00Z"),
        ("u1", "cart:c", "fired", "cart:c due: fired"),
        ("u1", "cart:d", "maximum", "cart:d due: maximum of 2 firings reached")]


def test_earlier_firings_count() -> None:
    fired = pl.DataFrame([("u2", T0)], schema=FIRED_SCHEMA, orient="row")
    result = decide(DUE, fired, Limits(max_firings=1))
    assert dict(zip(result["occasion_key"], result["status"], strict=True))["cart:e"] == \
        "maximum"


def test_paused_and_profile_rule() -> None:
    assert decide(DUE, NONE_FIRED, Limits(enabled=False))["status"].unique().to_list() == [
        "paused"]
    result = decide(DUE, NONE_FIRED, Limits(profile_rule="purchases >= 1"), eligible={"u2"})
    assert result.filter(pl.col("customer_id") == "u1")["reason"][0] == \
        "cart:a due: profile does not meet purchases >= 1"
    assert result.filter(pl.col("customer_id") == "u2")["status"].to_list() == ["fired"]


@settings(max_examples=60, deadline=None)
@given(hours=st.lists(st.integers(0, 500), min_size=1, max_size=25, unique=True),
       cooldown=st.integers(1, 100), maximum=st.integers(1, 6))
def test_limits_always_hold(hours: list[int], cooldown: int, maximum: int) -> None:
    occasions = due([("u1", f"k{h}", h) for h in hours])
    result = decide(occasions, NONE_FIRED,
                    Limits(cooldown=timedelta(hours=cooldown), max_firings=maximum))
    fired = result.filter(pl.col("status") == "fired")["due_at"].sort().to_list()
    assert 1 <= len(fired) <= maximum
    assert all(b - a >= timedelta(hours=cooldown) for a, b in zip(fired, fired[1:]))
    assert result.height == occasions.height


def test_exits_reentry_and_the_frequency_cap_golden() -> None:
    exits = pl.DataFrame([("u1", "cart:b", "exit: order at 2026-03-01T01:30:00Z")],
                         schema={"customer_id": pl.String, "occasion_key": pl.String,
                                 "reason": pl.String}, orient="row")
    others = pl.DataFrame([("u2", T0 - timedelta(hours=5))], schema=FIRED_SCHEMA, orient="row")
    result = decide(DUE, NONE_FIRED, Limits(reentry=timedelta(hours=40)), exits=exits,
                    everywhere=others, cap=Cap(count=1, window=timedelta(days=1)))
    assert result.select("occasion_key", "status", "reason").rows() == [
        ("cart:a", "fired", "cart:a due: fired"),
        ("cart:e", "frequency_cap", "cart:e due: frequency cap of 1 firings in 1d reached"),
        ("cart:b", "exited", "cart:b due: exit: order at 2026-03-01T01:30:00Z"),
        ("cart:c", "reentry",
         "cart:c due: re-entry after 40h of the firing due at 2026-03-01T01:00:00Z"),
        ("cart:d", "fired", "cart:d due: fired")]
    once = decide(DUE, NONE_FIRED, Limits(reentry="once"))
    assert once["status"].to_list() == ["fired", "fired", "reentry", "reentry", "reentry"]


@settings(max_examples=60, deadline=None)
@given(hours=st.lists(st.integers(0, 500), min_size=1, max_size=25, unique=True),
       count=st.integers(1, 4), window=st.integers(1, 200))
def test_the_cap_always_holds(hours: list[int], count: int, window: int) -> None:
    span = timedelta(hours=window)
    result = decide(due([("u1", f"k{h}", h) for h in hours]), NONE_FIRED, Limits(),
                    everywhere=NONE_FIRED, cap=Cap(count=count, window=span))
    fired = result.filter(pl.col("status") == "fired")["due_at"].to_list()
    assert all(sum(1 for t in fired if at - span < t <= at) <= count for at in fired)
