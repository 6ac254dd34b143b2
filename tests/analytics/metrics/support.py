"""Helpers and hypothesis strategies shared by the metrics tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import strategies as st

from analytics.metrics import COUNTER_SCHEMA, COUNTERS

UTC_US = pl.Datetime("us", "UTC")
MESSAGE_TIME_COLUMNS = (
    "sent_at",
    "delivered_at",
    "bounced_at",
    "first_open_at",
    "first_human_open_at",
    "first_click_at",
    "unsubscribed_at",
    "complained_at",
)


def at(day: int, hour: int = 0, minute: int = 0, *, month: int = 1) -> datetime:
    """A UTC instant in 2024."""
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def counters(**columns: list) -> pl.DataFrame:
    """A counters frame: the given columns, then every counter (zero when not given)."""
    height = len(next(iter(columns.values())))
    data = {name: values for name, values in columns.items() if name not in COUNTER_SCHEMA}
    for name in COUNTERS:
        data[name] = columns.get(name, [0] * height)
    schema = {name: COUNTER_SCHEMA.get(name) for name in data}
    return pl.DataFrame(data, schema_overrides={k: v for k, v in schema.items() if v})


@st.composite
def counter_rows(draw: st.DrawFn, big: int = 10_000) -> dict[str, float]:
    """One row of consistent counters: every subset counter within its parent."""
    sent = draw(st.integers(0, big))
    delivered = draw(st.integers(0, sent))
    bounced = draw(st.integers(0, sent - delivered))
    hard = draw(st.integers(0, bounced))
    unique_opens = draw(st.integers(0, delivered))
    unique_clicks = draw(st.integers(0, delivered))
    return {
        "sent": sent,
        "delivered": delivered,
        "bounced": bounced,
        "hard_bounced": hard,
        "soft_bounced": bounced - hard,
        "unique_opens": unique_opens,
        "human_unique_opens": draw(st.integers(0, unique_opens)),
        "total_opens": unique_opens + draw(st.integers(0, big)),
        "unique_clicks": unique_clicks,
        "total_clicks": unique_clicks + draw(st.integers(0, big)),
        "unsubscribed": draw(st.integers(0, delivered)),
        "complained": draw(st.integers(0, delivered)),
        "conversions": draw(st.integers(0, big)),
        "revenue": draw(st.floats(0, 1e6, allow_nan=False, allow_infinity=False)),
    }


@st.composite
def counter_frames(
    draw: st.DrawFn, dimension: str = "segment", min_size: int = 0, max_size: int = 20
) -> pl.DataFrame:
    """Consistent counter rows with a small, nullable string dimension column."""
    rows = draw(st.lists(counter_rows(), min_size=min_size, max_size=max_size))
    keys = draw(
        st.lists(
            st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
            min_size=len(rows),
            max_size=len(rows),
        )
    )
    data = {dimension: keys, **{name: [row[name] for row in rows] for name in COUNTERS}}
    return pl.DataFrame(data, schema={dimension: pl.String, **COUNTER_SCHEMA})


def _optional_after(draw: st.DrawFn, start: datetime, happened: bool) -> datetime | None:
    if not happened:
        return None
    return start + timedelta(minutes=draw(st.integers(0, 60 * 24 * 3)))


@st.composite
def message_frames(draw: st.DrawFn, max_size: int = 30) -> pl.DataFrame:
    """Messages with plausible event combinations (bounced xor delivered, etc.)."""
    rows = []
    for index in range(draw(st.integers(0, max_size))):
        sent = at(1) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 30)))
        delivered = draw(st.booleans())
        opened = delivered and draw(st.booleans())
        human = opened and draw(st.booleans())
        clicked = delivered and draw(st.booleans())
        open_count = draw(st.integers(1, 5)) if opened else 0
        rows.append(
            {
                "message_id": index,
                "campaign_id": draw(st.sampled_from(["c1", "c2"])),
                "variant_id": draw(st.sampled_from(["A", "B"])),
                "customer_id": draw(st.integers(1, 5)),
                "sent_at": sent,
                "delivered_at": sent if delivered else None,
                "bounced_at": None if delivered else sent,
                "bounce_type": None if delivered else draw(st.sampled_from(["hard", "soft"])),
                "first_open_at": _optional_after(draw, sent, opened),
                "open_count": open_count,
                "machine_open_count": 0 if human or not opened else open_count,
                "first_human_open_at": _optional_after(draw, sent, human),
                "first_click_at": _optional_after(draw, sent, clicked),
                "click_count": draw(st.integers(1, 3)) if clicked else 0,
                "unsubscribed_at": _optional_after(draw, sent, delivered and draw(st.booleans())),
                "complained_at": _optional_after(draw, sent, delivered and draw(st.booleans())),
                "conversions": draw(st.integers(0, 2)) if delivered else 0,
                "revenue": float(draw(st.integers(0, 100))) if delivered else 0.0,
            }
        )
    return message_frame(rows)


MESSAGE_SCHEMA: dict[str, pl.DataType] = {
    "message_id": pl.Int64(),
    "campaign_id": pl.String(),
    "variant_id": pl.String(),
    "customer_id": pl.Int64(),
    "sent_at": UTC_US,
    "delivered_at": UTC_US,
    "bounced_at": UTC_US,
    "bounce_type": pl.String(),
    "first_open_at": UTC_US,
    "open_count": pl.Int64(),
    "machine_open_count": pl.Int64(),
    "first_human_open_at": UTC_US,
    "first_click_at": UTC_US,
    "click_count": pl.Int64(),
    "unsubscribed_at": UTC_US,
    "complained_at": UTC_US,
    "conversions": pl.Int64(),
    "revenue": pl.Float64(),
}


def message_frame(rows: list, extra: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """A message frame from row tuples (or dicts) in the message table's column order,
    followed by the ``extra`` columns."""
    schema = {**MESSAGE_SCHEMA, **(extra or {})}
    if rows and isinstance(rows[0], dict):
        rows = [tuple(row.get(name) for name in schema) for row in rows]
    return pl.DataFrame(rows, schema=schema, orient="row")
