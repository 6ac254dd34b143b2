"""Send time: local hours, the empirical-Bayes strength, shrinkage and the fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.predictions.send_time import (
    AUDIENCE_SCHEMA,
    SCORES_SCHEMA,
    SENDS_SCHEMA,
    STRENGTH_GRID,
    beta_strength,
    known_zone,
    local_sends,
    send_times,
)


def _at(day: int, hour: int, month: int = 1) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# 2026-01-05 is a Monday; New York is UTC-5 in January, UTC-4 in July.
SENDS = pl.DataFrame([
    *(row for day in (5, 6, 7) for row in (
        ("a", _at(day, 13), _at(day, 14), None, 0),
        ("a", _at(day, 20), None, None, 0))),
    ("b", _at(8, 9), _at(8, 10), _at(8, 10), 0),
    ("b", _at(9, 20), None, None, 0),
    ("b", _at(10, 9), None, None, 1),  # only a proxy open: says nothing, left out
    ("x", _at(10, 9), _at(10, 9), None, 0),  # not in the audience
], schema=SENDS_SCHEMA, orient="row")
AUDIENCE = pl.DataFrame([
    ("a", "America/New_York", "US"),
    ("b", "Mars/Olympus_Mons", "US"),  # not a zone: UTC
    ("c", None, "US"),  # no sends: the segment's best
    ("d", "Europe/Berlin", "DE"),  # no sends, a segment without any: the global best
], schema=AUDIENCE_SCHEMA, orient="row")


def test_known_zone():
    assert [known_zone(z) for z in ("Europe/Berlin", "Mars/Base", "", None, "../etc")] == [
        "Europe/Berlin", "UTC", "UTC", "UTC", "UTC"]


def test_local_sends_use_the_customers_zone_and_its_daylight_saving():
    sends = pl.DataFrame([("a", _at(6, 13, month=7), None, None, 0),
                          ("a", _at(5, 13), None, _at(5, 14), 0)],
                         schema=SENDS_SCHEMA, orient="row")
    audience = AUDIENCE.head(1)

    frame = local_sends(sends, audience).sort("hour")

    assert frame.rows() == [("a", 8, 1, True), ("a", 9, 1, False)]


def test_send_times_golden():
    fit = send_times(SENDS, AUDIENCE, min_segment_events=3)

    assert_frame_equal(fit.scores, pl.DataFrame({
        "customer_id": ["a", "b", "c", "d"], "best_send_hour": [8, 8, 8, 8],
        "best_send_weekday": [4, 4, 4, 4],
        "source": ["customer", "customer", "segment", "global"],
        "sends": [6, 2, 0, 0], "engaged_sends": [3, 1, 0, 0],
        "own_weight": [0.96, 2 / 2.25, 0.0, 0.0],
        "timezone": ["America/New_York", "UTC", "UTC", "Europe/Berlin"]},
        schema=SCORES_SCHEMA))
    assert (fit.hour_strength, fit.global_hour, fit.global_weekday) == (0.25, 8, 4)
    assert fit.weekday_strength == pytest.approx(10_000.0)


def test_a_segment_below_the_minimum_falls_back_to_global():
    fit = send_times(SENDS, AUDIENCE, min_segment_events=5)

    assert fit.scores["source"].to_list() == ["customer", "customer", "global", "global"]
    with pytest.raises(ValueError, match="min_segment_events must be >= 0, got -1"):
        send_times(SENDS, AUDIENCE, min_segment_events=-1)


def test_a_long_history_outweighs_the_segment():
    # Everyone engages at 09:00 UTC except "late", who engages only at 20:00, 40 times.
    start = _at(5, 0)
    rows = []
    for customer in range(30):
        for day in range(10):
            rows.append((f"p{customer}", start + timedelta(days=day, hours=9),
                         start + timedelta(days=day, hours=9), None, 0))
            rows.append((f"p{customer}", start + timedelta(days=day, hours=20), None,
                         None, 0))
    for day in range(40):
        rows.append(("late", start + timedelta(days=day, hours=9), None, None, 0))
        rows.append(("late", start + timedelta(days=day, hours=20),
                     start + timedelta(days=day, hours=21), None, 0))
    rows.append(("thin", start + timedelta(hours=20), start + timedelta(hours=20), None, 0))
    sends = pl.DataFrame(rows, schema=SENDS_SCHEMA, orient="row")
    audience = pl.DataFrame({"customer_id": ["late", "thin", *(f"p{i}" for i in range(30))],
                             "timezone": "UTC", "segment": "all"}, schema=AUDIENCE_SCHEMA)

    scores = send_times(sends, audience).scores

    hours = dict(zip(scores["customer_id"], scores["best_send_hour"], strict=True))
    weights = dict(zip(scores["customer_id"], scores["own_weight"], strict=True))
    assert (hours["late"], hours["p0"]) == (20, 9)
    assert weights["late"] > weights["thin"]


def test_beta_strength_golden():
    engaged = np.array([[5.0, 0.0], [0.0, 5.0]])
    sends = np.array([[5.0, 5.0], [5.0, 5.0]])
    prior = np.full((2, 2), 0.5)
    # Rates far from the prior favour a weak prior; rates at the prior a strong one.
    assert beta_strength(engaged, sends, prior) == STRENGTH_GRID[0]
    assert beta_strength(np.full((2, 2), 2.5), sends, prior) == STRENGTH_GRID[-1]
    assert beta_strength(engaged, np.zeros((2, 2)), prior) == STRENGTH_GRID[35]


SEND_ROWS = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 24 * 30),
                               st.sampled_from(["open", "click", "proxy", "none"])),
                     max_size=60)


@settings(max_examples=40, deadline=None)
@given(rows=SEND_ROWS, zones=st.lists(st.sampled_from(
    ["UTC", "Asia/Tokyo", "America/Denver", "Nowhere/Else"]), min_size=6, max_size=6))
def test_every_customer_gets_a_valid_time_whatever_the_order(rows, zones):
    start = _at(1, 0)
    sends = pl.DataFrame([
        (f"k{c}", start + timedelta(hours=h),
         start + timedelta(hours=h) if kind == "open" else None,
         start + timedelta(hours=h) if kind == "click" else None,
         int(kind == "proxy")) for c, h, kind in rows], schema=SENDS_SCHEMA, orient="row")
    audience = pl.DataFrame({"customer_id": [f"k{c}" for c in range(6)], "timezone": zones,
                             "segment": ["s1", "s1", "s2", "s2", None, None]},
                            schema=AUDIENCE_SCHEMA)

    scores = send_times(sends, audience).scores
    shuffled = send_times(sends.reverse(), audience.reverse()).scores

    assert_frame_equal(scores, shuffled)
    assert scores["customer_id"].to_list() == [f"k{c}" for c in range(6)]
    assert scores["best_send_hour"].is_between(0, 23).all()
    assert scores["best_send_weekday"].is_between(1, 7).all()
    assert ((scores["source"] == "customer") == (scores["engaged_sends"] > 0)).all()
    assert scores["own_weight"].is_between(0.0, 1.0, closed="left").all()
