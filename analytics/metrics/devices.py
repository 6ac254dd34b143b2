"""The reading device of a send, from the user agents of its opens and clicks."""

from __future__ import annotations

import polars as pl

from analytics.metrics.counters import require_columns

DEVICES: tuple[str, ...] = ("mobile", "tablet", "desktop", "unknown")

# Checked in this order: an iPad or an Android without "Mobile" is a tablet before any
# "Android"/"Mac OS" test can call it a phone or a desktop.
_TABLET = r"(?i)ipad|tablet|kindle|silk/"
_ANDROID_PHONE = r"(?i)android.*mobile"
_MOBILE = r"(?i)iphone|ipod|mobile|windows phone|blackberry|opera mini"
_DESKTOP = r"(?i)windows nt|macintosh|mac os x|x11|linux|cros|outlook|thunderbird|office"


def device_of(user_agent: pl.Expr) -> pl.Expr:
    """``mobile``, ``tablet``, ``desktop`` or ``unknown`` for each user-agent string.

    A rule of thumb on well-known tokens, not a full parser: enough to tell phones from
    desktops in a breakdown. Null, empty and unrecognised agents are ``unknown``.
    """
    agent = user_agent.fill_null("")
    android_tablet = agent.str.contains(r"(?i)android") & ~agent.str.contains(_ANDROID_PHONE)
    return (
        pl.when(agent.str.contains(_TABLET) | android_tablet)
        .then(pl.lit("tablet"))
        .when(agent.str.contains(_MOBILE))
        .then(pl.lit("mobile"))
        .when(agent.str.contains(_DESKTOP))
        .then(pl.lit("desktop"))
        .otherwise(pl.lit("unknown"))
    )


def message_devices(events: pl.DataFrame) -> pl.DataFrame:
    """One row per message with a human open or click: ``message_id`` and ``device``.

    ``events`` has ``message_id``, ``type``, ``occurred_at``, ``user_agent`` and
    ``machine_open``. The device is that of the message's first open or click that is not
    a machine open (mail-privacy proxies fetch images on no particular device); ties on
    time go to the open. Messages without such an event are absent: callers count them as
    ``unknown``.
    """
    require_columns(
        events,
        ["message_id", "type", "occurred_at", "user_agent", "machine_open"],
        what="events frame",
    )
    human = events.filter(
        pl.col("type").is_in(["open", "click"]) & ~pl.col("machine_open").fill_null(False)
    )
    return (
        human.sort(["message_id", "occurred_at", "type"], descending=[False, False, True])
        .group_by("message_id", maintain_order=True)
        .first()
        .select("message_id", device_of(pl.col("user_agent")).alias("device"))
    )
