from __future__ import annotations

from datetime import timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.metrics import DEVICES, device_of, message_devices
from tests.analytics.metrics.support import UTC_US, at

AGENTS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0": "desktop",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile": "mobile",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari": "desktop",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/130.0 Mobile": "mobile",
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/130.0": "tablet",
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile": "tablet",
    "Microsoft Outlook 16.0.18129": "desktop",
    "Mozilla/5.0": "unknown",
    "": "unknown",
}

EVENTS = pl.DataFrame(
    {
        "message_id": ["m1", "m1", "m1", "m2", "m2", "m3", "m4", "m4"],
        "type": ["delivered", "open", "click", "open", "open", "click", "open", "click"],
        "occurred_at": [at(1, 9), at(1, 10), at(1, 11), at(1, 9), at(1, 12), at(2, 8),
                        at(3, 8), at(3, 8)],
        "user_agent": [None, "Mozilla/5.0 (iPhone; Mobile)", "Windows NT 10.0", "Mozilla/5.0",
                       "Macintosh", "Android 15 Mobile", "Outlook", "iPhone Mobile"],
        "machine_open": [False, False, False, True, False, False, False, False],
    },
    schema_overrides={"occurred_at": UTC_US},
)


def test_device_of_known_agents() -> None:
    frame = pl.DataFrame({"agent": [*AGENTS, None]})
    result = frame.select(device_of(pl.col("agent")).alias("device"))["device"].to_list()
    assert result == [*AGENTS.values(), "unknown"]


def test_first_human_engagement_decides_golden() -> None:
    # m1: the open (iPhone) precedes the desktop click; m2: the first open is a machine
    # open, so the later Mac open decides; m3: a click without an open; m4: an open and a
    # click at the same instant -> the open.
    assert_frame_equal(
        message_devices(EVENTS).sort("message_id"),
        pl.DataFrame({"message_id": ["m1", "m2", "m3", "m4"],
                      "device": ["mobile", "desktop", "mobile", "desktop"]}),
    )


def test_no_human_engagement_gives_no_row() -> None:
    only_machine = EVENTS.filter(pl.col("message_id") == "m2").head(1)
    assert message_devices(only_machine).height == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                          st.sampled_from(["open", "click", "delivered"]),
                          st.integers(0, 50), st.sampled_from(list(AGENTS)), st.booleans()),
                max_size=30))
def test_one_known_device_per_engaged_message(rows: list[tuple]) -> None:
    events = pl.DataFrame(
        {"message_id": [r[0] for r in rows], "type": [r[1] for r in rows],
         "occurred_at": [at(1) + timedelta(minutes=r[2]) for r in rows],
         "user_agent": [r[3] for r in rows], "machine_open": [r[4] for r in rows]},
        schema={"message_id": pl.String, "type": pl.String, "occurred_at": UTC_US,
                "user_agent": pl.String, "machine_open": pl.Boolean},
    )
    result = message_devices(events)
    engaged = {r[0] for r in rows if r[1] != "delivered" and not r[4]}
    assert sorted(result["message_id"].to_list()) == sorted(engaged)
    assert set(result["device"].to_list()) <= set(DEVICES)
