"""Hypothesis strategies and settings shared by the attribution tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from analytics.attribution import CONVERSIONS_SCHEMA, PATHS_SCHEMA, TOUCHES_SCHEMA

# No example database: tests must not write outside the tree they own.
SETTINGS = settings(
    database=None,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
CHANNELS = ("display", "email", "paid", "social", "web")
START = datetime(2024, 3, 1, tzinfo=UTC)


@st.composite
def path_frames(draw: st.DrawFn, channels: tuple[str, ...] = CHANNELS) -> pl.DataFrame:
    """Aggregated paths with integer counts, some rows converting, value only with
    conversions."""
    rows = draw(
        st.lists(
            st.tuples(
                st.lists(st.sampled_from(channels), min_size=1, max_size=6),
                st.integers(0, 30),
                st.floats(1, 200, allow_nan=False),
                st.integers(0, 30),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return pl.DataFrame(
        {
            "path": [path for path, _, _, _ in rows],
            "conversions": [float(c) for _, c, _, _ in rows],
            "value": [c * v for _, c, v, _ in rows],
            "nulls": [float(n) for _, _, _, n in rows],
        },
        schema=PATHS_SCHEMA,
    )


@st.composite
def touch_data(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Touches and orders for a few customers on a coarse clock, so many touches tie."""
    customers = ["a", "b", "c"]
    touches = draw(
        st.lists(
            st.tuples(
                st.sampled_from(customers),
                st.integers(0, 12),
                st.sampled_from(CHANNELS),
                st.sampled_from([None, "k1", "k2"]),
                st.sampled_from(["delivered", "open", "click"]),
            ),
            min_size=1,
            max_size=30,
        )
    )
    orders = draw(
        st.lists(
            st.tuples(st.sampled_from(customers), st.integers(0, 12), st.integers(1, 100)),
            max_size=6,
        )
    )
    touch_frame = pl.DataFrame(
        {
            "customer_id": [t[0] for t in touches],
            "occurred_at": [START + timedelta(days=t[1]) for t in touches],
            "channel": [t[2] for t in touches],
            "campaign_id": [t[3] for t in touches],
            "touch_kind": [t[4] if t[2] == "email" else t[2] for t in touches],
        },
        schema=TOUCHES_SCHEMA,
    )
    order_frame = pl.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(orders))],
            "customer_id": [o[0] for o in orders],
            "occurred_at": [START + timedelta(days=o[1]) for o in orders],
            "revenue": [float(o[2]) for o in orders],
        },
        schema=CONVERSIONS_SCHEMA,
    )
    return touch_frame, order_frame
