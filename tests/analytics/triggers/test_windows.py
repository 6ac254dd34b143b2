"""Time windows in the customer's zone: golden openings around the 2026 clock changes
(Europe/Berlin springs forward on 29 March and falls back on 25 October; New York
sprang forward on 8 March), weekdays, unknown zones, and a property: a held occasion
falls due inside its local window, never earlier than it was due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.triggers.windows import ZONES_SCHEMA, describe, hold_outside, known_zone

ZONES = pl.DataFrame([("berlin", "Europe/Berlin"), ("york", "America/New_York"),
                      ("mars", "Mars/Olympus"), ("blank", None)],
                     schema=ZONES_SCHEMA, orient="row")


def due(rows: list[tuple[str, datetime]]) -> pl.DataFrame:
    return pl.DataFrame([(c, at, "cart") for c, at in rows],
                        schema={"customer_id": pl.String(), "due_at": pl.Datetime("us", "UTC"),
                                "reason": pl.String()}, orient="row")


def held(frame: pl.DataFrame) -> dict[str, tuple[datetime, str]]:
    return {c: (at, reason) for c, at, reason in frame.rows()}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_window_opens_at_local_nine_across_the_spring_change() -> None:
    # Saturday 28 March 20:30 UTC: 21:30 in Berlin (CET, closed), 16:30 in New York
    # (already EDT, open); the next Berlin opening is 09:00 CEST = 07:00 UTC, an hour
    # earlier in UTC than the day before. Unknown or missing zones read UTC.
    moment = utc(2026, 3, 28, 20, 30)
    result = held(hold_outside(due([(c, moment) for c in ("berlin", "york", "mars",
                                                          "blank", "nobody")]),
                               (9, 20), None, ZONES))
    assert result == {
        "berlin": (utc(2026, 3, 29, 7), "cart, held for the 9-20 h window in Europe/Berlin"),
        "york": (moment, "cart"),
        "mars": (utc(2026, 3, 29, 9), "cart, held for the 9-20 h window in UTC"),
        "blank": (utc(2026, 3, 29, 9), "cart, held for the 9-20 h window in UTC"),
        "nobody": (utc(2026, 3, 29, 9), "cart, held for the 9-20 h window in UTC")}
    # The day before the change, the same local 09:00 was 08:00 UTC.
    friday = held(hold_outside(due([("berlin", utc(2026, 3, 27, 5))]), (9, 20), None, ZONES))
    assert friday["berlin"][0] == utc(2026, 3, 27, 8)


def test_weekdays_and_the_default_zone() -> None:
    # Friday 27 March 19:30 UTC = 20:30 in Berlin: closed until Monday 09:00 CEST.
    friday = due([("berlin", utc(2026, 3, 27, 19, 30)), ("nobody", utc(2026, 3, 27, 19, 30))])
    result = held(hold_outside(friday, (9, 20), (0, 1, 2, 3, 4), ZONES,
                               default_zone="Asia/Tokyo"))
    assert result["berlin"] == (utc(2026, 3, 30, 7), "cart, held for the 9-20 h "
                                "mon,tue,wed,thu,fri window in Europe/Berlin")
    # Tokyo: already Saturday 04:30 local; Monday 09:00 JST is Monday 00:00 UTC.
    assert result["nobody"][0] == utc(2026, 3, 30, 0)
    # Weekdays alone: a whole-day window on the allowed days (Sunday only here).
    sunday = held(hold_outside(friday, None, (6,), ZONES))
    assert sunday["berlin"] == (utc(2026, 3, 28, 23), "cart, held for the 0-24 h sun "
                                                      "window in Europe/Berlin")
    assert describe((9, 20), tuple(range(7))) == "9-20 h"


def test_openings_skipped_or_repeated_by_the_clock() -> None:
    # 02:00 does not happen in Berlin on 29 March: the window opens at 03:00 CEST.
    spring = held(hold_outside(due([("berlin", utc(2026, 3, 28, 12))]), (2, 5), None, ZONES))
    assert spring["berlin"][0] == utc(2026, 3, 29, 1)
    # 02:00 happens twice on 25 October: the window opens at the first (CEST).
    autumn = held(hold_outside(due([("berlin", utc(2026, 10, 24, 12))]), (2, 5), None, ZONES))
    assert autumn["berlin"][0] == utc(2026, 10, 25, 0)
    # After the change, 09:00 CET is 08:00 UTC again.
    after = held(hold_outside(due([("berlin", utc(2026, 10, 25, 20))]), (9, 20), None, ZONES))
    assert after["berlin"][0] == utc(2026, 10, 26, 8)


def test_no_window_or_nothing_due_changes_nothing_and_bad_defaults_are_refused() -> None:
    frame = due([("berlin", utc(2026, 3, 28, 23))])
    assert hold_outside(frame, None, None, ZONES).equals(frame)
    assert hold_outside(frame.clear(), (9, 20), None, ZONES).is_empty()
    assert hold_outside(frame, (0, 24), None, None).equals(frame)
    with pytest.raises(ValueError, match="'Nowhere' is not an IANA zone"):
        hold_outside(frame, (9, 20), None, ZONES, default_zone="Nowhere")
    assert known_zone("Europe/Berlin") and not known_zone(" UTC") and not known_zone(None)
    assert not known_zone("../etc/passwd")


PLACES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
          "Pacific/Chatham", "UTC"]


@settings(max_examples=60, deadline=None)
@given(minutes=st.lists(st.integers(0, 60 * 24 * 400), min_size=1, max_size=8),
       zone=st.sampled_from(PLACES), start=st.integers(0, 22), width=st.integers(2, 24),
       days=st.sets(st.integers(0, 6), min_size=1))
def test_held_occasions_fall_due_inside_the_local_window(minutes: list[int], zone: str,
                                                         start: int, width: int,
                                                         days: set[int]) -> None:
    end = min(24, start + width)
    moments = [utc(2026, 1, 1) + timedelta(minutes=m) for m in minutes]
    frame = due([(f"c{i}", at) for i, at in enumerate(moments)])
    zones = pl.DataFrame({"customer_id": frame["customer_id"], "timezone": [zone] * len(moments)})
    result = hold_outside(frame, (start, end), tuple(days), zones).sort("customer_id")
    place = ZoneInfo(zone)
    for before, after in zip(frame.sort("customer_id")["due_at"], result["due_at"],
                             strict=True):
        local = after.astimezone(place)
        assert after >= before
        assert local.weekday() in days
        # Inside the window, or an opening a clock change skipped (it opens when the
        # clock resumes, at most an hour later).
        assert start <= local.hour < end or local.hour == start + 1, (before, after)
        if after > before:
            assert local.minute in (0, 30, 45) and after - before <= timedelta(days=8)
